-- 005: ``cells`` without its PRIMARY KEY index. Keeping a 3-million-entry index up to date cost more than
-- the insert itself (measured at 10,000 reports: insert 2.0 s without the index, 3.4 s + 1.4 s at commit
-- with it). Uniqueness of (report_id, cell_id) holds by construction: cells are written only together
-- with their report, in the same transaction, and ``reports.report_id`` keeps its primary key, so a report
-- (and so its cells) is never written twice; within a report each canonical cell id occurs once.
-- Same columns, same order, same NOT NULL constraints; the rows are copied.
CREATE TABLE cells_005 (
    report_id VARCHAR NOT NULL,
    cell_id   VARCHAR NOT NULL,
    state     VARCHAR NOT NULL,         -- number / blank / na / text / missing
    value     DOUBLE,
    raw       VARCHAR,
    locator   VARCHAR,
    reason    VARCHAR,                  -- table_absent / row_absent / lost / ambiguous
    note      VARCHAR
);
INSERT INTO cells_005 SELECT report_id, cell_id, state, value, raw, locator, reason, note FROM cells;
DROP TABLE cells;
ALTER TABLE cells_005 RENAME TO cells;
