/* metrics.c -- GET /metrics: the server's figures in the Prometheus text
 * format (version 0.0.4), every name prefixed petitiond_.
 *
 * On the main port the route is an organizer's (admin auth: a Prometheus
 * sends the token as a Bearer). --metrics-bind ADDR:PORT starts a second,
 * tiny libmicrohttpd daemon that answers only GET /metrics, without
 * credentials, for a Prometheus on the same machine or private network; it
 * shares no listener, limit or thread with the public server. Nothing here
 * names a signer: counts, sizes and durations only. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "clock.h"
#include "log.h"
#include "metric.h"

#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_CONNECTIONS 8   /* the --metrics-bind daemon's */
#define METRICS_TIMEOUT_S 10        /* idle seconds before it closes a connection */

/* Each route's method, from the one list (routes.h), without the dispatch
 * table (which names the handlers, this file's among them). */
#define METRICS_METHOD(id, method, path, flags, handler) [ROUTE_##id] = method,
static const char *const methods[ROUTE_COUNT] = { ROUTES(METRICS_METHOD) };
#undef METRICS_METHOD

struct metrics {
	struct MHD_Daemon *daemon; /* --metrics-bind, or NULL */
	int64_t bots_at_start;     /* the stored honeypot count when this process started */
	int64_t started;           /* Unix seconds */
};

/* POST /sign's answers by exact status, as reasons a signature was refused. */
static const struct {
	unsigned status;
	const char *reason;
} refusals[] = {
	{ 400, "bad_request" },
	{ 403, "forbidden" },   /* another site's form, or the petition paused or closed */
	{ 413, "too_large" },
	{ 415, "media_type" },
	{ 422, "invalid" },     /* a field, or an expired form the signer must send again */
	{ 429, "rate_limited" },
	{ 500, "error" },
	{ 503, "unavailable" }, /* the writer could not commit, or is stopping */
};

static int64_t file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;

	if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix) >= sizeof p)
		return 0;
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* A label value: '\\', '"' and newlines escaped (route paths have none, but
 * the format demands it). */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\');
		if (*v == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *v);
	}
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP petitiond_%s %s\n# TYPE petitiond_%s %s\n", name, help, name, type);
}

/* Renders every figure into b. Any thread. */
static void render(struct app *a, struct buf *b)
{
	struct metrics *m = a->metrics;
	uint64_t accepted, automated, other;
	int64_t bots = writer_bots_refused(a->writer);
	int i, c;
	size_t k;

	head(b, "build_info", "gauge", "Version of this petitiond (always 1).");
	buf_printf(b, "petitiond_build_info{version=\"%s\",libmicrohttpd=\"", PETITIOND_VERSION);
	label(b, MHD_get_version());
	buf_puts(b, "\"} 1\n");
	head(b, "start_time_seconds", "gauge", "When this process started, Unix seconds.");
	buf_printf(b, "petitiond_start_time_seconds %lld\n", (long long)(m ? m->started : 0));

	head(b, "http_requests_total", "counter",
	     "Requests answered, by route and status class (route \"none\": matched no route).");
	for (i = -1; i < (int)ROUTE_COUNT; i++) {
		for (c = 0; c < METRIC_CLASSES; c++) {
			uint64_t n = metric_requests(i, c);

			/* Every route's 2xx, 4xx, 5xx always (stable series);
			 * 1xx and 3xx once they happened. */
			if (n == 0 && (c == 0 || c == 2))
				continue;
			buf_puts(b, "petitiond_http_requests_total{route=\"");
			label(b, i < 0 ? "none" : routes_path((enum route_id)i));
			buf_printf(b, "\",method=\"%s\",code=\"%dxx\"} %llu\n",
				   i < 0 ? "any" : methods[i], c + 1,
				   (unsigned long long)n);
		}
	}

	/* Accepted: POST /sign's successes (303 to the thanks page, 201 for
	 * JSON), less the honeypot's catches, which are answered the same on
	 * purpose and counted by the writer. */
	automated = bots > (m ? m->bots_at_start : 0) ? (uint64_t)(bots - m->bots_at_start) : 0;
	accepted = metric_sign_status(HTTP_SEE_OTHER) + metric_sign_status(HTTP_CREATED);
	accepted = accepted > automated ? accepted - automated : 0;
	head(b, "signatures_accepted_total", "counter",
	     "Signatures acknowledged to the signer since start (a repeated address included: "
	     "it is answered the same).");
	buf_printf(b, "petitiond_signatures_accepted_total %llu\n", (unsigned long long)accepted);
	head(b, "signatures_refused_total", "counter",
	     "Submissions of the form refused since start, by reason.");
	buf_printf(b, "petitiond_signatures_refused_total{reason=\"automated\"} %llu\n",
		   (unsigned long long)automated);
	other = 0;
	for (k = 0; k < sizeof refusals / sizeof refusals[0]; k++)
		buf_printf(b, "petitiond_signatures_refused_total{reason=\"%s\"} %llu\n",
			   refusals[k].reason,
			   (unsigned long long)metric_sign_status(refusals[k].status));
	for (c = 100; c < METRIC_SIGN_STATUSES; c++) {
		int known = c == HTTP_SEE_OTHER || c == HTTP_CREATED;

		for (k = 0; k < sizeof refusals / sizeof refusals[0] && !known; k++)
			known = refusals[k].status == (unsigned)c;
		if (!known)
			other += metric_sign_status((unsigned)c);
	}
	buf_printf(b, "petitiond_signatures_refused_total{reason=\"other\"} %llu\n",
		   (unsigned long long)other);
	head(b, "signatures", "gauge", "Signatures stored now (the count the page shows).");
	buf_printf(b, "petitiond_signatures %lld\n", (long long)writer_count(a->writer));
	{
		/* email area: confirmation and the outbox. */
		struct store_mail_stats ms;

		if (store_mail_stats(a->st, &ms) == 0) {
			head(b, "signatures_pending", "gauge",
			     "Signatures waiting for their signer's confirmation by email (not counted).");
			buf_printf(b, "petitiond_signatures_pending %lld\n", (long long)ms.pending);
			head(b, "outbox_queued", "gauge", "Messages waiting in the outbox.");
			buf_printf(b, "petitiond_outbox_queued %lld\n",
				   (long long)(ms.queued + ms.sending));
			head(b, "outbox_oldest_age_seconds", "gauge",
			     "Age of the oldest message waiting in the outbox (0: none).");
			buf_printf(b, "petitiond_outbox_oldest_age_seconds %lld\n",
				   (long long)(ms.oldest_at > 0 && time(NULL) > ms.oldest_at
						       ? time(NULL) - ms.oldest_at
						       : 0));
			head(b, "mail_total", "counter", "Messages to signers by outcome.");
			buf_printf(b, "petitiond_mail_total{outcome=\"sent\"} %lld\n", (long long)ms.sent);
			buf_printf(b, "petitiond_mail_total{outcome=\"failed\"} %lld\n",
				   (long long)ms.failed);
			buf_printf(b, "petitiond_mail_total{outcome=\"unsure\"} %lld\n",
				   (long long)ms.unsure);
			buf_printf(b, "petitiond_mail_total{outcome=\"skipped\"} %lld\n",
				   (long long)ms.skipped);
		}
	}

	head(b, "writer_batch_size", "histogram",
	     "Signatures (and honeypot catches) committed per writer transaction.");
	for (i = 0; i < METRIC_BATCH_BUCKETS; i++)
		buf_printf(b, "petitiond_writer_batch_size_bucket{le=\"%g\"} %llu\n",
			   metric_batch_le[i], (unsigned long long)metric_batch_bucket(i));
	buf_printf(b, "petitiond_writer_batch_size_bucket{le=\"+Inf\"} %llu\n",
		   (unsigned long long)metric_batch_bucket(METRIC_BATCH_BUCKETS));
	buf_printf(b, "petitiond_writer_batch_size_sum %llu\n",
		   (unsigned long long)metric_batch_sum());
	buf_printf(b, "petitiond_writer_batch_size_count %llu\n",
		   (unsigned long long)metric_batch_bucket(METRIC_BATCH_BUCKETS));
	head(b, "writer_commit_seconds", "histogram",
	     "Time of a writer batch's transaction, BEGIN to COMMIT on disk.");
	for (i = 0; i < METRIC_LATENCY_BUCKETS; i++)
		buf_printf(b, "petitiond_writer_commit_seconds_bucket{le=\"%g\"} %llu\n",
			   metric_latency_le[i], (unsigned long long)metric_latency_bucket(i));
	buf_printf(b, "petitiond_writer_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
		   (unsigned long long)metric_latency_bucket(METRIC_LATENCY_BUCKETS));
	buf_printf(b, "petitiond_writer_commit_seconds_sum %.6f\n", metric_latency_sum());
	buf_printf(b, "petitiond_writer_commit_seconds_count %llu\n",
		   (unsigned long long)metric_latency_bucket(METRIC_LATENCY_BUCKETS));
	head(b, "writer_queue_depth", "gauge", "Items waiting for the writer now.");
	buf_printf(b, "petitiond_writer_queue_depth %zu\n", writer_queued(a->writer));
	head(b, "writer_failing", "gauge", "1 when the writer's last commit failed (disk full?).");
	buf_printf(b, "petitiond_writer_failing %d\n", writer_failing(a->writer) ? 1 : 0);

	head(b, "open_connections", "gauge", "Connections open now on the public port.");
	buf_printf(b, "petitiond_open_connections %lld\n", (long long)metric_connections());
	head(b, "database_bytes", "gauge", "Size of the database file (PostgreSQL: of the database).");
	buf_printf(b, "petitiond_database_bytes %lld\n",
		   (long long)(store_is_shared(a->cfg->db) ? store_pg_size(a->st)
							   : file_size(a->cfg->db, "")));
	head(b, "wal_bytes", "gauge", "Size of the database's write-ahead log (SQLite; 0 on PostgreSQL, "
	     "whose WAL is the server's).");
	buf_printf(b, "petitiond_wal_bytes %lld\n",
		   (long long)(store_is_shared(a->cfg->db) ? 0 : file_size(a->cfg->db, "-wal")));
}

enum MHD_Result metrics_get(struct http_req *r)
{
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	render(r->app, &b);
	if (b.oom) {
		buf_free(&b);
		return http_send_unavailable(r);
	}
	ret = http_send_buf(r, HTTP_OK, METRICS_CTYPE, &b);
	buf_free(&b);
	return ret;
}

/* The --metrics-bind daemon's one handler: GET or HEAD /metrics, else 404
 * (405 for another method on /metrics). Answers on the second call (see
 * STYLE.md: a first-call answer closes the connection). */
static enum MHD_Result bare_access(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **req_cls)
{
	static int first;
	struct app *a = cls;
	struct MHD_Response *resp;
	struct buf b = BUF_INIT;
	unsigned status = MHD_HTTP_OK;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a body is read and dropped */
		return MHD_YES;
	}
	if (strcmp(url, routes_path(ROUTE_METRICS)) != 0) {
		status = MHD_HTTP_NOT_FOUND;
		buf_puts(&b, "Not found: this address answers only GET /metrics.\n");
	} else if (!get) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf_puts(&b, "Method not allowed: GET /metrics.\n");
	} else {
		render(a, &b);
	}
	if (b.oom) {
		buf_free(&b);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(b.len, b.len ? b.data : (void *)"",
					       MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? METRICS_CTYPE : "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "127.0.0.1:9464", "[::1]:9464" into a socket address. 0 or -1. */
static int parse_bind(const char *v, struct sockaddr_storage *ss, int *v6)
{
	const char *colon = strrchr(v, ':');
	char host[64];
	size_t n;
	long port;

	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, NULL, 10);
	if (port < 1 || port > 65535)
		return -1;
	n = (size_t)(colon - v);
	if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof host)
		return -1;
	memcpy(host, v, n);
	host[n] = '\0';
	memset(ss, 0, sizeof *ss);
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
	}
}

int metrics_init(struct app *a, char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof *m);
	struct sockaddr_storage ss;
	int v6 = 0;

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->started = clock_now_ms() / 1000;
	m->bots_at_start = writer_bots_refused(a->writer);
	a->metrics = m;
	metric_set_sign_route(ROUTE_SIGN);
	if (a->cfg->metrics_bind == NULL)
		return 0;
	if (parse_bind(a->cfg->metrics_bind, &ss, &v6) != 0) {
		snprintf(err, errlen, "--metrics-bind %s: expected ADDR:PORT with a numeric "
			 "address, e.g. 127.0.0.1:9464 or [::1]:9464", a->cfg->metrics_bind);
		return -1;
	}
	m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
					     (v6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, bare_access, a, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned)METRICS_MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				     MHD_OPTION_END);
	if (m->daemon == NULL) {
		snprintf(err, errlen, "--metrics-bind %s: cannot listen there (in use, or not "
			 "an address of this machine)", a->cfg->metrics_bind);
		return -1;
	}
	log_info("metrics: GET /metrics without credentials on %s", a->cfg->metrics_bind);
	return 0;
}

void metrics_stop(struct app *a)
{
	if (a->metrics == NULL)
		return;
	if (a->metrics->daemon != NULL)
		MHD_stop_daemon(a->metrics->daemon);
	free(a->metrics);
	a->metrics = NULL;
}
