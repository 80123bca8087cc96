-- Outbox rows that carry a file (a report's chart as a photo, its workbook as
-- a document): the bytes and the name Telegram shows. The text is the caption.
ALTER TABLE outbox ADD COLUMN file_name TEXT;
ALTER TABLE outbox ADD COLUMN payload BYTEA;
