-- 009_aggregates.sql -- what the dashboard's charts and the public numbers
-- are drawn from, kept by the writer once per committed batch
-- (store_charts.c), so no page view ever scans the signatures table.
--
-- agg_slot: signatures per quarter hour, by the quarter's start (Unix
-- seconds, UTC, a multiple of 900). Quarter hours, not hours, because every
-- time zone's offset is a multiple of 15 minutes (Asia/Kathmandu +05:45):
-- the per-hour and per-day charts in the organizer's zone add whole slots,
-- exactly. A year of campaign is at most 35,040 rows.
CREATE TABLE agg_slot (
	t INTEGER PRIMARY KEY,
	n INTEGER NOT NULL
);
INSERT INTO agg_slot (t, n)
	SELECT signed_at - signed_at % 900, count(*) FROM signatures GROUP BY 1;

-- agg_country: signatures per country (ISO 3166-1 alpha-2). A row may hold
-- 0: a repeated submission writes its country's row like a new one does
-- (store_add_batch: the same work either way), and a deletion may empty it.
CREATE TABLE agg_country (
	country TEXT PRIMARY KEY,
	n       INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO agg_country (country, n)
	SELECT country, count(*) FROM signatures GROUP BY 1;

-- Every deletion, whichever path takes it (an organizer's, a signer's
-- withdrawal, `petitiond delete` from another process), takes its row out
-- of both in the same transaction. Deletions are rare; signing never runs
-- this.
CREATE TRIGGER agg_on_delete AFTER DELETE ON signatures BEGIN
	UPDATE agg_slot SET n = max(n - 1, 0) WHERE t = old.signed_at - old.signed_at % 900;
	UPDATE agg_country SET n = max(n - 1, 0) WHERE country = old.country;
END;
