/* sqlite_ceiling.c -- the signature ceiling: SQLite alone, one thread, batches.
 *
 * Usage: sqlite_ceiling DB ROWS BATCH FULL|NORMAL [TAG]
 * DB carries petitiond's schema (bench/run starts petitiond once on it).
 * Inserts ROWS synthetic signatures exactly as petitiond's writer commits a
 * batch (store.c: BEGIN IMMEDIATE; the same INSERT ... ON CONFLICT DO NOTHING
 * per row; the counters and daily upserts; COMMIT; read the count back), in
 * WAL mode with the given synchronous level, BATCH rows per transaction. The
 * rows are generated before the clock starts. Prints one line:
 *   rows_per_s=N commits=N seconds=S */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

enum { BEGIN, INSERT, COUNT_ADD, DAILY_ADD, COMMIT, COUNT, NSTMTS };

static const char *const sql[NSTMTS] = {
	[BEGIN] = "BEGIN IMMEDIATE",
	[INSERT] = "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment, public, updates)"
		   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (email_norm) DO NOTHING",
	[COUNT_ADD] = "UPDATE counters SET value = value + ?1 WHERE name = 'signatures'",
	[DAILY_ADD] = "INSERT INTO daily (day, n) VALUES (date(?1, 'unixepoch'), ?2)"
		      " ON CONFLICT (day) DO UPDATE SET n = n + excluded.n",
	[COMMIT] = "COMMIT",
	[COUNT] = "SELECT value FROM counters WHERE name = 'signatures'",
};

static sqlite3 *db;

static void die(const char *what)
{
	fprintf(stderr, "sqlite_ceiling: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(sqlite3_sql(s));
	sqlite3_reset(s);
}

int main(int argc, char **argv)
{
	sqlite3_stmt *st[NSTMTS];
	struct gen_row *rows;
	uint64_t seed = 1991, i, n, batch, commits = 0;
	struct timespec a, b;
	char pragma[64];
	double secs;
	int k;

	if (argc < 5 || (n = strtoull(argv[2], NULL, 10)) == 0 ||
	    (batch = strtoull(argv[3], NULL, 10)) == 0 ||
	    (strcmp(argv[4], "FULL") != 0 && strcmp(argv[4], "NORMAL") != 0)) {
		fprintf(stderr, "usage: sqlite_ceiling DB ROWS BATCH FULL|NORMAL [TAG]\n");
		return 2;
	}
	rows = malloc(n * sizeof *rows);
	if (rows == NULL)
		return 1;
	for (i = 0; i < n; i++)
		gen_row(&rows[i], &seed, i, argc > 5 ? argv[5] : "c");
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die(argv[1]);
	/* petitiond's settings (store.c), with the synchronous level asked for. */
	snprintf(pragma, sizeof pragma, "PRAGMA synchronous = %s", argv[4]);
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_size_limit = 67108864", NULL, NULL, NULL) != SQLITE_OK)
		die("pragma");
	for (k = 0; k < NSTMTS; k++)
		if (sqlite3_prepare_v3(db, sql[k], -1, SQLITE_PREPARE_PERSISTENT, &st[k], NULL) != SQLITE_OK)
			die(sql[k]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n;) {
		uint64_t end = i + batch < n ? i + batch : n, added = 0;
		sqlite3_int64 now = (sqlite3_int64)time(NULL);

		step(st[BEGIN]);
		for (; i < end; i++) {
			const struct gen_row *r = &rows[i];

			sqlite3_bind_int64(st[INSERT], 1, now);
			sqlite3_bind_text(st[INSERT], 2, r->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[INSERT], 3, r->email, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[INSERT], 4, r->email_norm, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[INSERT], 5, r->country, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[INSERT], 6, r->comment, -1, SQLITE_STATIC);
			sqlite3_bind_int(st[INSERT], 7, r->is_public);
			sqlite3_bind_int(st[INSERT], 8, r->updates);
			step(st[INSERT]);
			sqlite3_clear_bindings(st[INSERT]);
			added += sqlite3_changes(db) > 0;
		}
		sqlite3_bind_int64(st[COUNT_ADD], 1, (sqlite3_int64)added);
		step(st[COUNT_ADD]);
		sqlite3_bind_int64(st[DAILY_ADD], 1, now);
		sqlite3_bind_int64(st[DAILY_ADD], 2, (sqlite3_int64)added);
		step(st[DAILY_ADD]);
		step(st[COMMIT]);
		step(st[COUNT]);
		commits++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("rows_per_s=%.0f commits=%llu seconds=%.3f\n", (double)n / secs,
	       (unsigned long long)commits, secs);
	for (k = 0; k < NSTMTS; k++)
		sqlite3_finalize(st[k]);
	sqlite3_close(db);
	free(rows);
	return 0;
}
