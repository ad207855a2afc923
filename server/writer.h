/* writer.h -- the single writer thread: group commit of queued signatures.
 *
 * Request threads never touch the disk: they hand a signature to
 * writer_submit() and suspend their connection. The writer takes everything
 * queued, commits it in one transaction, then calls each item's done()
 * callback (from the writer thread) with WRITER_OK or WRITER_FAILED. */
#ifndef PETITIOND_WRITER_H
#define PETITIOND_WRITER_H

#include <stdint.h>

#include "store.h"

/* Most signatures in one transaction. The writer never waits for a batch to
 * fill: it commits whatever is queued the moment the previous commit ends. */
#define WRITER_MAX_BATCH 512
/* Most signatures waiting; past this writer_submit() refuses (503). */
#define WRITER_MAX_QUEUE 20000

enum writer_status { WRITER_PENDING = 0, WRITER_OK = 1, WRITER_FAILED = 2 };

enum writer_op { WRITER_SIGN = 0, WRITER_DELETE = 1 };

struct writer_item {
	enum writer_op op;
	struct store_sig sig;   /* strings owned by the submitter until done();
				 * for WRITER_DELETE only sig.email_norm is used */
	int deleted;            /* WRITER_DELETE: rows removed (0 or 1), set before done() */
	void (*done)(struct writer_item *item, enum writer_status status);
	struct writer_item *next;
};

/* Starts the writer thread on st with the stored count. Returns 0 or -1. */
int writer_start(struct store *st);
/* Queues item. Returns 0, or -1 when the writer is stopping or the queue is
 * full (item not taken; done() will not be called). Any thread. */
int writer_submit(struct writer_item *item);
/* Commits everything still queued, calls every done(), stops the thread.
 * Later submits are refused. Main thread only. */
void writer_stop(void);
/* The committed signature count. Any thread, lock-free. */
int64_t writer_count(void);
/* Counters for the admin page: batches committed, failed commits. */
void writer_stats(uint64_t *batches, uint64_t *failures, uint64_t *max_batch);

#endif
