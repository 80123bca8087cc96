-- Lanes (issue 10): each row is served by what it is for, not by age alone.
-- 0 an alert's live card, 1 extreme/severe alert copies, 2 moderate/minor
-- copies, 3 the answer to whoever just acted, 4 follow-on work, 5 bulk files.
-- `person` is whose answer a row is (for the per-person cap), `tag` what kind
-- of answer (a refusal, a folded notice), `queued_ms` when it was queued
-- (real time, for the send latency histogram).
ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 4;
ALTER TABLE outbox ADD COLUMN person INTEGER;
ALTER TABLE outbox ADD COLUMN tag TEXT;
ALTER TABLE outbox ADD COLUMN queued_ms INTEGER NOT NULL DEFAULT 0;
DROP INDEX outbox_pending;
-- The dispatcher reads, lane by lane, the first pending row of each chat.
CREATE INDEX outbox_pending ON outbox(status, lane, chat_id, id);
CREATE INDEX outbox_person ON outbox(person, status) WHERE person IS NOT NULL;
