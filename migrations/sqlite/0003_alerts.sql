-- Safety alerts: the alert, one delivery per target group (each an outbox
-- row), acknowledgements, and recurring alerts. Times are Unix seconds (UTC)
-- unless the column says _ms.

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    node_code      TEXT NOT NULL REFERENCES nodes(code),
    chat_id        INTEGER NOT NULL,
    issuer_id      INTEGER NOT NULL,
    severity       TEXT NOT NULL,
    category       TEXT NOT NULL,
    level_only     INTEGER,
    text           TEXT NOT NULL,
    -- draft → sent → cancelled | expired; a draft may be discarded
    status         TEXT NOT NULL,
    expires_in     INTEGER,
    expires_at     INTEGER,
    created_at     INTEGER NOT NULL,
    sent_at        INTEGER,
    ended_at       INTEGER,
    cancel_reason  TEXT,
    -- the preview/progress card, and its latest queued edit (for coalescing)
    card_outbox_id INTEGER,
    card_edit_id   INTEGER,
    card_next_ms   INTEGER NOT NULL DEFAULT 0,
    schedule_id    INTEGER
);
CREATE INDEX alerts_node ON alerts(node_code, id);
CREATE INDEX alerts_status ON alerts(status);

CREATE TABLE alert_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id      INTEGER NOT NULL REFERENCES alerts(id),
    node_code     TEXT NOT NULL,
    chat_id       INTEGER NOT NULL,
    outbox_id     INTEGER NOT NULL REFERENCES outbox(id),
    pin_outbox_id INTEGER,
    acked_by      INTEGER,
    acked_at      INTEGER,
    reminded_at   INTEGER,
    escalated_at  INTEGER,
    UNIQUE (alert_id, node_code)
);
CREATE INDEX alert_deliveries_outbox ON alert_deliveries(outbox_id);

CREATE TABLE alert_schedules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    node_code   TEXT NOT NULL REFERENCES nodes(code),
    chat_id     INTEGER NOT NULL,
    creator_id  INTEGER NOT NULL,
    spec        TEXT NOT NULL,
    cron        TEXT NOT NULL,
    args        TEXT NOT NULL,
    active      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
