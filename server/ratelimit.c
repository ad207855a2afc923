/* ratelimit.c -- per-client token buckets, in memory only. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define PROBE 8 /* slots looked at per key: on a full window the stalest is reused */

struct slot {
	uint64_t key;   /* 0: empty */
	double tokens;
	int64_t last_ms;
};

static struct slot *slots;
static long rate;
static unsigned char salt[16];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int ratelimit_init(long per_minute)
{
	rate = per_minute;
	if (rate <= 0)
		return 0;
	if (auth_random(salt, sizeof salt) != 0)
		return -1;
	slots = calloc(RATELIMIT_SLOTS, sizeof *slots);
	return slots ? 0 : -1;
}

/* FNV-1a over salt and key: a keyed hash is enough here, the table never
 * leaves memory and an attacker cannot see it to aim collisions. */
static uint64_t hash_key(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < sizeof salt; i++) {
		h ^= salt[i];
		h *= 1099511628211ULL;
	}
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

int ratelimit_take(const void *key, size_t len, int64_t now_ms)
{
	uint64_t h;
	struct slot *s = NULL, *victim = NULL;
	double per_ms, burst;
	int wait = 0;
	size_t i, base;

	if (rate <= 0 || slots == NULL)
		return 0;
	h = hash_key(key, len);
	per_ms = (double)rate / 60000.0;
	burst = (double)rate;
	base = (size_t)(h % RATELIMIT_SLOTS);
	pthread_mutex_lock(&lock);
	for (i = 0; i < PROBE; i++) {
		struct slot *c = &slots[(base + i) % RATELIMIT_SLOTS];

		if (c->key == h) {
			s = c;
			break;
		}
		if (victim == NULL || c->key == 0 || c->last_ms < victim->last_ms)
			if (victim == NULL || victim->key != 0)
				victim = c;
	}
	if (s == NULL) {
		s = victim;
		s->key = h;
		s->tokens = burst;
		s->last_ms = now_ms;
	}
	s->tokens += (double)(now_ms - s->last_ms) * per_ms;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last_ms = now_ms;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
	} else {
		wait = (int)((1.0 - s->tokens) / per_ms / 1000.0) + 1;
	}
	pthread_mutex_unlock(&lock);
	return wait;
}
