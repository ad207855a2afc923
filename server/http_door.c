/* http_door.c -- the way in: the listening socket, the accept thread, the
 * PROXY protocol, the connection limits and the deadlines.
 *
 * libmicrohttpd listens on nothing (MHD_USE_NO_LISTEN_SOCKET). One accept
 * thread accepts every connection, refuses it when the server or its client
 * (address, subnet) holds the most it may, reads the PROXY v1 line of a
 * --proxy-protocol peer (whose address then names the client), and hands the
 * socket to libmicrohttpd with MHD_add_connection().
 *
 * libmicrohttpd answers some malformed requests itself, before it calls us,
 * and those answers would lack our headers (security headers, a content
 * type). So on a plaintext port the accept thread first peeks at the first
 * request head (MSG_PEEK: nothing is consumed): a request line it would
 * refuse, a head past HTTP_MAX_HEAD_BYTES or HTTP_MAX_HEADER_FIELDS, a
 * header line without a name and colon or a Content-Length that is no
 * number gets our own short answer
 * (head_refuse) and the connection is closed; a good head goes to
 * libmicrohttpd untouched. Keep-alive requests after the first are not seen
 * here (see README, Limits and abuse).
 *
 * libmicrohttpd's own timeout is an idle timeout, reset by every byte: a
 * client sending one header line every few seconds would hold a connection
 * for ever. So every connection carries a deadline instead: the whole
 * request head within HTTP_HEAD_TIMEOUT_S of the accept (for a keep-alive
 * connection, of the previous answer), a body within HTTP_BODY_TIMEOUT_S
 * plus HTTP_BODY_S_PER_KIB per KiB; none while the answer is computed or
 * goes out. A watchdog thread shuts down the socket of a connection past its
 * deadline; libmicrohttpd (or the accept thread) then sees it closed and
 * cleans up as for any client that left.
 *
 * Every connection is known by its descriptor in a table (byfd) and, while a
 * deadline may apply, on a list the watchdog walks; both under one lock.
 * libmicrohttpd tells us a connection closed (MHD_CONNECTION_NOTIFY_CLOSED)
 * before it closes the socket, and we take it off the list under the same
 * lock, so the watchdog never touches a descriptor that was reused. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"
#include "log.h"
#include "metric.h"

#define DOOR_FD_RESERVE      64 /* descriptors kept for the database, logs, epoll, eventfds */
#define DOOR_FD_MAX          (1u << 20)  /* the soft open-file limit is raised at most to this */
#define DOOR_MEMORY_SHARE    4           /* connections may take 1/4 of the memory ... */
#define DOOR_CONN_BYTES      (48 * 1024) /* ... at this much each (see README, Limits) */
#define DOOR_MIN_CONNECTIONS 64
#define DOOR_WATCHDOG_MS     200 /* how often deadlines are checked */
#define DOOR_ACCEPT_BATCH    64  /* accepts in a row before looking at other sockets */
#define DOOR_PAUSE_MS        100 /* no accepting for this long when out of descriptors */
#define PROXY_LINE_MAX       107 /* a PROXY v1 line with its CRLF (the spec's maximum) */
#define DOOR_DRAIN_BYTES     (256 * 1024) /* read at most this much before closing on a refusal */

struct http_door {
	pthread_mutex_t lock;    /* list, byfd, open, stop_watchdog */
	pthread_cond_t wake;     /* the watchdog's sleep; signalled to stop it */
	struct http_conn list;   /* sentinel: connections a deadline applies to */
	struct http_conn **byfd; /* descriptor -> connection, from accept to close */
	size_t nfd;
	unsigned open; /* connections counted against max_connections */
	int stop_watchdog;
	int listen_fd, epfd, wake_fd;
	pthread_t acceptor, watchdog;
	int acceptor_running, watchdog_running;
	atomic_int stop_accept;
	int64_t paused_until; /* accept thread: not accepting until then (ms) */
	int64_t warned_at;    /* accept thread: last "out of descriptors" log */
	int peek_heads;       /* plaintext: first heads are checked before the handover */
	char peek[HTTP_MAX_HEAD_BYTES]; /* accept thread: the head being checked */
};

/* The door's clock, in ms. Coarse: deadlines are seconds long. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the limit ------------------------------------------------------------ */

/* Memory the server may count on: physical memory, or the cgroup's limit
 * when that is lower (a container). 0 when unknown. */
static uint64_t memory_bytes(void)
{
	static const char *const cg[] = {"/sys/fs/cgroup/memory.max",
					 "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t mem = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
	size_t i;

	for (i = 0; i < sizeof cg / sizeof cg[0]; i++) {
		FILE *f = fopen(cg[i], "r");
		unsigned long long v;

		if (f == NULL)
			continue;
		if (fscanf(f, "%llu", &v) == 1 && v > 0 && (mem == 0 || v < mem))
			mem = v;
		fclose(f);
	}
	return mem;
}

void http_door_limit(struct http_server *srv)
{
	const struct config *cfg = srv->cfg;
	struct rlimit rl;
	uint64_t nofile = 1024, fd_room, mem = memory_bytes(), mem_room, limit;

	/* The soft open-file limit up to the hard one: the descriptors are
	 * what bounds connections first, and the soft limit is often 1024. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > DOOR_FD_MAX
				  ? DOOR_FD_MAX
				  : rl.rlim_max;

		if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > want)
			want = rl.rlim_cur == RLIM_INFINITY ? DOOR_FD_MAX : rl.rlim_cur;
		if (want > rl.rlim_cur) {
			rl.rlim_cur = want;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				log_warn("cannot raise the open file limit to %llu",
					 (unsigned long long)want);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		nofile = rl.rlim_cur == RLIM_INFINITY ? DOOR_FD_MAX : (uint64_t)rl.rlim_cur;
		if (nofile > DOOR_FD_MAX)
			nofile = DOOR_FD_MAX;
	}
	fd_room = nofile > 2 * DOOR_FD_RESERVE ? nofile - DOOR_FD_RESERVE : nofile / 2;
	mem_room = mem > 0 ? mem / DOOR_MEMORY_SHARE / DOOR_CONN_BYTES : fd_room;
	limit = fd_room < mem_room ? fd_room : mem_room;
	if (limit < DOOR_MIN_CONNECTIONS)
		limit = DOOR_MIN_CONNECTIONS;
	if (cfg->max_connections > 0) {
		limit = (uint64_t)cfg->max_connections;
		if (limit > fd_room) {
			log_warn("--max-connections %ld: the open file limit (%llu) allows %llu",
				 cfg->max_connections, (unsigned long long)nofile,
				 (unsigned long long)fd_room);
			limit = fd_room;
		}
		log_info("connections: at most %llu (--max-connections)",
			 (unsigned long long)limit);
	} else {
		log_info("connections: at most %llu (open file limit %llu, %llu MiB of memory "
			 "at %u KiB each for a quarter of it; --max-connections to change)",
			 (unsigned long long)limit, (unsigned long long)nofile,
			 (unsigned long long)(mem >> 20), DOOR_CONN_BYTES / 1024);
	}
	srv->max_connections = (unsigned)limit;
}

/* ---- the registry --------------------------------------------------------- */

/* Under the lock. */
static void list_add(struct http_door *d, struct http_conn *c)
{
	if (c->listed)
		return;
	c->prev = d->list.prev;
	c->next = &d->list;
	d->list.prev->next = c;
	d->list.prev = c;
	c->listed = 1;
}

/* Under the lock. */
static void list_del(struct http_conn *c)
{
	if (!c->listed)
		return;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->listed = 0;
}

/* Forgets c (counted, in byfd, perhaps listed) and frees it; the socket is
 * closed by the caller (or was, by libmicrohttpd). Any thread. */
static void conn_forget(struct http_server *srv, struct http_conn *c)
{
	struct http_door *d = srv->door;

	pthread_mutex_lock(&d->lock);
	list_del(c);
	if (c->fd >= 0 && (size_t)c->fd < d->nfd && d->byfd[c->fd] == c)
		d->byfd[c->fd] = NULL;
	d->open--;
	pthread_mutex_unlock(&d->lock);
	http_slots_give(srv, c);
	free(c);
}

/* Accept thread: closes a connection it still holds. */
static void conn_drop(struct http_server *srv, struct http_conn *c)
{
	int fd = c->fd;

	conn_forget(srv, c);
	close(fd); /* also leaves the accept thread's epoll set */
}

/* Accept thread: a new connection on fd, counted against the limit. NULL
 * when the server is full (the caller closes fd). */
static struct http_conn *conn_new(struct http_server *srv, int fd)
{
	struct http_door *d = srv->door;
	struct http_conn *c, *stale = NULL;

	if (fd < 0 || (size_t)fd >= d->nfd || (c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->fd = fd;
	atomic_init(&c->deadline, now_ms() + HTTP_HEAD_TIMEOUT_S * 1000);
	pthread_mutex_lock(&d->lock);
	/* A connection still filed under this descriptor was dropped by
	 * libmicrohttpd before it told us it started (out of memory): the
	 * descriptor was closed, or the kernel could not have handed it out
	 * again. Nobody else holds it any more. */
	if ((stale = d->byfd[fd]) != NULL) {
		list_del(stale);
		d->byfd[fd] = NULL;
		d->open--;
	}
	if (d->open >= srv->max_connections) {
		pthread_mutex_unlock(&d->lock);
		free(c);
		c = NULL;
	} else {
		d->byfd[fd] = c;
		d->open++;
		pthread_mutex_unlock(&d->lock);
	}
	if (stale != NULL) {
		http_slots_give(srv, stale);
		free(stale);
	}
	return c;
}

void http_door_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		      enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct http_door *d = srv->door;
	struct http_conn *c = *socket_ctx;

	/* Open connections, for GET /metrics. */
	if (code == MHD_CONNECTION_NOTIFY_STARTED || code == MHD_CONNECTION_NOTIFY_CLOSED)
		metric_connection(code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		int fd = ci != NULL ? ci->connect_fd : -1;

		pthread_mutex_lock(&d->lock);
		c = fd >= 0 && (size_t)fd < d->nfd ? d->byfd[fd] : NULL;
		if (c != NULL)
			list_add(d, c);
		pthread_mutex_unlock(&d->lock);
		*socket_ctx = c;
		return;
	}
	if (code == MHD_CONNECTION_NOTIFY_CLOSED && c != NULL) {
		*socket_ctx = NULL;
		conn_forget(srv, c);
	}
}

/* ---- deadlines ------------------------------------------------------------ */

void http_door_head_done(struct http_conn *c, uint64_t body_bytes)
{
	uint64_t kib;

	if (c == NULL)
		return;
	if (body_bytes == 0) {
		c->body_pending = 0;
		atomic_store_explicit(&c->deadline, 0, memory_order_relaxed);
		return;
	}
	if (body_bytes > HTTP_MAX_UPLOAD_BYTES)
		body_bytes = HTTP_MAX_UPLOAD_BYTES; /* the largest body any route takes */
	kib = (body_bytes + 1023) / 1024;
	c->body_pending = 1;
	atomic_store_explicit(&c->deadline,
			      now_ms() +
				  (int64_t)(HTTP_BODY_TIMEOUT_S + kib * HTTP_BODY_S_PER_KIB) * 1000,
			      memory_order_relaxed);
}

void http_door_body_done(struct http_conn *c)
{
	if (c == NULL || !c->body_pending)
		return;
	c->body_pending = 0;
	atomic_store_explicit(&c->deadline, 0, memory_order_relaxed);
}

void http_door_answer_done(struct http_conn *c)
{
	if (c == NULL)
		return;
	c->body_pending = 0;
	atomic_store_explicit(&c->deadline, now_ms() + HTTP_HEAD_TIMEOUT_S * 1000,
			      memory_order_relaxed);
}

static void *watchdog_main(void *arg)
{
	struct http_door *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stop_watchdog) {
		struct timespec ts;
		struct http_conn *c;
		int64_t now;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += DOOR_WATCHDOG_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &ts);
		now = now_ms();
		for (c = d->list.next; c != &d->list; c = c->next) {
			int64_t dl = atomic_load_explicit(&c->deadline, memory_order_relaxed);

			/* Only once: the request lifecycle may have moved the
			 * deadline meanwhile, and then the connection lives on. */
			if (dl != 0 && dl <= now &&
			    atomic_compare_exchange_strong(&c->deadline, &dl, 0))
				shutdown(c->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- PROXY protocol ------------------------------------------------------- */

/* A port: 1-5 digits, no leading zero, at most 65535. */
static int parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Parses one PROXY v1 line (line[0..n), ending in CRLF):
 * "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" fills *ss with SRC:SPORT and
 * returns 1; "PROXY UNKNOWN ...\r\n" returns 0 (the peer's own address
 * stands); anything else -1. */
static int proxy_parse(const char *line, size_t n, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *f[6];
	size_t fl[6], nf = 0, i, start;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint16_t sport, dport;
	int family;

	if (n < 8 || n > PROXY_LINE_MAX || line[n - 2] != '\r' || line[n - 1] != '\n')
		return -1;
	n -= 2;
	if (memchr(line, '\r', n) != NULL || memchr(line, '\n', n) != NULL ||
	    memchr(line, '\0', n) != NULL)
		return -1;
	if (n >= 13 && memcmp(line, "PROXY UNKNOWN", 13) == 0 && (n == 13 || line[13] == ' '))
		return 0;
	/* Six fields separated by single spaces. */
	for (i = 0, start = 0; i <= n; i++) {
		if (i == n || line[i] == ' ') {
			if (nf == 6 || i == start)
				return -1;
			f[nf] = line + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	if (nf != 6 || fl[0] != 5 || memcmp(f[0], "PROXY", 5) != 0 || fl[1] != 4)
		return -1;
	if (memcmp(f[1], "TCP4", 4) == 0)
		family = AF_INET;
	else if (memcmp(f[1], "TCP6", 4) == 0)
		family = AF_INET6;
	else
		return -1;
	if (fl[2] >= sizeof a || fl[3] >= sizeof b)
		return -1;
	memcpy(a, f[2], fl[2]);
	a[fl[2]] = '\0';
	memcpy(b, f[3], fl[3]);
	b[fl[3]] = '\0';
	if (parse_port(f[4], fl[4], &sport) != 0 || parse_port(f[5], fl[5], &dport) != 0)
		return -1;
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		struct in_addr dst;

		if (inet_pton(AF_INET, a, &s4->sin_addr) != 1 || inet_pton(AF_INET, b, &dst) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(sport);
		*len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		struct in6_addr dst;

		if (inet_pton(AF_INET6, a, &s6->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, b, &dst) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(sport);
		*len = sizeof *s6;
	}
	return 1;
}

/* ---- the accept thread ---------------------------------------------------- */

/* Gives c's socket to libmicrohttpd. Accept thread; c is libmicrohttpd's
 * from here on (never touched again here). */
static void hand_over(struct http_server *srv, struct http_conn *c, const struct sockaddr *sa,
		      socklen_t len)
{
	/* On failure libmicrohttpd has closed the socket already. Only this
	 * thread files connections in byfd, so the entry is still c's. */
	if (MHD_add_connection(srv->daemon, c->fd, sa, len) != MHD_YES)
		conn_forget(srv, c);
}

/* ---- the first request head ---------------------------------------------- */

/* Where head_scan stands: in the request line, or in a header line. */
enum {
	HS_START,   /* before the method (empty lines are skipped) */
	HS_METHOD,  /* in the method */
	HS_TSTART,  /* at the request target */
	HS_SCHEME,  /* in the scheme of an absolute-form target */
	HS_TARGET,  /* in the request target */
	HS_VERSION, /* in the HTTP version */
	HS_LF,      /* after a CR: LF due */
	HS_LINE,    /* at the start of a header line (or the empty line) */
	HS_NAME,    /* in a field name */
	HS_VALUE,   /* in a field value */
	HS_END_LF,  /* after the CR of the empty line: LF due */
};

#define HF_HEAD   1 /* the method is HEAD: a refusal has no body */
#define HF_CL     2 /* the field being read is Content-Length */
#define HF_POLLED 4 /* the socket is in the accept thread's epoll set */

enum head_result { HEAD_MORE, HEAD_OK, HEAD_BAD };

/* RFC 9110 5.6.2. */
static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int is_alpha(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* The HTTP version p[0..n): 0 when 1.0 or 1.1, else the status to refuse it. */
static unsigned version_status(const char *p, size_t n)
{
	if (n == 8 && (memcmp(p, "HTTP/1.1", 8) == 0 || memcmp(p, "HTTP/1.0", 8) == 0))
		return 0;
	if (n == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' &&
	    p[7] >= '0' && p[7] <= '9')
		return 505; /* MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED */
	return HTTP_BAD_REQUEST;
}

/* A Content-Length value p[0..n), blanks around it: 0 when it is a number,
 * else the status to refuse it (413: a number too large to be one). */
static unsigned length_status(const char *p, size_t n)
{
	size_t i = 0, digits = 0;

	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n)
		return HTTP_BAD_REQUEST;
	while (i < n && p[i] == '0')
		i++, digits = 1; /* leading zeros: not significant */
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return HTTP_BAD_REQUEST;
		digits++;
	}
	return digits > 18 ? HTTP_PAYLOAD_TOO_LARGE : 0;
}

/* Checks the head in buf[0..n) (all the client sent so far) from
 * c->head_pos on, where the previous look stopped: every byte is looked at
 * once however the head trickles in. HEAD_OK: a whole head, good;
 * HEAD_BAD: *status says why not; HEAD_MORE: good so far. */
static enum head_result head_scan(struct http_conn *c, const char *buf, size_t n,
				  unsigned *status)
{
	unsigned bad;
	size_t i;

	*status = HTTP_BAD_REQUEST;
	for (i = c->head_pos; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];

		switch (c->head_st) {
		case HS_START:
			if (ch == '\r' || ch == '\n')
				break;
			if (!is_tchar(ch))
				return HEAD_BAD;
			c->head_st = HS_METHOD;
			c->head_mark = (uint32_t)i;
			break;
		case HS_METHOD:
			if (ch == ' ') {
				if (i - c->head_mark == 4 && memcmp(buf + c->head_mark, "HEAD", 4) == 0)
					c->head_flags |= HF_HEAD;
				c->head_st = HS_TSTART;
			} else if (!is_tchar(ch)) {
				return HEAD_BAD;
			}
			break;
		case HS_TSTART:
			if (ch == '/' || ch == '*')
				c->head_st = HS_TARGET;
			else if (is_alpha(ch))
				c->head_st = HS_SCHEME;
			else
				return HEAD_BAD;
			break;
		case HS_SCHEME:
			if (ch == ':')
				c->head_st = HS_TARGET;
			else if (!is_alpha(ch) && !(ch >= '0' && ch <= '9') && ch != '+' && ch != '-' &&
				 ch != '.')
				return HEAD_BAD;
			break;
		case HS_TARGET:
			if (ch == ' ') {
				c->head_st = HS_VERSION;
				c->head_mark = (uint32_t)i + 1;
			} else if (ch < 0x21 || ch == 0x7f) {
				return HEAD_BAD;
			}
			break;
		case HS_VERSION:
			if (ch == '\r' || ch == '\n') {
				if ((bad = version_status(buf + c->head_mark, i - c->head_mark)) != 0) {
					*status = bad;
					return HEAD_BAD;
				}
				c->head_st = ch == '\r' ? HS_LF : HS_LINE;
			} else if (i - c->head_mark >= 8) {
				return HEAD_BAD;
			}
			break;
		case HS_LF:
			if (ch != '\n')
				return HEAD_BAD;
			c->head_st = HS_LINE;
			break;
		case HS_LINE:
			if (ch == '\r') {
				c->head_st = HS_END_LF;
			} else if (ch == '\n') {
				return HEAD_OK;
			} else if (is_tchar(ch)) { /* a blank here is obsolete line folding */
				if (++c->head_fields > HTTP_MAX_HEADER_FIELDS) {
					*status = HTTP_HEADER_FIELDS_TOO_LARGE;
					return HEAD_BAD;
				}
				c->head_st = HS_NAME;
				c->head_mark = (uint32_t)i;
			} else {
				return HEAD_BAD;
			}
			break;
		case HS_NAME:
			if (ch == ':') {
				c->head_flags &= (uint8_t)~HF_CL;
				if (i - c->head_mark == 14 &&
				    strncasecmp(buf + c->head_mark, "Content-Length", 14) == 0)
					c->head_flags |= HF_CL;
				c->head_st = HS_VALUE;
				c->head_mark = (uint32_t)i + 1;
			} else if (!is_tchar(ch)) {
				return HEAD_BAD;
			}
			break;
		case HS_VALUE:
			if (ch == '\r' || ch == '\n') {
				if ((c->head_flags & HF_CL) &&
				    (bad = length_status(buf + c->head_mark, i - c->head_mark)) != 0) {
					*status = bad;
					return HEAD_BAD;
				}
				c->head_st = ch == '\r' ? HS_LF : HS_LINE;
			}
			/* Anything else, even a NUL: libmicrohttpd takes it. */
			break;
		case HS_END_LF:
			if (ch != '\n')
				return HEAD_BAD;
			return HEAD_OK;
		default:
			return HEAD_BAD;
		}
	}
	c->head_pos = (uint32_t)n;
	if (n >= HTTP_MAX_HEAD_BYTES) {
		/* No end in sight: a request line too long is a target too long. */
		*status = c->head_st == HS_TARGET || c->head_st == HS_VERSION ? HTTP_URI_TOO_LONG
			  : c->head_st >= HS_LINE			       ? HTTP_HEADER_FIELDS_TOO_LARGE
									       : HTTP_BAD_REQUEST;
		return HEAD_BAD;
	}
	return HEAD_MORE;
}

struct raw_answer {
	char text[2048];
	size_t len;
};

static void raw_add(struct raw_answer *a, const char *fmt, const char *x, const char *y)
{
	int n = snprintf(a->text + a->len, sizeof a->text - a->len, fmt, x, y);

	if (n > 0 && (size_t)n < sizeof a->text - a->len)
		a->len += (size_t)n;
}

static void raw_header(void *ctx, const char *name, const char *value)
{
	raw_add(ctx, "%s: %s\r\n", name, value);
}

/* Takes what the client sent, within reason, so that closing does not
 * reset the connection before the client has read the answer. */
static void drain(struct http_door *d, int fd)
{
	size_t total = 0;
	ssize_t n;

	while (total < DOOR_DRAIN_BYTES && (n = recv(fd, d->peek, sizeof d->peek, 0)) > 0)
		total += (size_t)n;
}

/* Answers c's malformed head with status, as libmicrohttpd would but with
 * our headers, and closes it. */
static void head_refuse(struct http_server *srv, struct http_conn *c, unsigned status)
{
	struct http_door *d = srv->door;
	const char *reason = MHD_get_reason_phrase_for(status);
	struct raw_answer a = {.len = 0};
	char line[64], body[96];
	int blen = snprintf(body, sizeof body, "%u %s\n", status, reason);

	snprintf(line, sizeof line, "%u", status);
	raw_add(&a, "HTTP/1.1 %s %s\r\n", line, reason);
	raw_add(&a, "%s%s", "Connection: close\r\n",
		"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n");
	snprintf(line, sizeof line, "%d", blen);
	raw_add(&a, "Content-Length: %s%s", line, "\r\n");
	http_security_headers(srv->cfg, 0, raw_header, &a);
	raw_add(&a, "\r\n%s%s", (c->head_flags & HF_HEAD) ? "" : body, "");
	drain(d, c->fd);
	if (send(c->fd, a.text, a.len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0) {
		shutdown(c->fd, SHUT_WR);
		drain(d, c->fd);
	}
	conn_drop(srv, c);
}

/* Looks at c's first request head again (it is readable, or just
 * admitted): hands c over once it is all there and good, refuses it when
 * it is not, else waits for more. Accept thread. */
static void head_read(struct http_server *srv, struct http_conn *c)
{
	struct http_door *d = srv->door;
	unsigned status;
	ssize_t n;

	/* Past its deadline: the watchdog has shut the socket down. */
	if (atomic_load_explicit(&c->deadline, memory_order_relaxed) == 0)
		goto drop;
	n = recv(c->fd, d->peek, sizeof d->peek, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		n = c->head_pos; /* nothing new */
	else if (n <= 0 || (size_t)n < c->head_pos)
		goto drop; /* gone */
	else if ((size_t)n > c->head_pos)
		switch (head_scan(c, d->peek, (size_t)n, &status)) {
		case HEAD_BAD:
			head_refuse(srv, c, status);
			return;
		case HEAD_OK:
			if (c->head_flags & HF_POLLED)
				epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
			pthread_mutex_lock(&d->lock);
			list_del(c); /* libmicrohttpd's start puts it back */
			pthread_mutex_unlock(&d->lock);
			c->waiting_head = 0;
			hand_over(srv, c, &c->peer.sa, c->peer_len);
			return;
		case HEAD_MORE:
			break;
		}
	if (!(c->head_flags & HF_POLLED)) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};

		pthread_mutex_lock(&d->lock);
		list_add(d, c); /* the head is due by its deadline */
		pthread_mutex_unlock(&d->lock);
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
			goto drop;
		/* What came in since the peek is announced all the same: adding
		 * a socket that is readable reports it, edge-triggered or not. */
		c->head_flags |= HF_POLLED;
	}
	return;
drop:
	conn_drop(srv, c);
}

/* Counts c against its client's limits and hands it over (once its first
 * head is good, on a plaintext port), or drops it. */
static void admit(struct http_server *srv, struct http_conn *c, const struct sockaddr *sa,
		  socklen_t len, int proxied)
{
	http_conn_identify(srv, c, sa, proxied);
	if (!http_slots_take(srv, c)) {
		c->addr_slot = c->net_slot = 0; /* nothing was counted */
		conn_drop(srv, c);
		return;
	}
	if (!srv->door->peek_heads || len > sizeof c->peer) {
		hand_over(srv, c, sa, len);
		return;
	}
	memcpy(&c->peer, sa, len);
	c->peer_len = len;
	c->waiting_head = 1;
	head_read(srv, c);
}

/* Reads the PROXY line of c once it is all there. Accept thread. */
static void proxy_read(struct http_server *srv, struct http_conn *c)
{
	struct http_door *d = srv->door;
	char buf[PROXY_LINE_MAX + 1];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	const char *crlf;
	ssize_t n;
	int rc;

	n = recv(c->fd, buf, PROXY_LINE_MAX, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
		goto drop; /* gone, or shut down by the watchdog */
	/* Not a PROXY header: refused, whatever it is. */
	if (memcmp(buf, "PROXY ", (size_t)n < 6 ? (size_t)n : 6) != 0)
		goto drop;
	crlf = memmem(buf, (size_t)n, "\r\n", 2);
	if (crlf == NULL) {
		if (n >= PROXY_LINE_MAX)
			goto drop;
		return; /* more to come (edge-triggered: we hear of it) */
	}
	/* Take exactly the line; what follows is the client's, for
	 * libmicrohttpd. */
	n = (crlf - buf) + 2;
	if (recv(c->fd, buf, (size_t)n, 0) != n)
		goto drop;
	rc = proxy_parse(buf, (size_t)n, &ss, &len);
	if (rc < 0)
		goto drop;
	if (rc == 0 && getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0)
		goto drop;
	c->waiting_proxy = 0;
	if (d->peek_heads) {
		/* Still polled and listed: the head is peeked at next. */
		c->head_flags |= HF_POLLED;
	} else {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		pthread_mutex_lock(&d->lock);
		list_del(c); /* libmicrohttpd's start puts it back */
		pthread_mutex_unlock(&d->lock);
	}
	admit(srv, c, (struct sockaddr *)&ss, len, rc == 1);
	return;
drop:
	conn_drop(srv, c);
}

/* A new socket from accept4(). */
static void door_accepted(struct http_server *srv, int fd, struct sockaddr_storage *ss,
			  socklen_t len)
{
	struct http_door *d = srv->door;
	unsigned char addr[HDR_ADDR_LEN];
	struct http_conn *c = conn_new(srv, fd);
	int family;

	if (c == NULL) {
		close(fd); /* full */
		return;
	}
	family = hdr_sockaddr_ip((struct sockaddr *)ss, addr);
	if (srv->nproxied > 0 && family != 0 &&
	    hdr_cidr_match(srv->proxied, srv->nproxied, family, addr)) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};

		c->waiting_proxy = 1;
		pthread_mutex_lock(&d->lock);
		list_add(d, c); /* the PROXY line is due by the head deadline */
		pthread_mutex_unlock(&d->lock);
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			conn_drop(srv, c);
			return;
		}
		proxy_read(srv, c); /* it may be there already */
		return;
	}
	admit(srv, c, (struct sockaddr *)ss, len, 0);
}

static void accept_some(struct http_server *srv)
{
	struct http_door *d = srv->door;
	int i;

	for (i = 0; i < DOOR_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(d->listen_fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			door_accepted(srv, fd, &ss, len);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		/* Out of descriptors or memory: the listening socket stays
		 * readable, so stop listening to it for a moment. */
		{
			int64_t now = now_ms();
			struct epoll_event ev = {.events = 0, .data.ptr = NULL};

			if (now - d->warned_at > 60000) {
				log_warn("accept: %s (connections are refused for now)",
					 strerror(errno));
				d->warned_at = now;
			}
			d->paused_until = now + DOOR_PAUSE_MS;
			epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &ev);
		}
		return;
	}
}

static void *acceptor_main(void *arg)
{
	struct http_server *srv = arg;
	struct http_door *d = srv->door;
	struct epoll_event ev[64];

	while (!atomic_load(&d->stop_accept)) {
		int timeout = -1, n, i;

		if (d->paused_until != 0) {
			int64_t left = d->paused_until - now_ms();

			if (left <= 0) {
				struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};

				d->paused_until = 0;
				epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &lev);
			} else {
				timeout = (int)left;
			}
		}
		n = epoll_wait(d->epfd, ev, (int)(sizeof ev / sizeof ev[0]), timeout);
		for (i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;

			if (p == NULL)
				accept_some(srv);
			else if (p != (void *)d && ((struct http_conn *)p)->waiting_proxy)
				proxy_read(srv, p);
			else if (p != (void *)d)
				head_read(srv, p);
		}
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------- */

/* The address to listen on, from --bind; *dual: listen on IPv6 and IPv4. */
static int bind_addr(const struct config *cfg, struct sockaddr_storage *ss, socklen_t *len,
		     int *dual)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	*dual = 0;
	if (cfg->bind == NULL) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)cfg->port);
		*len = sizeof *s6;
		*dual = 1;
	} else if (inet_pton(AF_INET, cfg->bind, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)cfg->port);
		*len = sizeof *s4;
	} else if (inet_pton(AF_INET6, cfg->bind, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->port);
		*len = sizeof *s6;
	} else {
		log_warn("--bind: %s is not an IP address", cfg->bind);
		return -1;
	}
	return 0;
}

static int listen_on(const struct config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int dual, fd, one = 1;

	if (bind_addr(cfg, &ss, &len, &dual) != 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && dual && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
		/* No IPv6 on this host: IPv4 only. */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		memset(&ss, 0, sizeof ss);
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((uint16_t)cfg->port);
		len = sizeof *s4;
		dual = 0;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		log_warn("cannot create the listening socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6) {
		int v6only = !dual;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		log_warn("cannot listen on %s port %u: %s", cfg->bind ? cfg->bind : "all addresses",
			 cfg->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int http_door_open(struct http_server *srv)
{
	struct http_door *d = calloc(1, sizeof *d);
	struct rlimit rl;

	if (d == NULL)
		return -1;
	srv->door = d;
	pthread_mutex_init(&d->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&d->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	d->list.next = d->list.prev = &d->list;
	d->peek_heads = srv->cfg->tls_cert == NULL; /* TLS: the head is encrypted */
	d->listen_fd = d->epfd = d->wake_fd = -1;
	d->nfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
			 rl.rlim_cur < DOOR_FD_MAX
		     ? (size_t)rl.rlim_cur
		     : DOOR_FD_MAX;
	d->byfd = calloc(d->nfd, sizeof d->byfd[0]);
	if (d->byfd == NULL)
		return -1;
	if (srv->cfg->listen_fd >= 0) {
		/* Made by main as root (a port below 1024): ours from here on. */
		int fl = fcntl(srv->cfg->listen_fd, F_GETFL);

		if (fl < 0 || fcntl(srv->cfg->listen_fd, F_SETFL, fl | O_NONBLOCK) != 0) {
			log_warn("cannot use the listening socket: %s", strerror(errno));
			return -1;
		}
		d->listen_fd = srv->cfg->listen_fd;
		return 0;
	}
	d->listen_fd = listen_on(srv->cfg);
	return d->listen_fd >= 0 ? 0 : -1;
}

int http_door_start(struct http_server *srv)
{
	struct http_door *d = srv->door;
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	struct epoll_event wev = {.events = EPOLLIN, .data.ptr = d};

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->epfd < 0 || d->wake_fd < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &lev) != 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->wake_fd, &wev) != 0) {
		log_warn("cannot set up the accept loop: %s", strerror(errno));
		return -1;
	}
	if (pthread_create(&d->watchdog, NULL, watchdog_main, d) != 0)
		return -1;
	d->watchdog_running = 1;
	if (pthread_create(&d->acceptor, NULL, acceptor_main, srv) != 0)
		return -1;
	d->acceptor_running = 1;
	return 0;
}

void http_door_quiesce(struct http_server *srv)
{
	struct http_door *d = srv->door;
	struct http_conn *c, *next, *held = NULL;

	if (d == NULL)
		return;
	if (d->acceptor_running) {
		uint64_t one = 1;

		atomic_store(&d->stop_accept, 1);
		if (write(d->wake_fd, &one, sizeof one) < 0)
			log_warn("cannot wake the accept thread: %s", strerror(errno));
		pthread_join(d->acceptor, NULL);
		d->acceptor_running = 0;
	}
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
	}
	/* Connections still waiting for their PROXY line or first head are
	 * ours to close. */
	pthread_mutex_lock(&d->lock);
	for (c = d->list.next; c != &d->list; c = next) {
		next = c->next;
		if (c->waiting_proxy || c->waiting_head) {
			list_del(c);
			c->next = held;
			held = c;
		}
	}
	pthread_mutex_unlock(&d->lock);
	for (c = held; c != NULL; c = next) {
		next = c->next;
		conn_drop(srv, c);
	}
}

void http_door_free(struct http_server *srv)
{
	struct http_door *d = srv->door;
	size_t i;

	if (d == NULL)
		return;
	http_door_quiesce(srv);
	if (d->watchdog_running) {
		pthread_mutex_lock(&d->lock);
		d->stop_watchdog = 1;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->watchdog, NULL);
	}
	/* libmicrohttpd has stopped: anything still filed was dropped by it
	 * before it started (its socket is closed). */
	for (i = 0; d->byfd != NULL && i < d->nfd; i++)
		if (d->byfd[i] != NULL) {
			http_slots_give(srv, d->byfd[i]);
			free(d->byfd[i]);
		}
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	free(d->byfd);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
	srv->door = NULL;
}
