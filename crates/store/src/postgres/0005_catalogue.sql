-- The responsibility catalogue (职责清单): every saved version kept whole, so a case reads its
-- item as it was when the case was routed and every change is on record (who, when, why).
CREATE TABLE catalogue_versions (
    version     BIGINT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    created_by  BIGINT,
    note        TEXT,
    items       BIGINT NOT NULL,
    data        TEXT NOT NULL
);
