-- 011: an article page and the files it links are ONE report. The harvest judges one file per report (the
-- page printing the report, or the attachment holding it when the page is a stub that says 见附件, or —
-- when page and attachment both hold the report — the more complete reading); the others are archived
-- (raw/, by sha256) and linked to it, never judged as second reports. A folder input has no such link: one
-- file = one report, as before.
--
-- fetches.role:          report    = the file judged as the report (placed for ingest: path),
--                        duplicate = the same report in another file, read less completely (kept, linked),
--                        annex     = another file of the article that does not read as a report (附表, 说明 …);
--                        NULL for rows without a file (not_found, unreachable …) and rows before 011.
-- fetches.report_sha256: the sha256 of the file judged as the report this file belongs to (its own for a report).
-- fetches.page_title:    the article page's title (the page is the report's evidence: URL, title, date).
-- fetches.choice:        why this file is, or is not, the report (what the parser read of each file).
-- file_readings:         what the harvest's parser read of a file it had to compare with another (by sha256,
--                        read once: a later harvest with the same bytes reads nothing).
ALTER TABLE fetches ADD COLUMN IF NOT EXISTS role VARCHAR;
ALTER TABLE fetches ADD COLUMN IF NOT EXISTS report_sha256 VARCHAR;
ALTER TABLE fetches ADD COLUMN IF NOT EXISTS page_title VARCHAR;
ALTER TABLE fetches ADD COLUMN IF NOT EXISTS choice VARCHAR;

CREATE TABLE IF NOT EXISTS file_readings (
    sha256        VARCHAR PRIMARY KEY,
    file_type     VARCHAR,
    year          INTEGER,   -- the report year the parser read (NULL: none)
    cells_read    INTEGER,   -- statutory cells read with a value (a number, 不适用, text; not blank or missing)
    sections_read INTEGER,   -- of the six parts, how many were found
    parse_status  VARCHAR,   -- ok / partial / failed
    read_at       TIMESTAMP
);

-- Each harvested report (report_id = the judged file's sha256) and the latest fetch it came from: only the
-- files judged as reports (a duplicate or an annex is not a report of its own).
CREATE OR REPLACE VIEW report_sources AS
SELECT DISTINCT ON (f.sha256)
    f.sha256 AS report_id, f.fetch_id, f.harvest_id, f.body_id, f.year, f.url, f.final_url, f.parent_url,
    f.page_date, f.date_source, f.fetched_at, f.outcome, f.republished,
    min(f.fetched_at) OVER (PARTITION BY f.sha256) AS first_fetched_at, f.page_title, f.choice
FROM fetches f
WHERE f.outcome IN ('report', 'attachment', 'unchanged') AND f.sha256 IS NOT NULL
  AND (f.role IS NULL OR f.role = 'report')
ORDER BY f.sha256, f.fetched_at DESC, f.fetch_id DESC;

-- Every file of each harvested report, as the latest harvest that fetched it saw it: part = report (the file
-- judged), page (the article page it was published on: URL, title, publication date), duplicate (the same
-- report in another file, archived, not judged), annex (another file of the article, archived), with the
-- cells the parser read of each when the harvest compared them. report_id joins reports.report_id; sha256 is
-- the file's bytes in raw/.
-- (A row of a harvest before 011 has no role: the file it placed for ingest (path) was judged.)
CREATE OR REPLACE VIEW report_files AS
WITH roled AS (
    SELECT f.*, coalesce(f.role, CASE WHEN f.path IS NOT NULL THEN 'report' END) AS part
    FROM fetches f
    WHERE f.sha256 IS NOT NULL AND f.outcome IN ('report', 'attachment', 'unchanged')
), files AS (
    SELECT coalesce(report_sha256, sha256) AS report_id, sha256, part, url, file_type,
           title, choice, body_id, year, page_date, fetched_at, fetch_id
    FROM roled WHERE part IN ('report', 'duplicate', 'annex')
    UNION ALL
    SELECT sha256, parent_sha256, 'page', parent_url, 'html', page_title,
           NULL, body_id, year, page_date, fetched_at, fetch_id
    FROM roled WHERE part = 'report' AND parent_sha256 IS NOT NULL
)
SELECT DISTINCT ON (files.report_id, files.sha256, files.part)
    files.report_id, files.sha256, files.part, files.url, files.file_type, files.title, files.choice,
    files.body_id, files.year, files.page_date, files.fetched_at,
    r.cells_read, r.sections_read   -- what the harvest's parser read of it (NULL: it had nothing to compare)
FROM files LEFT JOIN file_readings r ON r.sha256 = files.sha256
ORDER BY files.report_id, files.sha256, files.part, files.fetched_at DESC, files.fetch_id DESC;

-- harvest_outcomes as in 008, a year counting as found only through a file judged as a report.
CREATE OR REPLACE VIEW harvest_outcomes AS
WITH latest AS (
    SELECT body_id, year, max(harvest_id) AS harvest_id FROM fetches WHERE year IS NOT NULL GROUP BY body_id, year
), marked AS (
    SELECT f.*, f.outcome IN ('report', 'attachment', 'unchanged') AND coalesce(f.role, 'report') = 'report' AS found
    FROM fetches f JOIN latest l USING (body_id, year, harvest_id)
)
SELECT body_id, year, harvest_id,
    CASE WHEN bool_or(found) THEN 'found'
         WHEN bool_or(outcome IN ('unreachable', 'skipped')) THEN 'unreachable'
         ELSE 'not_found' END AS status,
    CASE WHEN bool_or(found) THEN string_agg(DISTINCT url, '；') FILTER (WHERE found)
         WHEN bool_or(outcome IN ('unreachable', 'skipped'))
              THEN string_agg(DISTINCT url || '：' || coalesce(error, outcome), '；')
                   FILTER (WHERE outcome IN ('unreachable', 'skipped'))
         ELSE string_agg(DISTINCT url, '；') END AS detail
FROM marked
GROUP BY body_id, year, harvest_id;
