/* writer.h -- the single writer thread: group commit of queued signatures.
 *
 * Request threads never touch the disk: they hand a signature to
 * writer_submit() and suspend their connection. The writer takes everything
 * queued, commits it in one transaction, then calls each item's done()
 * callback (from the writer thread) with WRITER_OK or WRITER_FAILED.
 *
 * Every submission that is answered as a success goes through here and
 * waits for a commit that writes and syncs: a new signature, a repeated
 * email (nothing added, the same work done: store_add_batch) and a post the
 * honeypot caught (only counted). So the three cannot be told apart by the
 * time their answers take. */
#ifndef PETITIOND_WRITER_H
#define PETITIOND_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Most signatures in one transaction. The writer never waits for a batch to
 * fill: it commits whatever is queued the moment the previous commit ends. */
#define WRITER_MAX_BATCH 512
_Static_assert(WRITER_MAX_BATCH <= STORE_BATCH_MAX, "store_add_batch takes the batch");
/* Most signatures waiting; past this writer_submit() refuses (503). */
#define WRITER_MAX_QUEUE 20000

enum writer_status { WRITER_PENDING = 0, WRITER_OK = 1, WRITER_FAILED = 2 };

enum writer_op {
	WRITER_SIGN = 0,   /* add sig (or, for a repeated email, nothing) */
	WRITER_BOT = 2,    /* a post the honeypot caught: counted, nothing kept;
			    * sig is not read */
	WRITER_TASK = 3    /* run task(st, task_arg) alone, in the writer thread */
};

struct writer_item {
	enum writer_op op;
	struct store_sig sig;   /* strings owned by the submitter until done() */
	/* WRITER_TASK: runs on the writer's connection, in its thread; makes
	 * its own transaction. Returns 0, or -1 with the reason in err (then
	 * nothing of it may remain: it rolls back). */
	int (*task)(struct store *st, void *arg, char *err, size_t errlen);
	void *task_arg;
	void (*done)(struct writer_item *item, enum writer_status status);
	struct writer_item *next;
};

struct writer;

/* Starts the writer thread on st with the stored count. Returns the writer,
 * or NULL. Main thread. */
struct writer *writer_start(struct store *st);
/* Queues item. Returns 0, or -1 when the writer is stopping or the queue is
 * full (item not taken; done() will not be called). Any thread. */
int writer_submit(struct writer *w, struct writer_item *item);
/* Commits everything still queued, calls every done(), stops the thread.
 * Later submits are refused. Main thread only. */
void writer_stop(struct writer *w);
/* Frees a stopped writer, once nothing can submit to it any more (after
 * http_stop). Main thread only. */
void writer_free(struct writer *w);
/* The committed signature count. Any thread, lock-free. */
int64_t writer_count(const struct writer *w);
/* Another node's commit moved the shared count to at least count
 * (PostgreSQL, sync.c): shown at once when larger; a smaller one (a
 * deletion elsewhere) comes with the writer's own reads. Any thread. */
void writer_note_count(struct writer *w, int64_t count);
/* Items waiting in the queue now (GET /metrics). Any thread. */
size_t writer_queued(const struct writer *w);
/* 1 while the last commit (of signatures or a deletion) failed: a full or
 * failing disk. Cleared by the next commit that succeeds. Any thread,
 * lock-free. */
int writer_failing(const struct writer *w);
/* The committed count of honeypot posts (WRITER_BOT), kept in the database
 * across restarts. Any thread, lock-free. */
int64_t writer_bots_refused(const struct writer *w);

#endif
