-- One row per scheduled job occurrence that has run: a job's slot runs once,
-- even across restarts and with several instances on one database.
CREATE TABLE job_runs (
    job     TEXT NOT NULL,
    slot    INTEGER NOT NULL,
    ran_at  INTEGER NOT NULL,
    PRIMARY KEY (job, slot)
);
