-- 008_moderation.sql -- organizers find signers, hide them from the public
-- list, and decide about old public rows without a public name.
--
-- moderation: one row per signature an organizer acted on (few), so this
-- migration neither rewrites nor scans the signatures table for it:
--   'hidden'  withdrawn from the public list of recent signers; it still
--             counts ("show again" undoes it);
--   'kept'    a row from before public names existed (public = 1 with a
--             NULL public_name, listed as "a signer from COUNTRY") that an
--             organizer decided may stay so.
-- It goes with its signature (ON DELETE CASCADE; the deletion also removes
-- it by hand, for a connection without foreign keys). From here on the
-- 'public' counter counts the rows the public list may show: public = 1
-- and not hidden (nothing is hidden yet, so it is unchanged).
CREATE TABLE moderation (
	id    INTEGER PRIMARY KEY REFERENCES signatures (id) ON DELETE CASCADE,
	state TEXT    NOT NULL CHECK (state IN ('hidden', 'kept'))
);

-- The old public rows without a public name: a fixed set (public now
-- requires a public name), found through this small index. The one scan of
-- the table this migration makes.
CREATE INDEX signatures_anonymous ON signatures (id) WHERE public = 1 AND public_name IS NULL;

-- The search index (SQLite FTS5): the words of name and public_name, and
-- the country code. Contentless: it keeps no copy of the text, only the
-- words pointing at signature ids. Words are runs of letters, digits,
-- combining marks (Khmer vowel signs and COENG stay inside their word) and
-- private-use characters; case and Latin accents are ignored. detail=column
-- allows searching one column ("country : kh") and stores no positions.
-- It is filled lazily, never by the signing path (store_moderation.c): the
-- settings row 'search_indexed_upto' is the id up to which every row is
-- indexed. name, public_name and country are never updated in place; a
-- deletion removes the row's words in its own transaction.
CREATE VIRTUAL TABLE signatures_search USING fts5 (
	name, public_name, country,
	content = '', columnsize = 0, detail = column,
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
INSERT INTO settings (key, value) VALUES ('search_indexed_upto', '0')
	ON CONFLICT (key) DO NOTHING;
