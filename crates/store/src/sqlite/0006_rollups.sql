-- Daily roll-ups of case_facts (see rollup.rs): per China day, dimension (unit, channel,
-- case_type, category, callback) and key, within the lead unit's path; kept exact by adding each
-- case write's difference in the same transaction.
CREATE TABLE fact_rollup (
    dim                  TEXT NOT NULL,
    day                  INTEGER NOT NULL,
    key                  TEXT NOT NULL,
    unit_path            TEXT NOT NULL,
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
    PRIMARY KEY (dim, day, key, unit_path)
) WITHOUT ROWID;

-- Handling-time histograms per day, dimension and key (for percentiles).
CREATE TABLE fact_buckets (
    dim        TEXT NOT NULL,
    day        INTEGER NOT NULL,
    key        TEXT NOT NULL,
    unit_path  TEXT NOT NULL,
    bucket     INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (dim, day, key, unit_path, bucket)
) WITHOUT ROWID;
