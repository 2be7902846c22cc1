-- 015: what each report's findings in a run hash to, stored once when the run is loaded. The report site
-- renders a body's page again only when what it shows changed, and used to hash every finding of the latest
-- run to find out (~920,000 at 30,000 reports, most of the site's reading on a night that judged 300).
-- ``h1`` (exclusive or) and ``h2`` (sum) combine one DuckDB ``hash()`` per finding over its columns but the
-- run id (``warehouse.digests.FINDING_COLUMNS``); ``body_id`` is any of the findings' body ids. A run's rows
-- are complete or absent (written in the run's own transaction): reports whose findings were carried over
-- unchanged take the rows of the run they came from, the others are hashed. Reviews are not in them: the
-- site adds the few reviewed findings when it reads. A run's findings are written once; a script that changes
-- them afterwards must hash its digests again (``warehouse.digests.refresh``).
CREATE TABLE IF NOT EXISTS run_digests (
    run_id    VARCHAR NOT NULL,
    report_id VARCHAR NOT NULL,
    body_id   VARCHAR,
    h1        UBIGINT NOT NULL,
    h2        HUGEINT NOT NULL
);
