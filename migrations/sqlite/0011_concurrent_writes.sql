-- A case's version, bumped by every write of the row: a step, a reminder or
-- a follow-up saves only `WHERE version = <the version it read>`, so a change
-- made in between (a /resolve while the reminder job was running) is never
-- overwritten by a stale copy of the row.
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- An alert by its card (to withdraw a card edit that a newer one replaced
-- while it was being retried).
CREATE INDEX alerts_card ON alerts(card_outbox_id);
