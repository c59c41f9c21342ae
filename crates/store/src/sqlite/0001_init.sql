-- minsheng schema v1, SQLite. Times are milliseconds since the Unix epoch (UTC) in INTEGER columns
-- on both engines, so the two schemas compare column for column (tests/conformance.rs).

CREATE TABLE units (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    parent_id       INTEGER REFERENCES units(id),
    path            TEXT NOT NULL,
    division_code   TEXT,
    department_type TEXT,
    active          BOOLEAN NOT NULL DEFAULT 1
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit_id       INTEGER REFERENCES units(id),
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    role        TEXT NOT NULL,
    unit_id     INTEGER REFERENCES units(id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- The daily sequence behind case numbers; incremented in the creating transaction, so a
-- rolled-back creation leaves no gap.
CREATE TABLE case_counters (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    version          INTEGER NOT NULL,
    state            TEXT NOT NULL,
    channel          TEXT NOT NULL,
    case_type        TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    lead_unit_id     INTEGER,
    handling_unit_id INTEGER,
    division_unit_id INTEGER,
    catalogue_item   TEXT,
    title            TEXT NOT NULL,
    text             TEXT NOT NULL,
    phone            TEXT,
    received_by      INTEGER,
    received_at      INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    closed_at        INTEGER,
    data             TEXT NOT NULL
);
CREATE INDEX cases_holder ON cases(handling_unit_id, state, id);
CREATE INDEX cases_lead ON cases(lead_unit_id, state, id);
CREATE INDEX cases_state ON cases(state, id);
CREATE INDEX cases_received ON cases(received_at);
CREATE INDEX cases_phone ON cases(phone, id);
CREATE INDEX cases_received_by ON cases(received_by, id);

-- Append-only history: the triggers below refuse any update or delete.
CREATE TABLE case_events (
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    seq           INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_role    TEXT NOT NULL,
    actor_unit_id INTEGER,
    data          TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;

-- Every unit whose lists show the case: involved units and their ancestors.
CREATE TABLE case_access (
    unit_id INTEGER NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    state   TEXT NOT NULL,
    PRIMARY KEY (unit_id, case_id)
);
CREATE INDEX case_access_state ON case_access(unit_id, state, case_id);
CREATE INDEX case_access_case ON case_access(case_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
