/* ratelimit.h -- per-client token buckets, in memory only.
 * Client keys are hashed with a per-process random salt, so not even the
 * process's memory holds a table of raw addresses. */
#ifndef PETITIOND_RATELIMIT_H
#define PETITIOND_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 65536 /* clients tracked at once; the oldest are forgotten */

/* per_minute tokens refill per minute, up to a burst of per_minute. 0: off. */
int ratelimit_init(long per_minute);
/* Takes one token for key. Returns 0 when allowed, else the whole seconds
 * until a token is available (for Retry-After). Any thread. */
int ratelimit_take(const void *key, size_t len, int64_t now_ms);

#endif
