/* writer.c -- the single writer thread: group commit of queued signatures.
 *
 * Why one thread: SQLite allows one writer at a time anyway, and committing a
 * whole queue in one transaction turns N fsyncs into one. Latency stays low
 * because the writer never waits to gather a batch: whatever arrived while
 * the last commit was syncing becomes the next batch. */
#include "writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct writer_item *head, *tail;
	size_t queued;
	int stopping;
	int started;
	pthread_t thread;
	struct store *st;
	_Atomic int64_t count;
	_Atomic uint64_t batches, failures, max_batch;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* After a failed commit, wait this long before the next try so a full disk
 * is not hammered; queued requests wait (they are answered 503 meanwhile). */
#define WRITER_RETRY_PAUSE_MS 200

static void commit_batch(struct writer_item *batch, size_t n)
{
	static struct store_sig sigs[WRITER_MAX_BATCH];
	static unsigned char inserted[WRITER_MAX_BATCH];
	struct writer_item *it, *next;
	enum writer_status status;
	int64_t count = 0;
	size_t i;

	for (i = 0, it = batch; it != NULL; it = it->next, i++)
		sigs[i] = it->sig;
	if (store_add_batch(w.st, sigs, n, inserted, &count) == 0) {
		atomic_store(&w.count, count);
		atomic_fetch_add(&w.batches, 1);
		if (n > atomic_load(&w.max_batch))
			atomic_store(&w.max_batch, n);
		status = WRITER_OK;
	} else {
		atomic_fetch_add(&w.failures, 1);
		log_warn("could not commit %zu signature(s); answering 503", n);
		status = WRITER_FAILED;
	}
	/* done() may free the item: read next first. */
	for (it = batch; it != NULL; it = next) {
		next = it->next;
		it->done(it, status);
	}
	if (status == WRITER_FAILED) {
		struct timespec ts = { 0, WRITER_RETRY_PAUSE_MS * 1000000L };

		nanosleep(&ts, NULL);
	}
}

/* A deletion runs in a transaction of its own: they are rare (a signer
 * asked the organizers to erase their signature). */
static void run_delete(struct writer_item *it)
{
	int64_t count = 0;
	int deleted = 0;
	enum writer_status status = WRITER_OK;

	if (store_delete(w.st, it->sig.email_norm, &deleted, &count) == 0) {
		atomic_store(&w.count, count);
	} else {
		atomic_fetch_add(&w.failures, 1);
		status = WRITER_FAILED;
	}
	it->deleted = deleted;
	it->done(it, status);
}

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&w.lock);
	for (;;) {
		struct writer_item *batch, *it;
		size_t n;

		while (w.head == NULL && !w.stopping)
			pthread_cond_wait(&w.wake, &w.lock);
		if (w.head == NULL && w.stopping)
			break;
		/* A deletion at the front goes alone. */
		if (w.head->op == WRITER_DELETE) {
			it = w.head;
			w.head = it->next;
			if (w.head == NULL)
				w.tail = NULL;
			w.queued--;
			pthread_mutex_unlock(&w.lock);
			run_delete(it);
			pthread_mutex_lock(&w.lock);
			continue;
		}
		/* Take up to WRITER_MAX_BATCH signatures off the front. */
		batch = w.head;
		for (n = 1, it = batch; it->next != NULL && it->next->op == WRITER_SIGN &&
					n < WRITER_MAX_BATCH;
		     n++)
			it = it->next;
		w.head = it->next;
		if (w.head == NULL)
			w.tail = NULL;
		it->next = NULL;
		w.queued -= n;
		pthread_mutex_unlock(&w.lock);
		commit_batch(batch, n);
		pthread_mutex_lock(&w.lock);
		/* Checkpoint in the gaps between batches; only a WAL grown large
		 * forces one while signatures are waiting. */
		{
			int idle = w.head == NULL;

			pthread_mutex_unlock(&w.lock);
			store_checkpoint(w.st, idle);
			pthread_mutex_lock(&w.lock);
		}
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

int writer_start(struct store *st)
{
	w.st = st;
	atomic_store(&w.count, store_count(st));
	if (pthread_create(&w.thread, NULL, writer_main, NULL) != 0)
		return -1;
	w.started = 1;
	return 0;
}

int writer_submit(struct writer_item *item)
{
	pthread_mutex_lock(&w.lock);
	if (w.stopping || !w.started || w.queued >= WRITER_MAX_QUEUE) {
		pthread_mutex_unlock(&w.lock);
		return -1;
	}
	item->next = NULL;
	if (w.tail)
		w.tail->next = item;
	else
		w.head = item;
	w.tail = item;
	w.queued++;
	pthread_cond_signal(&w.wake);
	pthread_mutex_unlock(&w.lock);
	return 0;
}

void writer_stop(void)
{
	if (!w.started)
		return;
	pthread_mutex_lock(&w.lock);
	w.stopping = 1;
	pthread_cond_signal(&w.wake);
	pthread_mutex_unlock(&w.lock);
	pthread_join(w.thread, NULL);
	w.started = 0;
}

int64_t writer_count(void)
{
	return atomic_load(&w.count);
}

void writer_stats(uint64_t *batches, uint64_t *failures, uint64_t *max_batch)
{
	*batches = atomic_load(&w.batches);
	*failures = atomic_load(&w.failures);
	*max_batch = atomic_load(&w.max_batch);
}
