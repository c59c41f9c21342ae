-- Classifier models (智能分类模型): every trained model kept with its evaluation, one active.
-- The model itself is the JSON the classify crate writes.
CREATE TABLE classifier_models (
    version     INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    created_by  INTEGER,
    note        TEXT,
    labels      INTEGER NOT NULL,
    examples    INTEGER NOT NULL,
    evaluation  TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT FALSE,
    data        TEXT NOT NULL
);

-- Search indexes and other followers read the cases changed since a point, in order.
CREATE INDEX cases_changed ON cases(updated_at, id);
-- Recurrence (回潮) looks at cases closed in the last days.
CREATE INDEX cases_closed ON cases(closed_at);
