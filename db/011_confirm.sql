-- 011_confirm.sql -- email confirmation (double opt-in), withdrawal by the
-- signer, and the outbox that sends their mail.
--
-- confirmed: 1 for a signature that counts, 0 for one waiting for its
-- signer to confirm it from the mail (--confirm required). Rows from before
-- this migration, and every row when confirmation is off, are 1. The public
-- count, the public list, the charts and /api/stats read only confirmed
-- rows: the 'signatures' counter, 'daily', 'agg_slot' and 'agg_country'
-- count them alone; 'pending' counts the others.
ALTER TABLE signatures ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1 CHECK (confirmed IN (0, 1));
INSERT INTO counters (name, value) VALUES ('pending', 0);
-- The outbox's totals (its rows are only the mail still to send).
INSERT INTO counters (name, value) VALUES ('mail_sent', 0);
INSERT INTO counters (name, value) VALUES ('mail_failed', 0);
INSERT INTO counters (name, value) VALUES ('mail_unsure', 0);
INSERT INTO counters (name, value) VALUES ('mail_skipped', 0);
-- Requests for a new link or a withdrawal link, counted so that each one
-- commits a write whether or not the address has signed.
INSERT INTO counters (name, value) VALUES ('mail_requests', 0);

-- The unconfirmed rows, oldest first, for the purge after --pending-days.
CREATE INDEX signatures_pending ON signatures (signed_at) WHERE confirmed = 0;

-- The public list shows confirmed signers only.
DROP INDEX signatures_public;
CREATE INDEX signatures_public ON signatures (id) WHERE public = 1 AND confirmed = 1;

-- The aggregates count confirmed rows only: an unconfirmed row's deletion
-- (withdrawal, purge) takes nothing from them.
DROP TRIGGER agg_on_delete;
CREATE TRIGGER agg_on_delete AFTER DELETE ON signatures WHEN old.confirmed = 1 BEGIN
	UPDATE agg_slot SET n = max(n - 1, 0) WHERE t = old.signed_at - old.signed_at % 900;
	UPDATE agg_country SET n = max(n - 1, 0) WHERE country = old.country;
END;

-- The links and codes mailed to signers. Only hashes are kept: the SHA-256
-- of a link's 256-bit random token, and a keyed hash (HMAC with the form
-- key) of a short code typed by hand. purpose 1: confirm, 2: withdraw.
-- Single use (used = 1), valid until expires_at (Unix seconds).
CREATE TABLE mail_tokens (
	hash       TEXT    PRIMARY KEY,
	sig_id     INTEGER NOT NULL,
	purpose    INTEGER NOT NULL CHECK (purpose IN (1, 2)),
	expires_at INTEGER NOT NULL,
	used       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX mail_tokens_sig ON mail_tokens (sig_id);
CREATE INDEX mail_tokens_expiry ON mail_tokens (expires_at);

-- How many messages each signature's address got today (UTC day number):
-- at most 3 a day, whatever asks for them.
CREATE TABLE mail_quota (
	sig_id INTEGER PRIMARY KEY,
	day    INTEGER NOT NULL,
	n      INTEGER NOT NULL
);

-- Mail waiting to be sent. The address and the clear tokens stay only until
-- the message is handed to the relay: then the row is deleted (the totals
-- are the counters above). kind 1: confirm, 2: a withdrawal link, 3: a
-- repeated signing of a confirmed address (a withdrawal link, "you have
-- already signed"). state 0: waiting (from next_at), 1: being sent -- a row
-- found in state 1 at start was being sent when the server stopped: it is
-- not sent again (at most once; see README).
CREATE TABLE outbox (
	id         INTEGER PRIMARY KEY,
	sig_id     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	kind       INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
	lang       TEXT    NOT NULL,
	rcpt       TEXT    NOT NULL,
	domain     TEXT    NOT NULL,
	token      TEXT    NOT NULL,
	code       TEXT    NOT NULL DEFAULT '',
	wtoken     TEXT    NOT NULL DEFAULT '',
	state      INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1)),
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL,
	last_error TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 0;
CREATE INDEX outbox_sig ON outbox (sig_id);

-- How many rows the outbox holds, kept by triggers (whichever process
-- inserts or deletes), so that signing checks the outbox's bound with one
-- row's read instead of a count that grows with the outbox.
INSERT INTO counters (name, value) VALUES ('outbox', 0);
CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
	UPDATE counters SET value = value + 1 WHERE name = 'outbox';
END;
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
	UPDATE counters SET value = max(value - 1, 0) WHERE name = 'outbox';
END;

-- The mail's texts, edited with the rest of the campaign's texts (empty:
-- the built-in sentences of the language).
ALTER TABLE content_versions ADD COLUMN mail_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE content_versions ADD COLUMN mail_confirm TEXT NOT NULL DEFAULT '';
ALTER TABLE content_versions ADD COLUMN mail_withdraw TEXT NOT NULL DEFAULT '';
