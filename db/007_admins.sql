-- 007_admins.sql -- organizers' accounts and their signed-in sessions.
-- Only SHA-256 hashes of tokens and session ids are kept: a copy of the
-- database (a backup, a stolen disk) lets nobody sign in.
CREATE TABLE admins (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL COLLATE NOCASE UNIQUE, -- [A-Za-z0-9._-], 1-32
	token_sha256 TEXT    NOT NULL UNIQUE,  -- hex SHA-256 of the account's token
	created_at   INTEGER NOT NULL,         -- Unix seconds, UTC (re-added: then)
	last_sign_in INTEGER,                  -- the sign-in form; NULL: never
	revoked_at   INTEGER                   -- NULL: active
);

-- A signed-in browser: the cookie holds a random 256-bit id, this table its
-- hash. A session ends on sign-out, after the idle time, or when its
-- account is revoked or its token rotated.
CREATE TABLE admin_sessions (
	id_sha256  TEXT    PRIMARY KEY,
	admin_id   INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL            -- updated at most once a minute
) WITHOUT ROWID;
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);

-- The one token kept so far (the first start's) becomes the account 'owner'.
INSERT INTO admins (name, token_sha256, created_at)
	SELECT 'owner', value, CAST(strftime('%s', 'now') AS INTEGER) FROM settings
	WHERE key = 'admin_token_sha256' AND length(value) = 64;
INSERT INTO audit (at, admin, action, detail)
	SELECT created_at, 'start-up', 'admin-add', 'owner (the token of the first start)'
	FROM admins WHERE name = 'owner';
DELETE FROM settings WHERE key = 'admin_token_sha256';
