-- 002: the audit list. One row per (body, year) with at least one open fail in the latest completed run;
-- a fail whose fingerprint was last waived is not open.

CREATE OR REPLACE VIEW latest_run AS
SELECT run_id, started_at
FROM runs
WHERE status = 'completed'
ORDER BY started_at DESC, run_id DESC
LIMIT 1;

CREATE OR REPLACE VIEW latest_reviews AS
SELECT fingerprint, decision, reason, reviewer, decided_at
FROM (
    SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY decided_at DESC) AS rn
    FROM reviews
)
WHERE rn = 1;

CREATE OR REPLACE VIEW open_findings AS
SELECT f.*, r.decision AS review_decision, r.reason AS review_reason
FROM findings f
JOIN latest_run l ON f.run_id = l.run_id
LEFT JOIN latest_reviews r ON r.fingerprint = f.fingerprint
WHERE f.status = 'fail' AND coalesce(r.decision, '') <> 'waived';

CREATE OR REPLACE VIEW audit_list AS
SELECT
    any_value(o.body_id)                                           AS body_id,
    any_value(o.body_name)                                         AS body_name,
    o.year                                                         AS year,
    count(*) FILTER (WHERE o.severity = 'error')                   AS n_errors,
    count(*) FILTER (WHERE o.severity = 'warning')                 AS n_warnings,
    list_sort(list_distinct(list(o.rule_id)))                      AS rule_ids,
    any_value(o.run_id)                                            AS run_id,
    string_agg(o.rule_id || '：' || o.message, '；' ORDER BY o.severity, o.rule_id) AS details
FROM open_findings o
GROUP BY coalesce(o.body_id, o.body_name), o.year
ORDER BY n_errors DESC, n_warnings DESC, body_name, year;
