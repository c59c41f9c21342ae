-- Daily roll-ups of case_facts (see rollup.rs): per China day, dimension (unit, channel,
-- case_type, category, callback) and key, within the lead unit's path; kept exact by adding each
-- case write's difference in the same transaction.
CREATE TABLE fact_rollup (
    dim                  TEXT NOT NULL,
    day                  BIGINT NOT NULL,
    key                  TEXT NOT NULL,
    unit_path            TEXT NOT NULL,
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
    PRIMARY KEY (dim, day, key, unit_path)
);

-- Handling-time histograms per day, dimension and key (for percentiles).
CREATE TABLE fact_buckets (
    dim        TEXT NOT NULL,
    day        BIGINT NOT NULL,
    key        TEXT NOT NULL,
    unit_path  TEXT NOT NULL,
    bucket     BIGINT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (dim, day, key, unit_path, bucket)
);
