-- Safety alerts: the alert, one delivery per target group (each an outbox
-- row), acknowledgements, and recurring alerts. Times are Unix seconds (UTC)
-- unless the column says _ms.

CREATE TABLE alerts (
    id             BIGSERIAL PRIMARY KEY,
    node_code      TEXT NOT NULL REFERENCES nodes(code),
    chat_id        BIGINT NOT NULL,
    issuer_id      BIGINT NOT NULL,
    severity       TEXT NOT NULL,
    category       TEXT NOT NULL,
    level_only     BIGINT,
    text           TEXT NOT NULL,
    -- draft → sent → cancelled | expired; a draft may be discarded
    status         TEXT NOT NULL,
    expires_in     BIGINT,
    expires_at     BIGINT,
    created_at     BIGINT NOT NULL,
    sent_at        BIGINT,
    ended_at       BIGINT,
    cancel_reason  TEXT,
    -- the preview/progress card, and its latest queued edit (for coalescing)
    card_outbox_id BIGINT,
    card_edit_id   BIGINT,
    card_next_ms   BIGINT NOT NULL DEFAULT 0,
    schedule_id    BIGINT
);
CREATE INDEX alerts_node ON alerts(node_code, id);
CREATE INDEX alerts_status ON alerts(status);

CREATE TABLE alert_deliveries (
    id            BIGSERIAL PRIMARY KEY,
    alert_id      BIGINT NOT NULL REFERENCES alerts(id),
    node_code     TEXT NOT NULL,
    chat_id       BIGINT NOT NULL,
    outbox_id     BIGINT NOT NULL REFERENCES outbox(id),
    pin_outbox_id BIGINT,
    acked_by      BIGINT,
    acked_at      BIGINT,
    reminded_at   BIGINT,
    escalated_at  BIGINT,
    UNIQUE (alert_id, node_code)
);
CREATE INDEX alert_deliveries_outbox ON alert_deliveries(outbox_id);

CREATE TABLE alert_schedules (
    id          BIGSERIAL PRIMARY KEY,
    node_code   TEXT NOT NULL REFERENCES nodes(code),
    chat_id     BIGINT NOT NULL,
    creator_id  BIGINT NOT NULL,
    spec        TEXT NOT NULL,
    cron        TEXT NOT NULL,
    args        TEXT NOT NULL,
    active      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
