-- The clocks of cases, for the scheduler that raises warnings: one row per clock instance (a
-- restarted clock is a new row); each level of each row fires once.
CREATE TABLE case_clocks (
    case_id         BIGINT NOT NULL REFERENCES cases(id),
    step            TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    yellow_at       BIGINT,
    due_at          BIGINT,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    yellow_fired_at BIGINT,
    red_fired_at    BIGINT,
    PRIMARY KEY (case_id, step, started_at)
);
CREATE INDEX case_clocks_yellow ON case_clocks(yellow_at) WHERE active AND yellow_fired_at IS NULL;
CREATE INDEX case_clocks_red ON case_clocks(due_at) WHERE active AND red_fired_at IS NULL;
