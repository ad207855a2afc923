/* filldb.c -- fills a petitiond database with N synthetic signatures, fast.
 *
 * Usage: filldb DB N
 * DB must already carry petitiond's schema (bench/run starts petitiond once on
 * the file and stops it) and no signatures. Rows go in through SQLite directly:
 * one prepared INSERT, one transaction per FILL_TXN_ROWS rows, no journal and
 * no syncs during the fill (a crash just means running it again); then the
 * counters row and the daily table are set to match, and the file is put back
 * in WAL mode, as petitiond leaves it. Signatures are spread over the last
 * FILL_DAYS days in id order.
 *
 * Speed: inserting 10 M random e-mail keys one by one into the UNIQUE index
 * costs ~8 us a row (a root-to-leaf search each). So, like any bulk load, the
 * fill leaves that index out and builds it afterwards by sorting (REINDEX):
 * the table's schema row is saved, the UNIQUE index is detached from the
 * schema during the fill, then both rows are restored exactly and the index is
 * rebuilt, checking uniqueness as it goes. sqlite_master ends up exactly as
 * petitiond wrote it, and PRAGMA integrity_check passes on the result. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

#define FILL_TXN_ROWS 100000
#define FILL_DAYS 30
#define FILL_CACHE_KIB 524288 /* page cache during the fill and the index build */
#define FILL_UNIQUE_INDEX "sqlite_autoindex_signatures_1"

static sqlite3 *db;
static const char *path;

static void die(const char *what)
{
	fprintf(stderr, "filldb: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

static sqlite3_int64 scalar(const char *sql)
{
	sqlite3_stmt *st;
	sqlite3_int64 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* (Re)opens the database with the bulk-load settings. A new connection is
 * how an edit of sqlite_master takes effect. */
static void reopen(void)
{
	char sql[64];

	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		die("close");
	db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die(path);
	exec("PRAGMA journal_mode = OFF");
	exec("PRAGMA synchronous = OFF");
	exec("PRAGMA locking_mode = EXCLUSIVE");
	exec("PRAGMA temp_store = MEMORY");
	/* Reads through a mapping (no copy per page); one thread: on 2 busy
	 * cores SQLite's sorter threads cost more than they give. */
	exec("PRAGMA mmap_size = 4294967296");
	snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", FILL_CACHE_KIB);
	exec(sql);
}

/* One UPDATE/INSERT/DELETE on sqlite_master with up to three text/int
 * parameters (NULL text binds NULL), inside writable_schema. */
static void schema_edit(const char *sql, const char *a, sqlite3_int64 b, const char *c)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	if (a != NULL)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, b);
	if (c != NULL)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(db) != 1)
		die(sql);
	sqlite3_finalize(st);
}

static char *table_sql(sqlite3_int64 *idx_rowid, sqlite3_int64 *idx_root)
{
	sqlite3_stmt *st;
	char *sql = NULL;

	*idx_rowid = scalar("SELECT rowid FROM sqlite_master WHERE name = '" FILL_UNIQUE_INDEX "'");
	*idx_root = scalar("SELECT rootpage FROM sqlite_master WHERE name = '" FILL_UNIQUE_INDEX "'");
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'signatures'",
			       -1, &st, NULL) != SQLITE_OK)
		die("read schema");
	if (sqlite3_step(st) == SQLITE_ROW)
		sql = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return sql;
}

int main(int argc, char **argv)
{
	static long long per_day[FILL_DAYS + 1]; /* by UTC calendar day from t0's */
	sqlite3_stmt *ins, *day;
	struct gen_row r;
	uint64_t seed = 20190327, i, n, npublic = 0, nupdates = 0;
	time_t t0 = time(NULL) - (time_t)FILL_DAYS * 86400;
	sqlite3_int64 idx_rowid, idx_root;
	struct timespec a, b, m;
	char sql[256], *orig, *bare, *u;
	double secs;
	int d;

	if (argc != 3 || (n = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: filldb DB N\n");
		return 2;
	}
	path = argv[1];
	clock_gettime(CLOCK_MONOTONIC, &a);
	reopen();
	if (scalar("PRAGMA user_version") < 2) {
		fprintf(stderr, "filldb: %s has no petitiond schema: start petitiond on it once\n", path);
		return 1;
	}
	if (scalar("SELECT count(*) FROM (SELECT 1 FROM signatures LIMIT 1)") != 0) {
		fprintf(stderr, "filldb: %s already holds signatures\n", path);
		return 1;
	}
	/* The schema as petitiond wrote it, and the same without UNIQUE. */
	orig = table_sql(&idx_rowid, &idx_root);
	if (orig == NULL || idx_rowid < 0 || (u = strstr(orig, " UNIQUE")) == NULL ||
	    strstr(u + 1, " UNIQUE") != NULL) {
		fprintf(stderr, "filldb: unexpected schema (one UNIQUE column expected)\n");
		return 1;
	}
	bare = strdup(orig);
	memmove(bare + (u - orig), bare + (u - orig) + 7, strlen(u + 7) + 1);

	exec("PRAGMA writable_schema = ON");
	exec("BEGIN");
	schema_edit("UPDATE sqlite_master SET sql = ?1 WHERE type = 'table' AND name = 'signatures'"
		    " AND ?2 = ?2", bare, 0, NULL);
	schema_edit("DELETE FROM sqlite_master WHERE rowid = ?2", NULL, idx_rowid, NULL);
	exec("COMMIT");
	reopen();

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO signatures (id, signed_at, name, email, email_norm, country,"
			       " comment, public, updates) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			       -1, &ins, NULL) != SQLITE_OK)
		die("prepare insert");
	exec("BEGIN");
	for (i = 1; i <= n; i++) {
		time_t t = t0 + (time_t)((i - 1) * ((uint64_t)FILL_DAYS * 86400) / n);

		gen_row(&r, &seed, i, "");
		per_day[t / 86400 - t0 / 86400]++;
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i);
		sqlite3_bind_int64(ins, 2, t);
		sqlite3_bind_text(ins, 3, r.name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, r.email, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, r.email_norm, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, r.country, 2, SQLITE_STATIC);
		sqlite3_bind_text(ins, 7, r.comment, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 8, r.is_public);
		sqlite3_bind_int(ins, 9, r.updates);
		npublic += r.is_public != 0;
		nupdates += r.updates != 0;
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("insert");
		sqlite3_reset(ins);
		if (i % FILL_TXN_ROWS == 0) {
			exec("COMMIT");
			exec("BEGIN");
		}
	}
	sqlite3_finalize(ins);
	/* The count petitiond shows and the per-day figures of the dashboard,
	 * exactly as its writer would have kept them. */
	snprintf(sql, sizeof sql, "UPDATE counters SET value = value + %llu WHERE name = 'signatures'",
		 (unsigned long long)n);
	exec(sql);
	/* Schema 3 and later also count the two choices. */
	snprintf(sql, sizeof sql, "UPDATE counters SET value = value + %llu WHERE name = 'public'",
		 (unsigned long long)npublic);
	exec(sql);
	snprintf(sql, sizeof sql, "UPDATE counters SET value = value + %llu WHERE name = 'updates'",
		 (unsigned long long)nupdates);
	exec(sql);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO daily (day, n) VALUES (date(?1, 'unixepoch'), ?2)"
			       " ON CONFLICT (day) DO UPDATE SET n = n + excluded.n",
			       -1, &day, NULL) != SQLITE_OK)
		die("prepare daily");
	for (d = 0; d <= FILL_DAYS; d++) {
		if (per_day[d] == 0)
			continue;
		sqlite3_bind_int64(day, 1, (t0 / 86400 + d) * 86400);
		sqlite3_bind_int64(day, 2, per_day[d]);
		if (sqlite3_step(day) != SQLITE_DONE)
			die("daily");
		sqlite3_reset(day);
	}
	sqlite3_finalize(day);
	exec("COMMIT");
	clock_gettime(CLOCK_MONOTONIC, &m);

	/* Put the schema back exactly (same rows, same rowids, same root page),
	 * then build the UNIQUE index from a sort of the keys. */
	exec("PRAGMA writable_schema = ON");
	exec("BEGIN");
	schema_edit("UPDATE sqlite_master SET sql = ?1 WHERE type = 'table' AND name = 'signatures'"
		    " AND ?2 = ?2", orig, 0, NULL);
	snprintf(sql, sizeof sql,
		 "INSERT INTO sqlite_master (rowid, type, name, tbl_name, rootpage, sql)"
		 " VALUES (?2, 'index', '%s', 'signatures', %lld, NULL)",
		 FILL_UNIQUE_INDEX, (long long)idx_root);
	schema_edit(sql, NULL, idx_rowid, NULL);
	exec("COMMIT");
	reopen();
	exec("REINDEX " FILL_UNIQUE_INDEX);
	/* The charts' aggregates (db/009_aggregates.sql), rebuilt from the rows
	 * the way the migration builds them, when the schema has them. */
	if (sqlite3_exec(db, "SELECT 1 FROM agg_slot LIMIT 0", NULL, NULL, NULL) == SQLITE_OK) {
		exec("BEGIN");
		exec("DELETE FROM agg_slot");
		exec("INSERT INTO agg_slot (t, n) SELECT signed_at - signed_at % 900, count(*)"
		     " FROM signatures GROUP BY 1");
		exec("DELETE FROM agg_country");
		exec("INSERT INTO agg_country (country, n) SELECT country, count(*)"
		     " FROM signatures GROUP BY 1");
		exec("COMMIT");
	}
	exec("PRAGMA locking_mode = NORMAL");
	exec("PRAGMA journal_mode = WAL");
	if (sqlite3_close(db) != SQLITE_OK)
		die("close");
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("filldb: %llu rows in %.1f s (%.0f rows/s; index build %.1f s)\n",
	       (unsigned long long)n, secs, (double)n / secs,
	       (double)(b.tv_sec - m.tv_sec) + (double)(b.tv_nsec - m.tv_nsec) / 1e9);
	free(orig);
	free(bare);
	return 0;
}
