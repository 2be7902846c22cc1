-- 006: ``findings`` without its PRIMARY KEY index (as 005 did for ``cells``). Every run adds a full set of
-- findings (about 31 per report: passes too), so the index grew with every nightly run and keeping it up to
-- date cost most of the load (measured at 10,000 reports, a second run copying 309,160 unchanged findings:
-- 0.7-1.0 s with the index and growing run by run, 0.2 s without). Uniqueness of (run_id, report_id,
-- rule_id) holds by construction: a run's findings are written only in the transaction that inserts its
-- ``runs`` row (whose primary key refuses a second load of the same run), the rules give one finding per
-- report and rule (``db.finish_run`` refuses a batch that does not), and findings carried over are copied
-- from one earlier run, whose set was unique.
-- Same columns, same order, same NOT NULL constraints; the rows are copied, ordered by run.
CREATE TABLE findings_006 (
    run_id      VARCHAR NOT NULL,
    report_id   VARCHAR NOT NULL,
    body_id     VARCHAR,
    year        INTEGER,
    rule_id     VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,       -- pass / fail / not_assessable / not_applicable
    severity    VARCHAR NOT NULL,       -- error / warning
    message     VARCHAR,
    cell_ids    VARCHAR[],
    fingerprint VARCHAR NOT NULL,
    expected    DOUBLE[],
    observed    DOUBLE[],
    locators    VARCHAR[],
    body_name   VARCHAR
);
INSERT INTO findings_006
SELECT run_id, report_id, body_id, year, rule_id, status, severity, message, cell_ids, fingerprint, expected,
       observed, locators, body_name
FROM findings ORDER BY run_id;
DROP TABLE findings;
ALTER TABLE findings_006 RENAME TO findings;
