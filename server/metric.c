/* metric.c -- the server's running figures (see metric.h). Relaxed atomics:
 * a scrape may see one request counted in one figure and not yet in another,
 * which Prometheus tolerates. */
#include "metric.h"

#include <stdatomic.h>

static _Atomic uint64_t requests[METRIC_MAX_ROUTES + 1][METRIC_CLASSES];
static _Atomic uint64_t sign_status[METRIC_SIGN_STATUSES];
static _Atomic int64_t connections;
static _Atomic uint64_t batch_n[METRIC_BATCH_BUCKETS + 1];
static _Atomic uint64_t batch_sum;
static _Atomic uint64_t latency_n[METRIC_LATENCY_BUCKETS + 1];
static _Atomic uint64_t latency_sum_ns;

const double metric_batch_le[METRIC_BATCH_BUCKETS] = { 1,  2,   4,   8,   16,  32,
						       64, 128, 256, 512, 1024 };
const double metric_latency_le[METRIC_LATENCY_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5
};

#define RELAXED memory_order_relaxed

static _Atomic int sign_route = -2;

void metric_set_sign_route(int route)
{
	atomic_store(&sign_route, route);
}

void metric_request(int route, unsigned status)
{
	int r = route < 0 || route >= METRIC_MAX_ROUTES ? METRIC_MAX_ROUTES : route;

	if (status < 100 || status >= 600)
		return;
	atomic_fetch_add_explicit(&requests[r][status / 100 - 1], 1, RELAXED);
	if (route == atomic_load_explicit(&sign_route, RELAXED))
		atomic_fetch_add_explicit(&sign_status[status], 1, RELAXED);
}

void metric_connection(int delta)
{
	atomic_fetch_add_explicit(&connections, delta, RELAXED);
}

void metric_batch(size_t n, uint64_t ns)
{
	double s = (double)ns / 1e9;
	int i;

	/* Non-cumulative buckets here; metric_*_bucket sums them. */
	for (i = 0; i < METRIC_BATCH_BUCKETS && (double)n > metric_batch_le[i]; i++)
		;
	atomic_fetch_add_explicit(&batch_n[i], 1, RELAXED);
	atomic_fetch_add_explicit(&batch_sum, n, RELAXED);
	for (i = 0; i < METRIC_LATENCY_BUCKETS && s > metric_latency_le[i]; i++)
		;
	atomic_fetch_add_explicit(&latency_n[i], 1, RELAXED);
	atomic_fetch_add_explicit(&latency_sum_ns, ns, RELAXED);
}

uint64_t metric_requests(int route, int cls)
{
	int r = route < 0 || route >= METRIC_MAX_ROUTES ? METRIC_MAX_ROUTES : route;

	return cls >= 0 && cls < METRIC_CLASSES ? atomic_load_explicit(&requests[r][cls], RELAXED)
						: 0;
}

uint64_t metric_sign_status(unsigned status)
{
	return status < METRIC_SIGN_STATUSES ? atomic_load_explicit(&sign_status[status], RELAXED)
					     : 0;
}

int64_t metric_connections(void)
{
	return atomic_load_explicit(&connections, RELAXED);
}

uint64_t metric_batch_bucket(int i)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k <= i && k <= METRIC_BATCH_BUCKETS; k++)
		n += atomic_load_explicit(&batch_n[k], RELAXED);
	return n;
}

uint64_t metric_batch_sum(void)
{
	return atomic_load_explicit(&batch_sum, RELAXED);
}

uint64_t metric_latency_bucket(int i)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k <= i && k <= METRIC_LATENCY_BUCKETS; k++)
		n += atomic_load_explicit(&latency_n[k], RELAXED);
	return n;
}

double metric_latency_sum(void)
{
	return (double)atomic_load_explicit(&latency_sum_ns, RELAXED) / 1e9;
}
