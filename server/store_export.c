/* store_export.c -- the export's filters and cursor, and the command line's
 * statistics (numbers area).
 *
 * Both read a database file on a connection of their own, read-only and in
 * one read transaction: one consistent snapshot however long the reading
 * takes, beside a running server (WAL: readers never block its writer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

struct store_export {
	struct db *db;
	struct db_stmt *st;
	int has_source;
	int has_confirmed;
};

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD" (a real date, years 1970 to 9999) to the Unix time of its
 * start in UTC. Returns 0 or -1. */
static int parse_day(const char *s, int64_t *out)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, d;
	size_t i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*out = days_from_civil(y, m, d) * 86400;
	return 0;
}

int store_export_filter_set(struct store_export_filter *f, const char *key, const char *value,
			    char *err, size_t errlen)
{
	int64_t t;

	if (value == NULL)
		value = "";
	if (strcmp(key, "since") == 0 || strcmp(key, "until") == 0) {
		if (parse_day(value, &t) != 0) {
			snprintf(err, errlen, "%s: expected a date YYYY-MM-DD", key);
			return -1;
		}
		if (key[0] == 's')
			f->since = t;
		else
			f->until = t + 86400; /* the whole day */
		return 0;
	}
	if (strcmp(key, "country") == 0) {
		char c0 = value[0], c1 = c0 ? value[1] : '\0';

		if (strlen(value) != 2 || !((c0 | 0x20) >= 'a' && (c0 | 0x20) <= 'z') ||
		    !((c1 | 0x20) >= 'a' && (c1 | 0x20) <= 'z')) {
			snprintf(err, errlen, "country: expected a two-letter ISO 3166-1 code "
				 "such as KH");
			return -1;
		}
		f->country[0] = (char)(c0 & ~0x20);
		f->country[1] = (char)(c1 & ~0x20);
		f->country[2] = '\0';
		return 0;
	}
	if (strcmp(key, "updates") == 0) {
		if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0 && value[0] != '\0') {
			snprintf(err, errlen, "updates: expected 1 or 0");
			return -1;
		}
		f->updates = strcmp(value, "1") == 0;
		return 0;
	}
	if (strcmp(key, "source") == 0) {
		if (strcmp(value, "online") != 0 && strcmp(value, "paper") != 0 &&
		    strcmp(value, "event") != 0) {
			snprintf(err, errlen, "source: expected online, paper or event");
			return -1;
		}
		snprintf(f->source, sizeof f->source, "%s", value);
		return 0;
	}
	if (strcmp(key, "confirmed") == 0) {
		/* "1": confirmed only, "0": unconfirmed only, "": all. */
		if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0 && value[0] != '\0') {
			snprintf(err, errlen, "confirmed: expected 1 or 0");
			return -1;
		}
		f->confirmed = value[0] == '\0' ? -1 : value[0] - '0';
		return 0;
	}
	snprintf(err, errlen, "unknown filter");
	return -1;
}

/* Opens path read-only with the store's busy timeout. */
static int open_ro(struct db **db, const char *path, char *err, size_t errlen)
{
	if (db_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? db_errmsg(*db) : "out of memory");
		db_close(*db);
		*db = NULL;
		return -1;
	}
	db_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

/* 1 when the table signatures has the column col (source: 010_source.sql,
 * confirmed: 011_confirm.sql): a database of an older version, read by
 * `petitiond export` before a server migrated it. */
static int has_column(struct db *db, const char *col)
{
	struct db_stmt *s = NULL;
	int yes = 0;

	if (db_prepare_v2(db, db_is_pg(db) ? "SELECT 1 FROM information_schema.columns WHERE"
					      " table_schema = current_schema() AND table_name ="
					      " 'signatures' AND column_name = ?1"
					    : "SELECT 1 FROM pragma_table_info('signatures')"
			      " WHERE name = ?1", -1, &s, NULL) == SQLITE_OK) {
		db_bind_text(s, 1, col, -1, SQLITE_STATIC);
		yes = db_step(s) == SQLITE_ROW;
	}
	db_finalize(s);
	return yes;
}

struct store_export *store_export_open(struct store *st, const char *path,
				       const struct store_export_filter *f, char *err,
				       size_t errlen)
{
	struct store_export *x = calloc(1, sizeof *x);
	char sql[640];
	size_t n;

	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (st != NULL) {
		struct store_conns c;

		store_conns(st, &c);
		path = c.path;
	}
	if (open_ro(&x->db, path, err, errlen) != 0)
		goto fail;
	/* Reading the schema starts no transaction of its own that outlives
	 * it; the first step of the export below starts the one snapshot. */
	x->has_source = has_column(x->db, "source");
	x->has_confirmed = has_column(x->db, "confirmed");
	/* Every filter is a bound parameter; the ones not given are NULL and
	 * match everything. The primary key orders the rows and bounds the
	 * scan; signed_at grows with id (except for imported paper rows, which
	 * the range still filters correctly). */
	n = (size_t)snprintf(sql, sizeof sql,
			     "SELECT id, signed_at, name, email, country, comment, public, updates,"
			     " public_name, %s, %s FROM signatures"
			     " WHERE (CAST(?1 AS INTEGER) IS NULL OR signed_at >= ?1)"
			     " AND (CAST(?2 AS INTEGER) IS NULL OR signed_at < ?2)"
			     " AND (CAST(?3 AS TEXT) IS NULL OR country = ?3)"
			     " AND (CAST(?4 AS INTEGER) IS NULL OR updates = 1)"
			     " AND (CAST(?5 AS TEXT) IS NULL OR %s = ?5)"
			     " AND (CAST(?6 AS INTEGER) IS NULL OR %s = ?6)"
			     " ORDER BY id",
			     x->has_source ? "source" : "'online'",
			     x->has_confirmed ? "confirmed" : "1",
			     x->has_source ? "source" : "'online'",
			     x->has_confirmed ? "confirmed" : "1");
	/* PostgreSQL: a cursor in one read-only snapshot, fetched a thousand
	 * rows at a time, so an export of millions holds as little memory as
	 * SQLite's stepping does (db.h: DB_PREPARE_STREAM). */
	if (n >= sizeof sql ||
	    (db_is_pg(x->db) &&
	     db_exec(x->db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", NULL, NULL,
		     NULL) != SQLITE_OK) ||
	    db_prepare_v3(x->db, sql, -1, DB_PREPARE_STREAM, &x->st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "export from %s: %s", path, db_errmsg(x->db));
		goto fail;
	}
	if (f != NULL) {
		if (f->since > 0)
			db_bind_int64(x->st, 1, f->since);
		if (f->until > 0)
			db_bind_int64(x->st, 2, f->until);
		if (f->country[0] != '\0')
			db_bind_text(x->st, 3, f->country, -1, SQLITE_TRANSIENT);
		if (f->updates)
			db_bind_int(x->st, 4, 1);
		if (f->source[0] != '\0')
			db_bind_text(x->st, 5, f->source, -1, SQLITE_TRANSIENT);
		if (f->confirmed >= 0)
			db_bind_int(x->st, 6, f->confirmed);
	}
	return x;
fail:
	store_export_close(x);
	return NULL;
}

int store_export_next(struct store_export *x, struct store_export_row *row)
{
	struct db_stmt *s = x->st;
	struct store_sig *g = &row->sig;
	int rc = db_step(s);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	memset(row, 0, sizeof *row);
	g->id = db_column_int64(s, 0);
	g->signed_at = db_column_int64(s, 1);
	g->name = (const char *)db_column_text(s, 2);
	g->email = (const char *)db_column_text(s, 3);
	g->country = (const char *)db_column_text(s, 4);
	g->comment = (const char *)db_column_text(s, 5);
	g->is_public = db_column_int(s, 6);
	g->updates = db_column_int(s, 7);
	g->public_name = (const char *)db_column_text(s, 8);
	row->source = (const char *)db_column_text(s, 9);
	g->confirmed = db_column_int(s, 10);
	if (!g->name)
		g->name = "";
	if (!g->email)
		g->email = "";
	if (!g->country)
		g->country = "";
	if (!g->comment)
		g->comment = "";
	if (!g->public_name)
		g->public_name = "";
	if (!row->source)
		row->source = "online";
	return 1;
}

const char *store_export_error(struct store_export *x)
{
	return x->db ? db_errmsg(x->db) : "no database";
}

void store_export_close(struct store_export *x)
{
	if (x == NULL)
		return;
	db_finalize(x->st);
	db_close(x->db);
	free(x);
}

int store_stats_file(const char *path, int64_t *count,
		     void (*country)(void *ctx, const char *code, int64_t n),
		     void (*day)(void *ctx, const char *day, int64_t n), void *ctx, char *err,
		     size_t errlen)
{
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	const char *op = "reading the count";
	int rc;

	*count = 0;
	if (open_ro(&db, path, err, errlen) != 0)
		return -1;
	if (db_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (db_prepare_v2(db, "SELECT value FROM counters WHERE name = 'signatures'", -1, &s,
			  NULL) != SQLITE_OK)
		goto fail;
	rc = db_step(s);
	if (rc == SQLITE_ROW)
		*count = db_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		goto fail;
	db_finalize(s);
	/* A scan of the table: fine for an operator's command (the pages never
	 * run it). */
	op = "counting by country";
	if (db_prepare_v2(db, has_column(db, "confirmed")
				  ? "SELECT country, count(*) AS n FROM signatures"
				    " WHERE confirmed = 1 GROUP BY country ORDER BY n DESC, country"
				  : "SELECT country, count(*) AS n FROM signatures"
				    " GROUP BY country ORDER BY n DESC, country", -1, &s,
			  NULL) != SQLITE_OK)
		goto fail;
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *c = (const char *)db_column_text(s, 0);

		country(ctx, c ? c : "", db_column_int64(s, 1));
	}
	if (rc != SQLITE_DONE)
		goto fail;
	db_finalize(s);
	op = "counting by day";
	if (db_prepare_v2(db, "SELECT day, n FROM daily WHERE n > 0 ORDER BY day", -1, &s,
			  NULL) != SQLITE_OK)
		goto fail;
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *d = (const char *)db_column_text(s, 0);

		day(ctx, d ? d : "", db_column_int64(s, 1));
	}
	if (rc != SQLITE_DONE)
		goto fail;
	db_finalize(s);
	db_exec(db, "COMMIT", NULL, NULL, NULL);
	db_close(db);
	return 0;
fail:
	store_errmsg(db, path, op, err, errlen);
	db_finalize(s);
	db_close(db);
	return -1;
}
