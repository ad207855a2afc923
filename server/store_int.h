/* store_int.h -- what the files of the store layer (store.c and the
 * store_*.c files that keep one area each: content, admins, audit, ...)
 * share. Only store layer files include it, and only they include
 * sqlite3.h.
 *
 * Threads: the writer connection (w) belongs to the writer thread -- a
 * store_*.c function that writes is called from a writer task
 * (WRITER_TASK, see writer.h) or at start-up before the writer runs. The
 * read connection (r) is shared by request threads behind *rlock; hold it
 * from the first step to the last reset. */
#ifndef PETITIOND_STORE_INT_H
#define PETITIOND_STORE_INT_H

#include <pthread.h>
#include "db.h"

#include "store.h"

struct store_conns {
	const char *path;
	struct db *w;             /* read-write: writer thread / start-up only */
	struct db *r;             /* read-only: any thread, under *rlock */
	pthread_mutex_t *rlock;
};

/* The connections of st. */
void store_conns(struct store *st, struct store_conns *out);
/* Runs sql (no rows expected) on db. Returns 0, or -1 with SQLite's message
 * and op in err. */
int store_exec(struct db *db, const char *op, const char *sql, char *err, size_t errlen);
/* Writes "op in PATH: message (code)" for db's last error into err. */
void store_errmsg(struct db *db, const char *path, const char *op, char *err, size_t errlen);

/* The email area's prepared statements of the signing path, kept in the
 * store (finalized by store_close). */
#define STORE_MAIL_NSTMTS 12

/* store.c, email area: adds delta to a counter; takes one message from the
 * daily quota of signature sig_id's address (1 allowed, 0 spent -- the row
 * is written either way -- or -1); queues a message of kind to rcpt with
 * fresh tokens (the outbox full: skipped and counted). Inside the caller's
 * transaction, writer thread. 0 or -1. */
int store_mail_counter(struct store *st, const char *name, int64_t delta);
int store_mail_quota_take(struct store *st, int64_t sig_id, int64_t now);
int store_mail_queue(struct store *st, int64_t sig_id, enum store_mail_kind kind,
		     const char *rcpt, const char *lang, int64_t now, int64_t mail_at);

/* Small helpers of the store's files: runs sql (no rows wanted; ?1 = a
 * when it has a parameter), 0 or -1; the one integer sql answers, or -1;
 * after a failure: err from db's last error unless it says something
 * already (callers set err[0] = '\0' first), and the transaction rolled
 * back if one is open. */
int store_run(struct db *db, const char *sql, int64_t a);
int64_t store_scalar(struct db *db, const char *sql);
void store_fail(struct db *db, const char *path, const char *op, char *err, size_t errlen);

/* The schema version of db: SQLite's PRAGMA user_version, PostgreSQL's
 * petitiond_schema (0 before the first migration), -1 when unreadable. */
int store_schema_version(struct db *db);

/* A TRUNCATE checkpoint that never waits for readers (1 done, 0 not now),
 * and nothing with --wal-checkpoint external. Writer thread. */
int store_checkpoint_truncate(struct store *st);

/* store.c, for store_add_batch (inside its transaction): the mail a
 * signature submitted with sig->mail asks for. id: its row; confirmed: its
 * state. Counts against the address's daily quota; queues a confirmation
 * (unconfirmed) or a "signed already" message (confirmed) with fresh
 * tokens. The same statements run whichever it is. 0 or -1 (err). */
int store_mail_on_sign(struct store *st, const struct store_sig *sig, int64_t id, int confirmed,
		       int64_t now, char *err, size_t errlen);

#endif
