/* metric.h -- the server's running figures for GET /metrics: counters and
 * histograms kept with atomics, cheap enough to update on every request.
 * Pure: no I/O; metrics.c renders them in the Prometheus text format. Any
 * thread. The figures count since the process started. */
#ifndef PETITIOND_METRIC_H
#define PETITIOND_METRIC_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_MAX_ROUTES 96     /* route indexes counted one by one; others as "other" */
#define METRIC_CLASSES 5         /* 1xx .. 5xx */
#define METRIC_SIGN_STATUSES 600 /* POST /sign answers counted by exact status */
#define METRIC_BATCH_BUCKETS 11  /* 1, 2, 4, ... 1024 signatures, then +Inf */
#define METRIC_LATENCY_BUCKETS 12

/* A request answered with status on route (its index in the routes table;
 * -1 when it matched none). */
void metric_request(int route, unsigned status);
/* The index of POST /sign, whose answers are also counted by exact status
 * (start-up, before requests). */
void metric_set_sign_route(int route);
/* A connection opened (+1) or closed (-1). */
void metric_connection(int delta);
/* A committed writer batch of n items that took ns nanoseconds. */
void metric_batch(size_t n, uint64_t ns);

/* Reading, for the renderer. */
uint64_t metric_requests(int route, int cls); /* route -1: none matched; cls 0..4 */
uint64_t metric_sign_status(unsigned status);
int64_t metric_connections(void);
/* Upper bounds of the buckets (the last bucket, +Inf, not listed). */
extern const double metric_batch_le[METRIC_BATCH_BUCKETS];
extern const double metric_latency_le[METRIC_LATENCY_BUCKETS];
/* Cumulative count of bucket i (i == N: +Inf = the count), and the sum. */
uint64_t metric_batch_bucket(int i);
uint64_t metric_batch_sum(void);
uint64_t metric_latency_bucket(int i);
double metric_latency_sum(void); /* seconds */

#endif
