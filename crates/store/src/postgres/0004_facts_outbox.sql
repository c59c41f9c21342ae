-- Metrics (考核指标): one row of facts per case, rewritten with every change of the case in the
-- same transaction, so figures are live sums over a range of received_at. Counter columns are
-- domain::metrics::Counter::SUMMED in order.
CREATE TABLE case_facts (
    received_at          BIGINT NOT NULL,
    case_id              BIGINT NOT NULL,
    unit_id              BIGINT,
    unit_path            TEXT,
    callback_unit_id     BIGINT,
    rated_at             BIGINT,
    channel              TEXT NOT NULL,
    case_type            TEXT NOT NULL,
    catalogue_item       TEXT,
    handling_bucket      BIGINT,
    received             BIGINT NOT NULL,
    dispatched           BIGINT NOT NULL,
    responded            BIGINT NOT NULL,
    signed               BIGINT NOT NULL,
    signed_on_time       BIGINT NOT NULL,
    rated                BIGINT NOT NULL,
    satisfied            BIGINT NOT NULL,
    basically_satisfied  BIGINT NOT NULL,
    unsatisfied          BIGINT NOT NULL,
    solved               BIGINT NOT NULL,
    partly_solved        BIGINT NOT NULL,
    closed               BIGINT NOT NULL,
    closed_on_time       BIGINT NOT NULL,
    answered_on_spot     BIGINT NOT NULL,
    returned             BIGINT NOT NULL,
    returns_refused      BIGINT NOT NULL,
    redone               BIGINT NOT NULL,
    overdue              BIGINT NOT NULL,
    red_supervised       BIGINT NOT NULL,
    timed                BIGINT NOT NULL,
    handling_ms          BIGINT NOT NULL,
    PRIMARY KEY (received_at, case_id)
);
CREATE INDEX case_facts_rated ON case_facts(rated_at) WHERE unsatisfied = 1;

-- Notifications (通知): written in the same transaction as the event that causes them, delivered
-- by a worker that leases rows; dedup_key makes a repeated write a no-op.
CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    dedup_key        TEXT NOT NULL UNIQUE,
    case_id          BIGINT,
    channel          TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    template         TEXT NOT NULL,
    body             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    sent_at          BIGINT,
    read_at          BIGINT,
    last_error       TEXT
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_recipient ON outbox(channel, recipient, id);
CREATE INDEX outbox_case ON outbox(case_id, id);

-- 值班表: which unit leaders are on duty at the centre on which day.
CREATE TABLE duty_roster (
    day      TEXT NOT NULL,
    unit_id  BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    PRIMARY KEY (day, unit_id, user_id)
);

-- Repeat reports of one matter (same item, by phone or by place) within a window.
CREATE INDEX cases_item_received ON cases(catalogue_item, received_at);
