-- 督办 level as a column, for the supervisors' lists (backfilled from the stored fold).
ALTER TABLE cases ADD COLUMN supervision TEXT NOT NULL DEFAULT 'none';
UPDATE cases SET supervision = COALESCE(json_extract(data, '$.supervision'), 'none');
CREATE INDEX cases_supervision ON cases(supervision, id) WHERE supervision <> 'none';
