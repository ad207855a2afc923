/* ratelimit.h -- per-client token buckets, in memory only.
 * Clients are named by the opaque ids of http_client_id() (keyed hashes),
 * so the table holds no address. */
#ifndef PETITIOND_RATELIMIT_H
#define PETITIOND_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 65536 /* clients tracked at once; the stalest are forgotten */

struct ratelimit;

/* per_minute tokens refill per minute, up to a burst of per_minute; 0 turns
 * the limit off (every take succeeds). Returns NULL when out of memory.
 * Start-up only. */
struct ratelimit *ratelimit_new(long per_minute);
void ratelimit_free(struct ratelimit *rl);
/* Takes one token for client id (0: unknown client, always allowed).
 * Returns 0 when allowed, else the whole seconds until a token is available
 * (for Retry-After). Any thread. */
int ratelimit_take(struct ratelimit *rl, uint64_t id, int64_t now_ms);

#endif
