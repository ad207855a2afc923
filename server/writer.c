/* writer.c -- the single writer thread: group commit of queued signatures.
 *
 * Why one thread: SQLite allows one writer at a time anyway, and committing a
 * whole queue in one transaction turns N fsyncs into one. Latency stays low
 * because the writer never waits to gather a batch: whatever arrived while
 * the last commit was syncing becomes the next batch. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metric.h"

/* After a failed commit, wait this long before the next try so a full disk
 * is not hammered; queued requests wait (they are answered 503 meanwhile). */
#define WRITER_RETRY_PAUSE_MS 200
/* Idle, the writer re-reads the stored count this often (see writer_main). */
#define WRITER_IDLE_RECOUNT_S 1

struct writer {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct writer_item *head, *tail;
	size_t queued;
	int stopping;
	pthread_t thread;
	struct store *st;
	_Atomic int64_t count;
	_Atomic int64_t bots;
	_Atomic int failing; /* the last commit failed (writer_failing) */
	/* The batch being committed: writer thread only. */
	struct store_sig sigs[WRITER_MAX_BATCH];
	unsigned char inserted[WRITER_MAX_BATCH];
};

static void commit_batch(struct writer *w, struct writer_item *batch, size_t n)
{
	struct writer_item *it, *next;
	enum writer_status status;
	int64_t count = 0, bots = 0, nbots = 0;
	char err[256];
	size_t i = 0;
	struct timespec t0, t1;

	for (it = batch; it != NULL; it = it->next) {
		if (it->op == WRITER_BOT)
			nbots++;
		else
			w->sigs[i++] = it->sig;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_add_batch(w->st, w->sigs, i, nbots, w->inserted, &count, &bots, err,
			    sizeof err) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		metric_batch(n, (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
					   (t1.tv_nsec - t0.tv_nsec)));
		atomic_store(&w->count, count);
		atomic_store(&w->bots, bots);
		status = WRITER_OK;
	} else {
		log_warn("could not commit %zu signature(s), answering 503: %s", n, err);
		status = WRITER_FAILED;
	}
	atomic_store(&w->failing, status == WRITER_FAILED);
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

/* A task (an organizer's change: settings, content, moderation) runs alone,
 * in the writer thread, on the writer's connection; it makes its own
 * transaction with the store's functions. The count is read again after
 * it, since a task may erase signatures. */
static void run_task(struct writer *w, struct writer_item *it)
{
	enum writer_status status = WRITER_OK;
	char err[256];

	err[0] = '\0';
	if (it->task(w->st, it->task_arg, err, sizeof err) != 0) {
		log_warn("an organizer's change could not be saved, answering 503: %s",
			 err[0] ? err : "no reason given");
		status = WRITER_FAILED;
	} else {
		atomic_store(&w->count, store_count(w->st));
		/* A commit went through: the disk takes writes again. (A task's
		 * failure need not be the disk's, so it does not set the flag.) */
		atomic_store(&w->failing, 0);
	}
	it->done(it, status);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct writer_item *batch, *it;
		size_t n;
		int idle;

		while (w->head == NULL && !w->stopping) {
			struct timespec until;

			/* Idle: look at the stored count every second, so a
			 * change made beside the server (petitiond delete,
			 * which writes the database directly) shows on the
			 * page. One prepared single-row read. */
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += WRITER_IDLE_RECOUNT_S;
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT &&
			    w->head == NULL && !w->stopping) {
				int64_t v;

				pthread_mutex_unlock(&w->lock);
				if ((v = store_count(w->st)) >= 0)
					atomic_store(&w->count, v);
				if ((v = store_counter(w->st, "bots_refused")) >= 0)
					atomic_store(&w->bots, v);
				pthread_mutex_lock(&w->lock);
			}
		}
		if (w->head == NULL && w->stopping)
			break;
		/* A task at the front goes alone. */
		if (w->head->op == WRITER_TASK) {
			it = w->head;
			w->head = it->next;
			if (w->head == NULL)
				w->tail = NULL;
			w->queued--;
			pthread_mutex_unlock(&w->lock);
			run_task(w, it);
			pthread_mutex_lock(&w->lock);
			continue;
		}
		/* Take up to WRITER_MAX_BATCH signatures (and caught bots) off
		 * the front, up to the next task. */
		batch = w->head;
		for (n = 1, it = batch;
		     it->next != NULL && it->next->op != WRITER_TASK &&
		     n < WRITER_MAX_BATCH;
		     n++)
			it = it->next;
		w->head = it->next;
		if (w->head == NULL)
			w->tail = NULL;
		it->next = NULL;
		w->queued -= n;
		pthread_mutex_unlock(&w->lock);
		commit_batch(w, batch, n);
		pthread_mutex_lock(&w->lock);
		/* Checkpoint in the gaps between batches; only a WAL grown large
		 * forces one while signatures are waiting. */
		idle = w->head == NULL;
		pthread_mutex_unlock(&w->lock);
		store_checkpoint(w->st, idle);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct writer *writer_start(struct store *st)
{
	struct writer *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	{
		pthread_condattr_t ca;

		/* Timed waits on the monotonic clock: a clock step does not
		 * stall or hurry the idle recount. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	w->st = st;
	atomic_store(&w->count, store_count(st));
	atomic_store(&w->bots, store_counter(st, "bots_refused"));
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

int writer_submit(struct writer *w, struct writer_item *item)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping || w->queued >= WRITER_MAX_QUEUE) {
		pthread_mutex_unlock(&w->lock);
		return -1;
	}
	item->next = NULL;
	if (w->tail)
		w->tail->next = item;
	else
		w->head = item;
	w->tail = item;
	w->queued++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
}

void writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int writer_failing(const struct writer *w)
{
	return atomic_load(&((struct writer *)w)->failing);
}

size_t writer_queued(const struct writer *w)
{
	struct writer *m = (struct writer *)w;
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->queued;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void writer_note_count(struct writer *w, int64_t count)
{
	int64_t cur = atomic_load(&w->count);

	while (count > cur && !atomic_compare_exchange_weak(&w->count, &cur, count))
		;
}

int64_t writer_count(const struct writer *w)
{
	return atomic_load(&((struct writer *)w)->count);
}

int64_t writer_bots_refused(const struct writer *w)
{
	return atomic_load(&((struct writer *)w)->bots);
}
