-- The daily digest of overdue cases to the admins above (issue 14): one row
-- per person and local day, written in the transaction that queues the
-- digest, so a restart or a second instance never sends a day's digest twice.
CREATE TABLE digest_sent (
    user_id BIGINT NOT NULL,
    day     TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
