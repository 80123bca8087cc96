-- The dispatcher reads the first pending row of each chat (see store::outbox::pending_rows):
-- ordered by chat, the index lets it seek from one chat to the next.
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox(status, chat_id, id);
