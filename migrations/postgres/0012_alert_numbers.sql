-- The number users see (`A17`) is given when an alert is sent, not when its
-- draft is stored, so a preview cancelled with ✖ uses up no number. The
-- counter is one row, taken with `UPDATE … RETURNING` in the Send's
-- transaction: on PostgreSQL the row lock makes concurrent sends wait for
-- each other, and a rolled-back send gives its number back. Alerts sent
-- before this migration keep their id as their number.
ALTER TABLE alerts ADD COLUMN number BIGINT;
UPDATE alerts SET number = id WHERE status <> 'draft' AND status <> 'discarded';
CREATE UNIQUE INDEX alerts_number ON alerts (number);

CREATE TABLE alert_numbers (last BIGINT NOT NULL);
INSERT INTO alert_numbers (last) SELECT COALESCE(MAX(number), 0) FROM alerts;
