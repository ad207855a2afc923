-- 001_init.sql -- signatures and settings.
-- No IP address, user agent or any other trace of the signer's device is stored.
CREATE TABLE signatures (
	id         INTEGER PRIMARY KEY,
	signed_at  INTEGER NOT NULL,               -- Unix seconds, UTC
	name       TEXT    NOT NULL,               -- NFC, trimmed
	email      TEXT    NOT NULL,               -- as entered (trimmed)
	email_norm TEXT    NOT NULL UNIQUE,        -- trimmed, lower-cased: one signature per address
	country    TEXT    NOT NULL,               -- ISO 3166-1 alpha-2
	comment    TEXT    NOT NULL DEFAULT '',
	public     INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
	updates    INTEGER NOT NULL DEFAULT 0 CHECK (updates IN (0, 1))
);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
