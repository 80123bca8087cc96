-- The hierarchy, its people, its groups, and the durable outbox.
-- Times are Unix seconds (UTC) unless the column says _ms.

CREATE TABLE nodes (
    code        TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES nodes(code),
    name        TEXT NOT NULL,
    level       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX nodes_parent ON nodes(parent_code);

CREATE TABLE users (
    id            BIGINT PRIMARY KEY,
    username      TEXT,
    first_name    TEXT NOT NULL,
    last_name     TEXT,
    private_chat  BIGINT NOT NULL DEFAULT 0,
    grid_code     TEXT REFERENCES nodes(code),
    updated_at    BIGINT NOT NULL
);
CREATE INDEX users_username ON users(username);

CREATE TABLE roles (
    user_id    BIGINT NOT NULL,
    node_code  TEXT NOT NULL REFERENCES nodes(code),
    role       TEXT NOT NULL,
    backup     BIGINT NOT NULL,
    granted_by BIGINT,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, node_code, role)
);
CREATE INDEX roles_node ON roles(node_code);

CREATE TABLE group_chats (
    chat_id    BIGINT PRIMARY KEY,
    title      TEXT NOT NULL,
    node_code  TEXT UNIQUE REFERENCES nodes(code),
    active     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE processed_updates (
    update_id    BIGINT PRIMARY KEY,
    processed_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    id             BIGSERIAL PRIMARY KEY,
    chat_id        BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    markup         TEXT,
    reply_to       BIGINT,
    edit_of        BIGINT REFERENCES outbox(id),
    status         TEXT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    not_before_ms  BIGINT NOT NULL,
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    sent_at        BIGINT,
    message_id     BIGINT,
    error          TEXT
);
CREATE INDEX outbox_pending ON outbox(status, id);
