/* http.h -- the HTTP layer: libmicrohttpd daemon, request lifecycle, response
 * builder, client addresses.
 *
 * It knows no handler: main hands it a table of routes (routes.c) and the
 * application context, which every request carries as r->app. Handlers
 * include this file; views and everything below them do not. */
#ifndef PETITIOND_HTTP_H
#define PETITIOND_HTTP_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "form.h"
#include "i18n.h"
#include "route.h"
#include "writer.h"

/* Limits, with their units. */
#define HTTP_MAX_BODY_BYTES FORM_MAX_BODY_BYTES /* request body (a form) */
/* Request body of a ROUTE_F_UPLOAD route: an organizer's text (64 KiB of
 * Khmer Markdown is 192 KiB urlencoded) or share image (1 MiB) with the
 * rest of its form. Only an organizer gets to send it (see route.h). */
#define HTTP_MAX_UPLOAD_BYTES (1088u * 1024)
#define HTTP_MAX_HEAD_BYTES 24576          /* request line + headers, else 431 */
#define HTTP_MAX_HEADER_FIELDS 100         /* header lines, else 431 */
#define HTTP_MAX_URI_BYTES 8192            /* request target with its query, else 414 */
#define HTTP_MAX_QUERY_ARGS 64             /* query arguments, else 414 */
/* libmicrohttpd's memory per connection (its pool, all of it touched after
 * the first request): the head, its parsed fields (56 bytes each) and the
 * answer's header. Heads within the limits above fit, so the answer to them
 * is ours; a larger head gets libmicrohttpd's own 431. 32 KiB is the most
 * libmicrohttpd takes from malloc; above it, every connection costs an mmap,
 * and twice the memory (see README, Limits and abuse). */
#define HTTP_CONNECTION_MEMORY_BYTES 32768
#define HTTP_HEAD_TIMEOUT_S 10     /* a whole request head, from accept or the previous answer */
#define HTTP_BODY_TIMEOUT_S 5      /* a body, after its head: this much ... */
#define HTTP_BODY_S_PER_KIB 1      /* ... plus this much per KiB declared */
#define HTTP_CONNECTION_TIMEOUT_S 30       /* no byte moving while an answer goes out */
#define HTTP_SHUTDOWN_GRACE_MS 3000        /* time given to answers in flight at exit */
#define HTTP_RETRY_AFTER_S 5               /* Retry-After when the database cannot take more */

#define HTTP_OK 200
#define HTTP_CREATED 201
#define HTTP_SEE_OTHER 303
#define HTTP_NOT_MODIFIED 304
#define HTTP_BAD_REQUEST 400
#define HTTP_UNAUTHORIZED 401
#define HTTP_FORBIDDEN 403
#define HTTP_NOT_FOUND 404
#define HTTP_METHOD_NOT_ALLOWED 405
#define HTTP_PAYLOAD_TOO_LARGE 413
#define HTTP_URI_TOO_LONG 414
#define HTTP_UNSUPPORTED_MEDIA_TYPE 415
#define HTTP_UNPROCESSABLE 422
#define HTTP_TOO_MANY_REQUESTS 429
#define HTTP_HEADER_FIELDS_TOO_LARGE 431
#define HTTP_INTERNAL_ERROR 500
#define HTTP_NOT_IMPLEMENTED 501
#define HTTP_SERVICE_UNAVAILABLE 503

struct http_req;
struct http_server;

typedef enum MHD_Result (*http_handler)(struct http_req *r);

/* One row of the route table (routes.c). route must come first: route_find()
 * matches on it. */
struct http_route {
	struct route route;
	http_handler handler;
};

/* What main hands the HTTP layer: the routes, the application context, and
 * the two things it must ask of the layers above. */
struct http_hooks {
	void *app;                        /* r->app of every request */
	const struct http_route *routes;
	size_t nroutes;
	/* Renders the error page for status in lang into out. Returns 0 or -1
	 * (then a plain-text body is sent). Any worker thread. */
	int (*render_error)(void *app, struct buf *out, enum lang lang, unsigned status);
	/* Runs before the handler of a ROUTE_F_ADMIN route. Returns 1 when the
	 * request may go on, 0 when it queued an answer itself (*ret set). */
	int (*admin_gate)(struct http_req *r, enum MHD_Result *ret);
};

/* Per-request state, in libmicrohttpd's *req_cls; freed when the request
 * completes. A connection stays on one worker thread, so no locking. */
struct http_req {
	struct MHD_Connection *conn;
	struct http_server *srv;
	void *app;                        /* the hooks' app */
	const struct http_route *route;   /* NULL until routed */
	int route_index;                  /* its index in the hooks' table */
	const char *path;
	const char *method;
	int is_head;
	int is_post;
	struct buf body;
	int body_too_large;
	size_t max_body;                  /* HTTP_MAX_BODY_BYTES, or HTTP_MAX_UPLOAD_BYTES
					   * for a ROUTE_F_UPLOAD route */
	int submitted;                    /* handed to the writer (http_submit) */
	enum lang lang;
	char who[64];                     /* admin routes: the organizer's account name
					   * (set by the admin gate), for the audit trail */
	void *state;                      /* the handler's, freed with state_free */
	void (*state_free)(void *state);
};

/* http.c: the daemon and the request lifecycle. */

/* Starts listening as cfg says. cfg and hooks must outlive the server.
 * Returns the server, or NULL (message logged). Main thread. */
struct http_server *http_start(const struct config *cfg, const struct http_hooks *hooks);
/* Stops accepting new connections; connections already open carry on, but
 * http_submit() refuses new work. Main thread. */
void http_quiesce(struct http_server *srv);
/* Waits (up to HTTP_SHUTDOWN_GRACE_MS) for answers in flight, stops the
 * daemon and frees srv. The writer must have been stopped first, so every
 * suspended connection has been resumed. Main thread. */
void http_stop(struct http_server *srv);

/* A request waiting for the writer: its connection is suspended until the
 * writer has committed (or failed) its item. Embed it first in the handler's
 * state; status is read when the handler is called again after the resume. */
struct http_pending {
	struct writer_item item;
	struct MHD_Connection *conn;
	_Atomic int status; /* enum writer_status */
};

/* Suspends r's connection and queues p->item (whose op and sig the caller
 * has filled) to w; the writer's done() resumes the connection. When the
 * writer refuses the item (full, stopping), status is WRITER_FAILED and the
 * connection is resumed at once. Returns MHD_YES. Worker thread. */
enum MHD_Result http_submit(struct http_req *r, struct writer *w, struct http_pending *p);

/* Request helpers. */
const char *http_header(struct http_req *r, const char *name);
const char *http_query(struct http_req *r, const char *name);
int http_wants_json(struct http_req *r);
int http_accepts_gzip(struct http_req *r);
/* 1 when a browser says the request comes from another site. */
int http_cross_site(struct http_req *r);
/* What a signer's form POST (/sign, /confirm, /withdraw) must be: posted
 * from our own pages (else 403: another site's page posting here is a
 * forged mass submission), application/x-www-form-urlencoded (else 415),
 * within the body limit (else 413). 0 when it is, else that status. */
unsigned http_form_post_refusal(struct http_req *r);
/* The petition's base URL without a trailing slash: --public-url, else the
 * Host of this request with https when we serve TLS or a trusted proxy's
 * X-Forwarded-Proto says so (anyone else's is ignored). An answer built from
 * the request's Host must not be cached publicly. Returns 0 or -1. */
int http_base_url(struct http_req *r, struct buf *out);
/* 1 when the peer (the socket's address, not one from a PROXY header) is
 * one of --trust-proxy's: its X-Forwarded-* headers are believed. */
int http_peer_trusted(struct http_req *r);
const struct config *http_config(struct http_req *r);

/* http_resp.c: building and queueing answers. Every answer carries the
 * security headers (frameable ones for a ROUTE_F_FRAMEABLE route). */

/* Adds the headers every answer carries (CSP, nosniff, Referrer-Policy...). */
void http_add_security_headers(const struct config *cfg, struct MHD_Response *resp,
			       int frameable);
/* Queues resp with status and destroys our reference. A NULL resp (out of
 * memory) closes the connection instead. */
enum MHD_Result http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp);
/* A response from data (copied), with a content type, the security headers
 * and Cache-Control: no-store. NULL when out of memory. */
struct MHD_Response *http_response(struct http_req *r, const char *ctype, const void *data,
				   size_t len);
/* The same, taking ownership of b's memory (freed in every case). */
struct MHD_Response *http_response_buf(struct http_req *r, const char *ctype, struct buf *b);
enum MHD_Result http_send(struct http_req *r, unsigned status, const char *ctype,
			  const void *data, size_t len);
enum MHD_Result http_send_buf(struct http_req *r, unsigned status, const char *ctype,
			      struct buf *b);
/* A localized HTML error page, or JSON {"ok":false,"error":N} when the
 * client asked for JSON. */
enum MHD_Result http_send_error(struct http_req *r, unsigned status);
/* An error page with one more header. */
enum MHD_Result http_send_error_with(struct http_req *r, unsigned status, const char *hname,
				     const char *hval);
/* 429/503 with Retry-After: seconds (at least 1). */
enum MHD_Result http_send_retry(struct http_req *r, unsigned status, int seconds);
/* 503 with Retry-After: HTTP_RETRY_AFTER_S: the database cannot take it now. */
enum MHD_Result http_send_unavailable(struct http_req *r);
enum MHD_Result http_redirect(struct http_req *r, unsigned status, const char *location);
/* 304 for a cached answer whose ETag the client holds. */
enum MHD_Result http_not_modified(struct http_req *r, const char *etag, const char *vary);

/* http_addr.c: who the client is. */

/* An opaque identifier of the client for rate limits and back-off: a keyed
 * hash (key drawn at start) of its address (IPv4, or IPv6 /64), or of the
 * address a trusted proxy names in X-Forwarded-For. 0 when unknown. Never
 * an address: safe to log, different after every restart. */
uint64_t http_client_id(struct http_req *r);

#endif
