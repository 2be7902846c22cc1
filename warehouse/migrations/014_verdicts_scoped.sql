-- 014: a night's verdicts worked out for the reports it changed only. ``db.store_verdicts`` copies the verdicts
-- of the reports whose findings the run carried over unchanged from the run they came from, and works out
-- the others: with ``scoped``, ``verdicts_scoped`` reads only the findings and files of the reports listed in
-- ``verdict_scope`` (filled and emptied in the load's own transaction: it is empty outside it). Without it,
-- it is migration 013's ``verdicts_where`` unchanged, which now calls it (one copy of the verdict rules).
-- The filter sits in the findings scan itself: a filter on the view's output does not reach it (the view's
-- per-report step is read twice, so DuckDB computes it whole).
CREATE TABLE IF NOT EXISTS verdict_scope (report_id VARCHAR NOT NULL);

CREATE OR REPLACE MACRO verdicts_scoped(live, scoped) AS TABLE
WITH judged AS (
    SELECT f.report_id, f.rule_id, f.status, f.severity, f.message, f.body_id, f.body_name, f.year,
           coalesce(r.decision, '') = 'waived' AS waived,
           len(list_filter(coalesce(f.locators, []), lambda x: contains(x, 'OCR'))) > 0
               OR (len(coalesce(f.locators, [])) = 0
                   AND len(list_filter(coalesce(rp.problems, []), lambda p: starts_with(p, '本文件含扫描页'))) > 0)
               AS on_ocr
    FROM findings f
    JOIN latest_run l ON f.run_id = l.run_id
    LEFT JOIN latest_reviews r ON r.fingerprint = f.fingerprint
    LEFT JOIN reports rp ON rp.report_id = f.report_id
    WHERE live AND (NOT scoped OR f.report_id IN (SELECT report_id FROM verdict_scope))
),
per_report AS (
    SELECT report_id, any_value(body_id) AS body_id, any_value(body_name) AS body_name, any_value(year) AS year,
           list(rule_id || ' ' || message ORDER BY rule_id)
               FILTER (WHERE severity = 'error' AND status = 'fail' AND NOT waived AND NOT on_ocr) AS fails,
           list('需对照原件核实（依据扫描件的文字识别结果）：' || rule_id || ' ' || message ORDER BY rule_id)
               FILTER (WHERE severity = 'error' AND status = 'fail' AND NOT waived AND on_ocr) AS ocr_fails,
           list('无法判断：' || rule_id || ' ' || regexp_replace(message, '^无法判断：', '') ORDER BY rule_id)
               FILTER (WHERE severity = 'error' AND status = 'not_assessable'
                       AND rule_id NOT IN ('REG-MISSING', 'REG-LATE')) AS unassessed,
           list('未核对：' || rule_id || ' ' || regexp_replace(message, '^无法判断：', '') ORDER BY rule_id)
               FILTER (WHERE severity = 'error' AND status = 'not_assessable'
                       AND rule_id IN ('REG-MISSING', 'REG-LATE')) AS caveats,
           bool_or(rule_id = 'REG-MISSING' AND starts_with(report_id, 'missing:')) AS is_missing,
           any_value(message) FILTER (WHERE rule_id = 'REG-MISSING') AS missing_message,
           bool_or(rule_id = 'REG-MISSING' AND status = 'fail' AND NOT waived) AS missing_failed,
           bool_or(rule_id = 'REG-MISSING' AND status = 'fail' AND waived) AS missing_waived
    FROM judged
    GROUP BY report_id
),
from_findings AS (
    SELECT p.report_id, p.body_id, p.body_name, p.year,
        CASE
            WHEN p.is_missing AND p.missing_failed THEN 'non_compliant'
            WHEN p.is_missing AND p.missing_waived THEN 'compliant'
            WHEN p.is_missing THEN 'needs_review'
            WHEN len(coalesce(p.fails, [])) > 0 THEN 'non_compliant'
            WHEN rp.parse_status IN ('failed', 'unsupported') THEN 'needs_review'
            WHEN len(coalesce(p.ocr_fails, [])) + len(coalesce(p.unassessed, [])) > 0 THEN 'needs_review'
            ELSE 'compliant'
        END AS verdict,
        CASE
            WHEN p.is_missing AND p.missing_failed THEN [p.missing_message]
            WHEN p.is_missing AND p.missing_waived THEN []::VARCHAR[]
            WHEN p.is_missing THEN [regexp_replace(p.missing_message, '^无法判断：', '')]
            WHEN len(coalesce(p.fails, [])) > 0 THEN
                list_concat(p.fails, coalesce(p.ocr_fails, []), coalesce(p.unassessed, []))
            WHEN rp.parse_status IN ('failed', 'unsupported') THEN
                list_concat(['文件无法读取，未能检查' || coalesce('：' || rp.problems[1], '')],
                            coalesce(rp.problems[2:3], []))
            WHEN len(coalesce(p.ocr_fails, [])) + len(coalesce(p.unassessed, [])) > 0 THEN
                list_concat(coalesce(p.ocr_fails, []), coalesce(p.unassessed, []), coalesce(p.caveats, []))
            ELSE coalesce(p.caveats, [])
        END AS reasons
    FROM per_report p
    LEFT JOIN reports rp ON rp.report_id = p.report_id
),
from_files AS (
    SELECT DISTINCT ON (coalesce(rf.sha256, 'unreadable:' || rf.path))
        coalesce(rf.sha256, 'unreadable:' || rf.path) AS report_id, NULL::VARCHAR AS body_id,
        NULL::VARCHAR AS body_name, NULL::INTEGER AS year, 'needs_review' AS verdict,
        [CASE WHEN rf.outcome = 'unsupported' THEN '文件格式不受支持，未能检查' ELSE '文件无法读取，未能检查' END
         || coalesce('：' || rf.reason, '') || '（' || rf.path || '）'] AS reasons
    FROM run_files rf
    JOIN latest_run l ON rf.run_id = l.run_id
    WHERE live AND rf.outcome IN ('failed', 'unsupported')
      AND (NOT scoped OR coalesce(rf.sha256, 'unreadable:' || rf.path) IN (SELECT report_id FROM verdict_scope))
      AND coalesce(rf.sha256, 'unreadable:' || rf.path) NOT IN (SELECT report_id FROM per_report)
    ORDER BY coalesce(rf.sha256, 'unreadable:' || rf.path), rf.path
)
SELECT * FROM from_findings
UNION ALL
SELECT * FROM from_files;

CREATE OR REPLACE MACRO verdicts_where(live) AS TABLE
SELECT * FROM verdicts_scoped(live, false);
