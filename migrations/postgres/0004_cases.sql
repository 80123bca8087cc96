-- Residents' reports as cases, their history (never updated or deleted),
-- their photos and locations, and the private reporting flow's drafts.
CREATE TABLE cases (
    id                BIGSERIAL PRIMARY KEY,
    grid_code         TEXT NOT NULL REFERENCES nodes(code),
    node_code         TEXT NOT NULL REFERENCES nodes(code),
    category          TEXT NOT NULL,
    tier              TEXT NOT NULL,
    status            TEXT NOT NULL,
    reporter_id       BIGINT NOT NULL,
    anonymous         BIGINT NOT NULL DEFAULT 0,
    text              TEXT NOT NULL,
    origin_chat_id    BIGINT NOT NULL,
    origin_message_id BIGINT,
    handler_id        BIGINT,
    opened_at         BIGINT NOT NULL,
    deadline_at       BIGINT,
    supervised        BIGINT NOT NULL DEFAULT 0,
    supervisor_code   TEXT,
    resolved_at       BIGINT,
    failed_at         BIGINT,
    closed_at         BIGINT,
    rating            TEXT,
    rated_at          BIGINT,
    followup_asks     BIGINT NOT NULL DEFAULT 0,
    followup_at       BIGINT,
    reminded_at       BIGINT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX cases_node ON cases(node_code, status);
CREATE INDEX cases_grid ON cases(grid_code);
CREATE INDEX cases_reporter ON cases(reporter_id, opened_at);
CREATE INDEX cases_status ON cases(status, deadline_at);

CREATE TABLE case_events (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    actor_id    BIGINT,
    kind        TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE case_attachments (
    id       BIGSERIAL PRIMARY KEY,
    case_id  BIGINT NOT NULL REFERENCES cases(id),
    kind     TEXT NOT NULL,
    file_id  TEXT,
    lat_e6   BIGINT,
    lon_e6   BIGINT,
    added_at BIGINT NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments(case_id);

-- Locations are stored as integer micro-degrees (lat_e6 = round(lat * 1e6)).
-- One draft per resident in the private guided flow.
CREATE TABLE case_drafts (
    user_id    BIGINT PRIMARY KEY,
    stage      TEXT NOT NULL,
    grid_code  TEXT,
    category   TEXT,
    text       TEXT,
    anonymous  BIGINT NOT NULL DEFAULT 0,
    photo      TEXT,
    lat_e6     BIGINT,
    lon_e6     BIGINT,
    updated_at BIGINT NOT NULL
);
