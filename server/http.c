/* http.c -- the libmicrohttpd daemon, the route table and response helpers.
 *
 * Threads: a pool of libmicrohttpd worker threads, each running its own epoll
 * loop; a connection stays on one worker for its whole life, so per-request
 * state needs no locking. The access handler answers GETs on its second call
 * (answering on the first, headers-only call makes libmicrohttpd close the
 * connection instead of keeping it alive). */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "form.h"
#include "log.h"
#include "page.h"
#include "route.h"

/* Handlers by route id (the table of paths is in route.c). */
static const http_handler handlers[ROUTE_COUNT] = {
	[ROUTE_INDEX] = page_index,
	[ROUTE_SIGN] = sign_post,
	[ROUTE_THANKS] = page_thanks,
	[ROUTE_STATS] = api_stats,
	[ROUTE_HEALTHZ] = api_healthz,
	[ROUTE_ADMIN] = admin_page,
	[ROUTE_EXPORT] = admin_export,
	[ROUTE_DELETE] = admin_delete,
	[ROUTE_EMBED] = page_embed,
	[ROUTE_QR] = page_qr,
	[ROUTE_STATIC] = page_static,
};

static struct MHD_Daemon *daemon_;
static const struct config *cfg_;
static MHD_socket quiesced_fd = MHD_INVALID_SOCKET;

static char *tls_cert, *tls_key;

/* Reads a whole (small) file into a NUL-terminated malloc'd string. */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (1u << 20))
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b, NULL);
}

void http_set_config(const struct config *cfg)
{
	cfg_ = cfg;
}

const struct config *http_config(void)
{
	return cfg_;
}

int64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int http_wants_json(struct http_req *r)
{
	const char *a = http_header(r, MHD_HTTP_HEADER_ACCEPT);

	return a != NULL && strstr(a, "application/json") != NULL;
}

int http_accepts_gzip(struct http_req *r)
{
	const char *ae = http_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return 0;
	/* "gzip;q=0" refuses it. */
	g += 4;
	while (*g == ' ')
		g++;
	if (*g == ';') {
		const char *q = strstr(g, "q=");

		if (q && strtod(q + 2, NULL) <= 0.0)
			return 0;
	}
	return 1;
}

enum lang http_lang(struct http_req *r)
{
	return lang_negotiate(http_query(r, "lang"),
			      http_header(r, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
}

static struct cidr trusted[CONFIG_MAX_TRUSTED];
static int ntrusted;

/* Writes the rate-limit key for an address: IPv4 as its 4 bytes, IPv6 as
 * its /64 (one IPv6 host usually holds a whole /64). */
static size_t addr_key(int family, const unsigned char *a, unsigned char *out)
{
	if (family == AF_INET) {
		memcpy(out, a, 4);
		return 4;
	}
	out[0] = 6;
	memcpy(out + 1, a, 8);
	return 9;
}

/* The peer's address as (family, bytes); IPv4-mapped IPv6 becomes IPv4. */
static int peer_addr(struct http_req *r, unsigned char addr[16])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, 12) == 0) {
			memcpy(addr, a + 12, 4);
			return AF_INET;
		}
		memcpy(addr, a, 16);
		return AF_INET6;
	}
	return 0;
}

size_t http_client_key(struct http_req *r, unsigned char *out, size_t outlen)
{
	unsigned char addr[16];
	int family = peer_addr(r, addr);
	const char *xff;

	if (family == 0 || outlen < 9)
		return 0;
	/* Behind a trusted proxy, the client is the right-most address in
	 * X-Forwarded-For that is not itself a trusted proxy. Anyone else's
	 * X-Forwarded-For is ignored: it is trivially spoofed. */
	if (ntrusted > 0 && cidr_match(trusted, ntrusted, family, addr) &&
	    (xff = http_header(r, "X-Forwarded-For")) != NULL) {
		size_t end = strlen(xff);

		while (end > 0) {
			size_t start = end, a, b;
			char item[64];
			unsigned char xa[16];
			int xf = 0;

			while (start > 0 && xff[start - 1] != ',')
				start--;
			for (a = start; a < end && (xff[a] == ' ' || xff[a] == '\t'); a++)
				;
			for (b = end; b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'); b--)
				;
			if (b - a > 0 && b - a < sizeof item) {
				memcpy(item, xff + a, b - a);
				item[b - a] = '\0';
				if (inet_pton(AF_INET, item, xa) == 1)
					xf = AF_INET;
				else if (inet_pton(AF_INET6, item, xa) == 1)
					xf = AF_INET6;
			}
			if (xf == 0)
				break; /* garbage: fall back to the proxy's own address */
			if (!cidr_match(trusted, ntrusted, xf, xa))
				return addr_key(xf, xa, out);
			end = start > 0 ? start - 1 : 0;
		}
	}
	return addr_key(family, addr, out);
}

int http_cross_site(struct http_req *r)
{
	const char *sfs = http_header(r, "Sec-Fetch-Site");
	const char *origin = http_header(r, "Origin");
	const char *host = http_header(r, MHD_HTTP_HEADER_HOST);
	const char *p;

	if (sfs != NULL && strcasecmp(sfs, "cross-site") == 0)
		return 1;
	/* "Origin: null" comes from privacy-preserving contexts: not evidence. */
	if (origin == NULL || strcmp(origin, "null") == 0 || host == NULL)
		return 0;
	p = strstr(origin, "://");
	if (p == NULL)
		return 1;
	p += 3;
	return strcasecmp(p, host) != 0;
}

static void add_headers(struct MHD_Response *resp, int frameable)
{
	/* Only the widget may be framed, by any site: it shows the count and a
	 * link, and has no form a framing page could trick anyone into using. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				frameable ? "default-src 'self'; script-src 'self'; style-src 'self'; "
					    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
					    "object-src 'none'; base-uri 'none'; form-action 'self'; "
					    "frame-ancestors *"
					  : "default-src 'self'; script-src 'self'; style-src 'self'; "
					    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
					    "object-src 'none'; base-uri 'none'; form-action 'self'; "
					    "frame-ancestors 'none'");
	if (cfg_ != NULL && cfg_->hsts > 0) {
		char v[64];

		snprintf(v, sizeof v, "max-age=%ld", cfg_->hsts);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, v);
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (!frameable)
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	/* same-origin: nothing leaks to other sites, and our own form posts
	 * still carry a real Origin for the cross-site check. */
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=(), payment=(), "
				"interest-cohort=(), browsing-topics=()");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
				frameable ? "cross-origin" : "same-origin");
}

void http_add_security_headers(struct MHD_Response *resp)
{
	add_headers(resp, 0);
}

void http_add_frameable_headers(struct MHD_Response *resp)
{
	add_headers(resp, 1);
}

/* Writer thread: the item is committed (or not). Wake the connection. */
static void pending_done(struct writer_item *item, enum writer_status status)
{
	struct http_pending *p = (struct http_pending *)item;

	atomic_store(&p->status, (int)status);
	MHD_resume_connection(p->conn);
}

enum MHD_Result http_submit(struct http_req *r, struct http_pending *p)
{
	p->conn = r->conn;
	p->item.done = pending_done;
	/* Suspend before queueing, so the writer can never resume a connection
	 * that is not yet suspended. */
	MHD_suspend_connection(r->conn);
	if (writer_submit(&p->item) != 0) {
		atomic_store(&p->status, WRITER_FAILED);
		MHD_resume_connection(r->conn);
	}
	return MHD_YES;
}

int http_base_url(struct http_req *r, struct buf *out)
{
	const char *host, *proto;
	size_t i;

	if (cfg_ != NULL && cfg_->public_url != NULL)
		return buf_puts(out, cfg_->public_url);
	/* Without --public-url: the Host the client used. Only host-name
	 * characters pass, so a forged Host cannot inject markup. */
	host = http_header(r, MHD_HTTP_HEADER_HOST);
	proto = http_header(r, "X-Forwarded-Proto");
	if (host == NULL || strlen(host) > 255)
		host = "localhost";
	for (i = 0; host[i]; i++) {
		char ch = host[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
		      ch == '[' || ch == ']')) {
			host = "localhost";
			break;
		}
	}
	return buf_printf(out, "%s://%s",
			  (proto && strcmp(proto, "https") == 0) || (cfg_ && cfg_->tls_cert)
				  ? "https"
				  : "http",
			  host);
}

static enum MHD_Result queue(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct MHD_Response *make(const char *ctype, const void *data, size_t len,
				 enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)data, mode);

	if (resp == NULL)
		return NULL;
	http_add_security_headers(resp);
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return resp;
}

enum MHD_Result http_send(struct http_req *r, unsigned status, const char *ctype,
			  const void *data, size_t len)
{
	return queue(r, status, make(ctype, data, len, MHD_RESPMEM_MUST_COPY));
}

enum MHD_Result http_send_buf(struct http_req *r, unsigned status, const char *ctype,
			      struct buf *b)
{
	struct MHD_Response *resp;
	size_t len;
	char *p;

	if (b->oom) {
		buf_free(b);
		return MHD_NO;
	}
	p = buf_steal(b, &len);
	if (p == NULL)
		return MHD_NO;
	resp = make(ctype, p, len, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(p);
		return MHD_NO;
	}
	return queue(r, status, resp);
}

static enum MHD_Result send_error_with(struct http_req *r, unsigned status, const char *hname,
				       const char *hval)
{
	struct MHD_Response *resp;
	struct buf b = BUF_INIT;
	const char *ctype;
	size_t len;
	char *p;

	if (http_wants_json(r) && !r->is_head) {
		buf_printf(&b, "{\"ok\":false,\"error\":%u}", status);
		ctype = "application/json";
	} else {
		if (page_render_error(&b, r->lang, status) != 0) {
			buf_reset(&b);
			buf_printf(&b, "Error %u\n", status);
			ctype = "text/plain; charset=utf-8";
		} else {
			ctype = "text/html; charset=utf-8";
		}
	}
	p = buf_steal(&b, &len);
	if (p == NULL)
		return MHD_NO;
	resp = make(ctype, p, len, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(p);
		return MHD_NO;
	}
	if (hname)
		MHD_add_response_header(resp, hname, hval);
	return queue(r, status, resp);
}

enum MHD_Result http_send_error(struct http_req *r, unsigned status)
{
	return send_error_with(r, status, NULL, NULL);
}

enum MHD_Result http_send_retry(struct http_req *r, unsigned status, int seconds)
{
	char v[16];

	snprintf(v, sizeof v, "%d", seconds > 0 ? seconds : 1);
	return send_error_with(r, status, MHD_HTTP_HEADER_RETRY_AFTER, v);
}

enum MHD_Result http_redirect(struct http_req *r, unsigned status, const char *location)
{
	struct MHD_Response *resp = make(NULL, "", 0, MHD_RESPMEM_PERSISTENT);

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	return queue(r, status, resp);
}

/* An error after which the connection must not be reused. */
static enum MHD_Result send_closing_error(struct http_req *r, unsigned status)
{
	return send_error_with(r, status, MHD_HTTP_HEADER_CONNECTION, "close");
}

static enum MHD_Result send_405(struct http_req *r, const char *allow)
{
	return send_error_with(r, HTTP_METHOD_NOT_ALLOWED, MHD_HTTP_HEADER_ALLOW, allow);
}

/* Decodes %HH escapes in the path and query like libmicrohttpd's default,
 * except %00: a NUL would cut the path short for every C string comparison
 * after it ("/%00" would be "/"), so it stays as the three characters and
 * matches no route. Returns the new length. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *in = s, *out = s;

	(void)cls;
	(void)c;
	while (*in) {
		int hi, lo;

		if (in[0] == '%' && (hi = form_hex_digit((unsigned char)in[1])) >= 0 &&
		    (lo = form_hex_digit((unsigned char)in[2])) >= 0 &&
		    (hi | lo) != 0) {
			*out++ = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

struct header_count {
	unsigned content_length;
	unsigned transfer_encoding;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		hc->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		hc->transfer_encoding++;
	return MHD_YES;
}

/* 1 when the framing of the body is ambiguous (RFC 9112 6.3): several
 * Content-Length headers, or Content-Length with Transfer-Encoding. Such
 * requests are how requests get smuggled past proxies; they are refused and
 * the connection closed. */
static int ambiguous_framing(struct http_req *r)
{
	struct header_count hc = { 0, 0 };

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &hc);
	return hc.content_length > 1 || (hc.content_length > 0 && hc.transfer_encoding > 0) ||
	       hc.transfer_encoding > 1;
}

static int content_length(struct http_req *r, unsigned long long *out)
{
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;

	if (cl == NULL)
		return 0;
	*out = strtoull(cl, &end, 10);
	return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct http_req *r = *req_cls;
	http_handler h;
	enum route_id id;
	char allow[64];

	(void)cls;
	(void)version;
	if (r == NULL) {
		unsigned long long cl;

		r = calloc(1, sizeof *r);
		if (r == NULL)
			return MHD_NO;
		r->conn = conn;
		r->path = url;
		r->method = method;
		r->is_head = strcmp(method, "HEAD") == 0;
		r->is_post = strcmp(method, "POST") == 0;
		r->lang = http_lang(r);
		*req_cls = r;
		if (ambiguous_framing(r))
			return send_closing_error(r, HTTP_BAD_REQUEST);
		/* Refuse an oversized body from its declared length, before reading it. */
		if (content_length(r, &cl) && cl > HTTP_MAX_BODY_BYTES)
			return http_send_error(r, HTTP_PAYLOAD_TOO_LARGE);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!r->body_too_large && r->is_post) {
			if (r->body.len + *upload_data_size > HTTP_MAX_BODY_BYTES) {
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
	id = route_find(method, url, allow, sizeof allow);
	h = id == ROUTE_NONE ? NULL : handlers[id];
	if (h == NULL) {
		if (allow[0] != '\0')
			return send_405(r, allow);
		return http_send_error(r, HTTP_NOT_FOUND);
	}
	return h(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	sign_free(r->sign);
	if (r->state_free)
		r->state_free(r->state);
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

/* Open connections per client address (IPv4 address, IPv6 /64), for the
 * per-address limit. Fails open: when the table is crowded, a connection is
 * let in rather than refused. */
#define CONN_SLOTS 8192
#define CONN_PROBE 8

static struct conn_slot {
	unsigned char key[9];
	unsigned char keylen;
	unsigned count;
} conn_slots[CONN_SLOTS];
static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static long per_ip_limit;

static size_t sockaddr_key(const struct sockaddr *sa, unsigned char *key, int *trusted_peer)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char addr[16];
	int family;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, 12) == 0) {
			memcpy(addr, a + 12, 4);
			family = AF_INET;
		} else {
			memcpy(addr, a, 16);
			family = AF_INET6;
		}
	} else {
		return 0;
	}
	*trusted_peer = ntrusted > 0 && cidr_match(trusted, ntrusted, family, addr);
	return addr_key(family, addr, key);
}

static struct conn_slot *conn_find(const unsigned char *key, size_t len, int create)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
	}
	for (i = 0; i < CONN_PROBE; i++) {
		struct conn_slot *s = &conn_slots[(h + i) % CONN_SLOTS];

		if (s->count > 0 && s->keylen == len && memcmp(s->key, key, len) == 0)
			return s;
	}
	if (!create)
		return NULL;
	for (i = 0; i < CONN_PROBE; i++) {
		struct conn_slot *s = &conn_slots[(h + i) % CONN_SLOTS];

		if (s->count == 0) {
			memcpy(s->key, key, len);
			s->keylen = (unsigned char)len;
			return s;
		}
	}
	return NULL;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	unsigned char key[16];
	int trusted_peer = 0;
	size_t len = sockaddr_key(addr, key, &trusted_peer);
	struct conn_slot *s;
	enum MHD_Result ok = MHD_YES;

	(void)cls;
	(void)addrlen;
	if (len == 0 || trusted_peer)
		return MHD_YES;
	pthread_mutex_lock(&conn_lock);
	s = conn_find(key, len, 0);
	if (s != NULL && s->count >= (unsigned)per_ip_limit)
		ok = MHD_NO;
	pthread_mutex_unlock(&conn_lock);
	return ok;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	unsigned char key[16];
	int trusted_peer = 0;
	size_t len = sockaddr_key(ci ? ci->client_addr : NULL, key, &trusted_peer);
	struct conn_slot *s;

	(void)cls;
	(void)socket_ctx;
	if (len == 0 || trusted_peer)
		return;
	pthread_mutex_lock(&conn_lock);
	s = conn_find(key, len, code == MHD_CONNECTION_NOTIFY_STARTED);
	if (s != NULL) {
		if (code == MHD_CONNECTION_NOTIFY_STARTED)
			s->count++;
		else if (s->count > 0)
			s->count--;
	}
	pthread_mutex_unlock(&conn_lock);
}

int http_start(const struct config *cfg)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	struct sockaddr_storage ss;
	struct sockaddr *sa = NULL;
	unsigned threads = cfg->threads;
	long ncpu;

	cfg_ = cfg;
	memset(&ss, 0, sizeof ss);
	/* Room for HTTP_CONNECTION_LIMIT sockets plus the database's files. */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
		    rl.rlim_cur < HTTP_CONNECTION_LIMIT + 64) {
			rl.rlim_cur = rl.rlim_max < HTTP_CONNECTION_LIMIT + 64
					      ? rl.rlim_max
					      : HTTP_CONNECTION_LIMIT + 64;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu > 0 ? (unsigned)ncpu : 1;
		if (threads > 16)
			threads = 16;
	}
	if (cfg->bind != NULL) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET, cfg->bind, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)cfg->port);
		} else if (inet_pton(AF_INET6, cfg->bind, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)cfg->port);
			flags |= MHD_USE_IPv6;
		} else {
			log_warn("--bind: %s is not an IP address", cfg->bind);
			return -1;
		}
		sa = (struct sockaddr *)&ss;
	} else {
		flags |= MHD_USE_DUAL_STACK;
	}
	if (cfg->trust_proxy != NULL && cfg->trust_proxy[0] != '\0')
		ntrusted = config_parse_cidrs(cfg->trust_proxy, trusted, CONFIG_MAX_TRUSTED);
	if (ntrusted < 0)
		ntrusted = 0;
	per_ip_limit = cfg->per_ip_limit;
	if (cfg->tls_cert != NULL) {
		tls_cert = read_all(cfg->tls_cert);
		tls_key = read_all(cfg->tls_key);
		if (tls_cert == NULL || tls_key == NULL) {
			log_warn("cannot read --tls-cert or --tls-key");
			return -1;
		}
		flags |= MHD_USE_TLS;
	}
	for (;;) {
		struct MHD_OptionItem opts[16];
		int n = 0;

#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
		OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL);
		OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
		OPT(MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTION_LIMIT, NULL);
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONNECTION_TIMEOUT_S, NULL);
		OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY_BYTES, NULL);
		OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL);
		OPT(MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL);
		if (sa != NULL)
			OPT(MHD_OPTION_SOCK_ADDR, 0, sa);
		/* Per-address connection limit, our own rather than
		 * libmicrohttpd's, so trusted proxies (whose connections carry
		 * everyone) are exempt. */
		if (per_ip_limit > 0)
			OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL);
		if (tls_cert != NULL) {
			OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert);
			OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key);
		}
		OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
		daemon_ = MHD_start_daemon(flags, (uint16_t)cfg->port,
					   per_ip_limit > 0 ? on_accept : NULL, NULL, on_request, NULL,
					   MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
		if (daemon_ != NULL || !(flags & MHD_USE_DUAL_STACK))
			break;
		/* No IPv6 on this host: fall back to IPv4 only. */
		flags &= ~(unsigned)MHD_USE_DUAL_STACK;
	}
	if (daemon_ == NULL) {
		log_warn("cannot listen on %s port %u (in use, or not allowed?)",
			 cfg->bind ? cfg->bind : "all addresses", cfg->port);
		return -1;
	}
	return 0;
}

void http_quiesce(void)
{
	if (daemon_ != NULL && quiesced_fd == MHD_INVALID_SOCKET)
		quiesced_fd = MHD_quiesce_daemon(daemon_);
}

void http_stop(void)
{
	int waited;

	if (daemon_ == NULL)
		return;
	/* Let answers already resumed (the last committed signatures) go out. */
	for (waited = 0; waited < HTTP_SHUTDOWN_GRACE_MS; waited += 20) {
		const union MHD_DaemonInfo *di =
			MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		struct timespec ts = { 0, 20 * 1000000L };

		if (di == NULL || di->num_connections == 0)
			break;
		if (waited >= 200 && !sign_busy())
			break;
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	if (quiesced_fd != MHD_INVALID_SOCKET)
		close(quiesced_fd);
	free(tls_cert);
	free(tls_key);
}
