-- The responsibility catalogue (职责清单): every saved version kept whole, so a case reads its
-- item as it was when the case was routed and every change is on record (who, when, why).
CREATE TABLE catalogue_versions (
    version     INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    created_by  INTEGER,
    note        TEXT,
    items       INTEGER NOT NULL,
    data        TEXT NOT NULL
);
