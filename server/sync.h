/* sync.h -- several nodes on one PostgreSQL database: other nodes' changes
 * to texts, settings and hidden rows reach this node's pages (sync.c). */
#ifndef PETITIOND_SYNC_H
#define PETITIOND_SYNC_H

#include <stddef.h>

struct app;
struct sync;

/* Starts the thread that listens for the other nodes' changes, after the
 * writer started. NULL with err empty: nothing to do (a SQLite database,
 * which one server owns); NULL with err set: it could not start. Main
 * thread. */
struct sync *sync_start(struct app *a, char *err, size_t errlen);
/* Stops the thread (before the writer stops: a reload it queued still
 * runs); sync_free once the writer has stopped. Main thread. */
void sync_stop(struct sync *s);
void sync_free(struct sync *s);

#endif
