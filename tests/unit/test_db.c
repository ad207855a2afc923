/* test_db.c -- unit tests for db.c: the PostgreSQL dialect rewrite
 * (db_pg_sql, pure), and the same round trips through both engines, so
 * that the store reads the same on either: SQLite always, PostgreSQL when
 * PETITIOND_TEST_PG names a server where this test may CREATE DATABASE
 * (tests/pg/cluster start DIR prints one). */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "tap.h"

#define URL_MAX 1024
/* A statement of this many bytes at least, for the long-input cases. */
#define LONG_SQL (100 * 1024)
/* Rows a streamed statement walks: more than two of db.c's fetches. */
#define STREAM_ROWS 2500
/* Unclosed "max(" in a row, for the unbalanced case. */
#define UNCLOSED 4000

static const char khmer[] = "ភាសាខ្មែរ សួស្តី";
static const unsigned char blob5[] = {0x00, 'a', 0x00, 0xFF, 0x00};

/* The first line of a message (libpq's run over several), for a TAP
 * description; in one of two static buffers, so two may be printed. */
static const char *line1(const char *m)
{
	static char buf[2][256];
	static int k;
	size_t n;

	if (m == NULL)
		return "(null)";
	k = !k;
	n = strcspn(m, "\n");
	if (n >= sizeof buf[k])
		n = sizeof buf[k] - 1;
	memcpy(buf[k], m, n);
	buf[k][n] = '\0';
	return buf[k];
}

/* ---- the dialect ------------------------------------------------------ */

static void sql_is(const char *in, const char *want, int want_n, const char *what)
{
	int n = -1;
	char *got = db_pg_sql(in, &n);

	is_str(got, want, "pg_sql: %s", what);
	is_int(n, want_n, "pg_sql: %s: nparams", what);
	free(got);
}

/* The parameter numbers SQLite gives a statement agree with db_pg_sql's:
 * the count, and the number the bare "?" at the end gets (which we read by
 * binding each index i to i and selecting the last column). */
static void params_like_sqlite(sqlite3 *lite, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	int n = -1, cols, i, want_last = -1;
	char *pg = db_pg_sql(sql, &n);
	const char *dollar = pg ? strrchr(pg, '$') : NULL;

	if (sqlite3_prepare_v2(lite, sql, -1, &st, NULL) != SQLITE_OK) {
		ok(0, "pg_sql like SQLite: %s: SQLite prepares it (%s)", what,
		   line1(sqlite3_errmsg(lite)));
		ok(0, "pg_sql like SQLite: %s: the last ?", what);
		free(pg);
		return;
	}
	is_int(n, sqlite3_bind_parameter_count(st), "pg_sql like SQLite: %s: nparams", what);
	for (i = 1; i <= sqlite3_bind_parameter_count(st); i++)
		sqlite3_bind_int(st, i, i);
	cols = sqlite3_column_count(st);
	if (sqlite3_step(st) == SQLITE_ROW)
		want_last = sqlite3_column_int(st, cols - 1);
	is_int(dollar ? atoi(dollar + 1) : -1, want_last, "pg_sql like SQLite: %s: the last ? is $%d",
	       what, want_last);
	sqlite3_finalize(st);
	free(pg);
}

static void check_dialect(void)
{
	char *big, *want, *got;
	size_t i, len;
	int n;

	sql_is("", "", 0, "empty string");
	sql_is("SELECT 1", "SELECT 1", 0, "nothing to change");
	sql_is("SELECT ?1, ?2", "SELECT $1, $2", 2, "?N -> $N");
	sql_is("SELECT ?12", "SELECT $12", 12, "?12 -> $12");
	sql_is("SELECT ?, ?, ?", "SELECT $1, $2, $3", 3, "bare ? numbered in order");
	sql_is("SELECT ?2, ?", "SELECT $2, $3", 3, "bare ? after ?2 is $3");
	sql_is("SELECT ?1 WHERE a = ?1 OR b = ?1", "SELECT $1 WHERE a = $1 OR b = $1", 1,
	       "?1 three times");
	sql_is("SELECT ?3, ?1, ?", "SELECT $3, $1, $4", 4,
	       "bare ? after ?3, ?1 is $4 (SQLite: the largest so far + 1)");
	sql_is("SELECT '?', ?1", "SELECT '?', $1", 1, "? inside a literal");
	sql_is("SELECT 'it''s ?1 max(a, b) BEGIN IMMEDIATE', ?",
	       "SELECT 'it''s ?1 max(a, b) BEGIN IMMEDIATE', $1", 1, "literal with '' escape");
	sql_is("SELECT \"a?b\", \"max(x, y)\", \"x\"\"?\" FROM t WHERE ?1",
	       "SELECT \"a?b\", \"max(x, y)\", \"x\"\"?\" FROM t WHERE $1", 1, "quoted identifiers");
	sql_is("SELECT 1 -- why? max(a, b) ?2 'x\n, ?1", "SELECT 1 -- why? max(a, b) ?2 'x\n, $1", 1,
	       "-- comment up to the end of the line");
	sql_is("SELECT ?", "SELECT $1", 1, "a ? at the very end");
	sql_is("?", "$1", 1, "a lone ?");
	sql_is("SELECT ?7", "SELECT $7", 7, "a ?7 at the very end");
	sql_is("SELECT 'abc ?1", "SELECT 'abc ?1", 0, "unterminated literal");
	sql_is("SELECT \"abc ?1", "SELECT \"abc ?1", 0, "unterminated identifier");
	sql_is("SELECT 1 --", "SELECT 1 --", 0, "-- at the very end");
	sql_is("SELECT 1 -", "SELECT 1 -", 0, "- at the very end");
	sql_is("SELECT 'x'", "SELECT 'x'", 0, "literal at the very end");

	sql_is("BEGIN IMMEDIATE", "BEGIN", 0, "BEGIN IMMEDIATE -> BEGIN");
	sql_is("begin immediate;", "BEGIN;", 0, "begin immediate; (any case)");
	sql_is("BEGIN", "BEGIN", 0, "BEGIN stays");
	sql_is("BEGIN DEFERRED", "BEGIN DEFERRED", 0, "BEGIN DEFERRED stays");
	sql_is("SELECT CAST(x AS INTEGER) FROM t", "SELECT CAST(x AS BIGINT) FROM t", 0,
	       "CAST(x AS INTEGER) -> BIGINT");
	sql_is("SELECT cast(?1 as integer)", "SELECT cast($1 AS BIGINT)", 1, "cast(?1 as integer)");
	sql_is("SELECT CAST(x AS INTEGERS)", "SELECT CAST(x AS INTEGERS)", 0, "AS INTEGERS untouched");
	sql_is("SELECT x AS INTEGER_X FROM t", "SELECT x AS INTEGER_X FROM t", 0,
	       "AS INTEGER_X untouched");
	sql_is("SELECT x HAS INTEGER", "SELECT x HAS INTEGER", 0, "HAS INTEGER untouched");
	sql_is("SELECT CAST(x AS TEXT)", "SELECT CAST(x AS TEXT)", 0, "AS TEXT untouched");

	sql_is("SELECT max(a, b), min(c, d) FROM t", "SELECT greatest(a, b), least(c, d) FROM t", 0,
	       "two-argument max/min");
	sql_is("SELECT MAX(a, b), Min(c, d)", "SELECT greatest(a, b), least(c, d)", 0,
	       "MAX/Min in any case");
	sql_is("SELECT max(a, b, c)", "SELECT greatest(a, b, c)", 0, "three-argument max");
	sql_is("SELECT max(x), min(y) FROM t", "SELECT max(x), min(y) FROM t", 0,
	       "aggregates untouched");
	sql_is("SELECT max(max(a,b),c)", "SELECT greatest(greatest(a,b),c)", 0, "nested max");
	sql_is("SELECT max(min(a, ?), ?2) FROM t", "SELECT greatest(least(a, $1), $2) FROM t", 2,
	       "parameters inside nested max/min");
	sql_is("SELECT max(a, ?1) + ? FROM t", "SELECT greatest(a, $1) + $2 FROM t", 2,
	       "numbering goes on after a max");
	sql_is("SELECT max(min(a, b)) FROM t", "SELECT max(least(a, b)) FROM t", 0,
	       "min inside an aggregate max");
	sql_is("SELECT max(f(a, b)) FROM t", "SELECT max(f(a, b)) FROM t", 0,
	       "commas inside a call inside an aggregate");
	sql_is("SELECT max(a, ')') FROM t", "SELECT greatest(a, ')') FROM t", 0,
	       "a parenthesis in a literal inside max");
	sql_is("SELECT max(a, ','), max(')')", "SELECT greatest(a, ','), max(')')", 0,
	       "a comma in a literal is no argument");
	sql_is("SELECT imax(a, b), max_x(a, b), t.maxi(a, b)",
	       "SELECT imax(a, b), max_x(a, b), t.maxi(a, b)", 0, "max only as a whole word");

	sql_is("SELECT date(?1, 'unixepoch')",
	       "SELECT to_char(to_timestamp($1) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", 1,
	       "date(?1, 'unixepoch')");
	sql_is("SELECT date(signed_at,'unixepoch') FROM s",
	       "SELECT to_char(to_timestamp(signed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM s", 0,
	       "date(col,'unixepoch') without a space");
	sql_is("SELECT date(max(a, ?1), 'unixepoch'), ?",
	       "SELECT to_char(to_timestamp(greatest(a, $1)) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), $2", 2,
	       "max inside date");
	sql_is("SELECT max(date(?1, 'unixepoch'), ?2)",
	       "SELECT greatest(to_char(to_timestamp($1) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), $2)", 2,
	       "date inside max");
	sql_is("SELECT date(x, 'unixepoch', 'localtime')", "SELECT date(x, 'unixepoch', 'localtime')",
	       0, "date with two modifiers untouched");
	sql_is("SELECT date('now')", "SELECT date('now')", 0, "date('now') untouched");
	sql_is("SELECT date(x, 'start of month')", "SELECT date(x, 'start of month')", 0,
	       "date with another modifier untouched");

	sql_is("SELECT max(a, b", "SELECT max(a, b", 0, "unbalanced max(");
	sql_is("SELECT max((a, ?", "SELECT max((a, $1", 1, "unbalanced max(( with a ?");
	sql_is("SELECT date(?1, 'unixepoch'", "SELECT date($1, 'unixepoch'", 1, "unbalanced date(");
	sql_is("SELECT max(a, 'b)", "SELECT max(a, 'b)", 0, "max( with an unterminated literal");
	sql_is("SELECT max(", "SELECT max(", 0, "max( at the very end");
	sql_is("SELECT max", "SELECT max", 0, "max at the very end");
	sql_is("SELECT date(", "SELECT date(", 0, "date( at the very end");
	sql_is("BEGIN IMMEDIAT", "BEGIN IMMEDIAT", 0, "a cut BEGIN IMMEDIATE");
	sql_is("SELECT CAST(x AS INTEGE", "SELECT CAST(x AS INTEGE", 0, "a cut AS INTEGER");
	sql_is("SELECT a) + max(b, c))", "SELECT a) + greatest(b, c))", 0, "stray closing parentheses");

	/* 100 KB in one literal, then a parameter. */
	big = malloc(LONG_SQL + 64);
	want = malloc(LONG_SQL + 64);
	if (big == NULL || want == NULL)
		abort();
	strcpy(big, "SELECT '");
	len = strlen(big);
	memset(big + len, 'x', LONG_SQL);
	strcpy(big + len + LONG_SQL, "?', ?");
	strcpy(want, big);
	strcpy(want + strlen(want) - 1, "$1");
	sql_is(big, want, 1, "100 KB literal then ?");
	free(want);
	free(big);

	/* About 100 KB of "max(a, ?)" terms: each a greatest( with its $N. */
	{
		size_t terms = LONG_SQL / 12 + 1, cap = terms * 32 + 64, b = 8, w = 8;

		big = malloc(cap);
		want = malloc(cap);
		if (big == NULL || want == NULL)
			abort();
		strcpy(big, "SELECT 0");
		strcpy(want, "SELECT 0");
		for (i = 0; i < terms; i++) {
			memcpy(big + b, " + max(a, ?)", 13);
			b += 12;
			w += (size_t)sprintf(want + w, " + greatest(a, $%zu)", i + 1);
		}
		ok(strlen(big) >= LONG_SQL, "the long statement is %zu bytes", strlen(big));
		sql_is(big, want, (int)terms, "100 KB of max(a, ?) terms");
		free(want);
		free(big);
	}

	/* 4,000 unclosed "max(": no crash, no read past the end, unchanged.
	 * (Each one looks for its closing parenthesis up to the end: the time
	 * grows with the square of the count, about 5 s for 100 KB of them;
	 * the store writes no such statement.) */
	big = malloc(LONG_SQL + 16);
	if (big == NULL)
		abort();
	for (i = 0; i + 4 <= UNCLOSED * 4; i += 4)
		memcpy(big + i, "max(", 4);
	big[i] = '\0';
	{
		clock_t t0 = clock();

		got = db_pg_sql(big, &n);
		ok(got != NULL && strcmp(got, big) == 0 && n == 0,
		   "%d unclosed max( come back unchanged (%.2f s CPU)", UNCLOSED,
		   (double)(clock() - t0) / CLOCKS_PER_SEC);
		free(got);
	}
	/* 2,000 nested two-argument max: a deep recursion. */
	{
		size_t depth = 2000, k = 0, w = 0;

		want = malloc(depth * 16 + 16);
		if (want == NULL)
			abort();
		for (i = 0; i < depth; i++) {
			memcpy(big + k, "max(", 4);
			k += 4;
			memcpy(want + w, "greatest(", 9);
			w += 9;
		}
		big[k++] = '?';
		memcpy(want + w, "$1", 2);
		w += 2;
		for (i = 0; i < depth; i++) {
			memcpy(big + k, ",?)", 3);
			k += 3;
			w += (size_t)sprintf(want + w, ",$%zu)", i + 2);
		}
		big[k] = '\0';
		want[w] = '\0';
		sql_is(big, want, (int)depth + 1, "2,000 nested max(?, ?)");
		free(want);
	}
	free(big);
}

/* ---- round trips, the same on both engines ---------------------------- */

/* Runs sql (no parameters) and gives its first row's first column as an
 * integer; -999 when it brought no row. */
static int64_t scalar(struct db *db, const char *sql)
{
	struct db_stmt *s = NULL;
	int64_t v = -999;

	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return v;
	if (db_step(s) == SQLITE_ROW)
		v = db_column_int64(s, 0);
	db_finalize(s);
	return v;
}

static int exec(struct db *db, const char *sql)
{
	return db_exec(db, sql, NULL, NULL, NULL);
}

/* One insert of the row (i, s, b, n, u) through the prepared ins. */
struct row {
	int64_t i;
	const char *s;           /* NULL: bound as NULL */
	const void *b;           /* NULL: bound as NULL */
	int blen;
	int n_is_null;
	int n;                   /* bound with db_bind_int */
	const char *u;
};

static int insert(struct db_stmt *ins, const struct row *r)
{
	int rc;

	db_bind_int64(ins, 1, r->i);
	if (r->s)
		db_bind_text(ins, 2, r->s, -1, SQLITE_TRANSIENT);
	else
		db_bind_null(ins, 2);
	if (r->b)
		db_bind_blob(ins, 3, r->b, r->blen, SQLITE_STATIC);
	else
		db_bind_null(ins, 3);
	if (r->n_is_null)
		db_bind_null(ins, 4);
	else
		db_bind_int(ins, 4, r->n);
	db_bind_text(ins, 5, r->u, -1, SQLITE_STATIC);
	rc = db_step(ins);
	db_reset(ins);
	db_clear_bindings(ins);
	return rc;
}

/* The round trips every engine must pass alike. eng names it in the
 * descriptions; db is an open, empty database. */
static void round_trip(struct db *db, const char *eng)
{
	const struct row rows[] = {
		{INT64_MIN, khmer, blob5, (int)sizeof blob5, 1, 0, "a"},
		{INT64_MAX, "", "", 0, 0, 42, "b"},
		{-1, NULL, NULL, 0, 0, INT_MIN, "c"},
	};
	struct db_stmt *ins = NULL, *sel = NULL, *s = NULL;
	char *msg = NULL;
	int rc, k;
	int64_t v;

	rc = db_exec(db,
		     db_is_pg(db)
		     ? "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
		       "i BIGINT, s TEXT, b BYTEA, n BIGINT, u TEXT UNIQUE)"
		     : "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, s TEXT, b BLOB, "
		       "n INTEGER, u TEXT UNIQUE)",
		     NULL, NULL, &msg);
	if (!is_int(rc, SQLITE_OK, "%s: CREATE TABLE", eng))
		printf("#   %s\n", line1(msg));
	ok(msg == NULL, "%s: no errmsg on success", eng);
	db_free(msg);
	is_int(db_get_autocommit(db), 1, "%s: autocommit outside a transaction", eng);

	rc = db_prepare_v2(db, "INSERT INTO t (i, s, b, n, u) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins,
			   NULL);
	is_int(rc, SQLITE_OK, "%s: prepare INSERT", eng);
	if (ins == NULL)
		return;
	is_int(db_bind_parameter_count(ins), 5, "%s: 5 parameters", eng);
	for (k = 0; k < 3; k++) {
		is_int(insert(ins, &rows[k]), SQLITE_DONE, "%s: INSERT row %d", eng, k + 1);
		is_int(db_changes(db), 1, "%s: db_changes after row %d", eng, k + 1);
		/* SQLite only: PostgreSQL answers -1 (db.h: use RETURNING). */
		is_int(db_last_insert_rowid(db), db_is_pg(db) ? -1 : k + 1,
		       "%s: db_last_insert_rowid after row %d", eng, k + 1);
	}

	rc = db_prepare_v2(db, "SELECT id, i, s, b, n, u FROM t ORDER BY id", -1, &sel, NULL);
	is_int(rc, SQLITE_OK, "%s: prepare SELECT", eng);
	if (sel == NULL) {
		db_finalize(ins);
		return;
	}
	is_int(db_step(sel), SQLITE_ROW, "%s: row 1", eng);
	is_int(db_column_int64(sel, 0), 1, "%s: row 1 id", eng);
	is_int(db_column_type(sel, 1), SQLITE_INTEGER, "%s: int64 column type", eng);
	ok(db_column_int64(sel, 1) == INT64_MIN, "%s: INT64_MIN round trip", eng);
	is_str((const char *)db_column_text(sel, 1), "-9223372036854775808",
	       "%s: INT64_MIN as text", eng);
	is_int(db_column_type(sel, 2), SQLITE_TEXT, "%s: text column type", eng);
	is_str((const char *)db_column_text(sel, 2), khmer, "%s: Khmer text round trip", eng);
	is_int(db_column_bytes(sel, 2), (long long)strlen(khmer), "%s: Khmer text bytes", eng);
	is_int(db_column_type(sel, 3), SQLITE_BLOB, "%s: blob column type", eng);
	is_mem(db_column_blob(sel, 3), (size_t)db_column_bytes(sel, 3), (const char *)blob5,
	       sizeof blob5, "%s: blob with zero bytes round trip", eng);
	is_int(db_column_type(sel, 4), SQLITE_NULL, "%s: NULL column type", eng);
	ok(db_column_text(sel, 4) == NULL, "%s: NULL integer column as text is NULL", eng);
	is_int(db_column_int64(sel, 4), 0, "%s: NULL as int64 is 0", eng);
	is_int(db_column_bytes(sel, 4), 0, "%s: NULL has 0 bytes", eng);

	is_int(db_step(sel), SQLITE_ROW, "%s: row 2", eng);
	ok(db_column_int64(sel, 1) == INT64_MAX, "%s: INT64_MAX round trip", eng);
	is_str((const char *)db_column_text(sel, 2), "", "%s: empty text is not NULL", eng);
	is_int(db_column_type(sel, 2), SQLITE_TEXT, "%s: empty text type", eng);
	is_int(db_column_type(sel, 3), SQLITE_BLOB, "%s: 0-length blob type (not NULL)", eng);
	is_int(db_column_bytes(sel, 3), 0, "%s: 0-length blob bytes", eng);
	is_int(db_column_int(sel, 4), 42, "%s: db_bind_int 42", eng);

	is_int(db_step(sel), SQLITE_ROW, "%s: row 3", eng);
	is_int(db_column_int64(sel, 1), -1, "%s: -1 round trip", eng);
	ok(db_column_text(sel, 2) == NULL, "%s: NULL text -> db_column_text NULL", eng);
	is_int(db_column_type(sel, 2), SQLITE_NULL, "%s: NULL text type", eng);
	ok(db_column_blob(sel, 3) == NULL, "%s: NULL blob -> db_column_blob NULL", eng);
	is_int(db_column_type(sel, 3), SQLITE_NULL, "%s: NULL blob type", eng);
	is_int(db_column_int(sel, 4), INT_MIN, "%s: INT_MIN through db_bind_int", eng);
	is_str((const char *)db_column_text(sel, 5), "c", "%s: row 3 u", eng);
	is_int(db_step(sel), SQLITE_DONE, "%s: SQLITE_DONE after 3 rows", eng);
	is_int(db_reset(sel), SQLITE_OK, "%s: reset after DONE", eng);
	is_int(db_step(sel), SQLITE_ROW, "%s: stepping again after reset", eng);
	is_int(db_column_int64(sel, 0), 1, "%s: from the first row again", eng);
	db_reset(sel);

	/* db_changes counts the rows of the last INSERT, UPDATE or DELETE;
	 * a SELECT in between changes nothing. */
	is_int(exec(db, "UPDATE t SET n = 7 WHERE id >= 2"), SQLITE_OK, "%s: UPDATE", eng);
	is_int(db_changes(db), 2, "%s: db_changes after an UPDATE of 2 rows", eng);
	is_int(scalar(db, "SELECT count(*) FROM t"), 3, "%s: count(*)", eng);
	is_int(db_changes(db), 2, "%s: db_changes unchanged by a SELECT of 1 row", eng);
	do {
		rc = db_step(sel);
	} while (rc == SQLITE_ROW);
	db_reset(sel);
	is_int(db_changes(db), 2, "%s: db_changes unchanged by a SELECT of 3 rows", eng);

	/* Transactions. */
	is_int(exec(db, "BEGIN IMMEDIATE"), SQLITE_OK, "%s: BEGIN IMMEDIATE", eng);
	is_int(db_get_autocommit(db), 0, "%s: no autocommit inside BEGIN", eng);
	{
		const struct row r4 = {4, "four", NULL, 0, 1, 0, "d"};

		is_int(insert(ins, &r4), SQLITE_DONE, "%s: INSERT inside BEGIN", eng);
	}
	is_int(db_last_insert_rowid(db), db_is_pg(db) ? -1 : 4,
	       "%s: db_last_insert_rowid inside BEGIN", eng);
	is_int(exec(db, "COMMIT"), SQLITE_OK, "%s: COMMIT", eng);
	is_int(db_get_autocommit(db), 1, "%s: autocommit after COMMIT", eng);
	is_int(scalar(db, "SELECT count(*) FROM t"), 4, "%s: the committed row is there", eng);

	/* A unique violation, outside and inside a transaction. */
	{
		const struct row dup = {5, "dup", NULL, 0, 1, 0, "a"};

		rc = insert(ins, &dup);
		is_int(rc & 0xFF, SQLITE_CONSTRAINT, "%s: unique violation -> SQLITE_CONSTRAINT (rc %d)",
		       eng, rc);
		is_int(db_errcode(db) & 0xFF, SQLITE_CONSTRAINT, "%s: db_errcode CONSTRAINT", eng);
		ok(db_errmsg(db) != NULL && strlen(db_errmsg(db)) > 0, "%s: errmsg: %s", eng,
		   line1(db_errmsg(db)));
		is_int(db_get_autocommit(db), 1, "%s: still autocommit after a failed INSERT", eng);
		is_int(exec(db, "BEGIN"), SQLITE_OK, "%s: BEGIN", eng);
		rc = insert(ins, &dup);
		is_int(rc & 0xFF, SQLITE_CONSTRAINT, "%s: unique violation inside BEGIN", eng);
		is_int(exec(db, "ROLLBACK"), SQLITE_OK, "%s: ROLLBACK after it", eng);
		is_int(db_get_autocommit(db), 1, "%s: autocommit after ROLLBACK", eng);
		is_int(scalar(db, "SELECT count(*) FROM t"), 4, "%s: usable after ROLLBACK", eng);
		is_int(db_errcode(db), SQLITE_OK, "%s: db_errcode OK after a success", eng);
		is_str(db_errmsg(db), "not an error", "%s: db_errmsg after a success", eng);
	}
	/* A failed statement inside a transaction, then COMMIT: SQLite keeps
	 * the transaction's other rows; whatever the engine does, COMMIT's
	 * success must mean they are kept. */
	{
		const struct row keep = {-5, "keep", NULL, 0, 1, 0, "keep"};
		const struct row dup = {-6, "dup", NULL, 0, 1, 0, "a"};
		int64_t kept;

		is_int(exec(db, "BEGIN"), SQLITE_OK, "%s: BEGIN (a failure inside)", eng);
		is_int(insert(ins, &keep), SQLITE_DONE, "%s: a good INSERT", eng);
		is_int(insert(ins, &dup) & 0xFF, SQLITE_CONSTRAINT, "%s: then a unique violation", eng);
		rc = exec(db, "COMMIT");
		if (rc != SQLITE_OK)
			exec(db, "ROLLBACK");
		kept = scalar(db, "SELECT count(*) FROM t WHERE u = 'keep'");
		ok((rc == SQLITE_OK) == (kept == 1),
		   "%s: COMMIT after a failed statement: rc %d only if the good row is kept (%lld)",
		   eng, rc, (long long)kept);
		is_int(db_get_autocommit(db), 1, "%s: autocommit after that COMMIT", eng);
	}

	/* db_exec's error message. */
	rc = db_exec(db, "INSERT INTO no_such_table VALUES (1)", NULL, NULL, &msg);
	is_int(rc, SQLITE_ERROR, "%s: db_exec on a missing table: SQLITE_ERROR", eng);
	ok(msg != NULL && strstr(msg, "no_such_table") != NULL, "%s: db_exec errmsg: %s", eng,
	   line1(msg));
	db_free(msg);
	msg = NULL;
	rc = db_exec(db, "SELEKT 1", NULL, NULL, NULL);
	ok(rc != SQLITE_OK, "%s: db_exec syntax error without errmsg (rc %d)", eng, rc);
	rc = db_exec(db, "CREATE TABLE t2 (x TEXT); INSERT INTO t2 VALUES ('a'); "
			 "INSERT INTO t2 VALUES ('b')", NULL, NULL, &msg);
	is_int(rc, SQLITE_OK, "%s: db_exec runs several statements", eng);
	is_int(scalar(db, "SELECT count(*) FROM t2"), 2, "%s: all of them", eng);
	db_free(msg);

	/* One statement, run many times; unbound parameters are NULL. */
	rc = db_prepare_v2(db, "SELECT ?1 + 1, coalesce(?2, 'none')", -1, &s, NULL);
	is_int(rc, SQLITE_OK, "%s: prepare a statement to run many times", eng);
	if (s != NULL) {
		int bad = 0;

		for (k = 0; k < 200; k++) {
			db_bind_int64(s, 1, k);
			if (k % 2)
				db_bind_text(s, 2, "odd", -1, SQLITE_STATIC);
			if (db_step(s) != SQLITE_ROW || db_column_int64(s, 0) != k + 1 ||
			    strcmp((const char *)db_column_text(s, 1), k % 2 ? "odd" : "none") != 0 ||
			    db_step(s) != SQLITE_DONE)
				bad++;
			db_reset(s);
			db_clear_bindings(s);
		}
		is_int(bad, 0, "%s: 200 runs with db_reset/db_clear_bindings", eng);
		is_int(db_step(s), SQLITE_ROW, "%s: run with nothing bound", eng);
		is_int(db_column_type(s, 0), SQLITE_NULL, "%s: unbound ?1 + 1 is NULL", eng);
		is_str((const char *)db_column_text(s, 1), "none", "%s: unbound ?2 is NULL", eng);
		db_finalize(s);
	}
	/* An INSERT whose parameter was never bound stores NULL. */
	rc = db_prepare_v2(db, "INSERT INTO t (i, u) VALUES (?1, ?2)", -1, &s, NULL);
	if (s != NULL) {
		db_bind_text(s, 2, "unbound", -1, SQLITE_STATIC);
		is_int(db_step(s), SQLITE_DONE, "%s: INSERT with ?1 unbound", eng);
		db_finalize(s);
	} else {
		ok(0, "%s: prepare INSERT with ?1 unbound (rc %d)", eng, rc);
	}
	is_int(scalar(db, "SELECT count(*) FROM t WHERE u = 'unbound' AND i IS NULL"), 1,
	       "%s: the unbound parameter stored NULL", eng);
	v = scalar(db, "SELECT 1 = 1");
	is_int(v, 1, "%s: a true comparison reads as 1", eng);
	is_int(scalar(db, "SELECT 1 = 2"), 0, "%s: a false comparison reads as 0", eng);
	is_int(scalar(db, "SELECT max(3, 9) + min(4, 2)"), 11, "%s: max/min of two", eng);
	is_int(scalar(db, "SELECT max(i) FROM t WHERE i < 1000"), 4, "%s: aggregate max", eng);
	is_int(scalar(db, "SELECT CAST('12' AS INTEGER) * 2"), 24, "%s: CAST AS INTEGER", eng);
	{
		const unsigned char *d;

		rc = db_prepare_v2(db, "SELECT date(?1, 'unixepoch')", -1, &s, NULL);
		if (s != NULL) {
			db_bind_int64(s, 1, 1764633599);   /* 2025-12-01T23:59:59Z */
			is_int(db_step(s), SQLITE_ROW, "%s: date(?1, 'unixepoch')", eng);
			d = db_column_text(s, 0);
			is_str((const char *)d, "2025-12-01", "%s: the UTC day", eng);
			db_finalize(s);
		} else {
			ok(0, "%s: prepare date (rc %d)", eng, rc);
			ok(0, "%s: the UTC day", eng);
		}
	}

	/* Text that happens to start with \x, read as a blob, is its own
	 * bytes (the store's copy between engines reads columns that way). */
	rc = db_prepare_v2(db, "SELECT ?1", -1, &s, NULL);
	if (s != NULL) {
		const char *bs = "\\x4142";
		const unsigned char *d;
		int nb;

		db_bind_text(s, 1, bs, -1, SQLITE_STATIC);
		is_int(db_step(s), SQLITE_ROW, "%s: SELECT text", eng);
		d = db_column_blob(s, 0);
		nb = db_column_bytes(s, 0);
		/* memcmp of 2 bytes first: a decoded "AB" has only 3 allocated. */
		ok(nb == 6 && d != NULL && memcmp(d, bs, 2) == 0 && memcmp(d, bs, 6) == 0,
		   "%s: text \"\\x4142\" read through db_column_blob is its 6 bytes (got %d bytes, "
		   "starting %.2s)", eng, nb, d ? (const char *)d : "");
		db_finalize(s);
	}

	/* prepare's length argument: only the first n bytes are the statement. */
	rc = db_prepare_v2(db, "SELECT 7 + 1", 8, &s, NULL);
	if (s != NULL) {
		is_int(db_step(s), SQLITE_ROW, "%s: prepare with n = 8", eng);
		is_int(db_column_int(s, 0), 7, "%s: \"SELECT 7 + 1\" with n = 8 is SELECT 7", eng);
		db_finalize(s);
	} else {
		ok(0, "%s: prepare with n = 8 (rc %d)", eng, rc);
		ok(0, "%s: n = 8", eng);
	}

	db_finalize(sel);
	db_finalize(ins);
}

/* A fresh connection asks for the last rowid inside a transaction before
 * inserting anything: 0 (PostgreSQL: -1, never a query), and the
 * transaction goes on. */
static void rowid_first(const char *path, const char *eng)
{
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	int rc = db_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

	is_int(rc, SQLITE_OK, "%s: a second connection", eng);
	is_int(exec(db, "BEGIN"), SQLITE_OK, "%s: BEGIN on it", eng);
	is_int(db_last_insert_rowid(db), db_is_pg(db) ? -1 : 0,
	       "%s: db_last_insert_rowid before any INSERT is 0 (-1 on PostgreSQL)", eng);
	rc = db_prepare_v2(db, "INSERT INTO t (i, u) VALUES (?1, 'fresh')", -1, &s, NULL);
	if (s != NULL) {
		db_bind_int64(s, 1, 5);
		rc = db_step(s);
		db_finalize(s);
	}
	if (!is_int(rc, SQLITE_DONE, "%s: the transaction goes on: INSERT", eng))
		printf("#   %s\n", line1(db_errmsg(db)));
	is_int(exec(db, "COMMIT"), SQLITE_OK, "%s: COMMIT", eng);
	is_int(scalar(db, "SELECT count(*) FROM t WHERE u = 'fresh'"), 1, "%s: the row is there", eng);
	db_close(db);
}

/* ---- PostgreSQL only -------------------------------------------------- */

/* url with its database name replaced by name (user, host, port and the
 * query kept); -1 when it does not fit. */
static int with_db(const char *url, const char *name, char *out, size_t outlen)
{
	const char *host = strstr(url, "://"), *path, *query;
	int n;

	if (host == NULL)
		return -1;
	host += 3;
	query = strchr(host, '?');
	if (query == NULL)
		query = host + strlen(host);
	path = memchr(host, '/', (size_t)(query - host));
	if (path == NULL)
		path = query;
	n = snprintf(out, outlen, "%.*s/%s%s", (int)(path - url), url, name, query);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static void pg_stream(struct db *db)
{
	struct db_stmt *s = NULL;
	int rc, k, bad = 0, got = 0;

	is_int(exec(db, "CREATE TABLE big (n BIGINT PRIMARY KEY, pad TEXT)"), SQLITE_OK,
	       "pg: CREATE TABLE big");
	rc = db_prepare_v2(db, "INSERT INTO big SELECT g, repeat('x', 50) FROM "
			       "generate_series(1, ?1) AS g", -1, &s, NULL);
	db_bind_int(s, 1, STREAM_ROWS);
	is_int(db_step(s), SQLITE_DONE, "pg: %d rows inserted", STREAM_ROWS);
	is_int(db_changes(db), STREAM_ROWS, "pg: db_changes %d", STREAM_ROWS);
	db_finalize(s);

	is_int(exec(db, "BEGIN"), SQLITE_OK, "pg: BEGIN for the stream");
	rc = db_prepare_v3(db, "SELECT n, pad FROM big WHERE n >= ?1 ORDER BY n", -1,
			   DB_PREPARE_STREAM, &s, NULL);
	is_int(rc, SQLITE_OK, "pg: prepare a DB_PREPARE_STREAM statement");
	if (s == NULL)
		return;
	db_bind_int64(s, 1, 1);
	while ((rc = db_step(s)) == SQLITE_ROW) {
		if (db_column_int64(s, 0) != got + 1 || db_column_bytes(s, 1) != 50)
			bad++;
		got++;
	}
	is_int(rc, SQLITE_DONE, "pg: the stream ends with SQLITE_DONE");
	is_int(got, STREAM_ROWS, "pg: every row came through the cursor");
	is_int(bad, 0, "pg: in order, across the 1,000-row fetches");
	is_int(db_step(s), SQLITE_DONE, "pg: DONE again after the end");
	is_int(db_reset(s), SQLITE_OK, "pg: db_reset the stream");
	/* Again, stopping half-way (past a fetch), then once more in full. */
	for (k = 0; k < 1500 && db_step(s) == SQLITE_ROW; k++)
		;
	is_int(k, 1500, "pg: 1,500 rows again after the reset");
	is_int(db_column_int64(s, 0), 1500, "pg: the 1,500th row");
	db_reset(s);
	db_clear_bindings(s);
	db_bind_int64(s, 1, 2001);
	for (got = 0; db_step(s) == SQLITE_ROW; got++)
		;
	is_int(got, STREAM_ROWS - 2000, "pg: rebound after a mid-stream reset: the last 500");
	db_reset(s);
	db_bind_int64(s, 1, STREAM_ROWS - 999);
	for (got = 0; db_step(s) == SQLITE_ROW; got++)
		;
	is_int(got, 1000, "pg: exactly one fetch of 1,000 rows, then DONE");
	db_finalize(s);
	is_int(exec(db, "COMMIT"), SQLITE_OK, "pg: COMMIT after the stream");
	is_int(db_get_autocommit(db), 1, "pg: autocommit after the stream");
}

static void pg_only(struct db *db, const char *url)
{
	struct db_stmt *s = NULL;
	struct db *ro = NULL;
	unsigned char *big;
	int rc, k;

	ok(db_is_pg(db) && db_lite(db) == NULL && db_pg_conn(db) != NULL,
	   "pg: db_is_pg, no SQLite handle, a PGconn");

	/* Booleans read as 1 and 0. */
	is_int(exec(db, "CREATE TABLE flags (k INT, b BOOLEAN)"), SQLITE_OK, "pg: boolean table");
	is_int(exec(db, "INSERT INTO flags VALUES (1, true), (2, false), (3, NULL)"), SQLITE_OK,
	       "pg: booleans inserted");
	rc = db_prepare_v2(db, "SELECT b, b IS NULL, k > 1 FROM flags ORDER BY k", -1, &s, NULL);
	if (s != NULL) {
		is_int(db_step(s), SQLITE_ROW, "pg: boolean row 1");
		is_int(db_column_int(s, 0), 1, "pg: true column -> 1");
		is_int(db_column_type(s, 0), SQLITE_INTEGER, "pg: a boolean is an integer");
		is_int(db_column_int(s, 2), 0, "pg: false expression -> 0");
		is_int(db_step(s), SQLITE_ROW, "pg: boolean row 2");
		is_int(db_column_int(s, 0), 0, "pg: false column -> 0");
		is_int(db_column_int64(s, 2), 1, "pg: true expression -> 1 (int64)");
		is_int(db_step(s), SQLITE_ROW, "pg: boolean row 3");
		is_int(db_column_type(s, 0), SQLITE_NULL, "pg: NULL boolean");
		is_int(db_column_int(s, 1), 1, "pg: IS NULL -> 1");
		db_finalize(s);
	} else {
		ok(0, "pg: prepare booleans (rc %d)", rc);
	}

	/* A 64 KB bytea of every byte value. */
	big = malloc(65536);
	if (big == NULL)
		abort();
	for (k = 0; k < 65536; k++)
		big[k] = (unsigned char)(k * 7);
	rc = db_prepare_v2(db, "SELECT ?1, ?2", -1, &s, NULL);
	if (s != NULL) {
		db_bind_blob(s, 1, big, 65536, SQLITE_STATIC);
		db_bind_blob(s, 2, "", 0, SQLITE_STATIC);
		is_int(db_step(s), SQLITE_ROW, "pg: SELECT two blobs");
		is_mem(db_column_blob(s, 0), (size_t)db_column_bytes(s, 0), (const char *)big, 65536,
		       "pg: 64 KB bytea round trip");
		is_int(db_column_type(s, 1), SQLITE_BLOB, "pg: 0-length bytea is a blob");
		is_int(db_column_bytes(s, 1), 0, "pg: 0-length bytea has 0 bytes");
		db_finalize(s);
	}
	free(big);

	/* A sum of bigints (numeric on PostgreSQL) still reads as an integer. */
	is_int(scalar(db, "SELECT sum(k) FROM flags"), 6, "pg: sum() as int64");

	pg_stream(db);

	/* A read-only connection. */
	rc = db_open_v2(url, &ro, SQLITE_OPEN_READONLY, NULL);
	is_int(rc, SQLITE_OK, "pg: open read-only");
	rc = exec(ro, "INSERT INTO flags VALUES (9, true)");
	is_int(rc, SQLITE_READONLY, "pg: read-only refuses an INSERT (SQLITE_READONLY)");
	is_int(scalar(ro, "SELECT count(*) FROM flags"), 3, "pg: read-only still reads");
	db_close(ro);
}

/* libpq's checks and a refused connection need no server. */
static void pg_offline(void)
{
	char err[512], url[128];
	struct db *db = NULL;
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int fd, rc, port = 0;

	err[0] = '\0';
	is_int(db_pg_url_check("postgres://u:secret@127.0.0.1:5432/db", err, sizeof err), -1,
	       "url_check refuses a password");
	ok(strstr(err, "password") != NULL && strstr(err, "secret") == NULL,
	   "url_check says why, without the password: %s", err);
	is_int(db_pg_url_check("postgresql://127.0.0.1/db?password=x", err, sizeof err), -1,
	       "url_check refuses ?password=");
	is_int(db_pg_url_check("postgres://u@127.0.0.1:5432/db", err, sizeof err), 0,
	       "url_check accepts a URL without a password");
	is_int(db_pg_url_check("postgres://u:@127.0.0.1/db", err, sizeof err), 0,
	       "url_check accepts an empty password");
	is_int(db_pg_url_check("postgres://127.0.0.1/db?nosuchoption=1", err, sizeof err), -1,
	       "url_check refuses what libpq cannot read");
	ok(db_path_is_pg("postgres://x") && db_path_is_pg("postgresql://x") &&
		   !db_path_is_pg("/var/lib/p.db") && !db_path_is_pg("postgres:/x") &&
		   !db_path_is_pg(NULL),
	   "db_path_is_pg");

	/* A port nobody listens on: bind one, then close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	snprintf(url, sizeof url, "postgres://postgres@127.0.0.1:%d/x", port);
	rc = db_open_v2(url, &db, SQLITE_OPEN_READWRITE, NULL);
	is_int(rc, SQLITE_CANTOPEN, "a closed port: SQLITE_CANTOPEN");
	ok(db != NULL && strstr(db_errmsg(db), "cannot connect") != NULL, "a closed port: %s",
	   db ? line1(db_errmsg(db)) : "(no db)");
	is_int(db_errcode(db), SQLITE_CANTOPEN, "a closed port: db_errcode");
	is_int(db_close(db), SQLITE_OK, "a closed port: db_close");
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int admin(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int okay = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!okay)
		printf("# %s: %s\n", sql, line1(PQresultErrorMessage(r)));
	PQclear(r);
	return okay;
}

static void pg_suite(const char *server)
{
	char name[64], url[URL_MAX], sql[128];
	PGconn *c = PQconnectdb(server);
	struct db *db = NULL;
	int rc;

	/* DROP ... IF EXISTS says "skipping" on stderr otherwise. */
	PQsetNoticeProcessor(c, quiet, NULL);

	if (PQstatus(c) != CONNECTION_OK) {
		ok(0, "connect to PETITIOND_TEST_PG: %s", line1(PQerrorMessage(c)));
		PQfinish(c);
		return;
	}
	snprintf(name, sizeof name, "unit_db_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	admin(c, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (!ok(admin(c, sql), "pg: CREATE DATABASE %s", name) ||
	    !ok(with_db(server, name, url, sizeof url) == 0, "pg: URL %s", url)) {
		PQfinish(c);
		return;
	}
	rc = db_open_v2(url, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (is_int(rc, SQLITE_OK, "pg: db_open_v2")) {
		round_trip(db, "pg");
		rowid_first(url, "pg");
		pg_only(db, url);
	} else {
		printf("#   %s\n", line1(db_errmsg(db)));
	}
	db_close(db);
	snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", name);
	ok(admin(c, sql), "pg: DROP DATABASE %s", name);
	PQfinish(c);
}

int main(void)
{
	char dir[] = "/tmp/test_db.XXXXXX", path[64];
	const char *server = getenv("PETITIOND_TEST_PG");
	struct db *db = NULL;
	int rc;

	check_dialect();

	rc = db_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	is_int(rc, SQLITE_OK, "sqlite: open :memory:");
	ok(!db_is_pg(db) && db_lite(db) != NULL && db_pg_conn(db) == NULL, "sqlite: db_lite");
	params_like_sqlite(db_lite(db), "SELECT ?, ?, ?", "?, ?, ?");
	params_like_sqlite(db_lite(db), "SELECT ?2, ?", "?2, ?");
	params_like_sqlite(db_lite(db), "SELECT ?, ?5, ?", "?, ?5, ?");
	params_like_sqlite(db_lite(db), "SELECT ?3, ?1, ?", "?3, ?1, ?");
	params_like_sqlite(db_lite(db), "SELECT '?', \"?\" AS \"?\", ?1 -- ?9\n, ?", "quotes, comment");
	db_close(db);

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	snprintf(path, sizeof path, "%s/t.db", dir);
	db = NULL;
	rc = db_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (is_int(rc, SQLITE_OK, "sqlite: open a file")) {
		round_trip(db, "sqlite");
		rowid_first(path, "sqlite");
	}
	db_close(db);
	unlink(path);
	rmdir(dir);

	pg_offline();
	if (server == NULL || *server == '\0')
		ok(1, "PostgreSQL round trips # SKIP PETITIOND_TEST_PG is not set (a server URL where "
		      "tests may CREATE DATABASE; tests/pg/cluster start DIR prints one)");
	else
		pg_suite(server);
	return done_testing();
}
