-- 010_source.sql -- where a signature was collected: 'online' (the form),
-- 'paper' (a printed sheet, typed in or imported) or 'event' (a list taken
-- at an event). A constant default: adding the column rewrites no row.
--
-- Paper signers may have no email address. Such a row keeps email = '' and
-- gets email_norm = '#' || id: never a valid address (no '@'), so it never
-- collides with a real signer's duplicate key, and UNIQUE holds without
-- rebuilding the table (SQLite cannot relax NOT NULL in place).
ALTER TABLE signatures ADD COLUMN source TEXT NOT NULL DEFAULT 'online';

-- The few rows that did not come from the form, for the dashboard's
-- paper/event figure and the export's --source filter, without a scan.
CREATE INDEX signatures_offline ON signatures (source, id) WHERE source <> 'online';
