-- The clocks of cases, for the scheduler that raises warnings: one row per clock instance (a
-- restarted clock is a new row); each level of each row fires once.
CREATE TABLE case_clocks (
    case_id         INTEGER NOT NULL REFERENCES cases(id),
    step            TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    yellow_at       INTEGER,
    due_at          INTEGER,
    active          BOOLEAN NOT NULL DEFAULT 1,
    yellow_fired_at INTEGER,
    red_fired_at    INTEGER,
    PRIMARY KEY (case_id, step, started_at)
);
CREATE INDEX case_clocks_yellow ON case_clocks(yellow_at) WHERE active AND yellow_fired_at IS NULL;
CREATE INDEX case_clocks_red ON case_clocks(due_at) WHERE active AND red_fired_at IS NULL;
