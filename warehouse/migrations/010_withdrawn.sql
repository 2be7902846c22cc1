-- 010: a report whose file is no longer among a run's inputs is withdrawn, not forgotten. Its row, cells,
-- facts and every earlier run's findings stay; the run that no longer found it records when
-- (``withdrawn_at``, ``withdrawn_in_run``). From then on it has no findings in the latest run, and its body's
-- year counts as unpublished (REG-MISSING) unless another report of that year is present. A withdrawn
-- report whose file comes back is present again (both columns cleared).
ALTER TABLE reports ADD COLUMN IF NOT EXISTS withdrawn_at TIMESTAMP;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS withdrawn_in_run VARCHAR;

-- Withdrawn reports, with what took their place: ``replaced_by`` is the report of the same body and year
-- that the latest run judged (a corrected report published again), NULL when the year is now unpublished.
CREATE OR REPLACE VIEW withdrawn_reports AS
WITH present AS (
    SELECT DISTINCT f.report_id, f.body_id, f.body_name, f.year
    FROM findings f JOIN latest_run l ON f.run_id = l.run_id
    WHERE NOT starts_with(f.report_id, 'missing:')
)
SELECT r.report_id, r.body_id, r.body_name, r.year, r.source_path, r.withdrawn_at, r.withdrawn_in_run,
       (SELECT min(p.report_id) FROM present p
        WHERE coalesce(p.body_id, p.body_name) = coalesce(r.body_id, r.body_name) AND p.year = r.year) AS replaced_by
FROM reports r
WHERE r.withdrawn_at IS NOT NULL;
