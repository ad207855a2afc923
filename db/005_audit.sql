-- 005_audit.sql -- the audit trail: what organizers did, by whom, when.
-- Never the personal data of a signer: a deletion says "deleted signature
-- #123", not whose. Rows are only ever added.
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,           -- Unix seconds, UTC
	admin  TEXT    NOT NULL,           -- the organizer's account name
	action TEXT    NOT NULL,           -- 'sign-in', 'publish', 'pause', 'delete', ...
	detail TEXT    NOT NULL DEFAULT '' -- short, never a signer's name, email or comment
);
