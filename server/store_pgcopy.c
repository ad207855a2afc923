/* store_pgcopy.c -- moving a petition from SQLite to PostgreSQL: every row
 * of every table of the SQLite file (--db) into an empty PostgreSQL
 * database, in one transaction, checked row for row before COMMIT.
 *
 * The two schemas have the same tables and columns (db/pg/011_schema.sql);
 * the copy takes them in an order that puts a row's parent first (foreign
 * keys), in multi-row INSERTs of up to PGCOPY_ROWS rows, each value bound
 * with its SQLite type (an integer, text, a blob as bytea, NULL). Ids are
 * kept, then each identity column's sequence is moved past the largest.
 * The search index (FTS5) is not copied: PostgreSQL searches the rows. */
#include "store.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Rows in one INSERT (and at most PGCOPY_PARAMS parameters). */
#define PGCOPY_ROWS 500
#define PGCOPY_PARAMS 30000

/* Parents before children (moderation, mail_* and outbox name a signature;
 * admin_sessions an account). Every SQLite table must be here or be the
 * search index: an unknown table stops the copy, rather than leave it out. */
static const char *const tables[] = {
	"settings", "counters", "daily", "audit", "content_versions", "share_image", "admins",
	"admin_sessions", "signatures", "moderation", "agg_slot", "agg_country",
	"mail_tokens", "mail_quota", "outbox",
};
#define NTABLES (sizeof tables / sizeof tables[0])

static int known_table(const char *name)
{
	size_t i;

	if (strncmp(name, "signatures_search", 17) == 0 || strncmp(name, "sqlite_", 7) == 0)
		return 1;
	for (i = 0; i < NTABLES; i++)
		if (strcmp(tables[i], name) == 0)
			return 1;
	return 0;
}

/* The columns of table t in the SQLite file, "a, b, c", and how many. */
static int columns_of(struct db *src, const char *t, struct buf *cols, int *n)
{
	struct db_stmt *s = NULL;
	int rc;

	*n = 0;
	if (db_prepare_v2(src, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &s,
			  NULL) != SQLITE_OK)
		return -1;
	db_bind_text(s, 1, t, -1, SQLITE_STATIC);
	while ((rc = db_step(s)) == SQLITE_ROW) {
		buf_printf(cols, "%s\"%s\"", *n ? ", " : "", (const char *)db_column_text(s, 0));
		(*n)++;
	}
	db_finalize(s);
	return rc == SQLITE_DONE && *n > 0 && !cols->oom ? 0 : -1;
}

/* Binds column c of the SQLite row in from as parameter p of to. */
static void bind_value(struct db_stmt *to, int p, struct db_stmt *from, int c)
{
	switch (db_column_type(from, c)) {
	case SQLITE_INTEGER:
		db_bind_int64(to, p, db_column_int64(from, c));
		break;
	case SQLITE_FLOAT:
	case SQLITE_TEXT:
		db_bind_text(to, p, (const char *)db_column_text(from, c), db_column_bytes(from, c),
			     SQLITE_TRANSIENT);
		break;
	case SQLITE_BLOB:
		db_bind_blob(to, p, db_column_blob(from, c), db_column_bytes(from, c),
			     SQLITE_TRANSIENT);
		break;
	default:
		db_bind_null(to, p);
	}
}

/* One INSERT of k rows of ncol columns into t. */
static int insert_sql(struct buf *sql, const char *t, const char *cols, int ncol, int k)
{
	int r, c, p = 1;

	buf_reset(sql);
	buf_printf(sql, "INSERT INTO %s (%s) VALUES ", t, cols);
	for (r = 0; r < k; r++) {
		buf_puts(sql, r ? ", (" : "(");
		for (c = 0; c < ncol; c++)
			buf_printf(sql, "%s?%d", c ? ", " : "", p++);
		buf_putc(sql, ')');
	}
	return sql->oom ? -1 : 0;
}

/* Copies table t; *rows: how many. Inside the snapshot of src (its count
 * says how long the last INSERT is). 0 or -1 (err). */
static int copy_table(struct db *src, struct db *dst, const char *t, int64_t *rows, char *err,
		      size_t errlen)
{
	struct buf cols = BUF_INIT, sql = BUF_INIT;
	struct db_stmt *from = NULL, *to = NULL;
	int64_t total, r = 0;
	int ncol, per, k = 0, width = 0, rc, ret = -1, c;

	*rows = 0;
	if (columns_of(src, t, &cols, &ncol) != 0) {
		snprintf(err, errlen, "reading the columns of %s: %s", t, db_errmsg(src));
		goto done;
	}
	per = PGCOPY_PARAMS / ncol;
	if (per > PGCOPY_ROWS)
		per = PGCOPY_ROWS;
	buf_printf(&sql, "SELECT count(*) FROM %s", t);
	total = sql.oom ? -1 : store_scalar(src, buf_cstr(&sql));
	buf_reset(&sql);
	buf_printf(&sql, "SELECT %s FROM %s", buf_cstr(&cols), t);
	if (total < 0 || sql.oom || db_prepare_v2(src, buf_cstr(&sql), -1, &from, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading %s: %s", t, db_errmsg(src));
		goto done;
	}
	while ((rc = db_step(from)) == SQLITE_ROW) {
		if (k == 0) {
			/* A new INSERT: per rows, or the ones left. */
			int want = total - r < per ? (int)(total - r) : per;

			if (want < 1) {
				snprintf(err, errlen, "%s changed while it was copied", t);
				goto done;
			}
			if (want != width) {
				db_finalize(to);
				to = NULL;
				if (insert_sql(&sql, t, buf_cstr(&cols), ncol, want) != 0 ||
				    db_prepare_v2(dst, buf_cstr(&sql), -1, &to, NULL) != SQLITE_OK) {
					snprintf(err, errlen, "writing %s: %s", t, db_errmsg(dst));
					goto done;
				}
				width = want;
			}
		}
		for (c = 0; c < ncol; c++)
			bind_value(to, k * ncol + c + 1, from, c);
		r++;
		if (++k < width)
			continue;
		if (db_step(to) != SQLITE_DONE) {
			snprintf(err, errlen, "writing %s: %s", t, db_errmsg(dst));
			goto done;
		}
		db_reset(to);
		db_clear_bindings(to);
		*rows += k;
		k = 0;
	}
	if (rc != SQLITE_DONE || k != 0) {
		snprintf(err, errlen, "reading %s: %s", t, rc != SQLITE_DONE ? db_errmsg(src)
									: "rows left over");
		goto done;
	}
	ret = 0;
done:
	db_finalize(from);
	db_finalize(to);
	buf_free(&cols);
	buf_free(&sql);
	return ret;
}

int store_copy_to_pg(const char *src_path, const char *url, struct store_pgcopy_report *rep,
		     char *err, size_t errlen)
{
	struct store *st = NULL;
	struct db *src = NULL, *dst = NULL;
	struct db_stmt *s = NULL;
	long pid = 0;
	size_t i;
	int rc;

	memset(rep, 0, sizeof *rep);
	if (db_path_is_pg(src_path) || !db_path_is_pg(url)) {
		snprintf(err, errlen, "copies a SQLite database (--db FILE) into a PostgreSQL one "
			 "(postgres://...)");
		return -1;
	}
	rc = store_in_use(src_path, &pid, err, errlen);
	if (rc != 0) {
		if (rc > 0)
			snprintf(err, errlen, "%s is in use by a running petitiond (pid %ld): stop it "
				 "first, or signatures it takes after the copy would be left behind",
				 src_path, pid);
		return -1;
	}
	/* Both brought to this version's schema (the SQLite file migrated as a
	 * start would; PostgreSQL's made if empty). */
	if (store_open(&st, src_path, err, errlen) != 0)
		return -1;
	store_close(st);
	st = NULL;
	if (store_open(&st, url, err, errlen) != 0)
		return -1;
	store_close(st);
	if (db_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    db_open_v2(url, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "opening: %s", db_errmsg(src && db_errcode(src) ? src : dst));
		goto fail;
	}
	/* Nothing of a petition there yet: never mixed, never overwritten. */
	if (store_scalar(dst, "SELECT (SELECT count(*) FROM signatures) + (SELECT count(*) FROM"
			 " admins) + (SELECT count(*) FROM content_versions) + (SELECT count(*)"
			 " FROM audit)") != 0) {
		snprintf(err, errlen, "the PostgreSQL database already holds a petition "
			 "(signatures, accounts, texts or an audit trail): the copy goes only into "
			 "an empty one (CREATE DATABASE ...), nothing was written");
		goto fail;
	}
	/* Every table of the file is one this copy knows. */
	if (db_prepare_v2(src, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &s,
			  NULL) != SQLITE_OK)
		goto fail_src;
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)db_column_text(s, 0);

		if (!known_table(t)) {
			snprintf(err, errlen, "the SQLite file has a table this petitiond does not "
				 "know (%s): use the petitiond that made it", t);
			goto fail;
		}
	}
	db_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto fail_src;
	/* One snapshot of the file; one transaction on the server. */
	if (db_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_src;
	if (db_exec(dst, "BEGIN; DELETE FROM counters; DELETE FROM settings", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail_dst;
	for (i = 0; i < NTABLES; i++) {
		int64_t n = 0, there;
		char sql[128];

		if (copy_table(src, dst, tables[i], &n, err, errlen) != 0)
			goto fail;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		there = store_scalar(dst, sql);
		if (there != n || store_scalar(src, sql) != n) {
			snprintf(err, errlen, "%s: %lld rows read, %lld written: nothing kept",
				 tables[i], (long long)n, (long long)there);
			goto fail;
		}
		if (strcmp(tables[i], "signatures") == 0)
			rep->signatures = n;
		rep->rows += n;
		rep->tables++;
	}
	/* New rows get ids after the copied ones: every identity column's
	 * sequence goes past the largest id copied (ids the copy wrote do not
	 * move it). */
	if (db_exec(dst, "DO $$ DECLARE c record; BEGIN FOR c IN SELECT table_name AS t,"
			 " column_name AS k FROM information_schema.columns WHERE table_schema ="
			 " current_schema() AND is_identity = 'YES' LOOP EXECUTE format('SELECT"
			 " setval(pg_get_serial_sequence(%L, %L), (SELECT coalesce(max(%I), 0) + 1"
			 " FROM %I), false)', c.t, c.k, c.k, c.t); END LOOP; END $$",
		    NULL, NULL, NULL) != SQLITE_OK)
		goto fail_dst;
	rep->counter = store_scalar(dst, "SELECT value FROM counters WHERE name = 'signatures'");
	if (db_exec(dst, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_dst;
	db_exec(src, "COMMIT", NULL, NULL, NULL);
	db_close(src);
	db_close(dst);
	return 0;
fail_src:
	snprintf(err, errlen, "reading %s: %s", src_path, db_errmsg(src));
	goto fail;
fail_dst:
	snprintf(err, errlen, "writing to PostgreSQL: %s", db_errmsg(dst));
fail:
	db_finalize(s);
	if (dst != NULL && !db_get_autocommit(dst))
		db_exec(dst, "ROLLBACK", NULL, NULL, NULL);
	db_close(src);
	db_close(dst);
	return -1;
}
