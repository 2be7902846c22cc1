-- 008: reports harvested from the bodies' own websites, and the evidence of their publication.
--
-- harvests:   one row per harvest (xxgk harvest, or the harvest stage of a nightly run) with its summary.
-- fetches:    the evidence per body and report year: every report or attachment fetched, and what was
--             concluded when none was (outcome: report = the article page holding the report inline,
--             attachment = a file linked from the article page (parent_url) or given directly, unchanged = the
--             site answered 304 / the same bytes for a report already fetched, not_found = the site was
--             reached and the year's report is not on it, unreachable = a source or the report could not be
--             fetched (error says why), skipped = not fetched on purpose (robots.txt, size limit)).
--             sha256 is the fetched file's (= reports.report_id once ingested); page_date is the publication
--             date printed on the article page (发布日期/发布时间/成文日期) or beside the link on the list.
-- fetch_log:  every HTTP request made (robots.txt, list pages, article pages, attachments), with the headers
--             a conditional GET sends back next time.

CREATE TABLE IF NOT EXISTS harvests (
    harvest_id    VARCHAR PRIMARY KEY,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP,
    register_path VARCHAR,
    years         INTEGER[],
    user_agent    VARCHAR,
    n_bodies      INTEGER,   -- bodies with at least one source URL
    n_reached     INTEGER,   -- of which at least one source answered
    n_unreachable INTEGER,   -- of which no source answered
    n_reports     INTEGER,   -- reports found (body-years with a report)
    n_new         INTEGER,   -- reports whose bytes were fetched for the first time
    n_changed     INTEGER,   -- reports that changed on the site since the last harvest (republished)
    n_unchanged   INTEGER,   -- reports as they were
    n_requests    INTEGER,
    summary       VARCHAR    -- the whole summary as JSON
);

CREATE TABLE IF NOT EXISTS fetches (
    fetch_id        VARCHAR PRIMARY KEY,
    harvest_id      VARCHAR NOT NULL,
    body_id         VARCHAR NOT NULL,
    year            INTEGER,
    url             VARCHAR NOT NULL,
    final_url       VARCHAR,
    http_status     INTEGER,
    fetched_at      TIMESTAMP,
    sha256          VARCHAR,
    page_date       DATE,
    outcome         VARCHAR NOT NULL,
    content_type    VARCHAR,
    last_modified   VARCHAR,
    etag            VARCHAR,
    parent_url      VARCHAR,   -- the article page an attachment was linked from
    parent_sha256   VARCHAR,   -- that page's bytes (in the raw archive)
    source_url      VARCHAR,   -- the register's URL the search started from
    title           VARCHAR,   -- the report's title as listed
    date_source     VARCHAR,   -- where page_date was read (发布日期, 成文日期, meta …, 列表)
    file_type       VARCHAR,   -- html, pdf, docx, doc, wps, xls, zip … (from the bytes)
    size_bytes      BIGINT,
    path            VARCHAR,   -- where the report was placed for ingest (<db dir>/harvested/…)
    republished     BOOLEAN,   -- the body-year's report differs from the one the last harvest fetched
    previous_sha256 VARCHAR,
    error           VARCHAR
);

CREATE TABLE IF NOT EXISTS fetch_log (
    harvest_id    VARCHAR NOT NULL,
    body_id       VARCHAR,
    role          VARCHAR,   -- robots, list, article, attachment, source
    url           VARCHAR NOT NULL,
    final_url     VARCHAR,
    http_status   INTEGER,
    result        VARCHAR,   -- ok, not_modified, http_error, failed, robots
    fetched_at    TIMESTAMP,
    sha256        VARCHAR,
    content_type  VARCHAR,
    last_modified VARCHAR,
    etag          VARCHAR,
    attempts      INTEGER,
    error         VARCHAR
);

-- Each harvested report (report_id = the file's sha256) and the latest fetch it came from, with the first
-- time those bytes were seen: reports.report_id joins here.
CREATE OR REPLACE VIEW report_sources AS
SELECT DISTINCT ON (f.sha256)
    f.sha256 AS report_id, f.fetch_id, f.harvest_id, f.body_id, f.year, f.url, f.final_url, f.parent_url,
    f.page_date, f.date_source, f.fetched_at, f.outcome, f.republished,
    min(f.fetched_at) OVER (PARTITION BY f.sha256) AS first_fetched_at
FROM fetches f
WHERE f.outcome IN ('report', 'attachment', 'unchanged') AND f.sha256 IS NOT NULL
ORDER BY f.sha256, f.fetched_at DESC, f.fetch_id DESC;

-- Per body and report year, what its latest harvest concluded: found (a report is on the site), not_found
-- (the site was reached and the report is not there), unreachable (a source or the report could not be
-- fetched or was not fetched on purpose: absence is not established). REG-MISSING reads this.
CREATE OR REPLACE VIEW harvest_outcomes AS
WITH latest AS (
    SELECT body_id, year, max(harvest_id) AS harvest_id FROM fetches WHERE year IS NOT NULL GROUP BY body_id, year
)
SELECT f.body_id, f.year, f.harvest_id,
    CASE WHEN bool_or(f.outcome IN ('report', 'attachment', 'unchanged')) THEN 'found'
         WHEN bool_or(f.outcome IN ('unreachable', 'skipped')) THEN 'unreachable'
         ELSE 'not_found' END AS status,
    CASE WHEN bool_or(f.outcome IN ('report', 'attachment', 'unchanged'))
              THEN string_agg(DISTINCT f.url, '；') FILTER (WHERE f.outcome IN ('report', 'attachment', 'unchanged'))
         WHEN bool_or(f.outcome IN ('unreachable', 'skipped'))
              THEN string_agg(DISTINCT f.url || '：' || coalesce(f.error, f.outcome), '；')
                   FILTER (WHERE f.outcome IN ('unreachable', 'skipped'))
         ELSE string_agg(DISTINCT f.url, '；') END AS detail
FROM fetches f JOIN latest l USING (body_id, year, harvest_id)
GROUP BY f.body_id, f.year, f.harvest_id;
