/* http.c -- the libmicrohttpd daemon and the request lifecycle.
 *
 * Threads: a pool of libmicrohttpd worker threads, each running its own poll()
 * loop; a connection stays on one worker for its whole life, so per-request
 * state needs no locking. The access handler answers GETs on its second call
 * (answering on the first, headers-only call makes libmicrohttpd close the
 * connection instead of keeping it alive). Routing reads the table main
 * hands over (routes.c); this file knows no handler. */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "form.h"
#include "http_int.h"
#include "log.h"
#include "metric.h"

#define HTTP_TLS_FILE_MAX_BYTES (1u << 20) /* a certificate chain or key file */

/* Reads a whole (small) file into a NUL-terminated malloc'd string. */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < HTTP_TLS_FILE_MAX_BYTES)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b, NULL);
}

/* Decodes %HH escapes in the path and query like libmicrohttpd's default,
 * except %00: a NUL would cut the path short for every C string comparison
 * after it (the path "/%00" would become the root), so it stays as the three characters and
 * matches no route. Returns the new length. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *in = s, *out = s;

	(void)cls;
	(void)c;
	while (*in) {
		int hi, lo;

		if (in[0] == '%' && (hi = form_hex_digit((unsigned char)in[1])) >= 0 &&
		    (lo = form_hex_digit((unsigned char)in[2])) >= 0 && (hi | lo) != 0) {
			*out++ = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/* What the first call learns of the head, in one pass over its fields. */
struct head_facts {
	unsigned content_length;    /* Content-Length fields */
	unsigned transfer_encoding; /* Transfer-Encoding fields */
	int chunked;                /* the (one) Transfer-Encoding is exactly "chunked" */
	size_t fields;
	size_t bytes;               /* "name: value\r\n" of every field */
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    size_t key_size, const char *value, size_t value_size)
{
	struct head_facts *hf = cls;

	(void)kind;
	hf->fields++;
	hf->bytes += key_size + value_size + 4;
	if (key_size == 14 && strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		hf->content_length++;
	} else if (key_size == 17 && strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		hf->transfer_encoding++;
		hf->chunked = value != NULL && value_size == 7 && strcasecmp(value, "chunked") == 0;
	}
	return MHD_YES;
}

/* libmicrohttpd's URI log callback: called with the raw request target
 * (query included) on the connection's worker, after libmicrohttpd has found
 * the '?' and before it parses the arguments into its per-connection pool.
 * The first call of the access handler refuses a target that is too long or
 * carries too many arguments (414); counting them here sees them whole.
 *
 * Too many arguments would not even get that far: each takes 56 bytes of
 * the pool, and ~500 of them exhaust it, which makes libmicrohttpd 0.9.75
 * drop the connection without an answer. So the query of such a request is
 * cut at the '?' (the target lies in libmicrohttpd's writable read buffer;
 * its parser reads it only after this call, as its source shows): nothing
 * is parsed, and the 414 goes out. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_conn *c = http_conn_of(conn);
	const char *q, *p;

	(void)cls;
	if (c == NULL)
		return NULL;
	c->uri_bytes = strlen(uri);
	c->uri_args = 0;
	if ((q = strchr(uri, '?')) != NULL) {
		for (c->uri_args = 1, p = q; (p = strchr(p + 1, '&')) != NULL;)
			c->uri_args++;
		if (c->uri_args > HTTP_MAX_QUERY_ARGS)
			((char *)q)[1] = '\0';
	}
	return NULL; /* *req_cls stays NULL until begin() */
}

/* The first call for a request: its state, and the checks that need only
 * the head. Protocol errors are answered here, with the security headers
 * and a body, and the connection is closed after them. */
static enum MHD_Result begin(struct http_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method, void **req_cls)
{
	struct http_req *r = calloc(1, sizeof *r);
	struct http_conn *c = http_conn_of(conn);
	struct head_facts hf;
	uint64_t cl = 0;
	int has_cl;

	http_door_head_done(c, 0); /* the head is in; answers have no deadline */
	if (r == NULL)
		return MHD_NO;
	r->conn = conn;
	r->srv = srv;
	r->app = srv->hooks->app;
	r->path = url;
	r->method = method;
	r->is_head = strcmp(method, "HEAD") == 0;
	r->is_post = strcmp(method, "POST") == 0;
	r->lang = lang_negotiate(http_query(r, "lang"),
				 http_header(r, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
	*req_cls = r;
	memset(&hf, 0, sizeof hf);
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, count_header, &hf);
	if (c != NULL && (c->uri_bytes > HTTP_MAX_URI_BYTES || c->uri_args > HTTP_MAX_QUERY_ARGS))
		return http_send_error_with(r, HTTP_URI_TOO_LONG, MHD_HTTP_HEADER_CONNECTION,
					    "close");
	if (hf.fields > HTTP_MAX_HEADER_FIELDS ||
	    hf.bytes + strlen(method) + (c != NULL ? c->uri_bytes : strlen(url)) + 12 >
		    HTTP_MAX_HEAD_BYTES)
		return http_send_error_with(r, HTTP_HEADER_FIELDS_TOO_LARGE,
					    MHD_HTTP_HEADER_CONNECTION, "close");
	/* The framing of the body is ambiguous (RFC 9112 6.3): several
	 * Content-Length fields, or Content-Length with Transfer-Encoding.
	 * That is how requests get smuggled past proxies: refused, and the
	 * connection closed. */
	if (hf.content_length > 1 || (hf.content_length > 0 && hf.transfer_encoding > 0) ||
	    hf.transfer_encoding > 1)
		return http_send_error_with(r, HTTP_BAD_REQUEST, MHD_HTTP_HEADER_CONNECTION,
					    "close");
	/* A transfer coding other than chunked (RFC 9112 6.1: 501); without
	 * this libmicrohttpd would wait for the client to close. */
	if (hf.transfer_encoding > 0 && !hf.chunked)
		return http_send_error_with(r, HTTP_NOT_IMPLEMENTED, MHD_HTTP_HEADER_CONNECTION,
					    "close");
	/* The route says how large a body may be: an upload route
	 * (ROUTE_F_UPLOAD: an organizer's text or image) takes more, and only
	 * from an organizer -- its admin gate runs now, on the head, so nobody
	 * else gets to make us read the larger body. */
	r->max_body = HTTP_MAX_BODY_BYTES;
	if (r->is_post) {
		const struct http_hooks *hooks = srv->hooks;
		char allow[64];
		int i = route_find(hooks->routes, hooks->nroutes, sizeof hooks->routes[0], method,
				   url, allow, sizeof allow);

		if (i >= 0 && (hooks->routes[i].route.flags & ROUTE_F_UPLOAD)) {
			enum MHD_Result ret;

			r->max_body = HTTP_MAX_UPLOAD_BYTES;
			r->route = &hooks->routes[i];
			r->route_index = i;
			if ((r->route->route.flags & ROUTE_F_ADMIN) && hooks->admin_gate != NULL &&
			    !hooks->admin_gate(r, &ret))
				return ret;
		}
	}
	/* Refuse an oversized body from its declared length, before reading it. */
	has_cl = hdr_content_length(http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH), &cl) > 0;
	if (has_cl && cl > r->max_body)
		return http_send_error(r, HTTP_PAYLOAD_TOO_LARGE);
	/* A body follows: it has its own deadline. */
	if (hf.chunked)
		http_door_head_done(c, r->max_body);
	else if (has_cl && cl > 0)
		http_door_head_done(c, cl);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct http_server *srv = cls;
	struct http_req *r = *req_cls;
	const struct http_hooks *hooks = srv->hooks;
	enum MHD_Result ret;
	char allow[64];
	int i;

	(void)version;
	if (r == NULL)
		return begin(srv, conn, url, method, req_cls);
	if (*upload_data_size == 0)
		http_door_body_done(http_conn_of(conn));
	if (*upload_data_size != 0) {
		if (!r->body_too_large && r->is_post) {
			if (r->body.len + *upload_data_size > r->max_body) {
				/* Only a chunked body gets here (Content-Length was checked):
				 * drop the connection rather than read on. */
				r->body_too_large = 1;
				buf_free(&r->body);
				return MHD_NO;
			}
			if (buf_append(&r->body, upload_data, *upload_data_size) != 0)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->route == NULL) {
		i = route_find(hooks->routes, hooks->nroutes, sizeof hooks->routes[0], method, url,
			       allow, sizeof allow);
		if (i < 0) {
			if (allow[0] != '\0')
				return http_send_error_with(r, HTTP_METHOD_NOT_ALLOWED,
							    MHD_HTTP_HEADER_ALLOW, allow);
			return http_send_error(r, HTTP_NOT_FOUND);
		}
		r->route = &hooks->routes[i];
		r->route_index = i;
		if ((r->route->route.flags & ROUTE_F_ADMIN) && hooks->admin_gate != NULL &&
		    !hooks->admin_gate(r, &ret))
			return ret;
	}
	return r->route->handler(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_req *r = *req_cls;

	(void)toe;
	/* The answer is out: the next request's head is due in
	 * HTTP_HEAD_TIMEOUT_S, or the connection is closed. */
	http_door_answer_done(http_conn_of(conn));
	{
		/* GET /metrics: the request's route and status class. */
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);

		if (ci != NULL && ci->http_status != 0)
			metric_request(r != NULL && r->route != NULL ? r->route_index : -1,
				       ci->http_status);
	}
	if (r == NULL)
		return;
	if (r->state_free)
		r->state_free(r->state);
	if (r->submitted)
		atomic_fetch_sub(&srv->busy, 1);
	buf_free(&r->body);
	free(r);
	*req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("libmicrohttpd: %s", line);
}

static void server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	http_door_free(srv);
	http_slots_free(srv);
	free(srv->tls_cert);
	free(srv->tls_key);
	free(srv);
}

/* 1 when --bind names a loopback address (127.0.0.0/8, ::1). */
static int loopback_bind(const struct config *cfg)
{
	unsigned char a[HDR_ADDR_LEN];
	int family;

	if (cfg->bind == NULL)
		return 0;
	family = hdr_parse_ip(cfg->bind, strlen(cfg->bind), a);
	return (family == AF_INET && a[0] == 127) ||
	       (family == AF_INET6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
}

struct http_server *http_start(const struct config *cfg, const struct http_hooks *hooks)
{
	/* libmicrohttpd listens on nothing: http_door.c accepts and hands the
	 * sockets over (MHD_add_connection, which needs MHD_USE_ITC). */
	/* poll(), not epoll: libmicrohttpd 0.9.75's epoll loop waits again with
	 * the full timeout after a wait that returned exactly its 128 events
	 * (MAX_EVENTS), leaving those connections unserved until the next
	 * event. With connections handed over by our accept thread (spread
	 * evenly over the workers), 128 or 256 busy keep-alive connections per
	 * worker stalled the server at a few hundred requests a second; poll()
	 * serves 64 to 2,000 connections at 48,000-72,000 requests a second on
	 * the 2-core test machine (wrk, GET /). */
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
	struct http_server *srv = calloc(1, sizeof *srv);
	unsigned threads = cfg->threads;

	if (srv == NULL)
		return NULL;
	srv->cfg = cfg;
	srv->hooks = hooks;
	if (threads == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		threads = ncpu > 0 ? (unsigned)ncpu : 1;
		if (threads > 16)
			threads = 16;
	}
	if (cfg->trust_proxy != NULL && cfg->trust_proxy[0] != '\0')
		srv->ntrusted = hdr_cidr_parse(cfg->trust_proxy, srv->trusted, CONFIG_MAX_TRUSTED);
	if (srv->ntrusted < 0)
		srv->ntrusted = 0;
	if (cfg->proxy_protocol != NULL)
		srv->nproxied = hdr_cidr_parse(cfg->proxy_protocol, srv->proxied, CONFIG_MAX_TRUSTED);
	if (srv->nproxied < 0)
		srv->nproxied = 0;
	srv->loopback_bind = loopback_bind(cfg);
	http_door_limit(srv);
	if (http_slots_init(srv) != 0 || http_door_open(srv) != 0)
		goto fail;
	if (cfg->tls_cert != NULL) {
		srv->tls_cert = read_all(cfg->tls_cert);
		srv->tls_key = read_all(cfg->tls_key);
		if (srv->tls_cert == NULL || srv->tls_key == NULL) {
			log_warn("cannot read --tls-cert %s or --tls-key %s", cfg->tls_cert,
				 cfg->tls_key);
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	{
		struct MHD_OptionItem opts[16];
		int n = 0;

#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
		OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL);
		OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
		/* Ours is the limit (http_door.c counts); libmicrohttpd's is kept
		 * above it, with room for connections it is still cleaning up
		 * after telling us they closed. */
		OPT(MHD_OPTION_CONNECTION_LIMIT,
		    srv->max_connections + srv->max_connections / 4 + 16 * threads, NULL);
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONNECTION_TIMEOUT_S, NULL);
		OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY_BYTES, NULL);
		OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv);
		OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)http_door_notify, srv);
		OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, srv);
		OPT(MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL);
		if (srv->tls_cert != NULL) {
			OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert);
			OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key);
		}
		OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
		srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
					       MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	}
	if (srv->daemon == NULL) {
		log_warn("cannot start libmicrohttpd");
		goto fail;
	}
	if (http_door_start(srv) != 0)
		goto fail;
	return srv;
fail:
	if (srv->daemon != NULL) {
		http_door_quiesce(srv);
		MHD_stop_daemon(srv->daemon);
	}
	server_free(srv);
	return NULL;
}

void http_quiesce(struct http_server *srv)
{
	atomic_store(&srv->stopping, 1);
	http_door_quiesce(srv);
}

void http_stop(struct http_server *srv)
{
	int waited;

	if (srv == NULL)
		return;
	http_door_quiesce(srv);
	/* Let answers already resumed (the last committed signatures) go out. */
	for (waited = 0; waited < HTTP_SHUTDOWN_GRACE_MS; waited += 20) {
		const union MHD_DaemonInfo *di =
			MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		struct timespec ts = { 0, 20 * 1000000L };

		if (di == NULL || di->num_connections == 0)
			break;
		if (waited >= 200 && atomic_load(&srv->busy) == 0)
			break;
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(srv->daemon);
	server_free(srv);
}
