-- 006_content.sql -- the campaign's texts, per language, every published
-- version kept; and the share image an organizer uploaded.
--
-- A language shows its newest version. A version with withdrawn = 1 takes
-- the translation off the page (visitors then read English); reverting
-- publishes an older version again as a new row, so nothing is ever
-- rewritten. The server fills in the embedded defaults (today's petition)
-- at start for a language that has no version yet.
CREATE TABLE content_versions (
	id            INTEGER PRIMARY KEY,
	lang          TEXT    NOT NULL,          -- 'en', 'km'
	published_at  INTEGER NOT NULL,          -- Unix seconds, UTC
	admin         TEXT    NOT NULL,          -- who published it ('petitiond': the default, 'cli')
	note          TEXT    NOT NULL DEFAULT '', -- 'default', 'revert of #12', 'content load'
	withdrawn     INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
	title         TEXT    NOT NULL DEFAULT '',
	petitioners   TEXT    NOT NULL DEFAULT '',
	recipients    TEXT    NOT NULL DEFAULT '',
	body          TEXT    NOT NULL DEFAULT '', -- Markdown
	closing       TEXT    NOT NULL DEFAULT '', -- Markdown
	contact       TEXT    NOT NULL DEFAULT '', -- Markdown, one line per line
	organization  TEXT    NOT NULL DEFAULT '',
	contact_email TEXT    NOT NULL DEFAULT '',
	share_text    TEXT    NOT NULL DEFAULT '',
	thanks_text   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX content_versions_lang ON content_versions (lang, id);

-- At most one row: the uploaded share image (PNG or JPEG, metadata
-- removed), served at a path carrying its hash. None: the embedded default.
CREATE TABLE share_image (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	uploaded_at INTEGER NOT NULL,
	admin       TEXT    NOT NULL,
	mime        TEXT    NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	sha256      TEXT    NOT NULL,          -- hex, of data
	data        BLOB    NOT NULL
);
