-- 013: each run's verdicts are worked out once, when the run is loaded, not by every reader. The summary
-- (audit list, report site, 整改通知 drafts, the run's outcome) read ``report_verdicts`` half a dozen times, and
-- each time the view went through every finding of the run (~920,000 at 30,000 reports).
--
-- ``verdicts_where(live)`` is the view of migration 007 unchanged (the verdicts of the latest completed run,
-- from its findings, files and the reviews), over no finding and no file at all when ``live`` is false.
-- The load stores the new run's verdicts in ``run_verdicts`` in the run's own transaction, and records in
-- ``run_verdicts_made`` the latest review they take into account. ``report_verdicts`` (same name, same
-- columns as before) reads the stored rows while no review came since; after a review (``xxgk review``
-- stores them again; any other insert into ``reviews``) it works them out from the findings, as before.
CREATE TABLE IF NOT EXISTS run_verdicts (
    run_id    VARCHAR NOT NULL,
    report_id VARCHAR,
    body_id   VARCHAR,
    body_name VARCHAR,
    year      INTEGER,
    verdict   VARCHAR,
    reasons   VARCHAR[]
);

CREATE TABLE IF NOT EXISTS run_verdicts_made (
    run_id      VARCHAR NOT NULL,
    last_review TIMESTAMP       -- the latest ``reviews.decided_at`` the stored verdicts take into account
);

CREATE OR REPLACE MACRO verdicts_where(live) AS TABLE
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
    WHERE live
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
      AND coalesce(rf.sha256, 'unreadable:' || rf.path) NOT IN (SELECT report_id FROM per_report)
    ORDER BY coalesce(rf.sha256, 'unreadable:' || rf.path), rf.path
)
SELECT * FROM from_findings
UNION ALL
SELECT * FROM from_files;


CREATE OR REPLACE VIEW report_verdicts_computed AS
SELECT * FROM verdicts_where(true);

-- The stored verdicts are current: stored for the latest run, and no review came since.
CREATE OR REPLACE VIEW run_verdicts_current AS
SELECT count(*) > 0 AS current
FROM run_verdicts_made m JOIN latest_run l ON l.run_id = m.run_id
WHERE m.last_review IS NOT DISTINCT FROM (SELECT max(decided_at) FROM reviews);

CREATE OR REPLACE VIEW report_verdicts AS
SELECT v.report_id, v.body_id, v.body_name, v.year, v.verdict, v.reasons
FROM run_verdicts v JOIN latest_run l ON v.run_id = l.run_id
WHERE (SELECT current FROM run_verdicts_current)
UNION ALL
SELECT * FROM verdicts_where(NOT (SELECT current FROM run_verdicts_current));

-- The latest run's verdicts, stored once (each later run stores its own when it is loaded).
INSERT INTO run_verdicts SELECT l.run_id, c.* FROM report_verdicts_computed c, latest_run l;
INSERT INTO run_verdicts_made SELECT run_id, (SELECT max(decided_at) FROM reviews) FROM latest_run;
