-- 009: the warehouse is the cache. Each report's own facts (what the parser workers read of it: cell values,
-- prose numbers, structure facts, the section texts the copying checks compare, where each cell was printed)
-- are kept with the version of the parser that read them, so that a run judges stored reports again (the
-- neighbours of a changed report, or every report after the rules changed) without parsing them again; the
-- archive is parsed again only for reports read by an older parser. ``facts``: zlib-compressed JSON
-- (``warehouse/facts_store.py``). ``report_sentences``: the sentences of sections 1 and 5 (a stable 64-bit
-- hash of each normalised sentence, and its length), which find the reports a copying check must compare.
CREATE TABLE IF NOT EXISTS report_facts (
    report_id      VARCHAR NOT NULL,
    parser_version VARCHAR NOT NULL,
    facts          BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS report_sentences (
    report_id VARCHAR NOT NULL,
    year      INTEGER,
    section   TINYINT NOT NULL,
    sentence  BIGINT NOT NULL,
    length    INTEGER NOT NULL
);
