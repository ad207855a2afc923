-- 004_public_name.sql -- the name a signer chose to publish, and the
-- counters that make every commit write.
--
-- public_name: what the public list shows beside the country, set only when
-- the signer ticked `public` and wrote it (NULL otherwise). Rows signed
-- before this column existed keep public = 1 with a NULL public_name: the
-- list shows them as "a signer from COUNTRY" until an organizer decides.
ALTER TABLE signatures ADD COLUMN public_name TEXT;

-- 'accepted': signature submissions the writer committed, new and repeated
-- emails alike (so far only the new ones are known). Every batch adds to
-- it, so every commit writes and syncs the same way whether or not an
-- address had signed before (a repeated email must not answer faster).
-- 'bots_refused': submissions the honeypot caught (answered like a success,
-- nothing of them stored), kept across restarts for the dashboard.
INSERT INTO counters (name, value)
	SELECT 'accepted', value FROM counters WHERE name = 'signatures';
INSERT INTO counters (name, value) VALUES ('bots_refused', 0);
