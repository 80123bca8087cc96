-- A recurring alert's next occurrence (Unix seconds), stored so a scheduler
-- tick finds what is due with one indexed read, and advanced conditionally
-- (`WHERE next_due = <old>`) in the transaction that fires it, so each
-- occurrence fires once even with two instances. NULL: not computed yet
-- (schedules made before this column); the job fills it in.
ALTER TABLE alert_schedules ADD COLUMN next_due BIGINT;
CREATE INDEX alert_schedules_next_due ON alert_schedules (next_due) WHERE active = 1;
