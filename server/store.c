/* store.c -- signatures in SQLite: WAL, one writer, prepared statements,
 * migrations keyed by PRAGMA user_version.
 *
 * Threads: the write statements belong to the writer thread (writer.c).
 * The read statements share one read-only connection behind a mutex.
 * Every export opens a cursor with a connection of its own. */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets.h"

/* The migrations, in order. Migration i brings user_version from i to i + 1. */
static const char *const migrations[] = {
	"db/001_init.sql",
	"db/002_meta.sql",
	"db/003_flag_counters.sql",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

enum wstmt {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_INSERT,
	W_COUNT_ADD,
	W_DAILY_ADD,
	W_COUNT,
	W_GET_SETTING,
	W_SET_SETTING,
	W_FIND_EMAIL,
	W_DELETE,
	W_DAILY_SUB,
	W_NSTMTS
};

static const char *const wsql[W_NSTMTS] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_INSERT] = "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment, public, updates)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (email_norm) DO NOTHING",
	[W_COUNT_ADD] = "UPDATE counters SET value = max(value + ?1, 0) WHERE name = ?2",
	[W_DAILY_ADD] = "INSERT INTO daily (day, n) VALUES (date(?1, 'unixepoch'), ?2)"
			" ON CONFLICT (day) DO UPDATE SET n = n + excluded.n",
	[W_COUNT] = "SELECT value FROM counters WHERE name = 'signatures'",
	[W_GET_SETTING] = "SELECT value FROM settings WHERE key = ?1",
	[W_SET_SETTING] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
			  " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[W_FIND_EMAIL] = "SELECT id, signed_at, public, updates FROM signatures WHERE email_norm = ?1",
	[W_DELETE] = "DELETE FROM signatures WHERE id = ?1",
	[W_DAILY_SUB] = "UPDATE daily SET n = max(n - 1, 0) WHERE day = date(?1, 'unixepoch')",
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
	[R_RECENT] = "SELECT name, country FROM signatures WHERE public = 1 ORDER BY id DESC LIMIT ?1",
	[R_DAILY] = "SELECT day, n FROM daily ORDER BY day DESC LIMIT ?1",
	[R_FLAGS] = "SELECT (SELECT value FROM counters WHERE name = 'public'),"
		    " (SELECT value FROM counters WHERE name = 'updates')",
};

struct store {
	char *path;
	int wal_frames;      /* pages in the WAL after the last commit (wal hook) */
	int ckpt_tried_at;   /* wal_frames when a checkpoint last left pages behind */
	sqlite3 *w;
	sqlite3_stmt *ws[W_NSTMTS];
	pthread_mutex_t rlock;
	sqlite3 *r;
	sqlite3_stmt *rs[R_NSTMTS];
};

struct store_cursor {
	sqlite3 *db;
	sqlite3_stmt *st;
};

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int store_schema_version(void)
{
	return NMIGRATIONS;
}

int store_db_version(struct store *st)
{
	return user_version(st->w);
}

/* Applies the migrations the database lacks, all in one transaction, so a
 * crash half-way leaves the old schema intact. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	int v, i;
	char sql[64];

	if (exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	v = user_version(db);
	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version");
		goto fail;
	}
	if (v > NMIGRATIONS) {
		snprintf(err, errlen, "the database has schema version %d, newer than this "
			 "petitiond knows (%d): upgrade petitiond", v, NMIGRATIONS);
		goto fail;
	}
	for (i = v; i < NMIGRATIONS; i++) {
		const struct asset *a = asset_find(migrations[i]);
		size_t n;

		if (a == NULL) {
			snprintf(err, errlen, "migration %s missing from the binary", migrations[i]);
			goto fail;
		}
		if (exec(db, (const char *)a->data, err, errlen) != 0) {
			n = strlen(err);
			snprintf(err + n, errlen - n, " (in %s)", migrations[i]);
			goto fail;
		}
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", NMIGRATIONS);
	if (exec(db, sql, err, errlen) != 0 || exec(db, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int open_db(sqlite3 **db, const char *path, int flags, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(*db, 1);
	return 0;
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

void store_checkpoint(struct store *st, int idle)
{
	int log = 0, done = 0;

	if (st->wal_frames < (idle ? STORE_CKPT_IDLE_FRAMES : STORE_CKPT_BUSY_FRAMES))
		return;
	/* While signatures wait, and a reader's snapshot left pages behind last
	 * time, try again only once the WAL has grown by another threshold's
	 * worth. When idle, always try: the reader may be gone. */
	if (!idle && st->ckpt_tried_at &&
	    st->wal_frames - st->ckpt_tried_at < STORE_CKPT_IDLE_FRAMES)
		return;
	if (sqlite3_wal_checkpoint_v2(st->w, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
	    SQLITE_OK)
		return;
	st->ckpt_tried_at = done < log ? st->wal_frames : 0;
}

int store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st;
	char wal_limit_sql[64];
	int i;

	*out = NULL;
	snprintf(wal_limit_sql, sizeof wal_limit_sql, "PRAGMA journal_size_limit = %d",
		 STORE_WAL_LIMIT_BYTES);
	st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return -1;
	}
	pthread_mutex_init(&st->rlock, NULL);
	if (open_db(&st->w, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err, errlen) != 0)
		goto fail;
	/* WAL: readers never block the writer. synchronous=FULL: a COMMIT that
	 * returned is on disk, which is what every acknowledgement promises. */
	if (exec(st->w, "PRAGMA journal_mode = WAL", err, errlen) != 0 ||
	    exec(st->w, "PRAGMA synchronous = FULL", err, errlen) != 0 ||
	    exec(st->w, "PRAGMA foreign_keys = ON", err, errlen) != 0 ||
	    exec(st->w, wal_limit_sql, err, errlen) != 0)
		goto fail;
	if (migrate(st->w, err, errlen) != 0)
		goto fail;
	sqlite3_wal_autocheckpoint(st->w, 0);
	sqlite3_wal_hook(st->w, wal_hook, st);
	for (i = 0; i < W_NSTMTS; i++) {
		if (sqlite3_prepare_v3(st->w, wsql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->ws[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(st->w));
			goto fail;
		}
	}
	if (open_db(&st->r, path, SQLITE_OPEN_READONLY, err, errlen) != 0)
		goto fail;
	for (i = 0; i < R_NSTMTS; i++) {
		if (sqlite3_prepare_v3(st->r, rsql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->rs[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(st->r));
			goto fail;
		}
	}
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
		sqlite3_finalize(st->ws[i]);
	for (i = 0; i < R_NSTMTS; i++)
		sqlite3_finalize(st->rs[i]);
	sqlite3_close(st->r);
	if (st->w) {
		/* A clean close checkpoints and removes the WAL file. */
		sqlite3_close(st->w);
	}
	pthread_mutex_destroy(&st->rlock);
	free(st->path);
	free(st);
}

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* Adds delta to the named counter, inside the caller's transaction. */
static int counter_add(struct store *st, const char *name, int64_t delta)
{
	sqlite3_stmt *s = st->ws[W_COUNT_ADD];

	sqlite3_bind_int64(s, 1, delta);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return step_done(s);
}

int store_add_batch(struct store *st, const struct store_sig *sigs, size_t n,
		    unsigned char *inserted, int64_t *count)
{
	sqlite3_stmt *ins = st->ws[W_INSERT];
	int64_t added = 0, day_added = 0, day_t = 0, npublic = 0, nupdates = 0;
	size_t i;

	if (step_done(st->ws[W_BEGIN]) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct store_sig *s = &sigs[i];
		int rc;

		sqlite3_bind_int64(ins, 1, s->signed_at);
		sqlite3_bind_text(ins, 2, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, s->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, s->email_norm, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, s->country, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, s->comment ? s->comment : "", -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 7, s->is_public ? 1 : 0);
		sqlite3_bind_int(ins, 8, s->updates ? 1 : 0);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
		if (rc != SQLITE_DONE)
			goto fail;
		inserted[i] = sqlite3_changes(st->w) > 0;
		if (!inserted[i])
			continue;
		added++;
		npublic += s->is_public != 0;
		nupdates += s->updates != 0;
		/* Batches rarely straddle midnight; when they do, flush per day. */
		if (day_added > 0 && s->signed_at / 86400 != day_t / 86400) {
			sqlite3_bind_int64(st->ws[W_DAILY_ADD], 1, day_t);
			sqlite3_bind_int64(st->ws[W_DAILY_ADD], 2, day_added);
			if (step_done(st->ws[W_DAILY_ADD]) != 0)
				goto fail;
			day_added = 0;
		}
		day_t = s->signed_at;
		day_added++;
	}
	if (added > 0) {
		if (counter_add(st, "signatures", added) != 0 ||
		    (npublic && counter_add(st, "public", npublic) != 0) ||
		    (nupdates && counter_add(st, "updates", nupdates) != 0))
			goto fail;
		sqlite3_bind_int64(st->ws[W_DAILY_ADD], 1, day_t);
		sqlite3_bind_int64(st->ws[W_DAILY_ADD], 2, day_added);
		if (step_done(st->ws[W_DAILY_ADD]) != 0)
			goto fail;
	}
	if (step_done(st->ws[W_COMMIT]) != 0)
		goto fail;
	*count = store_count(st);
	return 0;
fail:
	/* Also when COMMIT itself failed (disk full, I/O error): the transaction
	 * may still be open; ROLLBACK ends it and nothing of the batch remains. */
	if (!sqlite3_get_autocommit(st->w))
		step_done(st->ws[W_ROLLBACK]);
	memset(inserted, 0, n);
	return -1;
}

int store_delete(struct store *st, const char *email_norm, int *deleted, int64_t *count)
{
	sqlite3_stmt *f = st->ws[W_FIND_EMAIL];
	int64_t id = -1, t = 0;
	int rc, was_public = 0, had_updates = 0;

	*deleted = 0;
	if (step_done(st->ws[W_BEGIN]) != 0)
		return -1;
	sqlite3_bind_text(f, 1, email_norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(f);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(f, 0);
		t = sqlite3_column_int64(f, 1);
		was_public = sqlite3_column_int(f, 2);
		had_updates = sqlite3_column_int(f, 3);
	}
	sqlite3_reset(f);
	sqlite3_clear_bindings(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	if (id >= 0) {
		sqlite3_bind_int64(st->ws[W_DELETE], 1, id);
		sqlite3_bind_int64(st->ws[W_DAILY_SUB], 1, t);
		if (step_done(st->ws[W_DELETE]) != 0 || counter_add(st, "signatures", -1) != 0 ||
		    (was_public && counter_add(st, "public", -1) != 0) ||
		    (had_updates && counter_add(st, "updates", -1) != 0) ||
		    step_done(st->ws[W_DAILY_SUB]) != 0)
			goto fail;
	}
	if (step_done(st->ws[W_COMMIT]) != 0)
		goto fail;
	*deleted = id >= 0;
	*count = store_count(st);
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->w))
		step_done(st->ws[W_ROLLBACK]);
	return -1;
}

int64_t store_count(struct store *st)
{
	sqlite3_stmt *s = st->ws[W_COUNT];
	int64_t v = -1;

	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}

char *store_get_setting(struct store *st, const char *key)
{
	sqlite3_stmt *s = st->ws[W_GET_SETTING];
	char *v = NULL;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		v = strdup(t ? t : "");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return v;
}

int store_set_setting(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = st->ws[W_SET_SETTING];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return step_done(s);
}

int store_ping(struct store *st)
{
	int rc;

	pthread_mutex_lock(&st->rlock);
	rc = sqlite3_step(st->rs[R_PING]);
	sqlite3_reset(st->rs[R_PING]);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_recent_public(struct store *st, int n,
			void (*fn)(void *ctx, const char *name, const char *country), void *ctx)
{
	sqlite3_stmt *s = st->rs[R_RECENT];
	int rc;

	pthread_mutex_lock(&st->rlock);
	sqlite3_bind_int(s, 1, n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(s, 0),
		   (const char *)sqlite3_column_text(s, 1));
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_daily(struct store *st, int ndays,
		void (*fn)(void *ctx, const char *day, int64_t n), void *ctx)
{
	sqlite3_stmt *s = st->rs[R_DAILY];
	int rc;

	pthread_mutex_lock(&st->rlock);
	sqlite3_bind_int(s, 1, ndays);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_flag_counts(struct store *st, int64_t *npublic, int64_t *nupdates)
{
	sqlite3_stmt *s = st->rs[R_FLAGS];
	int rc;

	pthread_mutex_lock(&st->rlock);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*npublic = sqlite3_column_int64(s, 0);
		*nupdates = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->rlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

struct store_cursor *store_cursor_open(struct store *st)
{
	struct store_cursor *cur = calloc(1, sizeof *cur);
	char err[256];

	if (cur == NULL)
		return NULL;
	if (open_db(&cur->db, st->path, SQLITE_OPEN_READONLY, err, sizeof err) != 0)
		goto fail;
	/* The first step starts the read transaction: one snapshot for the
	 * whole export, however long it takes. */
	if (sqlite3_prepare_v2(cur->db,
			       "SELECT id, signed_at, name, email, country, comment, public, updates"
			       " FROM signatures ORDER BY id",
			       -1, &cur->st, NULL) != SQLITE_OK)
		goto fail;
	return cur;
fail:
	store_cursor_close(cur);
	return NULL;
}

int store_cursor_next(struct store_cursor *cur, struct store_sig *row)
{
	sqlite3_stmt *s = cur->st;
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	row->id = sqlite3_column_int64(s, 0);
	row->signed_at = sqlite3_column_int64(s, 1);
	row->name = (const char *)sqlite3_column_text(s, 2);
	row->email = (const char *)sqlite3_column_text(s, 3);
	row->email_norm = NULL;
	row->country = (const char *)sqlite3_column_text(s, 4);
	row->comment = (const char *)sqlite3_column_text(s, 5);
	row->is_public = sqlite3_column_int(s, 6);
	row->updates = sqlite3_column_int(s, 7);
	if (!row->name)
		row->name = "";
	if (!row->email)
		row->email = "";
	if (!row->country)
		row->country = "";
	if (!row->comment)
		row->comment = "";
	return 1;
}

void store_cursor_close(struct store_cursor *cur)
{
	if (cur == NULL)
		return;
	sqlite3_finalize(cur->st);
	sqlite3_close(cur->db);
	free(cur);
}

int store_backup(const char *src, const char *dst, char *err, size_t errlen)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *st;
	int rc = -1, step;

	if (open_db(&from, src, SQLITE_OPEN_READONLY, err, errlen) != 0)
		return -1;
	if (open_db(&to, dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err, errlen) != 0)
		goto out;
	b = sqlite3_backup_init(to, "main", from, "main");
	if (b == NULL) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(to));
		goto out;
	}
	/* Copy in steps so the server's writer is never held up for long; a
	 * write in between makes SQLite restart the copy from the new state. */
	do {
		step = sqlite3_backup_step(b, 1024);
		if (step == SQLITE_BUSY || step == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errstr(step));
		goto out;
	}
	if (sqlite3_prepare_v2(to, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(to));
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0)
		rc = 0;
	else
		snprintf(err, errlen, "the copy failed its integrity check");
	sqlite3_finalize(st);
out:
	sqlite3_close(to);
	sqlite3_close(from);
	return rc;
}
