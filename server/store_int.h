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
#include <sqlite3.h>

#include "store.h"

struct store_conns {
	const char *path;
	sqlite3 *w;             /* read-write: writer thread / start-up only */
	sqlite3 *r;             /* read-only: any thread, under *rlock */
	pthread_mutex_t *rlock;
};

/* The connections of st. */
void store_conns(struct store *st, struct store_conns *out);
/* Runs sql (no rows expected) on db. Returns 0, or -1 with SQLite's message
 * and op in err. */
int store_exec(sqlite3 *db, const char *op, const char *sql, char *err, size_t errlen);
/* Writes "op in PATH: message (code)" for db's last error into err. */
void store_errmsg(sqlite3 *db, const char *path, const char *op, char *err, size_t errlen);

#endif
