/* ratelimit.c -- per-client token buckets, in memory only. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

#define RATELIMIT_PROBE 8 /* slots looked at per id: on a full window the stalest is reused */

struct ratelimit {
	pthread_mutex_t lock;
	long rate;
	struct slot {
		uint64_t id; /* 0: empty */
		double tokens;
		int64_t last_ms;
	} *slots;
};

struct ratelimit *ratelimit_new(long per_minute)
{
	struct ratelimit *rl = calloc(1, sizeof *rl);

	if (rl == NULL)
		return NULL;
	rl->rate = per_minute;
	pthread_mutex_init(&rl->lock, NULL);
	if (per_minute > 0 && (rl->slots = calloc(RATELIMIT_SLOTS, sizeof *rl->slots)) == NULL) {
		ratelimit_free(rl);
		return NULL;
	}
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

int ratelimit_take(struct ratelimit *rl, uint64_t id, int64_t now_ms)
{
	struct slot *s = NULL, *victim = NULL;
	double per_ms, burst;
	int wait = 0;
	size_t i, base;

	if (rl == NULL || rl->rate <= 0 || rl->slots == NULL || id == 0)
		return 0;
	per_ms = (double)rl->rate / 60000.0;
	burst = (double)rl->rate;
	base = (size_t)(id % RATELIMIT_SLOTS);
	pthread_mutex_lock(&rl->lock);
	for (i = 0; i < RATELIMIT_PROBE; i++) {
		struct slot *c = &rl->slots[(base + i) % RATELIMIT_SLOTS];

		if (c->id == id) {
			s = c;
			break;
		}
		if (victim == NULL || c->id == 0 || c->last_ms < victim->last_ms)
			if (victim == NULL || victim->id != 0)
				victim = c;
	}
	if (s == NULL) {
		s = victim;
		s->id = id;
		s->tokens = burst;
		s->last_ms = now_ms;
	}
	s->tokens += (double)(now_ms - s->last_ms) * per_ms;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last_ms = now_ms;
	if (s->tokens >= 1.0)
		s->tokens -= 1.0;
	else
		wait = (int)((1.0 - s->tokens) / per_ms / 1000.0) + 1;
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
