-- 007: every input file accounted for, and one honest verdict per report (不合规 / 待核实 / 合规).
-- ``report_verdicts`` mirrors ``rules.verdicts.report_verdict`` (tests/test_verdicts.py checks the two agree).

ALTER TABLE runs ADD COLUMN IF NOT EXISTS n_found INTEGER;        -- files found in the input folders
ALTER TABLE runs ADD COLUMN IF NOT EXISTS n_ok INTEGER;           -- of which read completely
ALTER TABLE runs ADD COLUMN IF NOT EXISTS n_partial INTEGER;      -- read in part
ALTER TABLE runs ADD COLUMN IF NOT EXISTS n_unsupported INTEGER;  -- in a format no reader opens yet
ALTER TABLE runs ADD COLUMN IF NOT EXISTS n_unchanged INTEGER;    -- known bytes, not parsed again
ALTER TABLE runs ADD COLUMN IF NOT EXISTS years INTEGER[];        -- the years the run checked (NULL: all present)
ALTER TABLE runs ADD COLUMN IF NOT EXISTS register_path VARCHAR;

-- Every file a run found, whatever became of it. outcome: ok / partial / failed / unsupported / ignored
-- (ignored: not a document at all, e.g. a register .csv beside the reports). sha256 is NULL only for a file
-- that could not be read at all.
CREATE TABLE IF NOT EXISTS run_files (
    run_id     VARCHAR NOT NULL,
    path       VARCHAR NOT NULL,
    sha256     VARCHAR,
    size_bytes BIGINT,
    outcome    VARCHAR NOT NULL,
    reason     VARCHAR,
    is_new     BOOLEAN
);

CREATE OR REPLACE VIEW latest_completed_run AS
SELECT run_id FROM latest_run;

-- One row per report of the latest completed run (from its findings), per file it could not read or open,
-- and per registered body-year with no report (REG-MISSING). Waived findings do not count.
CREATE OR REPLACE VIEW report_verdicts AS
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
    WHERE rf.outcome IN ('failed', 'unsupported')
      AND coalesce(rf.sha256, 'unreadable:' || rf.path) NOT IN (SELECT report_id FROM per_report)
    ORDER BY coalesce(rf.sha256, 'unreadable:' || rf.path), rf.path
)
SELECT * FROM from_findings
UNION ALL
SELECT * FROM from_files;

-- The audit list says each row's verdict (the worst of the body's reports of that year): a body-year whose
-- error fails all rest on OCR'd digits is 待核实, not 不合规 (it is listed, and `xxgk audit --pending` says why).
-- Same rows and columns as 004, plus `verdict`; 不合规 rows first.
CREATE OR REPLACE VIEW audit_list AS
WITH body_verdicts AS (
    SELECT coalesce(body_id, body_name) AS body_key, year,
           CASE WHEN bool_or(verdict = 'non_compliant') THEN 'non_compliant'
                WHEN bool_or(verdict = 'needs_review') THEN 'needs_review' ELSE 'compliant' END AS verdict
    FROM report_verdicts
    GROUP BY ALL
)
SELECT
    any_value(o.body_id)                                           AS body_id,
    any_value(o.body_name)                                         AS body_name,
    o.year                                                         AS year,
    count(*) FILTER (WHERE o.severity = 'error')                   AS n_errors,
    count(*) FILTER (WHERE o.severity = 'warning')                 AS n_warnings,
    list_sort(list_distinct(list(o.rule_id)))                      AS rule_ids,
    any_value(o.run_id)                                            AS run_id,
    string_agg(o.rule_id || '：' || o.message, '；' ORDER BY o.severity, o.rule_id) AS details,
    coalesce(any_value(v.n_versions), 1) > 1                        AS republished,
    coalesce(any_value(b.verdict), 'needs_review')                 AS verdict
FROM open_findings o
LEFT JOIN report_versions v ON v.body_key = coalesce(o.body_id, o.body_name) AND v.year = o.year
LEFT JOIN body_verdicts b ON b.body_key = coalesce(o.body_id, o.body_name) AND b.year IS NOT DISTINCT FROM o.year
GROUP BY coalesce(o.body_id, o.body_name), o.year
ORDER BY any_value(b.verdict) = 'non_compliant' DESC, n_errors DESC, n_warnings DESC, body_name, year;
