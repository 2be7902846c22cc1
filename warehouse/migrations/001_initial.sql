-- 001: the contract tables (../shared/reference/warehouse-contract.md). Names are stable: staff and outside
-- scripts query them. Columns may be added in later migrations; none may be renamed or dropped.

CREATE TABLE IF NOT EXISTS bodies (
    body_id     VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR,              -- township / street / county_gov / city_gov / department / zone
    parent_id   VARCHAR,
    aliases     VARCHAR[]
);

CREATE TABLE IF NOT EXISTS reports (
    report_id     VARCHAR PRIMARY KEY,  -- sha256 of the source bytes
    body_id       VARCHAR,              -- null when no register match
    body_name     VARCHAR,              -- as printed in the title
    year          INTEGER,
    edition       VARCHAR,              -- '2019' / '2021' / 'hybrid' / null
    source_path   VARCHAR,
    source_format VARCHAR,              -- txt / html / docx / pdf
    parse_status  VARCHAR NOT NULL,     -- ok / partial / failed
    ingested_at   TIMESTAMP NOT NULL,
    problems      VARCHAR[],
    size_bytes    BIGINT,
    raw_path      VARCHAR,              -- where the raw bytes are archived (content-addressed)
    sections      VARCHAR[],            -- numbers of the sections found, e.g. [1,2,3,4,5,6]
    body_kind     VARCHAR               -- register kind, else inferred from the printed name
);

CREATE TABLE IF NOT EXISTS cells (
    report_id VARCHAR NOT NULL,
    cell_id   VARCHAR NOT NULL,
    state     VARCHAR NOT NULL,         -- number / blank / na / text / missing
    value     DOUBLE,
    raw       VARCHAR,
    locator   VARCHAR,
    PRIMARY KEY (report_id, cell_id)
);

CREATE TABLE IF NOT EXISTS runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    flow_run_id  VARCHAR,
    n_reports    INTEGER,
    status       VARCHAR NOT NULL,      -- completed / failed
    n_new        INTEGER,
    n_failed     INTEGER,
    docs_path    VARCHAR,
    catalogue    VARCHAR                -- version (hash) of the rule catalogue used
);

CREATE TABLE IF NOT EXISTS findings (
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
    body_name   VARCHAR,
    PRIMARY KEY (run_id, report_id, rule_id)
);

-- Reviews are append-only: the latest decision per fingerprint counts. No run ever writes here.
CREATE TABLE IF NOT EXISTS reviews (
    fingerprint VARCHAR NOT NULL,
    decision    VARCHAR NOT NULL,       -- confirmed / waived
    reason      VARCHAR NOT NULL,
    reviewer    VARCHAR,
    decided_at  TIMESTAMP NOT NULL
);
