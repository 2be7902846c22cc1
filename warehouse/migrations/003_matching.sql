-- 003: how each report was matched to the register, its publication date, and why a cell is missing.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS match_confidence DOUBLE;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS match_how VARCHAR;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS published_on DATE;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS t2_edition VARCHAR;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS t3_edition VARCHAR;
ALTER TABLE cells ADD COLUMN IF NOT EXISTS reason VARCHAR;   -- table_absent / row_absent / lost / ambiguous
ALTER TABLE cells ADD COLUMN IF NOT EXISTS note VARCHAR;
