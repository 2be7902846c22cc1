-- 004: the audit list says when a body re-published its report for a year (a corrected report arrives as
-- new bytes: its findings get new fingerprints, so earlier reviews no longer hide them).
CREATE OR REPLACE VIEW report_versions AS
SELECT coalesce(body_id, body_name) AS body_key, year, count(DISTINCT report_id) AS n_versions,
       max(ingested_at) AS last_ingested
FROM reports
WHERE parse_status <> 'failed'
GROUP BY coalesce(body_id, body_name), year;

CREATE OR REPLACE VIEW audit_list AS
SELECT
    any_value(o.body_id)                                           AS body_id,
    any_value(o.body_name)                                         AS body_name,
    o.year                                                         AS year,
    count(*) FILTER (WHERE o.severity = 'error')                   AS n_errors,
    count(*) FILTER (WHERE o.severity = 'warning')                 AS n_warnings,
    list_sort(list_distinct(list(o.rule_id)))                      AS rule_ids,
    any_value(o.run_id)                                            AS run_id,
    string_agg(o.rule_id || '：' || o.message, '；' ORDER BY o.severity, o.rule_id) AS details,
    coalesce(any_value(v.n_versions), 1) > 1                        AS republished
FROM open_findings o
LEFT JOIN report_versions v ON v.body_key = coalesce(o.body_id, o.body_name) AND v.year = o.year
GROUP BY coalesce(o.body_id, o.body_name), o.year
ORDER BY n_errors DESC, n_warnings DESC, body_name, year;
