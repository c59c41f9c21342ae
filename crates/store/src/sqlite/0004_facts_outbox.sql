-- Metrics (考核指标): one row of facts per case, rewritten with every change of the case in the
-- same transaction, so figures are live sums over a range of received_at. Counter columns are
-- domain::metrics::Counter::SUMMED in order.
CREATE TABLE case_facts (
    received_at          INTEGER NOT NULL,
    case_id              INTEGER NOT NULL,
    unit_id              INTEGER,
    unit_path            TEXT,
    callback_unit_id     INTEGER,
    rated_at             INTEGER,
    channel              TEXT NOT NULL,
    case_type            TEXT NOT NULL,
    catalogue_item       TEXT,
    handling_bucket      INTEGER,
    received             INTEGER NOT NULL,
    dispatched           INTEGER NOT NULL,
    responded            INTEGER NOT NULL,
    signed               INTEGER NOT NULL,
    signed_on_time       INTEGER NOT NULL,
    rated                INTEGER NOT NULL,
    satisfied            INTEGER NOT NULL,
    basically_satisfied  INTEGER NOT NULL,
    unsatisfied          INTEGER NOT NULL,
    solved               INTEGER NOT NULL,
    partly_solved        INTEGER NOT NULL,
    closed               INTEGER NOT NULL,
    closed_on_time       INTEGER NOT NULL,
    answered_on_spot     INTEGER NOT NULL,
    returned             INTEGER NOT NULL,
    returns_refused      INTEGER NOT NULL,
    redone               INTEGER NOT NULL,
    overdue              INTEGER NOT NULL,
    red_supervised       INTEGER NOT NULL,
    timed                INTEGER NOT NULL,
    handling_ms          INTEGER NOT NULL,
    PRIMARY KEY (received_at, case_id)
) WITHOUT ROWID;
CREATE INDEX case_facts_rated ON case_facts(rated_at) WHERE unsatisfied = 1;

-- Notifications (通知): written in the same transaction as the event that causes them, delivered
-- by a worker that leases rows; dedup_key makes a repeated write a no-op.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    dedup_key        TEXT NOT NULL UNIQUE,
    case_id          INTEGER,
    channel          TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    template         TEXT NOT NULL,
    body             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    sent_at          INTEGER,
    read_at          INTEGER,
    last_error       TEXT
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_recipient ON outbox(channel, recipient, id);
CREATE INDEX outbox_case ON outbox(case_id, id);

-- 值班表: which unit leaders are on duty at the centre on which day.
CREATE TABLE duty_roster (
    day      TEXT NOT NULL,
    unit_id  INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (day, unit_id, user_id)
);

-- Repeat reports of one matter (same item, by phone or by place) within a window.
CREATE INDEX cases_item_received ON cases(catalogue_item, received_at);
