-- 002_meta.sql -- counters kept where they cost nothing.
-- The signature count and the per-day counts are updated once per committed
-- batch by the single writer, so start-up and the page never count the table.
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) SELECT 'signatures', count(*) FROM signatures;

CREATE TABLE daily (
	day TEXT PRIMARY KEY,                      -- YYYY-MM-DD, UTC
	n   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO daily (day, n)
	SELECT date(signed_at, 'unixepoch'), count(*) FROM signatures GROUP BY 1;

-- The public list of recent signers reads only rows that opted in.
CREATE INDEX signatures_public ON signatures (id) WHERE public = 1;
