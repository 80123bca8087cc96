-- An update whose handling failed (an error or a panic) is still recorded, so
-- Telegram's redelivery of it changes nothing; `failed` says it was not handled.
ALTER TABLE processed_updates ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
