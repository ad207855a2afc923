-- 003_flag_counters.sql -- how many signers chose `public` and `updates`,
-- kept beside the total so the dashboard never scans the table.
INSERT INTO counters (name, value) SELECT 'public', count(*) FROM signatures WHERE public = 1;
INSERT INTO counters (name, value) SELECT 'updates', count(*) FROM signatures WHERE updates = 1;
