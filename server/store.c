/* store.c -- signatures in SQLite: WAL, one writer, prepared statements,
 * migrations keyed by PRAGMA user_version.
 *
 * Threads: the write statements belong to the writer thread (writer.c).
 * The read statements share one read-only connection behind a mutex.
 * Every export opens a cursor with a connection of its own. */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "auth.h"
#include "buf.h"
#include "log.h"

/* The migrations are the embedded assets named db/NNN_*.sql, in order
 * (meson's one list, assets_gen.c); migration i brings user_version from i
 * to i + 1. */
static int nmigrations(void)
{
	int n = 0;

	while (asset_migration(n) != NULL)
		n++;
	return n;
}

enum wstmt {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_INSERT,
	W_TOUCH,
	W_FIND,
	W_COUNT_ADD,
	W_DAILY_ADD,
	W_COUNT,
	W_COUNTER,
	W_GET_SETTING,
	W_SET_SETTING,
	W_AGG_SLOT,
	W_AGG_COUNTRY,
	W_NSTMTS
};

static const char *const wsql[W_NSTMTS] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_INSERT] = "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment,"
		     " public, updates, public_name, confirmed)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		     " ON CONFLICT (email_norm) DO NOTHING",
	/* The row of a repeated address, for the mail it asks for. */
	[W_FIND] = "SELECT id, confirmed FROM signatures WHERE email_norm = ?1",
	/* A repeated email rewrites its index entry (same key, same row): the
	 * B-tree work and the page written that a new row's insert costs. */
	[W_TOUCH] = "UPDATE signatures SET email_norm = email_norm WHERE email_norm = ?1",
	[W_COUNT_ADD] = "UPDATE counters SET value = max(value + ?1, 0) WHERE name = ?2",
	[W_DAILY_ADD] = "INSERT INTO daily (day, n) VALUES (date(?1, 'unixepoch'), ?2)"
			" ON CONFLICT (day) DO UPDATE SET n = daily.n + excluded.n",
	[W_COUNT] = "SELECT value FROM counters WHERE name = 'signatures'",
	[W_COUNTER] = "SELECT value FROM counters WHERE name = ?1",
	[W_GET_SETTING] = "SELECT value FROM settings WHERE key = ?1",
	[W_SET_SETTING] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
			  " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	/* charts: the aggregates (009_aggregates.sql, store_agg_batch). */
	[W_AGG_SLOT] = "INSERT INTO agg_slot (t, n) VALUES (?1, ?2)"
		       " ON CONFLICT (t) DO UPDATE SET n = agg_slot.n + excluded.n",
	[W_AGG_COUNTRY] = "INSERT INTO agg_country (country, n) VALUES (?1, ?2)"
			  " ON CONFLICT (country) DO UPDATE SET n = agg_country.n + excluded.n",
};

enum rstmt {
	R_PING,
	R_RECENT,
	R_DAILY,
	R_FLAGS,
	R_NSTMTS
};

static const char *const rsql[R_NSTMTS] = {
	[R_PING] = "SELECT value FROM counters WHERE name = 'signatures'",
	/* Walks the partial index signatures_public, newest first, skipping
	 * the rows organizers hid (008_moderation.sql: a probe of a small
	 * table's primary key per row). */
	[R_RECENT] = "SELECT public_name, country FROM signatures s WHERE public = 1"
		     " AND confirmed = 1 AND NOT EXISTS"
		     " (SELECT 1 FROM moderation m WHERE m.id = s.id AND m.state = 'hidden')"
		     " ORDER BY id DESC LIMIT ?1",
	[R_DAILY] = "SELECT day, n FROM daily ORDER BY day DESC LIMIT ?1",
	[R_FLAGS] = "SELECT (SELECT value FROM counters WHERE name = 'public'),"
		    " (SELECT value FROM counters WHERE name = 'updates')",
};

struct store {
	char *path;
	int lock_fd;         /* flock(LOCK_EX) on path STORE_LOCK_SUFFIX, held until close */
	int wal_frames;      /* pages in the WAL after the last commit (wal hook) */
	int ckpt_tried_at;   /* wal_frames when a checkpoint last left pages behind */
	int ckpt_external;   /* --wal-checkpoint external: another program (Litestream)
			      * checkpoints; petitiond never does */
	struct db *w;
	struct db_stmt *ws[W_NSTMTS];
	pthread_mutex_t rlock;
	struct db *r;
	struct db_stmt *rs[R_NSTMTS];
	struct db_stmt *mail[STORE_MAIL_NSTMTS]; /* store_mail.c's */
};


static int exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (db_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : db_errmsg(db));
		db_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(struct db *db);

int store_schema_version(struct db *db)
{
	if (db_is_pg(db)) {
		int64_t t = store_scalar(db, "SELECT to_regclass('petitiond_schema') IS NOT NULL");

		return t < 0 ? -1 : t == 0 ? 0 : (int)store_scalar(db, "SELECT version FROM"
								  " petitiond_schema");
	}
	return user_version(db);
}

static int user_version(struct db *db)
{
	struct db_stmt *st;
	int v = -1;

	if (db_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (db_step(st) == SQLITE_ROW)
		v = db_column_int(st, 0);
	db_finalize(st);
	return v;
}

/* Runs migration a (inside the caller's transaction); 0, or -1 with its
 * name in err. */
static int apply(struct db *db, const struct asset *a, char *err, size_t errlen)
{
	size_t n;

	if (exec(db, (const char *)a->data, err, errlen) == 0)
		return 0;
	n = strlen(err);
	snprintf(err + n, errlen - n, " (in %s)", a->name);
	return -1;
}

/* Applies the migrations the database lacks, all in one transaction, so a
 * crash half-way leaves the old schema intact. */
static int migrate(struct db *db, char *err, size_t errlen)
{
	int v, i, nmig = nmigrations();
	char sql[64];

	if (exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	v = user_version(db);
	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version");
		goto fail;
	}
	if (v > nmig) {
		snprintf(err, errlen, "the database has schema version %d, newer than this "
			 "petitiond knows (%d): upgrade petitiond", v, nmig);
		goto fail;
	}
	for (i = v; i < nmig; i++)
		if (apply(db, asset_migration(i), err, errlen) != 0)
			goto fail;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", nmig);
	if (exec(db, sql, err, errlen) != 0 || exec(db, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* PostgreSQL: db/pg/011_schema.sql makes the schema of migration 11 in one
 * go; every later migration N has its PostgreSQL form db/pg/NNN_*.sql. All
 * in one transaction under an advisory lock, so nodes starting together
 * migrate once and the others wait, then find the version current. The
 * version is the one row of petitiond_schema. */
#define STORE_PG_BASE 11

static const struct asset *pg_migration(int version)
{
	char prefix[32];
	size_t i, n;

	n = (size_t)snprintf(prefix, sizeof prefix, "db/pg/%03d_", version);
	for (i = 0; i < assets_count; i++)
		if (strncmp(assets[i].name, prefix, n) == 0)
			return &assets[i];
	return NULL;
}

static int pg_migrate(struct db *db, char *err, size_t errlen)
{
	int v, i, nmig = nmigrations();
	char sql[96];

	/* Names in any script: a database in another encoding would refuse
	 * Khmer, or keep it as bytes no search can fold. */
	if (store_scalar(db, "SELECT current_setting('server_encoding') = 'UTF8'") != 1) {
		snprintf(err, errlen, "the PostgreSQL database is not in UTF8: create it with "
			 "CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0");
		return -1;
	}
	if (exec(db, "BEGIN", err, errlen) != 0)
		return -1;
	snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", DB_PG_WRITE_LOCK);
	if (store_scalar(db, sql) < 0 && db_errcode(db) != SQLITE_OK) {
		snprintf(err, errlen, "taking the migration lock: %s", db_errmsg(db));
		goto fail;
	}
	v = store_scalar(db, "SELECT to_regclass('petitiond_schema') IS NOT NULL") == 1
		    ? (int)store_scalar(db, "SELECT version FROM petitiond_schema")
		    : 0;
	if (v > nmig) {
		snprintf(err, errlen, "the database has schema version %d, newer than this "
			 "petitiond knows (%d): upgrade petitiond", v, nmig);
		goto fail;
	}
	for (i = v < STORE_PG_BASE ? STORE_PG_BASE : v + 1; i <= nmig; i++) {
		const struct asset *a = pg_migration(i);

		if (a == NULL) {
			snprintf(err, errlen, "no PostgreSQL form of migration %d", i);
			goto fail;
		}
		if (apply(db, a, err, errlen) != 0)
			goto fail;
	}
	snprintf(sql, sizeof sql, "UPDATE petitiond_schema SET version = %d", nmig);
	if ((v < nmig && exec(db, sql, err, errlen) != 0) || exec(db, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int open_db(struct db **db, const char *path, int flags, char *err, size_t errlen);

/* The writer's connection to PostgreSQL at start: a server that is not up
 * yet (nodes and database started together, a database restarting) is
 * waited for, up to STORE_PG_WAIT_S; a refusal that waiting cannot mend
 * (authentication, no such database or role) is not. 0 or -1 (err). */
static int pg_connect(struct db **db, const char *url, char *err, size_t errlen)
{
	static const char *const final[] = { "authentication", "does not exist",
					     "pg_hba.conf", "permission denied", "password" };
	int64_t until = (int64_t)time(NULL) + STORE_PG_WAIT_S;
	int said = 0;
	size_t i;

	for (;;) {
		if (open_db(db, url, SQLITE_OPEN_READWRITE, err, errlen) == 0)
			return 0;
		for (i = 0; i < sizeof final / sizeof final[0]; i++)
			if (strstr(err, final[i]) != NULL)
				return -1;
		if ((int64_t)time(NULL) >= until)
			return -1;
		if (!said++)
			log_warn("database: %s; waiting for it (%d s at most)", err, STORE_PG_WAIT_S);
		sleep(1);
	}
}

static int open_db(struct db **db, const char *path, int flags, char *err, size_t errlen)
{
	if (db_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? db_errmsg(*db) : "out of memory");
		db_close(*db);
		*db = NULL;
		return -1;
	}
	db_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

/* Health: SQLite reports every failing statement, on every connection, to
 * its error log; a database found corrupt (SQLITE_CORRUPT, SQLITE_NOTADB)
 * stays marked so until the server restarts (store_health). 0 clean, 1 being
 * marked, 2 marked with corrupt_msg written. */
static _Atomic int corrupt_state;
static char corrupt_msg[160];

static void sqlite_log(void *arg, int code, const char *msg)
{
	int expect = 0;

	(void)arg;
	if ((code & 0xff) != SQLITE_CORRUPT && (code & 0xff) != SQLITE_NOTADB)
		return;
	if (!atomic_compare_exchange_strong(&corrupt_state, &expect, 1))
		return;
	/* The logger may call no SQLite function, not even sqlite3_errstr. */
	snprintf(corrupt_msg, sizeof corrupt_msg, "%s (%s)", msg ? msg : "",
		 (code & 0xff) == SQLITE_CORRUPT ? "SQLITE_CORRUPT" : "SQLITE_NOTADB");
	atomic_store(&corrupt_state, 2);
	log_warn("database corrupt: %s; /healthz answers 503 until a restart (see "
		 "`petitiond check`, then restore a backup)", corrupt_msg);
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;

	(void)db;
	(void)name;
	st->wal_frames = frames;
	if (frames < st->ckpt_tried_at)
		st->ckpt_tried_at = 0; /* the WAL was restarted */
	return SQLITE_OK;
}

void store_set_external_checkpoints(struct store *st, int on)
{
	st->ckpt_external = on;
	if (!on || db_lite(st->w) == NULL)
		return;
	/* Nor does the WAL shrink when it restarts, nor is it checkpointed
	 * and removed at close: every frame stays for the other program. */
	db_exec(st->w, "PRAGMA journal_size_limit = -1", NULL, NULL, NULL);
	sqlite3_db_config(db_lite(st->w), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
}

int store_checkpoint_truncate(struct store *st)
{
	int rc;

	if (st->ckpt_external || db_lite(st->w) == NULL)
		return 0;
	/* Never waits: a reader in the WAL (an export, a backup) makes it
	 * give up at once rather than hold the writer up for the busy
	 * timeout. */
	db_busy_timeout(st->w, 0);
	rc = sqlite3_wal_checkpoint_v2(db_lite(st->w), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	db_busy_timeout(st->w, STORE_BUSY_TIMEOUT_MS);
	return rc == SQLITE_OK ? 1 : 0;
}

void store_checkpoint(struct store *st, int idle)
{
	int log = 0, done = 0;

	if (st->ckpt_external || db_lite(st->w) == NULL)
		return;
	if (st->wal_frames < (idle ? STORE_CKPT_IDLE_FRAMES : STORE_CKPT_BUSY_FRAMES))
		return;
	/* While signatures wait, and a reader's snapshot left pages behind last
	 * time, try again only once the WAL has grown by another threshold's
	 * worth. When idle, always try: the reader may be gone. */
	if (!idle && st->ckpt_tried_at &&
	    st->wal_frames - st->ckpt_tried_at < STORE_CKPT_IDLE_FRAMES)
		return;
	if (sqlite3_wal_checkpoint_v2(db_lite(st->w), NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
	    SQLITE_OK)
		return;
	st->ckpt_tried_at = done < log ? st->wal_frames : 0;
}

static int open_checks(struct store *st, char *err, size_t errlen);

/* Prepares the writer's statements, opens the shared read-only connection
 * and prepares its statements (store_open and store_open_shared). Returns 0,
 * or -1 with SQLite's message in err. */
static int prepare_all(struct store *st, const char *path, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < W_NSTMTS; i++) {
		if (db_prepare_v3(st->w, wsql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->ws[i],
				  NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", db_errmsg(st->w));
			return -1;
		}
	}
	if (open_db(&st->r, path, SQLITE_OPEN_READONLY, err, errlen) != 0)
		return -1;
	for (i = 0; i < R_NSTMTS; i++) {
		if (db_prepare_v3(st->r, rsql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->rs[i],
				  NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", db_errmsg(st->r));
			return -1;
		}
	}
	return 0;
}

int store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st;
	char wal_limit_sql[64];

	*out = NULL;
	if (db_path_is_pg(path) && db_pg_url_check(path, err, errlen) != 0)
		return -1;
	/* Only possible before SQLite's first use; later calls fail harmlessly. */
	sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, NULL);
	snprintf(wal_limit_sql, sizeof wal_limit_sql, "PRAGMA journal_size_limit = %d",
		 STORE_WAL_LIMIT_BYTES);
	st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return -1;
	}
	st->lock_fd = -1;
	pthread_mutex_init(&st->rlock, NULL);
	if (db_path_is_pg(path)) {
		/* PostgreSQL keeps its own durability (synchronous_commit on,
		 * set per connection by db.c), its own locks and its own
		 * checks: only the schema is ours. */
		if (pg_connect(&st->w, path, err, errlen) != 0 ||
		    pg_migrate(st->w, err, errlen) != 0 || prepare_all(st, path, err, errlen) != 0)
			goto fail;
		*out = st;
		return 0;
	}
	if (open_checks(st, err, errlen) != 0)
		goto fail;
	/* WAL: readers never block the writer. synchronous=FULL: a COMMIT that
	 * returned is on disk, which is what every acknowledgement promises. */
	if (exec(st->w, "PRAGMA journal_mode = WAL", err, errlen) != 0 ||
	    exec(st->w, "PRAGMA synchronous = FULL", err, errlen) != 0 ||
	    exec(st->w, "PRAGMA foreign_keys = ON", err, errlen) != 0 ||
	    exec(st->w, wal_limit_sql, err, errlen) != 0)
		goto fail;
	/* Deleted content (a signer's erasure, a sent message's address) is
	 * overwritten with zeros, also on pages that become free: deletions
	 * are rare, signing never deletes, so the extra writes cost little. */
	db_exec(st->w, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
	if (migrate(st->w, err, errlen) != 0)
		goto fail;
	sqlite3_wal_autocheckpoint(db_lite(st->w), 0);
	sqlite3_wal_hook(db_lite(st->w), wal_hook, st);
	if (prepare_all(st, path, err, errlen) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

int store_open_shared(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st;
	long pid = 0;
	int v, rc = store_in_use(path, &pid, err, errlen);

	*out = NULL;
	if (rc < 0)
		return -1;
	if (rc == 0 || db_path_is_pg(path))
		return store_open(out, path, err, errlen);
	st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return -1;
	}
	st->lock_fd = -1;
	pthread_mutex_init(&st->rlock, NULL);
	if (open_db(&st->w, path, SQLITE_OPEN_READWRITE, err, errlen) != 0)
		goto fail;
	/* The server checkpoints; this connection never does, not even on close. */
	sqlite3_db_config(db_lite(st->w), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_autocheckpoint(db_lite(st->w), 0);
	if (exec(st->w, "PRAGMA synchronous = FULL", err, errlen) != 0 ||
	    exec(st->w, "PRAGMA foreign_keys = ON", err, errlen) != 0)
		goto fail;
	db_exec(st->w, "PRAGMA secure_delete = ON", NULL, NULL, NULL); /* as store_open */
	v = user_version(st->w);
	if (v != nmigrations()) {
		snprintf(err, errlen, "%s: schema version %d, this petitiond knows %d; the server "
			 "running on it (pid %ld) is another version: use its binary, or restart "
			 "it with this one (it migrates the database)", path, v, nmigrations(), pid);
		goto fail;
	}
	if (prepare_all(st, path, err, errlen) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < W_NSTMTS; i++)
		db_finalize(st->ws[i]);
	for (i = 0; i < R_NSTMTS; i++)
		db_finalize(st->rs[i]);
	for (i = 0; i < STORE_MAIL_NSTMTS; i++)
		db_finalize(st->mail[i]);
	db_close(st->r);
	if (st->w) {
		/* A clean close checkpoints and removes the WAL file. */
		db_close(st->w);
	}
	/* Released last: the checkpoint of the clean close above is done before
	 * another process may take the database. */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	pthread_mutex_destroy(&st->rlock);
	free(st->path);
	free(st);
}

int store_run(struct db *db, const char *sql, int64_t a)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (db_bind_parameter_count(s) >= 1)
		db_bind_int64(s, 1, a);
	rc = db_step(s);
	db_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int64_t store_scalar(struct db *db, const char *sql)
{
	struct db_stmt *s = NULL;
	int64_t v = -1;

	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (db_step(s) == SQLITE_ROW)
		v = db_column_int64(s, 0);
	db_finalize(s);
	return v;
}

void store_fail(struct db *db, const char *path, const char *op, char *err, size_t errlen)
{
	if (err[0] == '\0')
		store_errmsg(db, path, op, err, errlen);
	if (!db_get_autocommit(db))
		db_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int step_done(struct db_stmt *s)
{
	int rc = db_step(s);

	db_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* Writes the writer connection's last error, with the operation, into err. */
static void werr(struct store *st, const char *op, char *err, size_t errlen)
{
	store_errmsg(st->w, st->path, op, err, errlen);
}

/* Adds n signatures to the day of Unix time t, inside the caller's
 * transaction. */
static int daily_add(struct store *st, int64_t t, int64_t n)
{
	db_bind_int64(st->ws[W_DAILY_ADD], 1, t);
	db_bind_int64(st->ws[W_DAILY_ADD], 2, n);
	return step_done(st->ws[W_DAILY_ADD]);
}

/* Adds delta to the named counter, inside the caller's transaction. */
static int counter_add(struct store *st, const char *name, int64_t delta)
{
	struct db_stmt *s = st->ws[W_COUNT_ADD];

	db_bind_int64(s, 1, delta);
	db_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return step_done(s);
}

/* charts: the aggregates behind the dashboard's charts and the public
 * numbers (db/009_aggregates.sql; the reads are store_charts.c's). Here
 * because store_add_batch calls it, on the writer's prepared statements.
 * One key of a batch and what it adds: */
struct agg_key {
	int64_t t;
	const char *country;
	int64_t n;
};

static int slot_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct agg_key *)a)->t, y = ((const struct agg_key *)b)->t;

	return x < y ? -1 : x > y;
}

static int country_cmp(const void *a, const void *b)
{
	return strcmp(((const struct agg_key *)a)->country, ((const struct agg_key *)b)->country);
}

/* Upserts every key of keys[0..nk) with its n (possibly 0) through the
 * statement s (?1 key, ?2 n). */
static int upsert_keys(struct db_stmt *s, const struct agg_key *keys, size_t nk, int by_country)
{
	size_t i;

	for (i = 0; i < nk; i++) {
		int rc;

		if (by_country)
			db_bind_text(s, 1, keys[i].country, -1, SQLITE_STATIC);
		else
			db_bind_int64(s, 1, keys[i].t);
		db_bind_int64(s, 2, keys[i].n);
		rc = db_step(s);
		db_reset(s);
		db_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* PostgreSQL: keys[0..nk) (distinct, in order) into table in one
 * multi-row upsert. 0 or -1. */
static int pg_upsert_keys(struct store *st, const char *table, const char *key,
			  const struct agg_key *keys, size_t nk, int by_country)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *s = NULL;
	size_t i;
	int rc = -1;

	if (nk == 0)
		return 0;
	buf_printf(&sql, "INSERT INTO %s (%s, n) VALUES ", table, key);
	for (i = 0; i < nk; i++)
		buf_printf(&sql, "%s(?%zu, ?%zu)", i ? ", " : "", 2 * i + 1, 2 * i + 2);
	buf_printf(&sql, " ON CONFLICT (%s) DO UPDATE SET n = %s.n + excluded.n", key, table);
	if (sql.oom || db_prepare_v2(st->w, buf_cstr(&sql), -1, &s, NULL) != SQLITE_OK)
		goto done;
	for (i = 0; i < nk; i++) {
		if (by_country)
			db_bind_text(s, (int)(2 * i + 1), keys[i].country, -1, SQLITE_STATIC);
		else
			db_bind_int64(s, (int)(2 * i + 1), keys[i].t);
		db_bind_int64(s, (int)(2 * i + 2), keys[i].n);
	}
	rc = db_step(s) == SQLITE_DONE ? 0 : -1;
done:
	db_finalize(s);
	buf_free(&sql);
	return rc;
}

int store_agg_batch(struct store *st, const struct store_sig *sigs, size_t n,
		    const unsigned char *inserted, char *err, size_t errlen)
{
	struct agg_key *slots = NULL, *countries = NULL;
	size_t nslots = 0, ncountries = 0, i, j;
	int ret = -1;

	if (n == 0)
		return 0;
	slots = calloc(n, sizeof *slots);
	countries = calloc(n, sizeof *countries);
	if (slots == NULL || countries == NULL) {
		snprintf(err, errlen, "aggregates: out of memory");
		goto done;
	}
	/* Group the batch by key. A repeated email (inserted[i] 0) adds 0 but
	 * writes its keys all the same: the work does not tell it apart. */
	for (i = 0; i < n; i++) {
		int64_t t = sigs[i].signed_at - sigs[i].signed_at % STORE_AGG_SLOT_S;
		const char *cc = sigs[i].country ? sigs[i].country : "";
		int64_t add = inserted[i] ? 1 : 0;

		for (j = 0; j < nslots && slots[j].t != t; j++)
			;
		if (j == nslots)
			slots[nslots++].t = t;
		slots[j].n += add;
		for (j = 0; j < ncountries && strcmp(countries[j].country, cc) != 0; j++)
			;
		if (j == ncountries)
			countries[ncountries++].country = cc;
		countries[j].n += add;
	}
	/* In key order: two nodes' batches (PostgreSQL) then lock the rows
	 * they share in the same order, and never wait on each other in a
	 * circle. */
	qsort(slots, nslots, sizeof *slots, slot_cmp);
	qsort(countries, ncountries, sizeof *countries, country_cmp);
	if (db_is_pg(st->w)) {
		/* One statement a table, not one a key: a round trip each. */
		if (pg_upsert_keys(st, "agg_slot", "t", slots, nslots, 0) != 0 ||
		    pg_upsert_keys(st, "agg_country", "country", countries, ncountries, 1) != 0) {
			werr(st, "updating the aggregates", err, errlen);
			goto done;
		}
	} else if (upsert_keys(st->ws[W_AGG_SLOT], slots, nslots, 0) != 0 ||
	    upsert_keys(st->ws[W_AGG_COUNTRY], countries, ncountries, 1) != 0) {
		werr(st, "updating the aggregates", err, errlen);
		goto done;
	}
	ret = 0;
done:
	free(slots);
	free(countries);
	return ret;
}

/* ---- email area: the mail a signing asks for (store_add_batch), and the
 * helpers store_mail.c shares. Here, not in store_mail.c, so that this file
 * calls no other file of the store (no cycle among them). ---- */

/* The statements of the signing path, kept prepared (store_mail_stmts). */
enum {
	M_QUOTA_GET,
	M_QUOTA_SET,
	M_TOKEN_ADD,
	M_OUTBOX_ADD,
	M_OUTBOX_SIZE,
	M_COUNTER_ADD,
	M_SIG_BY_EMAIL,
	M_NSTMTS
};
_Static_assert(M_NSTMTS <= STORE_MAIL_NSTMTS, "store_int.h: STORE_MAIL_NSTMTS too small");

static const char *const msql[M_NSTMTS] = {
	[M_QUOTA_GET] = "SELECT day, n FROM mail_quota WHERE sig_id = ?1",
	[M_QUOTA_SET] = "INSERT INTO mail_quota (sig_id, day, n) VALUES (?1, ?2, ?3)"
			" ON CONFLICT (sig_id) DO UPDATE SET day = excluded.day, n = excluded.n",
	[M_TOKEN_ADD] = "INSERT INTO mail_tokens (hash, sig_id, purpose, expires_at)"
			" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash) DO UPDATE SET"
			" sig_id = excluded.sig_id, purpose = excluded.purpose,"
			" expires_at = excluded.expires_at",
	[M_OUTBOX_ADD] = "INSERT INTO outbox (sig_id, created_at, kind, lang, rcpt, domain, token,"
			 " code, wtoken, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[M_OUTBOX_SIZE] = "SELECT value FROM counters WHERE name = 'outbox'",
	[M_COUNTER_ADD] = "UPDATE counters SET value = max(value + ?1, 0) WHERE name = ?2",
	[M_SIG_BY_EMAIL] = "SELECT id, confirmed FROM signatures WHERE email_norm = ?1",
};

static struct db_stmt *mstmt(struct store *st, int which)
{
	struct db_stmt **ms = st->mail;

	if (ms[which] == NULL) {
		if (db_prepare_v3(st->w, msql[which], -1, SQLITE_PREPARE_PERSISTENT, &ms[which],
				  NULL) != SQLITE_OK)
			return NULL;
	}
	return ms[which];
}

/* Steps s once and resets it: 0 (done or a row), -1. */
static int mstep(struct db_stmt *s)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = db_step(s);
	db_reset(s);
	db_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int store_mail_counter(struct store *st, const char *name, int64_t delta)
{
	struct db_stmt *s = mstmt(st, M_COUNTER_ADD);

	if (s == NULL)
		return -1;
	db_bind_int64(s, 1, delta);
	db_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return mstep(s);
}

void store_mail_hash(char out[65], int what, const char *token)
{
	char buf[96];
	size_t n = 0;
	const char *p;

	if (what == 'c') {
		/* A code as typed: any case, spaces and dashes anywhere. */
		memcpy(buf, "code:", 5);
		n = 5;
		for (p = token; *p && n < sizeof buf - 1; p++) {
			char ch = *p;

			if (ch == ' ' || ch == '-' || ch == '\t')
				continue;
			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			buf[n++] = ch;
		}
	} else {
		n = (size_t)snprintf(buf, sizeof buf, "link:%s", token);
		if (n >= sizeof buf)
			n = sizeof buf - 1;
	}
	auth_sha256_hex(out, buf, n);
}

/* A new link token: 32 random bytes as base64url without padding (43
 * characters). 0 or -1. */
static int new_token(char out[STORE_TOKEN_MAX])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char r[33];
	size_t i, o = 0;

	if (auth_random(r, 32) != 0)
		return -1;
	r[32] = 0;
	for (i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	out[43] = '\0'; /* 256 bits: 42 whole characters and 4 bits */
	return 0;
}

/* A new code: ten characters from an alphabet without look-alikes (no 0/O,
 * 1/I/L), 50 bits, shown as XXXXX-XXXXX. 0 or -1. */
static int new_code(char out[STORE_CODE_MAX])
{
	static const char alpha[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; /* 31 */
	unsigned char r[10];
	size_t i, o = 0;

	/* 32 symbols would be even; 31 with rejection keeps them uniform. */
	for (i = 0; i < 10;) {
		if (auth_random(r, 1) != 0)
			return -1;
		if (r[0] >= 248)
			continue;
		out[o++] = alpha[r[0] % 31];
		if (++i == 5)
			out[o++] = '-';
	}
	out[o] = '\0';
	return 0;
}

static void domain_of(const char *addr, char *out, size_t outlen)
{
	const char *at = strrchr(addr, '@');
	size_t i = 0;

	if (at != NULL)
		for (at++; *at && i + 1 < outlen; at++)
			out[i++] = (char)(*at >= 'A' && *at <= 'Z' ? *at + 32 : *at);
	out[i] = '\0';
}

/* Adds token (its hash) for sig_id with purpose (1 confirm, 2 withdraw),
 * valid until expires. */
static int token_add(struct store *st, const char *token, int what, int64_t sig_id, int purpose,
		     int64_t expires)
{
	struct db_stmt *s = mstmt(st, M_TOKEN_ADD);
	char h[65];

	if (s == NULL)
		return -1;
	store_mail_hash(h, what, token);
	db_bind_text(s, 1, h, -1, SQLITE_TRANSIENT);
	db_bind_int64(s, 2, sig_id);
	db_bind_int(s, 3, purpose);
	db_bind_int64(s, 4, expires);
	return mstep(s);
}

/* Takes one message from the address's daily quota: 1 allowed, 0 spent,
 * -1 error. The row is written either way. */
int store_mail_quota_take(struct store *st, int64_t sig_id, int64_t now)
{
	struct db_stmt *g = mstmt(st, M_QUOTA_GET), *s = mstmt(st, M_QUOTA_SET);
	int64_t day = now / 86400, n = 0;
	int rc, ok;

	if (g == NULL || s == NULL)
		return -1;
	db_bind_int64(g, 1, sig_id);
	rc = db_step(g);
	if (rc == SQLITE_ROW && db_column_int64(g, 0) == day)
		n = db_column_int64(g, 1);
	db_reset(g);
	db_clear_bindings(g);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	ok = n < STORE_MAIL_PER_DAY;
	db_bind_int64(s, 1, sig_id);
	db_bind_int64(s, 2, day);
	db_bind_int64(s, 3, ok ? n + 1 : n);
	if (mstep(s) != 0)
		return -1;
	return ok;
}

/* Queues a message of kind to rcpt for sig_id, with fresh tokens: kind
 * CONFIRM a confirmation link, its code and a withdrawal link; WITHDRAW
 * and ALREADY a withdrawal link. The outbox full: nothing queued, counted
 * in 'mail_skipped'. */
int store_mail_queue(struct store *st, int64_t sig_id, enum store_mail_kind kind,
		     const char *rcpt, const char *lang, int64_t now, int64_t mail_at)
{
	struct db_stmt *size = mstmt(st, M_OUTBOX_SIZE), *s = mstmt(st, M_OUTBOX_ADD);
	char token[STORE_TOKEN_MAX], code[STORE_CODE_MAX] = "", wtoken[STORE_TOKEN_MAX] = "";
	char domain[STORE_MAIL_ADDR_MAX];
	/* To the next whole hour: an exact expiry would give away the exact
	 * signing time that --time-precision keeps to the hour. */
	int64_t expires = now + STORE_TOKEN_TTL_S + 3599 - (now + STORE_TOKEN_TTL_S + 3599) % 3600;
	int64_t waiting = 0;

	if (size == NULL || s == NULL)
		return -1;
	if (db_step(size) == SQLITE_ROW)
		waiting = db_column_int64(size, 0);
	db_reset(size);
	db_clear_bindings(size);
	if (waiting >= STORE_OUTBOX_MAX)
		return store_mail_counter(st, "mail_skipped", 1);
	if (new_token(token) != 0)
		return -1;
	if (kind == STORE_MAIL_CONFIRM) {
		if (new_code(code) != 0 || new_token(wtoken) != 0 ||
		    token_add(st, token, 'l', sig_id, 1, expires) != 0 ||
		    token_add(st, code, 'c', sig_id, 1, expires) != 0 ||
		    token_add(st, wtoken, 'l', sig_id, 2, expires) != 0)
			return -1;
	} else if (token_add(st, token, 'l', sig_id, 2, expires) != 0) {
		return -1;
	}
	domain_of(rcpt, domain, sizeof domain);
	db_bind_int64(s, 1, sig_id);
	db_bind_int64(s, 2, now);
	db_bind_int(s, 3, (int)kind);
	db_bind_text(s, 4, lang ? lang : "en", -1, SQLITE_STATIC);
	db_bind_text(s, 5, rcpt, -1, SQLITE_STATIC);
	db_bind_text(s, 6, domain, -1, SQLITE_TRANSIENT);
	db_bind_text(s, 7, token, -1, SQLITE_TRANSIENT);
	db_bind_text(s, 8, code, -1, SQLITE_TRANSIENT);
	db_bind_text(s, 9, wtoken, -1, SQLITE_TRANSIENT);
	db_bind_int64(s, 10, mail_at > now ? mail_at : now);
	return mstep(s);
}

int store_mail_on_sign(struct store *st, const struct store_sig *sig, int64_t id, int confirmed,
		       int64_t now, char *err, size_t errlen)
{
	int q = store_mail_quota_take(st, id, now);

	if (q < 0 ||
	    (q > 0 && store_mail_queue(st, id, confirmed ? STORE_MAIL_ALREADY : STORE_MAIL_CONFIRM,
				       sig->mail_to ? sig->mail_to : sig->email,
			    sig->lang, now, sig->mail_at) != 0) ||
	    (q == 0 && store_mail_counter(st, "mail_skipped", 1) != 0)) {
		werr(st, "queueing a confirmation mail", err, errlen);
		return -1;
	}
	return 0;
}

/* PostgreSQL: the whole batch in one multi-row INSERT, one round trip
 * whatever its size; the rows it made come back (RETURNING), the first of
 * the batch with an address made it, a later one with the same address or
 * one already stored did not. ids[i]: the row of sigs[i] when made. 0, or -1
 * with the error on st->w. */
static int pg_insert_batch(struct store *st, const struct store_sig *sigs, size_t n,
			   unsigned char *made, int64_t *ids)
{
	struct buf sql;
	struct db_stmt *s = NULL;
	size_t i, j;
	int rc, ret = -1;

	buf_init(&sql);
	buf_puts(&sql, "INSERT INTO signatures (signed_at, name, email, email_norm, country,"
		       " comment, public, updates, public_name, confirmed) VALUES ");
	for (i = 0; i < n; i++) {
		int k = (int)i * 10;

		buf_printf(&sql, "%s(?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d)", i ? ", " : "",
			   k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7, k + 8, k + 9, k + 10);
		made[i] = 0;
		ids[i] = 0;
	}
	buf_puts(&sql, " ON CONFLICT (email_norm) DO NOTHING RETURNING id, email_norm");
	if (sql.oom || db_prepare_v2(st->w, buf_cstr(&sql), -1, &s, NULL) != SQLITE_OK)
		goto done;
	for (i = 0; i < n; i++) {
		const struct store_sig *g = &sigs[i];
		int k = (int)i * 10;

		db_bind_int64(s, k + 1, g->signed_at);
		db_bind_text(s, k + 2, g->name, -1, SQLITE_STATIC);
		db_bind_text(s, k + 3, g->email, -1, SQLITE_STATIC);
		db_bind_text(s, k + 4, g->email_norm, -1, SQLITE_STATIC);
		db_bind_text(s, k + 5, g->country, -1, SQLITE_STATIC);
		db_bind_text(s, k + 6, g->comment ? g->comment : "", -1, SQLITE_STATIC);
		db_bind_int(s, k + 7, g->is_public ? 1 : 0);
		db_bind_int(s, k + 8, g->updates ? 1 : 0);
		if (g->is_public && g->public_name != NULL)
			db_bind_text(s, k + 9, g->public_name, -1, SQLITE_STATIC);
		else
			db_bind_null(s, k + 9);
		db_bind_int(s, k + 10, g->mail ? 0 : 1);
	}
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *e = (const char *)db_column_text(s, 1);

		for (j = 0; j < n; j++) {
			if (!made[j] && e != NULL && strcmp(sigs[j].email_norm, e) == 0) {
				made[j] = 1;
				ids[j] = db_column_int64(s, 0);
				break;
			}
		}
	}
	ret = rc == SQLITE_DONE ? 0 : -1;
done:
	db_finalize(s);
	buf_free(&sql);
	return ret;
}

/* PostgreSQL: a batch's counters in one UPDATE (d[] in pg_counter_names'
 * order; a row whose delta is 0 is left alone, as on SQLite). 0 or -1. */
static const char *const pg_counter_names[] = { "accepted", "bots_refused", "pending",
						"signatures", "public", "updates" };
#define PG_NCOUNTERS (sizeof pg_counter_names / sizeof pg_counter_names[0])

static int pg_counters(struct store *st, const int64_t *d)
{
	static const char sql[] =
		"UPDATE counters SET value = greatest(value + CASE name WHEN 'accepted' THEN ?1"
		" WHEN 'bots_refused' THEN ?2 WHEN 'pending' THEN ?3 WHEN 'signatures' THEN ?4"
		" WHEN 'public' THEN ?5 WHEN 'updates' THEN ?6 END, 0) WHERE name IN ('accepted',"
		" 'bots_refused', 'pending', 'signatures', 'public', 'updates') AND CASE name"
		" WHEN 'accepted' THEN ?1 WHEN 'bots_refused' THEN ?2 WHEN 'pending' THEN ?3"
		" WHEN 'signatures' THEN ?4 WHEN 'public' THEN ?5 WHEN 'updates' THEN ?6 END <> 0";
	struct db_stmt *s = NULL;
	size_t i;
	int rc;

	if (db_prepare_v2(st->w, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < PG_NCOUNTERS; i++)
		db_bind_int64(s, (int)i + 1, d[i]);
	rc = db_step(s);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* PostgreSQL: the count and the honeypot's, after COMMIT, in one read. */
static int pg_counts(struct store *st, int64_t *count, int64_t *bots)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(st->w, "SELECT (SELECT value FROM counters WHERE name = 'signatures'),"
			  " (SELECT value FROM counters WHERE name = 'bots_refused')", -1, &s,
			  NULL) != SQLITE_OK)
		return -1;
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		if (count != NULL)
			*count = db_column_int64(s, 0);
		if (bots != NULL)
			*bots = db_column_int64(s, 1);
	}
	db_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int add_batch(struct store *st, const struct store_sig *sigs, size_t n, int64_t nbots,
		     unsigned char *inserted, int64_t *count, int64_t *bots, char *err,
		     size_t errlen);

int store_add_batch(struct store *st, const struct store_sig *sigs, size_t n, int64_t nbots,
		    unsigned char *inserted, int64_t *count, int64_t *bots, char *err,
		    size_t errlen)
{
	int tries = 0, rc;

	/* PostgreSQL, several nodes: a batch that deadlocked with another
	 * node's (both waiting on the other's new address, or on the same
	 * aggregate rows) was rolled back whole; it runs again. */
	while ((rc = add_batch(st, sigs, n, nbots, inserted, count, bots, err, errlen)) != 0 &&
	       db_is_pg(st->w) && db_errcode(st->w) == SQLITE_BUSY && ++tries < 5)
		log_info("a batch met another node's and was rolled back; trying again");
	return rc;
}

static int add_batch(struct store *st, const struct store_sig *sigs, size_t n, int64_t nbots,
		     unsigned char *inserted, int64_t *count, int64_t *bots, char *err,
		     size_t errlen)
{
	int64_t pg_ids[STORE_BATCH_MAX];
	int pg = db_is_pg(st->w);
	struct db_stmt *ins = st->ws[W_INSERT], *touch = st->ws[W_TOUCH], *find = st->ws[W_FIND];
	int64_t added = 0, day_added = 0, day_t = 0, npublic = 0, nupdates = 0, npending = 0;
	int64_t now = (int64_t)time(NULL);
	unsigned char counted[STORE_BATCH_MAX];
	size_t i;

	if (n > sizeof counted) {
		snprintf(err, errlen, "adding signatures: a batch of %zu is over %zu", n,
			 sizeof counted);
		return -1;
	}
	if (step_done(st->ws[W_BEGIN]) != 0)
		goto fail;
	if (pg && n > 0 && pg_insert_batch(st, sigs, n, inserted, pg_ids) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const struct store_sig *s = &sigs[i];
		int64_t id = 0;
		int rc, confirmed = 1;

		counted[i] = 0;
		if (pg) {
			id = pg_ids[i];
			confirmed = !(inserted[i] && s->mail);
			goto stored;
		}
		db_bind_int64(ins, 1, s->signed_at);
		db_bind_text(ins, 2, s->name, -1, SQLITE_STATIC);
		db_bind_text(ins, 3, s->email, -1, SQLITE_STATIC);
		db_bind_text(ins, 4, s->email_norm, -1, SQLITE_STATIC);
		db_bind_text(ins, 5, s->country, -1, SQLITE_STATIC);
		db_bind_text(ins, 6, s->comment ? s->comment : "", -1, SQLITE_STATIC);
		db_bind_int(ins, 7, s->is_public ? 1 : 0);
		db_bind_int(ins, 8, s->updates ? 1 : 0);
		/* Only a public signer's chosen name is kept, never a value sent
		 * with the box unticked. */
		if (s->is_public && s->public_name != NULL)
			db_bind_text(ins, 9, s->public_name, -1, SQLITE_STATIC);
		else
			db_bind_null(ins, 9);
		/* With confirmation by mail a new row waits for its signer. */
		db_bind_int(ins, 10, s->mail ? 0 : 1);
		rc = db_step(ins);
		db_reset(ins);
		db_clear_bindings(ins);
		if (rc != SQLITE_DONE)
			goto fail;
		inserted[i] = db_changes(st->w) > 0;
		if (inserted[i]) {
			id = sqlite3_last_insert_rowid(db_lite(st->w));
			confirmed = !s->mail;
		} else {
			/* Already signed: the same kind of work as a new row. */
			db_bind_text(touch, 1, s->email_norm, -1, SQLITE_STATIC);
			rc = step_done(touch);
			db_clear_bindings(touch);
			if (rc != 0)
				goto fail;
		}
stored:
		if (s->mail) {
			/* Found again either way (the row just inserted, or the
			 * one signed before), so both take the same steps. */
			db_bind_text(find, 1, s->email_norm, -1, SQLITE_STATIC);
			rc = db_step(find);
			if (rc == SQLITE_ROW) {
				id = db_column_int64(find, 0);
				confirmed = db_column_int(find, 1);
			}
			db_reset(find);
			db_clear_bindings(find);
			if (rc != SQLITE_ROW)
				goto fail;
			if (store_mail_on_sign(st, s, id, confirmed, now, err, errlen) != 0)
				goto fail_reported;
		}
		if (!inserted[i])
			continue;
		if (s->mail) {
			npending++;
			continue;
		}
		counted[i] = 1;
		added++;
		npublic += s->is_public != 0;
		nupdates += s->updates != 0;
		/* Batches rarely straddle midnight; when they do, flush per day. */
		if (day_added > 0 && s->signed_at / 86400 != day_t / 86400) {
			if (daily_add(st, day_t, day_added) != 0)
				goto fail;
			day_added = 0;
		}
		day_t = s->signed_at;
		day_added++;
	}
	if (pg) {
		int64_t d[PG_NCOUNTERS] = { (int64_t)n, nbots, npending, added, npublic, nupdates };

		/* The same rows in fewer round trips, and the counters (the rows
		 * every node's batch takes) last, held only until COMMIT. */
		if (added > 0 && daily_add(st, day_t, day_added) != 0)
			goto fail;
		if (store_agg_batch(st, sigs, n, counted, err, errlen) != 0)
			goto fail_reported;
		if (pg_counters(st, d) != 0 || step_done(st->ws[W_COMMIT]) != 0)
			goto fail;
		if (pg_counts(st, count, bots) != 0)
			goto fail;
		return 0;
	}
	/* Every batch writes: 'accepted' grows by every submission, new or
	 * repeated, so no commit is an empty one that skips the sync. */
	if ((n > 0 && counter_add(st, "accepted", (int64_t)n) != 0) ||
	    (nbots > 0 && counter_add(st, "bots_refused", nbots) != 0) ||
	    (npending > 0 && counter_add(st, "pending", npending) != 0))
		goto fail;
	if (added > 0) {
		if (counter_add(st, "signatures", added) != 0 ||
		    (npublic && counter_add(st, "public", npublic) != 0) ||
		    (nupdates && counter_add(st, "updates", nupdates) != 0))
			goto fail;
		if (daily_add(st, day_t, day_added) != 0)
			goto fail;
	}
	/* charts: the per-quarter-hour and per-country aggregates, for every
	 * submission of the batch (store_charts.c); an unconfirmed row adds 0
	 * until it is confirmed (store_mail_confirm). */
	if (store_agg_batch(st, sigs, n, counted, err, errlen) != 0)
		goto fail_reported;
	if (step_done(st->ws[W_COMMIT]) != 0)
		goto fail;
	if (count != NULL)
		*count = store_count(st);
	if (bots != NULL)
		*bots = store_counter(st, "bots_refused");
	return 0;
fail:
	werr(st, "adding signatures", err, errlen);
fail_reported:
	/* Also when COMMIT itself failed (disk full, I/O error): the transaction
	 * may still be open; ROLLBACK ends it and nothing of the batch remains. */
	if (!db_get_autocommit(st->w))
		step_done(st->ws[W_ROLLBACK]);
	memset(inserted, 0, n);
	return -1;
}

/* Deleting a signature (store_delete_sig, store_delete) is
 * store_moderation.c's: it also touches the search index and the audit
 * trail, which build on this file (so this file calls neither). */

int64_t store_count(struct store *st)
{
	struct db_stmt *s = st->ws[W_COUNT];
	int64_t v = -1;

	if (db_step(s) == SQLITE_ROW)
		v = db_column_int64(s, 0);
	db_reset(s);
	return v;
}

int64_t store_counter(struct store *st, const char *name)
{
	struct db_stmt *s = st->ws[W_COUNTER];
	int64_t v = -1;

	db_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (db_step(s) == SQLITE_ROW)
		v = db_column_int64(s, 0);
	db_reset(s);
	db_clear_bindings(s);
	return v;
}

char *store_get_setting(struct store *st, const char *key)
{
	struct db_stmt *s = st->ws[W_GET_SETTING];
	char *v = NULL;

	db_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (db_step(s) == SQLITE_ROW) {
		const char *t = (const char *)db_column_text(s, 0);

		v = strdup(t ? t : "");
	}
	db_reset(s);
	db_clear_bindings(s);
	return v;
}

int store_set_setting(struct store *st, const char *key, const char *value)
{
	struct db_stmt *s = st->ws[W_SET_SETTING];

	db_bind_text(s, 1, key, -1, SQLITE_STATIC);
	db_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return step_done(s);
}

int store_ping(struct store *st)
{
	int rc;

	pthread_mutex_lock(&st->rlock);
	rc = db_step(st->rs[R_PING]);
	db_reset(st->rs[R_PING]);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_health(struct store *st, char *why, size_t len)
{
	int rc;

	if (atomic_load(&corrupt_state) != 0) {
		snprintf(why, len, "the database is corrupt: %s",
			 atomic_load(&corrupt_state) == 2 ? corrupt_msg : "");
		return -1;
	}
	pthread_mutex_lock(&st->rlock);
	rc = db_step(st->rs[R_PING]);
	if (rc != SQLITE_ROW)
		snprintf(why, len, "cannot read the counters: %s", db_errmsg(st->r));
	db_reset(st->rs[R_PING]);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_recent_public(struct store *st, int n,
			void (*fn)(void *ctx, const char *public_name, const char *country),
			void *ctx)
{
	struct db_stmt *s = st->rs[R_RECENT];
	int rc;

	pthread_mutex_lock(&st->rlock);
	db_bind_int(s, 1, n);
	while ((rc = db_step(s)) == SQLITE_ROW)
		fn(ctx, (const char *)db_column_text(s, 0),
		   (const char *)db_column_text(s, 1));
	db_reset(s);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_daily(struct store *st, int ndays,
		void (*fn)(void *ctx, const char *day, int64_t n), void *ctx)
{
	struct db_stmt *s = st->rs[R_DAILY];
	int rc;

	pthread_mutex_lock(&st->rlock);
	db_bind_int(s, 1, ndays);
	while ((rc = db_step(s)) == SQLITE_ROW)
		fn(ctx, (const char *)db_column_text(s, 0), db_column_int64(s, 1));
	db_reset(s);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_flag_counts(struct store *st, int64_t *npublic, int64_t *nupdates)
{
	struct db_stmt *s = st->rs[R_FLAGS];
	int rc;

	pthread_mutex_lock(&st->rlock);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		*npublic = db_column_int64(s, 0);
		*nupdates = db_column_int64(s, 1);
	}
	db_reset(s);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_transaction(struct store *st, int (*fn)(struct store *st, void *ctx), void *ctx,
		      char *err, size_t errlen)
{
	if (exec(st->w, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (fn(st, ctx) != 0) {
		snprintf(err, errlen, "%s", db_errmsg(st->w));
		db_exec(st->w, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (exec(st->w, "COMMIT", err, errlen) != 0) {
		db_exec(st->w, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* ---- Operator commands: the lock, backup, restore, check ---------------- */

/* The files SQLite and petitiond keep beside a database. */
static const char *const companions[] = { "-wal", "-shm", "-journal", STORE_LOCK_SUFFIX };
#define NCOMPANIONS (sizeof companions / sizeof companions[0])
/* What restore moves aside with the database (never the lock: it holds it). */
static const char *const aside_suffixes[] = { "", "-wal", "-shm", "-journal" };
#define NASIDE (sizeof aside_suffixes / sizeof aside_suffixes[0])

#define STORE_PATH_MAX 4096

/* path resolved through symbolic links: the file's realpath, or, when it does
 * not exist yet, its directory's realpath and its name. Returns 0 or -1
 * (errno set). */
static int resolve_path(const char *path, char *out, size_t outlen)
{
	char dir[STORE_PATH_MAX], full[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base;

	if (realpath(path, full) != NULL) {
		if ((size_t)snprintf(out, outlen, "%s", full) >= outlen)
			return errno = ENAMETOOLONG, -1;
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	if (slash == NULL) {
		snprintf(dir, sizeof dir, ".");
		base = path;
	} else {
		if ((size_t)(slash - path) >= sizeof dir)
			return errno = ENAMETOOLONG, -1;
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
		base = slash + 1;
	}
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return errno = EISDIR, -1;
	if (realpath(dir, full) == NULL)
		return -1;
	/* The root directory's realpath already ends in its slash. */
	if ((size_t)snprintf(out, outlen, "%s/%s", full[1] == '\0' ? "" : full, base) >= outlen)
		return errno = ENAMETOOLONG, -1;
	return 0;
}

/* The directory of a resolved path (the root for a file at the root; "."
 * for a bare name). */
static void dir_of(const char *resolved, char *out, size_t outlen)
{
	const char *slash = strrchr(resolved, '/');

	if (slash == NULL)
		snprintf(out, outlen, ".");
	else
		snprintf(out, outlen, "%.*s", slash == resolved ? 1 : (int)(slash - resolved),
			 resolved);
}

/* The owner a file made for the database at resolved should have: the
 * database's own, else its directory's. Returns 0 or -1. */
static int owner_for(const char *resolved, uid_t *uid, gid_t *gid)
{
	struct stat sb;
	char dir[STORE_PATH_MAX];

	if (stat(resolved, &sb) != 0) {
		dir_of(resolved, dir, sizeof dir);
		if (stat(dir, &sb) != 0)
			return -1;
	}
	*uid = sb.st_uid;
	*gid = sb.st_gid;
	return 0;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Syncs a file or a directory (after a rename in it). */
static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static long read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Takes the lock of the database at resolved (see STORE_LOCK_SUFFIX):
 * creates the lock file if needed (0600; owned like the database when made
 * by root), flock(LOCK_EX | LOCK_NB), writes our PID. Returns 0 (the
 * descriptor in *fd), 1 when another process holds it (its PID in *pid),
 * -1 on error (err). */
static int lock_take(const char *resolved, int *fd, long *pid, char *err, size_t errlen)
{
	char lp[STORE_PATH_MAX + 16], line[32];
	int f, created = 0, writable = 1;
	uid_t u;
	gid_t g;

	*fd = -1;
	*pid = 0;
	snprintf(lp, sizeof lp, "%s%s", resolved, STORE_LOCK_SUFFIX);
	f = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0 && errno == ENOENT) {
		f = open(lp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		created = f >= 0;
		if (f < 0 && errno == EEXIST)
			f = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (f < 0 && errno == EACCES) {
		/* Someone else's file (root's, say): flock works read-only too. */
		f = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		writable = 0;
	}
	if (f < 0) {
		snprintf(err, errlen, "cannot open the lock file %s: %s", lp, strerror(errno));
		return -1;
	}
	if (created && geteuid() == 0 && owner_for(resolved, &u, &g) == 0 && fchown(f, u, g) != 0)
		log_warn("cannot give the lock file %s to uid %u: %s", lp, (unsigned)u,
			 strerror(errno));
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK || e == EAGAIN) {
			*pid = read_pid(f);
			close(f);
			return 1;
		}
		snprintf(err, errlen, "cannot lock %s: %s", lp, strerror(e));
		close(f);
		return -1;
	}
	if (writable) {
		int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());

		if (ftruncate(f, 0) != 0 || pwrite(f, line, (size_t)n, 0) != n)
			log_warn("cannot write the PID into %s: %s", lp, strerror(errno));
	}
	*fd = f;
	return 0;
}

/* PostgreSQL: a node is connected to the database (petitiond's connections
 * say application_name 'petitiond', this command's own excepted). 1 yes,
 * 0 no, -1 (err) cannot tell. */
static int pg_in_use(const char *url, char *err, size_t errlen)
{
	struct db *db = NULL;
	int64_t n;

	if (open_db(&db, url, SQLITE_OPEN_READONLY, err, errlen) != 0)
		return -1;
	n = store_scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE datname ="
			 " current_database() AND application_name = 'petitiond' AND pid <>"
			 " pg_backend_pid()");
	if (n < 0)
		snprintf(err, errlen, "reading pg_stat_activity: %s", db_errmsg(db));
	db_close(db);
	return n < 0 ? -1 : n > 0;
}

int store_in_use(const char *path, long *pid, char *err, size_t errlen)
{
	char resolved[STORE_PATH_MAX], lp[STORE_PATH_MAX + 16];
	int f, rc = 0;

	*pid = 0;
	if (db_path_is_pg(path))
		return pg_in_use(path, err, errlen);
	if (resolve_path(path, resolved, sizeof resolved) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(lp, sizeof lp, "%s%s", resolved, STORE_LOCK_SUFFIX);
	f = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open the lock file %s: %s", lp, strerror(errno));
		return -1;
	}
	/* A shared lock for an instant: refused while a holder has LOCK_EX. */
	if (flock(f, LOCK_SH | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK || errno == EAGAIN) {
			*pid = read_pid(f);
			rc = 1;
		} else {
			snprintf(err, errlen, "cannot test the lock %s: %s", lp, strerror(errno));
			rc = -1;
		}
	}
	close(f);
	return rc;
}

/* The first rows of a PRAGMA integrity_check / quick_check, joined with
 * "; " into out ("ok" when the database passed). Returns 0 passed, 1 failed,
 * -1 when the check could not run (out holds SQLite's reason). */
static int run_check(struct db *db, const char *pragma, char *out, size_t outlen)
{
	struct db_stmt *s;
	size_t n = 0;
	int rc, rows = 0, passed = 0;

	out[0] = '\0';
	if (db_prepare_v2(db, pragma, -1, &s, NULL) != SQLITE_OK) {
		snprintf(out, outlen, "%s", db_errmsg(db));
		return -1;
	}
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)db_column_text(s, 0);

		if (t == NULL)
			continue;
		if (rows++ == 0 && strcmp(t, "ok") == 0)
			passed = 1;
		if (n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, "%s%s", rows > 1 ? "; " : "", t);
	}
	if (rc != SQLITE_DONE) {
		/* An error half-way (SQLITE_CORRUPT, I/O) is a failed check too. */
		if (n < outlen)
			snprintf(out + n, outlen - n, "%s%s", n ? "; " : "", db_errmsg(db));
		db_finalize(s);
		return (db_errcode(db) & 0xff) == SQLITE_CORRUPT ||
				       (db_errcode(db) & 0xff) == SQLITE_NOTADB
			       ? 1
			       : -1;
	}
	db_finalize(s);
	return passed && rows == 1 ? 0 : 1;
}

/* 1 when db has petitiond's tables. */
static int is_petitiond(struct db *db)
{
	return store_scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
			     " name IN ('signatures', 'counters', 'settings')") == 3;
}

/* Adds what to do about a damaged database to err, when SQLite's last error
 * on db says it is one. */
static void corrupt_hint(struct db *db, const char *path, char *err, size_t errlen)
{
	int code = db ? db_errcode(db) & 0xff : SQLITE_OK;
	size_t n = strlen(err);

	if ((code == SQLITE_CORRUPT || code == SQLITE_NOTADB) && n < errlen)
		snprintf(err + n, errlen - n,
			 ". The database is damaged: see `petitiond check --db %s`, and put a "
			 "backup in place with `petitiond restore BACKUP --db %s`",
			 path, path);
}

/* store_open's first steps: the lock, the file mode, the connection, the
 * quick check. */
static int open_checks(struct store *st, char *err, size_t errlen)
{
	char resolved[STORE_PATH_MAX], check[512];
	struct stat sb;
	long pid;
	int rc;

	if (resolve_path(st->path, resolved, sizeof resolved) != 0) {
		snprintf(err, errlen, "%s: %s", st->path, strerror(errno));
		return -1;
	}
	rc = lock_take(resolved, &st->lock_fd, &pid, err, errlen);
	if (rc == 1) {
		snprintf(err, errlen,
			 "%s is in use by another process (pid %ld: a petitiond serving from it, "
			 "or a restore into it). Two servers on one database would hand out "
			 "different admin tokens and form keys; this one will not start. Stop "
			 "the other first, or give this one another --db",
			 st->path, pid);
		return -1;
	}
	if (rc != 0)
		return -1;
	/* Files made from now on are private (main sets umask 077; SQLite gives
	 * the WAL and shared-memory files the database's mode). An older
	 * database left readable by others is made private too. */
	if (stat(resolved, &sb) == 0 && (sb.st_mode & 077) != 0 && sb.st_uid == geteuid()) {
		if (chmod(resolved, 0600) == 0)
			log_info("%s was readable by other users (mode %03o): made it 0600",
				 st->path, (unsigned)(sb.st_mode & 0777));
	}
	if (open_db(&st->w, st->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err, errlen) != 0)
		return -1;
	/* A damaged database is refused before anything is written to it: new
	 * signatures acknowledged into it could be lost with it. */
	rc = run_check(st->w, "PRAGMA quick_check(10)", check, sizeof check);
	if (rc != 0) {
		snprintf(err, errlen,
			 "%s %s PRAGMA quick_check (%s). petitiond will not serve from a damaged "
			 "database. See what is wrong: `petitiond check --db %s`; put a backup in "
			 "place: `petitiond restore BACKUP --db %s` (it keeps the damaged files)",
			 st->path, rc > 0 ? "fails" : "could not run", check, st->path, st->path);
		return -1;
	}
	return 0;
}

/* A file: URI for path (for SQLite's immutable=1), with the characters a
 * URI gives meaning to escaped. Returns 0 or -1 (too long). */
static int file_uri(char *out, size_t outlen, const char *path, const char *query)
{
	size_t n = 0;
	const unsigned char *p;

	n = (size_t)snprintf(out, outlen, "file:");
	for (p = (const unsigned char *)path; *p; p++) {
		if (n + 4 >= outlen)
			return -1;
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p >= 0x7f)
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", *p);
		else
			out[n++] = (char)*p;
	}
	if ((size_t)snprintf(out + n, outlen - n, "?%s", query) >= outlen - n)
		return -1;
	return 0;
}

/* Opens a database file to read it without changing anything beside it: a
 * file with no -wal is opened immutable (no -shm, no locks); one with a -wal
 * is opened read-only the usual way, so the WAL's transactions are seen. */
static int open_readonly(struct db **db, const char *path, char *err, size_t errlen)
{
	char wal[STORE_PATH_MAX + 8], uri[3 * STORE_PATH_MAX + 32];

	snprintf(wal, sizeof wal, "%s-wal", path);
	if (exists(wal) || file_uri(uri, sizeof uri, path, "mode=ro&immutable=1") != 0)
		return open_db(db, path, SQLITE_OPEN_READONLY, err, errlen);
	if (db_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
		       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? db_errmsg(*db) : "out of memory");
		db_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

/* Copies the database open on from into a new file beside dst (its name in
 * tmp: dst.tmp-XXXXXX, mode 0600) with the backup API in one step (a WAL
 * reader never blocks the server's writer, so one read transaction is safe
 * and cannot be restarted forever by a busy writer), then checks the copy:
 * integrity_check, and, with need_petitiond, petitiond's tables and a schema
 * version from 1 to what this binary knows. Puts the copy in rollback-journal
 * mode (a self-contained file), closes and syncs it. Fills rep's counts.
 * Returns 0, or -1 (err; the temporary file removed). */
static int copy_checked(struct db *from, const char *dst, int need_petitiond, char *tmp,
			size_t tmplen, struct store_copy_report *rep, char *err, size_t errlen)
{
	struct db *to = NULL;
	sqlite3_backup *b;
	char check[512];
	int fd, step, rc, nmig = nmigrations();

	if ((size_t)snprintf(tmp, tmplen, "%s.tmp-XXXXXX", dst) >= tmplen) {
		snprintf(err, errlen, "%s: path too long", dst);
		return -1;
	}
	fd = mkstemp(tmp); /* 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file beside %s: %s", dst, strerror(errno));
		tmp[0] = '\0';
		return -1;
	}
	close(fd);
	if (open_db(&to, tmp, SQLITE_OPEN_READWRITE, err, errlen) != 0)
		goto fail;
	b = sqlite3_backup_init(db_lite(to), "main", db_lite(from), "main");
	if (b == NULL) {
		snprintf(err, errlen, "%s", db_errmsg(to));
		goto fail;
	}
	do {
		step = sqlite3_backup_step(b, -1);
		if (step == SQLITE_BUSY || step == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "reading %s: %s", rep->src, db_errstr(step));
		corrupt_hint(from, rep->src, err, errlen);
		goto fail;
	}
	rc = run_check(to, "PRAGMA integrity_check(10)", check, sizeof check);
	if (rc != 0) {
		snprintf(err, errlen, "the copy of %s fails PRAGMA integrity_check: %s", rep->src,
			 check);
		goto fail;
	}
	rep->schema = (int)store_scalar(to, "PRAGMA user_version");
	if (need_petitiond && (!is_petitiond(to) || rep->schema < 1)) {
		snprintf(err, errlen, "%s is not a petitiond database (no signatures, counters "
			 "and settings tables, or schema version %d)", rep->src, rep->schema);
		goto fail;
	}
	if (need_petitiond && rep->schema > nmig) {
		snprintf(err, errlen, "%s has schema version %d, newer than this petitiond "
			 "knows (%d): restore it with the petitiond that made it, or upgrade",
			 rep->src, rep->schema, nmig);
		goto fail;
	}
	rep->signatures = is_petitiond(to) ? store_scalar(to, "SELECT count(*) FROM signatures") : -1;
	rep->counter = is_petitiond(to) ? store_scalar(to, "SELECT value FROM counters WHERE"
						    " name = 'signatures'")
					: -1;
	if (exec(to, "PRAGMA journal_mode = DELETE", err, errlen) != 0)
		goto fail;
	if (db_close(to) != SQLITE_OK) {
		snprintf(err, errlen, "closing %s: %s", tmp, db_errmsg(to));
		to = NULL;
		goto fail;
	}
	to = NULL;
	if (sync_path(tmp) != 0) {
		snprintf(err, errlen, "syncing %s: %s", tmp, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	db_close(to);
	if (tmp[0] != '\0') {
		char side[STORE_PATH_MAX + 16];

		unlink(tmp); /* ours, made above */
		snprintf(side, sizeof side, "%s-journal", tmp);
		unlink(side);
	}
	return -1;
}

/* Refuses other when it is the database db itself (the same path, or the
 * same file as *dbst when db exists) or one of db's companion files. */
static int same_database(const char *db, const struct stat *dbst, const char *other, char *err,
			 size_t errlen)
{
	struct stat os;
	char side[STORE_PATH_MAX + 16];
	size_t i;

	if (strcmp(db, other) == 0 || (dbst != NULL && stat(other, &os) == 0 &&
				       os.st_dev == dbst->st_dev && os.st_ino == dbst->st_ino)) {
		snprintf(err, errlen, "%s is the database itself", other);
		return -1;
	}
	for (i = 0; i < NCOMPANIONS; i++) {
		snprintf(side, sizeof side, "%s%s", db, companions[i]);
		if (strcmp(side, other) == 0) {
			snprintf(err, errlen, "%s is the database's %s file", other, companions[i]);
			return -1;
		}
	}
	return 0;
}

/* backup and restore copy SQLite files; PostgreSQL has its own tools. */
static int pg_refuse_copy(const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s works on SQLite files; the database is on PostgreSQL: use "
		 "its own tools (`pg_dump -Fc -f petition.dump URL` for a copy, `pg_restore "
		 "--clean --if-exists -d URL petition.dump` to put one back, with the nodes "
		 "stopped), or its continuous archiving (README: When one machine is not enough)",
		 what);
	return -1;
}

/* store_check's figures of a petitiond database: rows, the counter, the
 * active accounts (or, before migration 007's admins table, the one token
 * an older database kept), the form key. */
static void check_counts(struct db *db, struct store_check_report *rep, int has_admins)
{
	rep->signatures = store_scalar(db, "SELECT count(*) FROM signatures");
	rep->counter = store_scalar(db, "SELECT value FROM counters WHERE name = 'signatures'");
	rep->has_admin_hash =
		has_admins ? (int)store_scalar(db, "SELECT count(*) FROM admins WHERE revoked_at IS"
						   " NULL")
			   : store_scalar(db, "SELECT count(*) FROM settings WHERE key ="
					  " 'admin_token_sha256' AND length(value) = 64") > 0;
	rep->has_form_key = store_scalar(db, "SELECT count(*) FROM settings WHERE key ="
					  " 'form_key' AND length(value) = 64") > 0;
}

/* store_check on PostgreSQL: connects read-only and reads the schema and
 * counts (the server checks its own storage; no integrity_check here). */
static int pg_check(const char *path, struct store_check_report *rep, char *err, size_t errlen)
{
	struct db *db = NULL;

	snprintf(rep->path, sizeof rep->path, "%s", path);
	rep->dir_writable = 1;
	snprintf(rep->integrity, sizeof rep->integrity, "not checked (PostgreSQL)");
	if (open_db(&db, path, SQLITE_OPEN_READONLY, err, errlen) != 0)
		return 1;
	rep->exists = store_scalar(db, "SELECT to_regclass('petitiond_schema') IS NOT NULL") == 1;
	if (rep->exists) {
		rep->schema = (int)store_scalar(db, "SELECT version FROM petitiond_schema");
		rep->is_petitiond = 1;
		check_counts(db, rep, 1);
	}
	db_close(db);
	if (rep->schema > rep->schema_known) {
		snprintf(err, errlen, "schema version %d is newer than this petitiond knows (%d)",
			 rep->schema, rep->schema_known);
		return 1;
	}
	return 0;
}

int store_backup(const char *src, const char *dst, int force, struct store_copy_report *rep,
		 char *err, size_t errlen)
{
	if (db_path_is_pg(src) || db_path_is_pg(dst))
		return pg_refuse_copy("petitiond backup", err, errlen);
	struct db *from = NULL, *old = NULL;
	struct stat ss, ds;
	char tmp[STORE_PATH_MAX + 16], side[STORE_PATH_MAX + 16], dir[STORE_PATH_MAX];
	static const char *const live[] = { "-wal", "-journal" };
	long pid;
	size_t i;
	int in_use;

	memset(rep, 0, sizeof *rep);
	rep->replaced_signatures = -1;
	tmp[0] = '\0';
	if (realpath(src, rep->src) == NULL || stat(rep->src, &ss) != 0) {
		snprintf(err, errlen, "cannot read the database %s: %s", src, strerror(errno));
		return -1;
	}
	if (!S_ISREG(ss.st_mode)) {
		snprintf(err, errlen, "the database %s is not a regular file", rep->src);
		return -1;
	}
	if (resolve_path(dst, rep->dst, sizeof rep->dst) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
		return -1;
	}
	if (same_database(rep->src, &ss, rep->dst, err, errlen) != 0)
		return -1;
	in_use = store_in_use(rep->dst, &pid, err, errlen);
	if (in_use < 0)
		return -1;
	if (in_use) {
		snprintf(err, errlen,
			 "%s is the database of a running petitiond (pid %ld): a backup never "
			 "writes over a database in use. Did you swap the arguments? It is "
			 "petitiond backup FILE --db DATABASE",
			 rep->dst, pid);
		return -1;
	}
	if (lstat(rep->dst, &ds) == 0) {
		if (!S_ISREG(ds.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a regular file", rep->dst);
			return -1;
		}
		for (i = 0; i < sizeof live / sizeof live[0]; i++) {
			snprintf(side, sizeof side, "%s%s", rep->dst, live[i]);
			if (exists(side)) {
				snprintf(err, errlen,
					 "%s exists beside %s: that file is (or was) a live "
					 "database whose last transactions are in %s; replacing it "
					 "would pair them with the copy. Choose another FILE",
					 side, rep->dst, side);
				return -1;
			}
		}
		if (!force) {
			snprintf(err, errlen, "%s exists: pass --force to replace it", rep->dst);
			return -1;
		}
		rep->replaced = 1;
		if (open_readonly(&old, rep->dst, err, errlen) == 0 && is_petitiond(old))
			rep->replaced_signatures = store_scalar(old, "SELECT count(*) FROM signatures");
		db_close(old);
	}
	if (open_db(&from, rep->src, SQLITE_OPEN_READONLY, err, errlen) != 0)
		return -1;
	if (copy_checked(from, rep->dst, 0, tmp, sizeof tmp, rep, err, errlen) != 0) {
		db_close(from);
		return -1;
	}
	db_close(from);
	if (force) {
		if (rename(tmp, rep->dst) != 0) {
			snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, rep->dst,
				 strerror(errno));
			unlink(tmp);
			return -1;
		}
	} else {
		/* link() never replaces: a file that appeared meanwhile stays. */
		if (link(tmp, rep->dst) != 0) {
			int e = errno;

			if (e == EEXIST || (e != EPERM && e != ENOTSUP && e != EOPNOTSUPP) ||
			    exists(rep->dst) || rename(tmp, rep->dst) != 0) {
				snprintf(err, errlen, "cannot create %s: %s", rep->dst,
					 strerror(e == EEXIST || exists(rep->dst) ? EEXIST : e));
				unlink(tmp);
				return -1;
			}
		} else {
			unlink(tmp);
		}
	}
	dir_of(rep->dst, dir, sizeof dir);
	sync_path(dir);
	if (stat(rep->dst, &ds) == 0) {
		rep->uid = ds.st_uid;
		rep->gid = ds.st_gid;
		rep->mode = (unsigned)(ds.st_mode & 07777);
	}
	return 0;
}

int store_restore(const char *backup, const char *db, struct store_copy_report *rep,
		  char *err, size_t errlen)
{
	if (db_path_is_pg(backup) || db_path_is_pg(db))
		return pg_refuse_copy("petitiond restore", err, errlen);
	struct db *from = NULL;
	struct stat bs, ds;
	char tmp[STORE_PATH_MAX + 16], base[STORE_PATH_MAX + 64], dir[STORE_PATH_MAX];
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	long pid;
	int lockfd = -1, rc = -1, try;
	size_t i;

	memset(rep, 0, sizeof *rep);
	rep->replaced_signatures = -1;
	tmp[0] = '\0';
	if (realpath(backup, rep->src) == NULL || stat(rep->src, &bs) != 0) {
		snprintf(err, errlen, "cannot read the backup %s: %s", backup, strerror(errno));
		return -1;
	}
	if (!S_ISREG(bs.st_mode)) {
		snprintf(err, errlen, "the backup %s is not a regular file", rep->src);
		return -1;
	}
	if (resolve_path(db, rep->dst, sizeof rep->dst) != 0) {
		snprintf(err, errlen, "the database %s: %s", db, strerror(errno));
		return -1;
	}
	if (same_database(rep->dst, stat(rep->dst, &ds) == 0 ? &ds : NULL, rep->src, err,
			  errlen) != 0) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (--db %s): restore from a backup file", db);
		return -1;
	}
	switch (lock_take(rep->dst, &lockfd, &pid, err, errlen)) {
	case 0:
		break;
	case 1:
		snprintf(err, errlen,
			 "%s is in use by a running petitiond (pid %ld): stop the server first "
			 "(systemctl stop petitiond, docker compose stop petitiond, or Ctrl-C), "
			 "then restore",
			 rep->dst, pid);
		return -1;
	default:
		return -1;
	}
	if (open_readonly(&from, rep->src, err, errlen) != 0)
		goto out;
	if (copy_checked(from, rep->dst, 1, tmp, sizeof tmp, rep, err, errlen) != 0)
		goto out;
	db_close(from);
	from = NULL;
	/* The owner the server expects: the old database's, else its directory's
	 * (a copy made by root must not leave a file the service cannot write). */
	if (owner_for(rep->dst, &uid, &gid) == 0 && geteuid() == 0 && chown(tmp, uid, gid) != 0) {
		snprintf(err, errlen, "cannot give %s to uid %u: %s", tmp, (unsigned)uid,
			 strerror(errno));
		goto out;
	}
	if (chmod(tmp, 0600) != 0) {
		snprintf(err, errlen, "cannot chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	/* Move the current files aside under one new name, so that set still
	 * opens as the database it was (SQLite pairs NAME with NAME-wal). */
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (try = 1;; try++) {
		int taken = 0;

		if (try == 1)
			snprintf(base, sizeof base, "%s.before-restore-%s", rep->dst, stamp);
		else
			snprintf(base, sizeof base, "%s.before-restore-%s-%d", rep->dst, stamp, try);
		for (i = 0; i < NASIDE; i++) {
			char to[sizeof base + 16];

			snprintf(to, sizeof to, "%s%s", base, aside_suffixes[i]);
			taken |= exists(to);
		}
		if (!taken)
			break;
		if (try > 1000) {
			snprintf(err, errlen, "cannot find a free name for %s", base);
			goto out;
		}
	}
	for (i = 0; i < NASIDE; i++) {
		char from_path[STORE_PATH_MAX + 16], to[sizeof base + 16];
		int moved;

		snprintf(from_path, sizeof from_path, "%s%s", rep->dst, aside_suffixes[i]);
		snprintf(to, sizeof to, "%s%s", base, aside_suffixes[i]);
		if (lstat(from_path, &ds) != 0)
			continue;
		/* The database itself is linked, not renamed: it stays in place
		 * until the checked copy replaces it in one rename. */
		if (i == 0)
			moved = link(from_path, to) == 0 ||
				((errno == EPERM || errno == ENOTSUP) && rename(from_path, to) == 0);
		else
			moved = rename(from_path, to) == 0;
		if (!moved) {
			snprintf(err, errlen, "cannot move %s aside to %s: %s", from_path, to,
				 strerror(errno));
			goto out;
		}
		if (rep->naside < 4) {
			snprintf(rep->aside[rep->naside][0], sizeof rep->aside[0][0], "%s", from_path);
			snprintf(rep->aside[rep->naside][1], sizeof rep->aside[0][1], "%s", to);
			rep->naside++;
		}
	}
	if (rename(tmp, rep->dst) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, rep->dst, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	dir_of(rep->dst, dir, sizeof dir);
	sync_path(dir);
	if (stat(rep->dst, &ds) == 0) {
		rep->uid = ds.st_uid;
		rep->gid = ds.st_gid;
		rep->mode = (unsigned)(ds.st_mode & 07777);
	}
	rc = 0;
out:
	db_close(from);
	if (tmp[0] != '\0')
		unlink(tmp); /* our unchecked or uninstalled copy */
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int store_check(const char *path, struct store_check_report *rep, char *err, size_t errlen)
{
	struct db *db = NULL;
	struct stat sb;
	char dir[STORE_PATH_MAX];
	int rc;

	memset(rep, 0, sizeof *rep);
	rep->schema_known = nmigrations();
	rep->signatures = rep->counter = -1;
	if (db_path_is_pg(path))
		return pg_check(path, rep, err, errlen);
	if (resolve_path(path, rep->path, sizeof rep->path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	dir_of(rep->path, dir, sizeof dir);
	rep->dir_writable = access(dir, W_OK | X_OK) == 0;
	rep->in_use = store_in_use(rep->path, &rep->pid, err, errlen) == 1;
	if (stat(rep->path, &sb) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", rep->path, strerror(errno));
			return -1;
		}
		if (!rep->dir_writable) {
			snprintf(err, errlen, "%s does not exist and its directory %s cannot be "
				 "written: the server could not create it", rep->path, dir);
			return 1;
		}
		return 0;
	}
	rep->exists = 1;
	rep->uid = sb.st_uid;
	rep->mode = (unsigned)(sb.st_mode & 07777);
	if (open_readonly(&db, rep->path, err, errlen) != 0)
		return 1;
	rc = run_check(db, "PRAGMA integrity_check(10)", rep->integrity, sizeof rep->integrity);
	if (rc != 0) {
		snprintf(err, errlen, "it fails PRAGMA integrity_check: %s", rep->integrity);
		corrupt_hint(db, path, err, errlen);
		db_close(db);
		return 1;
	}
	rep->schema = (int)store_scalar(db, "PRAGMA user_version");
	rep->is_petitiond = is_petitiond(db);
	if (rep->is_petitiond)
		check_counts(db, rep, store_scalar(db, "SELECT count(*) FROM sqlite_master WHERE"
						   " name = 'admins'") > 0);
	db_close(db);
	if (rep->schema > rep->schema_known) {
		snprintf(err, errlen, "schema version %d is newer than this petitiond knows (%d)",
			 rep->schema, rep->schema_known);
		return 1;
	}
	if (rep->schema > 0 && !rep->is_petitiond) {
		snprintf(err, errlen, "schema version %d but no petitiond tables: not a petitiond "
			 "database", rep->schema);
		return 1;
	}
	if (!rep->dir_writable) {
		snprintf(err, errlen, "its directory %s cannot be written: SQLite could not create "
			 "the -wal and -shm files there", dir);
		return 1;
	}
	return 0;
}

void store_conns(struct store *st, struct store_conns *out)
{
	out->path = st->path;
	out->w = st->w;
	out->r = st->r;
	out->rlock = &st->rlock;
}

int store_exec(struct db *db, const char *op, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (db_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", op, msg ? msg : db_errmsg(db));
		db_free(msg);
		return -1;
	}
	return 0;
}

void store_errmsg(struct db *db, const char *path, const char *op, char *err, size_t errlen)
{
	/* PostgreSQL's message says it all; SQLite's code names the kind. */
	if (db_is_pg(db))
		snprintf(err, errlen, "%s in %s: %s", op, path, db_errmsg(db));
	else
	snprintf(err, errlen, "%s in %s: %s (%s)", op, path, db_errmsg(db),
		 db_errstr(db_extended_errcode(db)));
}
