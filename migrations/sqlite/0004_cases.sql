-- Residents' reports as cases, their history (never updated or deleted),
-- their photos and locations, and the private reporting flow's drafts.
CREATE TABLE cases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code         TEXT NOT NULL REFERENCES nodes(code),
    node_code         TEXT NOT NULL REFERENCES nodes(code),
    category          TEXT NOT NULL,
    tier              TEXT NOT NULL,
    status            TEXT NOT NULL,
    reporter_id       INTEGER NOT NULL,
    anonymous         INTEGER NOT NULL DEFAULT 0,
    text              TEXT NOT NULL,
    origin_chat_id    INTEGER NOT NULL,
    origin_message_id INTEGER,
    handler_id        INTEGER,
    opened_at         INTEGER NOT NULL,
    deadline_at       INTEGER,
    supervised        INTEGER NOT NULL DEFAULT 0,
    supervisor_code   TEXT,
    resolved_at       INTEGER,
    failed_at         INTEGER,
    closed_at         INTEGER,
    rating            TEXT,
    rated_at          INTEGER,
    followup_asks     INTEGER NOT NULL DEFAULT 0,
    followup_at       INTEGER,
    reminded_at       INTEGER,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX cases_node ON cases(node_code, status);
CREATE INDEX cases_grid ON cases(grid_code);
CREATE INDEX cases_reporter ON cases(reporter_id, opened_at);
CREATE INDEX cases_status ON cases(status, deadline_at);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    actor_id    INTEGER,
    kind        TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE case_attachments (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    kind     TEXT NOT NULL,
    file_id  TEXT,
    lat_e6   INTEGER,
    lon_e6   INTEGER,
    added_at INTEGER NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments(case_id);

-- Locations are stored as integer micro-degrees (lat_e6 = round(lat * 1e6)).
-- One draft per resident in the private guided flow.
CREATE TABLE case_drafts (
    user_id    INTEGER PRIMARY KEY,
    stage      TEXT NOT NULL,
    grid_code  TEXT,
    category   TEXT,
    text       TEXT,
    anonymous  INTEGER NOT NULL DEFAULT 0,
    photo      TEXT,
    lat_e6     INTEGER,
    lon_e6     INTEGER,
    updated_at INTEGER NOT NULL
);
