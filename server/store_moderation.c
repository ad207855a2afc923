/* store_moderation.c -- browsing, searching and moderating the signatures:
 * keyset-paged lists, the lazily kept full-text index, hide / show / keep,
 * and deleting a signature (the one code path, by id or by email).
 *
 * Lists read on a connection of their own, opened per call (an organizer's
 * page, rare): one snapshot for the page, and the shared read connection of
 * the public pages is never held by a search. Writes run in writer tasks on
 * the writer's connection, each in a transaction of its own with its audit
 * line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_int.h"

/* The settings row holding the search index's watermark: every row with an
 * id up to it is indexed (those deleted since have left the index too). */
#define MOD_WATERMARK_KEY "search_indexed_upto"

/* A row with its moderation state: every query names the signature s and
 * its moderation row m (LEFT JOIN moderation m ON m.id = s.id). */
#define MOD_COLS                                                                        \
	"s.id, s.signed_at, s.name, s.email, s.country, s.comment, s.public, s.updates," \
	" s.public_name, m.state, s.source, s.confirmed"
#define MOD_JOIN " LEFT JOIN moderation m ON m.id = s.id"

/* The old anonymous rows awaiting a decision: the partial index
 * signatures_anonymous's condition (so that index answers), and no
 * moderation row yet. */
#define MOD_UNDECIDED "s.public = 1 AND s.public_name IS NULL AND m.id IS NULL"

static int open_ro(const struct store_conns *c, struct db **db, char *err, size_t errlen)
{
	if (db_open_v2(c->path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", c->path, *db ? db_errmsg(*db) : "out of memory");
		db_close(*db);
		*db = NULL;
		return -1;
	}
	db_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

static const char *text(struct db_stmt *s, int col)
{
	const char *t = (const char *)db_column_text(s, col);

	return t ? t : "";
}

static void row_of(struct db_stmt *s, struct store_sig_row *row)
{
	row->id = db_column_int64(s, 0);
	row->signed_at = db_column_int64(s, 1);
	row->name = text(s, 2);
	row->email = text(s, 3);
	row->country = text(s, 4);
	row->comment = text(s, 5);
	row->is_public = db_column_int(s, 6);
	row->updates = db_column_int(s, 7);
	row->public_name = (const char *)db_column_text(s, 8);
	row->hidden = strcmp(text(s, 9), "hidden") == 0;
	row->anon_kept = strcmp(text(s, 9), "kept") == 0;
	row->source = text(s, 10)[0] ? text(s, 10) : "online";
	row->confirmed = db_column_int(s, 11);
}

/* The watermark, read on db (0 when unset). */
static int watermark(struct db *db, int64_t *w)
{
	struct db_stmt *s = NULL;
	int rc;

	*w = 0;
	if (db_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM settings WHERE key = '"
			  MOD_WATERMARK_KEY "'", -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = db_step(s);
	if (rc == SQLITE_ROW)
		*w = db_column_int64(s, 0);
	db_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* PostgreSQL has no FTS5 index: the same search as conditions on the
 * rows, each word of the expression (search.c's: "word"* terms, and
 * country : "cc") the beginning of a word of the name or the public name,
 * as SQLite's index (unicode61, remove_diacritics) finds them: in any case,
 * accents ignored (PG_FOLD: NFD, then the combining marks U+0300-U+036F
 * dropped; Khmer's signs are elsewhere and stay), a word beginning at the
 * start or after any character that is not a letter or digit. A sealed name
 * is never searched. The words go in words[] (at most PG_MAX_TERMS,
 * pointing into copy), the country in *cc. */
#define PG_MAX_TERMS 16
static int pg_terms(const char *match, char *copy, size_t copylen, const char **words,
		    const char **cc)
{
	char *p, *q;
	int n = 0;

	*cc = NULL;
	snprintf(copy, copylen, "%s", match);
	for (p = copy; (p = strchr(p, '"')) != NULL; p = q + 1) {
		int is_country = p - copy >= 10 && strncmp(p - 10, "country : ", 10) == 0;

		q = strchr(p + 1, '"');
		if (q == NULL)
			break;
		*q = '\0';
		if (is_country)
			*cc = p + 1;
		else if (n < PG_MAX_TERMS)
			words[n++] = p + 1;
	}
	return n;
}

#define PG_FOLD(x) "regexp_replace(normalize(lower(" x "), NFD), '[\\u0300-\\u036f]', '', 'g')"
/* The word, folded, with every character but letters and digits escaped:
 * a pattern that finds it at a word's beginning. */
#define PG_WORD_RE                                                                      \
	"('(^|[^[:alnum:]])' || regexp_replace(" PG_FOLD("?") ", '([^[:alnum:]])', '\\\\\\1'," \
	" 'g'))"
#define PG_WORD_MATCH                                                        \
	" AND (" PG_FOLD("s.name") " ~ " PG_WORD_RE " OR " PG_FOLD("coalesce(s.public_name," \
	" '')") " ~ " PG_WORD_RE ")"

int store_sig_list(struct store *st, const struct store_sig_filter *f,
		   void (*fn)(void *ctx, const struct store_sig_row *row), void *ctx, char *err,
		   size_t errlen)
{
	struct store_conns c;
	struct buf sql = BUF_INIT;
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	const char *idcol = "s.id";
	int rc, n = 0, p = 1, i, nwords = 0;
	char terms[512];
	const char *words[PG_MAX_TERMS], *cc = NULL;

	store_conns(st, &c);
	if (f->match != NULL && db_path_is_pg(c.path)) {
		nwords = pg_terms(f->match, terms, sizeof terms, words, &cc);
		buf_puts(&sql, "SELECT " MOD_COLS " FROM signatures s" MOD_JOIN " WHERE true");
		if (nwords > 0)
			buf_puts(&sql, " AND s.name NOT LIKE 'sealed:%'");
		for (i = 0; i < nwords; i++)
			buf_puts(&sql, PG_WORD_MATCH);
		if (cc != NULL)
			buf_puts(&sql, " AND s.country = upper(?)");
	} else if (f->match != NULL) {
		/* The index drives: its rows come in rowid order, so a page
		 * costs the same however deep it is. */
		buf_puts(&sql, "SELECT " MOD_COLS " FROM signatures_search f"
			       " JOIN signatures s ON s.id = f.rowid" MOD_JOIN
			       " WHERE signatures_search MATCH ?");
		idcol = "f.rowid";
	} else if (f->email_lo != NULL) {
		/* A range of the UNIQUE index on email_norm; the few rows found
		 * are sorted by id. */
		buf_puts(&sql, "SELECT " MOD_COLS " FROM signatures s" MOD_JOIN
			       " WHERE s.email_norm >= ? AND s.email_norm < ?");
		if (f->country != NULL)
			buf_puts(&sql, " AND s.country = ?");
	} else if (f->view == STORE_VIEW_HIDDEN) {
		/* The few hidden rows drive. */
		buf_puts(&sql, "SELECT " MOD_COLS " FROM moderation m"
			       " JOIN signatures s ON s.id = m.id WHERE true");
		idcol = "m.id";
	} else {
		buf_puts(&sql, "SELECT " MOD_COLS " FROM signatures s" MOD_JOIN " WHERE true");
	}
	if (f->view == STORE_VIEW_HIDDEN)
		buf_puts(&sql, " AND m.state = 'hidden'");
	else if (f->view == STORE_VIEW_UNDECIDED)
		buf_puts(&sql, " AND " MOD_UNDECIDED);
	else if (f->view == STORE_VIEW_PENDING)
		buf_puts(&sql, " AND s.confirmed = 0");
	/* Keyset paging: a bound on the id, never an OFFSET. */
	if (f->after > 0)
		buf_printf(&sql, " AND %s > ? ORDER BY %s ASC LIMIT ?", idcol, idcol);
	else if (f->before > 0)
		buf_printf(&sql, " AND %s < ? ORDER BY %s DESC LIMIT ?", idcol, idcol);
	else
		buf_printf(&sql, " ORDER BY %s DESC LIMIT ?", idcol);
	if (sql.oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (open_ro(&c, &db, err, errlen) != 0)
		goto out;
	if (db_prepare_v2(db, buf_cstr(&sql), -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, c.path, "listing signatures", err, errlen);
		n = -1;
		goto out;
	}
	if (f->match != NULL && db_path_is_pg(c.path)) {
		for (i = 0; i < nwords; i++) {
			int k;

			for (k = 0; k < 2; k++)
				db_bind_text(s, p++, words[i], -1, SQLITE_STATIC);
		}
		if (cc != NULL)
			db_bind_text(s, p++, cc, -1, SQLITE_STATIC);
	} else if (f->match != NULL) {
		db_bind_text(s, p++, f->match, -1, SQLITE_STATIC);
	} else if (f->email_lo != NULL) {
		db_bind_text(s, p++, f->email_lo, -1, SQLITE_STATIC);
		db_bind_text(s, p++, f->email_hi ? f->email_hi : f->email_lo, -1,
			     SQLITE_STATIC);
		if (f->country != NULL)
			db_bind_text(s, p++, f->country, -1, SQLITE_STATIC);
	}
	if (f->after > 0)
		db_bind_int64(s, p++, f->after);
	else if (f->before > 0)
		db_bind_int64(s, p++, f->before);
	db_bind_int(s, p, f->limit);
	while ((rc = db_step(s)) == SQLITE_ROW) {
		struct store_sig_row row;

		row_of(s, &row);
		fn(ctx, &row);
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_errmsg(db, c.path, "listing signatures", err, errlen);
		n = -1;
	}
out:
	if (db == NULL)
		n = -1;
	db_finalize(s);
	db_close(db);
	buf_free(&sql);
	return n;
}

int store_sig_get(struct store *st, int64_t id, const char *email_norm,
		  void (*fn)(void *ctx, const struct store_sig_row *row), void *ctx, char *err,
		  size_t errlen)
{
	struct store_conns c;
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	int rc, found = -1;

	store_conns(st, &c);
	if (open_ro(&c, &db, err, errlen) != 0)
		return -1;
	if (db_prepare_v2(db, id > 0 ? "SELECT " MOD_COLS " FROM signatures s" MOD_JOIN
				       " WHERE s.id = ?"
				     : "SELECT " MOD_COLS " FROM signatures s" MOD_JOIN
				       " WHERE s.email_norm = ?",
			  -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, c.path, "reading a signature", err, errlen);
		goto out;
	}
	if (id > 0)
		db_bind_int64(s, 1, id);
	else
		db_bind_text(s, 1, email_norm ? email_norm : "", -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		struct store_sig_row row;

		row_of(s, &row);
		fn(ctx, &row);
		found = 1;
	} else if (rc == SQLITE_DONE) {
		found = 0;
	} else {
		store_errmsg(db, c.path, "reading a signature", err, errlen);
	}
out:
	db_finalize(s);
	db_close(db);
	return found;
}

/* The single integer sql answers, with ?1 = a and ?2 = b where sql has
 * them; -1 on error (or when it answers nothing). */
static int64_t scalar(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *s = NULL;
	int64_t v = -1;

	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (db_bind_parameter_count(s) >= 1)
		db_bind_int64(s, 1, a);
	if (db_bind_parameter_count(s) >= 2)
		db_bind_int64(s, 2, b);
	if (db_step(s) == SQLITE_ROW)
		v = db_column_int64(s, 0);
	db_finalize(s);
	return v;
}

int store_sig_status(struct store *st, int64_t limit, int want_unindexed, int64_t *unindexed,
		     int64_t *undecided, char *err, size_t errlen)
{
	struct store_conns c;
	struct db *db = NULL;
	int64_t w = 0;
	int rc = -1;

	store_conns(st, &c);
	*unindexed = *undecided = 0;
	if (open_ro(&c, &db, err, errlen) != 0)
		return -1;
	/* One read transaction: both counts from the same snapshot. */
	if (db_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK || watermark(db, &w) != 0)
		goto out;
	/* Counted through the primary key and the small partial index, and
	 * only up to limit: never a scan of the table. */
	if (want_unindexed && !db_is_pg(db))
		*unindexed = scalar(db, "SELECT count(*) FROM (SELECT 1 FROM signatures WHERE id > ?1"
				    " LIMIT ?2) AS x", w, limit);
	*undecided = scalar(db, "SELECT count(*) FROM (SELECT 1 FROM signatures s" MOD_JOIN
			    " WHERE " MOD_UNDECIDED " LIMIT ?1) AS x", limit, 0);
	rc = *unindexed >= 0 && *undecided >= 0 ? 0 : -1;
out:
	if (rc != 0)
		store_errmsg(db, c.path, "reading the moderation status", err, errlen);
	db_exec(db, "COMMIT", NULL, NULL, NULL);
	db_close(db);
	return rc;
}

/* Runs sql on the writer's connection with ?1 = a (int64) and ?2 = b
 * (int64), no rows expected. Returns 0 or -1. */
static int wrun(struct db *w, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(w, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (db_bind_parameter_count(s) >= 1)
		db_bind_int64(s, 1, a);
	if (db_bind_parameter_count(s) >= 2)
		db_bind_int64(s, 2, b);
	rc = db_step(s);
	db_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void rollback(struct db *w)
{
	if (!db_get_autocommit(w))
		db_exec(w, "ROLLBACK", NULL, NULL, NULL);
}

int store_search_catch_up(struct store *st, int max_rows, int *left, char *err, size_t errlen)
{
	struct store_conns c;
	int64_t w = 0, upto;
	const char *op = "updating the search index";

	store_conns(st, &c);
	*left = 0;
	if (db_is_pg(c.w))
		return 0; /* no index to keep (store_sig_list) */
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (watermark(c.w, &w) != 0)
		goto fail;
	upto = scalar(c.w, "SELECT coalesce(max(id), ?1) FROM (SELECT id FROM signatures"
		      " WHERE id > ?1 ORDER BY id LIMIT ?2) AS x", w, max_rows);
	if (upto < 0)
		goto fail;
	if (upto > w) {
		/* A sealed name (sealed mode) is not indexed: its words are
		 * nobody's to search. */
		if (wrun(c.w, "INSERT INTO signatures_search (rowid, name, public_name, country)"
			 " SELECT id, CASE WHEN name LIKE 'sealed:%' THEN '' ELSE name END,"
			 " public_name, country FROM signatures"
			 " WHERE id > ?1 AND id <= ?2", w, upto) != 0 ||
		    wrun(c.w, "INSERT INTO settings (key, value) VALUES ('" MOD_WATERMARK_KEY "',"
			 " CAST(?1 AS TEXT)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			 upto, 0) != 0)
			goto fail;
	}
	*left = scalar(c.w, "SELECT EXISTS (SELECT 1 FROM signatures WHERE id > ?1)", upto, 0) > 0;
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0) {
		rollback(c.w);
		return -1;
	}
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
	rollback(c.w);
	return -1;
}

/* Removes row id's words from the search index when it is indexed (the
 * values must be the row's, as indexed: a contentless index keeps no copy
 * to check them against), and keeps the watermark below every id a new row
 * may take. Inside the caller's write transaction, after the row's DELETE.
 * Returns 0 or -1 (err). Writer thread. */
static int search_forget(struct store *st, int64_t id, const char *name, const char *public_name,
			 const char *country, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int64_t w = 0;
	int rc;

	store_conns(st, &c);
	if (db_is_pg(c.w))
		return 0;
	if (watermark(c.w, &w) != 0)
		goto fail;
	if (id <= w) {
		if (db_prepare_v2(c.w, "INSERT INTO signatures_search (signatures_search, rowid,"
				  " name, public_name, country) VALUES ('delete', ?1, ?2, ?3, ?4)",
				  -1, &s, NULL) != SQLITE_OK)
			goto fail;
		db_bind_int64(s, 1, id);
		db_bind_text(s, 2, name && strncmp(name, "sealed:", 7) != 0 ? name : "", -1,
			     SQLITE_STATIC);
		if (public_name != NULL)
			db_bind_text(s, 3, public_name, -1, SQLITE_STATIC);
		else
			db_bind_null(s, 3);
		db_bind_text(s, 4, country ? country : "", -1, SQLITE_STATIC);
		rc = db_step(s);
		db_finalize(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	/* SQLite gives a new row the largest id + 1: once the largest row is
	 * gone its id may come back, and must then be indexed again. */
	if (wrun(c.w, "UPDATE settings SET value = CAST((SELECT coalesce(max(id), 0) FROM"
		 " signatures) AS TEXT) WHERE key = '" MOD_WATERMARK_KEY "' AND"
		 " CAST(value AS INTEGER) > (SELECT coalesce(max(id), 0) FROM signatures)", 0, 0) != 0)
		goto fail;
	return 0;
fail:
	store_errmsg(c.w, c.path, "removing a signature from the search index", err, errlen);
	return -1;
}

int store_sig_moderate(struct store *st, int64_t id, enum store_mod_action action,
		       const char *admin, int64_t at, int *found, int *changed, char *err,
		       size_t errlen)
{
	static const char *const names[] = { [STORE_MOD_HIDE] = "hide",
					     [STORE_MOD_SHOW] = "show",
					     [STORE_MOD_KEEP] = "keep" };
	static const char *const set_hidden =
		"INSERT INTO moderation (id, state) VALUES (?1, 'hidden')"
		" ON CONFLICT (id) DO UPDATE SET state = excluded.state";
	static const char *const set_kept =
		"INSERT INTO moderation (id, state) VALUES (?1, 'kept')"
		" ON CONFLICT (id) DO UPDATE SET state = excluded.state";
	struct store_conns c;
	struct db_stmt *s = NULL;
	int is_public = 0, anonymous = 0, hidden = 0, kept = 0, rc, delta = 0;
	const char *update = NULL, *op = "moderating a signature";
	char detail[32];

	store_conns(st, &c);
	*found = *changed = 0;
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (db_prepare_v2(c.w, "SELECT s.public, s.public_name IS NULL, m.state FROM"
			  " signatures s" MOD_JOIN " WHERE s.id = ?1", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	db_bind_int64(s, 1, id);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		*found = 1;
		is_public = db_column_int(s, 0);
		anonymous = db_column_int(s, 1);
		hidden = strcmp(text(s, 2), "hidden") == 0;
		kept = strcmp(text(s, 2), "kept") == 0;
	}
	db_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	switch (action) {
	case STORE_MOD_HIDE:
		/* Only a row the public list may show can be withdrawn from it. */
		if (is_public && !hidden) {
			update = set_hidden;
			delta = -1;
		}
		break;
	case STORE_MOD_SHOW:
		/* Showing an old anonymous row again is a decision to keep it. */
		if (hidden) {
			update = anonymous ? set_kept : "DELETE FROM moderation WHERE id = ?1";
			delta = is_public ? 1 : 0;
		}
		break;
	case STORE_MOD_KEEP:
		if (is_public && anonymous && !kept) {
			update = set_kept;
			delta = hidden ? 1 : 0;
		}
		break;
	}
	if (update != NULL) {
		snprintf(detail, sizeof detail, "#%lld", (long long)id);
		if (wrun(c.w, update, id, 0) != 0 ||
		    (delta != 0 && wrun(c.w, "UPDATE counters SET value = max(value + ?1, 0)"
				       " WHERE name = 'public'", delta, 0) != 0))
			goto fail;
		if (store_audit_add(st, at, admin, names[action], detail, err, errlen) != 0) {
			rollback(c.w);
			return -1;
		}
		*changed = 1;
	}
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0) {
		rollback(c.w);
		*changed = 0;
		return -1;
	}
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
	rollback(c.w);
	*changed = 0;
	return -1;
}

/* Runs sql (a statement without rows) on the writer's connection with
 * ?1 = a (int64) and ?2 = b (text, NULL binds nothing). Returns 0 or -1. */
static int wrun_text(struct db *w, const char *sql, int64_t a, const char *b)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(w, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	db_bind_int64(s, 1, a);
	if (b != NULL)
		db_bind_text(s, 2, b, -1, SQLITE_STATIC);
	rc = db_step(s);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_delete_sig(struct store *st, struct store_deletion *d, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *f = NULL;
	int64_t id = 0, t = 0;
	int rc, shown = 0, had_updates = 0, confirmed = 1;
	char *name = NULL, *public_name = NULL, country[3] = "", detail[64];
	const char *op = "deleting a signature";

	store_conns(st, &c);
	d->deleted_id = 0;
	if (d->id <= 0 && d->email_norm == NULL) {
		snprintf(err, errlen, "%s: no row named", op);
		return -1;
	}
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/* The row, with what its deletion must undo: its share of the counters
	 * ('public' counts rows the public list shows) and its words in the
	 * search index. */
	if (db_prepare_v2(c.w, d->id > 0
			  ? "SELECT s.id, s.signed_at, (s.public = 1"
				      " AND coalesce(m.state, '') <> 'hidden'), s.updates, s.name,"
				 " s.public_name, s.country, s.confirmed FROM signatures s" MOD_JOIN
				 " WHERE s.id = ?1"
				    : "SELECT s.id, s.signed_at, (s.public = 1"
				      " AND coalesce(m.state, '') <> 'hidden'), s.updates, s.name,"
				 " s.public_name, s.country, s.confirmed FROM signatures s" MOD_JOIN
				 " WHERE s.email_norm = ?1",
			  -1, &f, NULL) != SQLITE_OK)
		goto fail;
	if (d->id > 0)
		db_bind_int64(f, 1, d->id);
	else
		db_bind_text(f, 1, d->email_norm, -1, SQLITE_STATIC);
	rc = db_step(f);
	if (rc == SQLITE_ROW) {
		const char *n = (const char *)db_column_text(f, 4);
		const char *p = (const char *)db_column_text(f, 5);
		const char *co = (const char *)db_column_text(f, 6);

		id = db_column_int64(f, 0);
		t = db_column_int64(f, 1);
		shown = db_column_int(f, 2);
		had_updates = db_column_int(f, 3);
		confirmed = db_column_int(f, 7);
		name = strdup(n ? n : "");
		public_name = p ? strdup(p) : NULL;
		snprintf(country, sizeof country, "%s", co ? co : "");
		if (name == NULL || (p != NULL && public_name == NULL))
			rc = SQLITE_NOMEM;
	}
	db_finalize(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	if (id > 0) {
		/* Its mail goes with it: the links and codes, the quota, and
		 * any message still waiting (with its address). */
		if (wrun(c.w, "DELETE FROM moderation WHERE id = ?1", id, 0) != 0 ||
		    wrun(c.w, "DELETE FROM signatures WHERE id = ?1", id, 0) != 0 ||
		    wrun(c.w, "DELETE FROM mail_tokens WHERE sig_id = ?1", id, 0) != 0 ||
		    wrun(c.w, "DELETE FROM mail_quota WHERE sig_id = ?1", id, 0) != 0 ||
		    wrun(c.w, "DELETE FROM outbox WHERE sig_id = ?1 AND state = 0", id, 0) != 0)
			goto fail;
		/* An unconfirmed row counted only in 'pending' (011_confirm.sql). */
		if (!confirmed) {
			if (wrun_text(c.w, "UPDATE counters SET value = max(value - 1, 0)"
					   " WHERE name = ?2", 0, "pending") != 0)
				goto fail;
		} else if (wrun_text(c.w, "UPDATE counters SET value = max(value - 1, 0) WHERE name = ?2", 0,
			      "signatures") != 0 ||
		    (shown && wrun_text(c.w, "UPDATE counters SET value = max(value - 1, 0)"
				       " WHERE name = ?2", 0, "public") != 0) ||
		    (had_updates && wrun_text(c.w, "UPDATE counters SET value = max(value - 1, 0)"
					     " WHERE name = ?2", 0, "updates") != 0) ||
		    wrun(c.w, "UPDATE daily SET n = max(n - 1, 0) WHERE day = date(?1, 'unixepoch')", t,
			 0) != 0)
			goto fail;
		if (search_forget(st, id, name, public_name, country, err, errlen) != 0)
			goto fail_reported;
		/* The audit line names the row, never the person. */
		snprintf(detail, sizeof detail, "#%lld%s", (long long)id,
			 d->id > 0 ? "" : " (by email address)");
		if (d->admin != NULL &&
		    store_audit_add(st, d->at, d->admin, d->action ? d->action : "delete", detail,
				    err, errlen) != 0)
			goto fail_reported;
	}
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail_reported;
	free(name);
	free(public_name);
	d->deleted_id = id;
	d->count = store_count(st);
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
fail_reported:
	rollback(c.w);
	free(name);
	free(public_name);
	return -1;
}

