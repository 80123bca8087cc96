-- The hierarchy, its people, its groups, and the durable outbox.
-- Times are Unix seconds (UTC) unless the column says _ms.

CREATE TABLE nodes (
    code        TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES nodes(code),
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX nodes_parent ON nodes(parent_code);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT,
    first_name    TEXT NOT NULL,
    last_name     TEXT,
    private_chat  INTEGER NOT NULL DEFAULT 0,
    grid_code     TEXT REFERENCES nodes(code),
    updated_at    INTEGER NOT NULL
);
CREATE INDEX users_username ON users(username);

CREATE TABLE roles (
    user_id    INTEGER NOT NULL,
    node_code  TEXT NOT NULL REFERENCES nodes(code),
    role       TEXT NOT NULL,
    backup     INTEGER NOT NULL,
    granted_by INTEGER,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, node_code, role)
);
CREATE INDEX roles_node ON roles(node_code);

CREATE TABLE group_chats (
    chat_id    INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    node_code  TEXT UNIQUE REFERENCES nodes(code),
    active     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at INTEGER NOT NULL
);

CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id        INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    markup         TEXT,
    reply_to       INTEGER,
    edit_of        INTEGER REFERENCES outbox(id),
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before_ms  INTEGER NOT NULL,
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    sent_at        INTEGER,
    message_id     INTEGER,
    error          TEXT
);
CREATE INDEX outbox_pending ON outbox(status, id);
