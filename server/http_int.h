/* http_int.h -- what the files of the HTTP layer share among themselves
 * (http.c, http_resp.c, http_req.c, http_addr.c, http_door.c); nothing
 * outside them includes it. */
#ifndef PETITIOND_HTTP_INT_H
#define PETITIOND_HTTP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hdr.h"
#include "http.h"

struct http_slots;
struct http_door;

struct http_server {
	struct MHD_Daemon *daemon;
	const struct config *cfg;
	const struct http_hooks *hooks;
	char *tls_cert, *tls_key;
	struct hdr_cidr trusted[CONFIG_MAX_TRUSTED];
	int ntrusted;
	struct hdr_cidr proxied[CONFIG_MAX_TRUSTED]; /* --proxy-protocol peers */
	int nproxied;
	int loopback_bind;         /* --bind is a loopback address: every peer is a local proxy */
	unsigned max_connections;  /* open connections in all (http_door_limit) */
	struct http_slots *slots;  /* open connections per client and per subnet; NULL: no limit */
	struct http_door *door;    /* listening socket, accept thread, deadlines */
	atomic_int busy;           /* requests handed to the writer, not yet completed */
	atomic_int stopping;
};

/* One accepted connection, from accept() until libmicrohttpd closes it:
 * libmicrohttpd's socket context. The accept thread fills it before handing
 * the socket over; after that only the connection's worker thread writes the
 * fields below "worker", and the watchdog reads only deadline and fd. */
struct http_conn {
	struct http_conn *prev, *next; /* the door's list of live connections (its lock) */
	int fd;
	int listed;                    /* on that list (the door's lock) */
	_Atomic int64_t deadline;      /* ms on the door's clock; 0: none. Past it the
					* watchdog shuts the socket down. */
	/* Who the client is (http_conn_identify), fixed at accept: */
	uint64_t client;    /* keyed id for rate limits and back-off; 0: ask per request
			     * (a trusted proxy names the client in X-Forwarded-For) */
	uint64_t addr_slot; /* key counted against the per-address limit; 0: exempt */
	uint64_t net_slot;  /* key counted against the per-subnet limit; 0: exempt */
	int proxied;        /* the address came from a PROXY protocol header */
	/* Accept thread, before the handover: */
	int waiting_proxy;  /* reading the PROXY line */
	int waiting_head;   /* peeking at the first request head (http_door.c) */
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} peer;             /* the client's address, for MHD_add_connection */
	socklen_t peer_len;
	uint32_t head_pos;  /* bytes of the head checked so far */
	uint32_t head_mark; /* where the word being checked starts */
	uint8_t head_st;    /* where the check stands (http_door.c) */
	uint8_t head_flags; /* what it learnt so far */
	uint16_t head_fields; /* header lines so far */
	/* Worker: the request being read. */
	size_t uri_bytes;   /* request target, query included */
	size_t uri_args;    /* '&'-separated query arguments */
	int body_pending;   /* a body deadline is set */
};

/* libmicrohttpd's socket context of c: our connection state, or NULL. */
static inline struct http_conn *http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? (struct http_conn *)ci->socket_context : NULL;
}

/* http_addr.c */

/* The per-address and per-subnet limits (cfg->per_ip_limit,
 * cfg->per_subnet_limit), in a table sized for max_connections. Start-up
 * only; returns 0 or -1. */
int http_slots_init(struct http_server *srv);
void http_slots_free(struct http_server *srv);
/* Names the client of a new connection from sa, its peer address or the
 * address its PROXY header carries (proxied = 1): sets c->client,
 * c->addr_slot, c->net_slot and c->proxied. Any thread. */
void http_conn_identify(struct http_server *srv, struct http_conn *c, const struct sockaddr *sa,
			int proxied);
/* Counts c against its address's and subnet's limits: 1 when both had room
 * (both counted), 0 when either is full (nothing counted). Any thread. */
int http_slots_take(struct http_server *srv, const struct http_conn *c);
/* Gives back what http_slots_take() counted. Any thread. */
void http_slots_give(struct http_server *srv, const struct http_conn *c);

/* http_resp.c: the security headers every answer carries, one name/value
 * pair at a time through emit (http_add_security_headers gives them to a
 * libmicrohttpd response, the door writes them into its own answers). */
void http_security_headers(const struct config *cfg, int is_frameable,
			   void (*emit)(void *ctx, const char *name, const char *value), void *ctx);

/* http_door.c: the way in. libmicrohttpd listens on nothing; our accept
 * thread accepts, reads a PROXY header from --proxy-protocol peers, applies
 * the connection limits and hands each socket to libmicrohttpd; a watchdog
 * closes connections that miss their deadline (a whole request head in
 * HTTP_HEAD_TIMEOUT_S, a body at HTTP_BODY_MIN_RATE). */

/* Raises the open-file limit and sets srv->max_connections from it and the
 * memory (or cfg->max_connections). Start-up only. */
void http_door_limit(struct http_server *srv);
/* Opens the listening socket as cfg says (--bind, --port). Returns 0 or -1
 * (logged). Start-up, before the daemon starts. */
int http_door_open(struct http_server *srv);
/* Starts the accept and watchdog threads once srv->daemon runs. 0 or -1. */
int http_door_start(struct http_server *srv);
/* Stops accepting: the accept thread ends, the listening socket and the
 * connections not yet handed over are closed. Main thread. */
void http_door_quiesce(struct http_server *srv);
/* After MHD_stop_daemon: stops the watchdog and frees the door. NULL ok. */
void http_door_free(struct http_server *srv);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: srv). */
void http_door_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		      enum MHD_ConnectionNotificationCode code);
/* The request lifecycle, for the deadlines (worker thread): the head is in
 * and a body of body_bytes follows (0: none; UINT64_MAX: chunked, size
 * unknown); the body is in; the answer has gone out (the next head is due
 * within HTTP_HEAD_TIMEOUT_S). c may be NULL. */
void http_door_head_done(struct http_conn *c, uint64_t body_bytes);
void http_door_body_done(struct http_conn *c);
void http_door_answer_done(struct http_conn *c);

#endif
