-- Several instances on one database (issue 13).
-- A lease names the instance that took it, so a new active instance voids
-- only what others left behind, and the logs say whose send it was.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
-- A new active instance asks whether anything went out in the last seconds
-- (the dead one's sends still count against Telegram's limits).
CREATE INDEX outbox_sent_at ON outbox(sent_at);
-- Webhook updates, recorded by whichever instance the load balancer chose
-- before it answers 200; the active instance handles them in update_id order
-- and removes them. A redelivery to a second instance is stored once.
CREATE TABLE inbox (
    update_id   BIGINT PRIMARY KEY,
    body        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
