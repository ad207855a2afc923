/* sync.c -- several petitiond nodes on one PostgreSQL database: what
 * another node changed reaches this one's pages within a second.
 *
 * Each node keeps in memory what its pages show: the published texts and
 * share image, the lifecycle settings (status, deadline, goal, messages),
 * and rendered pages that hidden rows leave out. A thread waits on the
 * store's listener (LISTEN: the schema's triggers notify at every commit
 * that touches those tables, whichever node or command made it) and, when
 * something moved, hands the writer a task that reads it all again: the
 * writer's connection is the one those reads use, and a task runs alone,
 * between batches, like an organizer's change made here. When another
 * node's batch moved the counters, the thread reads the count itself on
 * the listener's connection (at most every SYNC_COUNT_MS: under load every
 * batch of every node notifies) and raises this node's; the writer reads it
 * after every batch of its own and every second when idle. */
#include "sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "log.h"
#include "store.h"
#include "writer.h"

/* How long one wait lasts: the thread looks at the stop flag this often. */
#define SYNC_WAIT_MS 500
/* The least time between two reads of the count. */
#define SYNC_COUNT_MS 100

struct sync {
	struct app *a;
	struct store_listener *l;
	pthread_t thread;
	_Atomic int stopping;
	/* One reload task at a time: notices that come while it waits in the
	 * writer's queue are folded into it. */
	_Atomic unsigned pending;  /* STORE_CHANGED_* still to read */
	_Atomic int queued;
	struct writer_item item;
};

static int reload_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct sync *s = arg;
	unsigned what = atomic_exchange(&s->pending, 0);

	(void)st;
	if ((what & STORE_CHANGED_SETTINGS) && admin_life_reload(s->a, err, errlen) != 0)
		return -1;
	if ((what & STORE_CHANGED_CONTENT) && admin_content_reload(s->a, err, errlen) != 0)
		return -1;
	app_changed(s->a);
	return 0;
}

static void reload_done(struct writer_item *item, enum writer_status status)
{
	struct sync *s = (struct sync *)((char *)item - offsetof(struct sync, item));

	if (status != WRITER_OK)
		atomic_fetch_or(&s->pending, STORE_CHANGED_ALL); /* read again next time */
	atomic_store(&s->queued, 0);
}

static void *sync_main(void *arg)
{
	struct sync *s = arg;
	int down = 0, want_count = 0;
	int64_t counted_at = 0;

	while (!atomic_load(&s->stopping)) {
		unsigned changed = 0;
		int64_t now = clock_mono_ms();
		int wait = SYNC_WAIT_MS, rc;

		if (want_count && now - counted_at >= SYNC_COUNT_MS) {
			int64_t v = store_listener_count(s->l);

			if (v >= 0)
				writer_note_count(s->a->writer, v);
			want_count = 0;
			counted_at = now;
		}
		if (want_count)
			wait = (int)(SYNC_COUNT_MS - (now - counted_at));
		rc = store_listener_wait(s->l, wait, &changed);

		if (rc < 0) {
			if (!down)
				log_warn("sync: cannot hear the other nodes' changes (PostgreSQL "
					 "unreachable); trying again every %d ms", SYNC_WAIT_MS);
			down = 1;
			continue;
		}
		if (down)
			log_info("sync: hearing the other nodes' changes again");
		down = 0;
		if (changed & STORE_CHANGED_COUNT)
			want_count = 1;
		changed &= ~STORE_CHANGED_COUNT;
		if (changed)
			atomic_fetch_or(&s->pending, changed);
		if (atomic_load(&s->pending) == 0 || atomic_load(&s->queued))
			continue;
		memset(&s->item, 0, sizeof s->item);
		s->item.op = WRITER_TASK;
		s->item.task = reload_task;
		s->item.task_arg = s;
		s->item.done = reload_done;
		atomic_store(&s->queued, 1);
		if (writer_submit(s->a->writer, &s->item) != 0)
			atomic_store(&s->queued, 0); /* full or stopping: next round */
	}
	return NULL;
}

struct sync *sync_start(struct app *a, char *err, size_t errlen)
{
	struct sync *s;

	err[0] = '\0';
	if (!store_is_shared(a->cfg->db))
		return NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->a = a;
	s->l = store_listener_open(a->cfg->db, err, errlen);
	if (s->l == NULL) {
		free(s);
		return NULL;
	}
	if (pthread_create(&s->thread, NULL, sync_main, s) != 0) {
		snprintf(err, errlen, "cannot start the sync thread");
		store_listener_close(s->l);
		free(s);
		return NULL;
	}
	return s;
}

void sync_stop(struct sync *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stopping, 1);
	pthread_join(s->thread, NULL);
	store_listener_close(s->l);
	s->l = NULL;
}

void sync_free(struct sync *s)
{
	free(s);
}
