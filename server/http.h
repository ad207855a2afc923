/* http.h -- the libmicrohttpd daemon, the route table and response helpers.
 * Route files (page.c, sign.c, admin.c, api.c) include this. */
#ifndef PETITIOND_HTTP_H
#define PETITIOND_HTTP_H

#include <microhttpd.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "i18n.h"
#include "writer.h"

/* Limits, with their units. */
#define HTTP_MAX_BODY_BYTES 16384          /* request body (POST /sign) */
#define HTTP_CONNECTION_LIMIT 2048         /* open connections in all */
#define HTTP_CONNECTION_TIMEOUT_S 30       /* idle or trickling connections (slowloris) */
#define HTTP_CONNECTION_MEMORY_BYTES 32768 /* per connection: request line + headers */
#define HTTP_EXPORT_BLOCK_BYTES 65536      /* CSV export chunk */
#define HTTP_SHUTDOWN_GRACE_MS 3000        /* time given to answers in flight at exit */

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
#define HTTP_UNSUPPORTED_MEDIA_TYPE 415
#define HTTP_UNPROCESSABLE 422
#define HTTP_TOO_MANY_REQUESTS 429
#define HTTP_INTERNAL_ERROR 500
#define HTTP_SERVICE_UNAVAILABLE 503

struct sign_state;
struct store;

/* Per-request state, in *req_cls; freed when the request completes. */
struct http_req {
	struct MHD_Connection *conn;
	const char *path;
	const char *method;
	int is_head;
	int is_post;
	struct buf body;
	int body_too_large;
	enum lang lang;
	struct sign_state *sign;     /* owned, freed by sign_free() */
	void *state;                 /* other handlers' state, freed with state_free */
	void (*state_free)(void *state);
};

typedef enum MHD_Result (*http_handler)(struct http_req *r);

/* Makes the configuration visible to route files; call before page_init(). */
void http_set_config(const struct config *cfg);
/* The daemon. http_start returns 0 or -1 (message logged). */
int http_start(const struct config *cfg);
/* Stops accepting new connections; connections already open carry on. */
void http_quiesce(void);
/* Waits (up to HTTP_SHUTDOWN_GRACE_MS) for answers in flight, then stops. */
void http_stop(void);

/* Helpers for route files. */
const struct config *http_config(void);
const char *http_header(struct http_req *r, const char *name);
const char *http_query(struct http_req *r, const char *name);
int http_wants_json(struct http_req *r);
int http_accepts_gzip(struct http_req *r);
/* The language for this request: ?lang=, then Accept-Language, then English. */
enum lang http_lang(struct http_req *r);
/* Client key for rate limiting: the peer's address (IPv6: its /64). */
size_t http_client_key(struct http_req *r, unsigned char *out, size_t outlen);
int64_t http_now_ms(void);
/* 1 when a browser says the request comes from another site
 * (Sec-Fetch-Site: cross-site, or an Origin whose host is not ours). */
int http_cross_site(struct http_req *r);

/* Adds the headers every answer carries (CSP, nosniff, Referrer-Policy...). */
void http_add_security_headers(struct MHD_Response *resp);
/* The same, but other sites may frame the answer (the /embed widget). */
void http_add_frameable_headers(struct MHD_Response *resp);
/* Appends the petition's base URL without a trailing slash: --public-url,
 * else scheme and Host of this request. Returns 0 or -1. */
int http_base_url(struct http_req *r, struct buf *out);
/* Queues a response built from data (copied) with a content type; adds the
 * security headers and Cache-Control: no-store. */
enum MHD_Result http_send(struct http_req *r, unsigned status, const char *ctype,
			  const void *data, size_t len);
/* Same, taking ownership of b's memory. */
enum MHD_Result http_send_buf(struct http_req *r, unsigned status, const char *ctype,
			      struct buf *b);
/* A localized HTML error page, or JSON {"ok":false,"error":"..."} when the
 * client asked for JSON. */
enum MHD_Result http_send_error(struct http_req *r, unsigned status);
/* 429/503 with Retry-After. */
enum MHD_Result http_send_retry(struct http_req *r, unsigned status, int seconds);
enum MHD_Result http_redirect(struct http_req *r, unsigned status, const char *location);

/* A request waiting for the writer: its connection is suspended until the
 * writer has committed (or failed) its item. Embed it first in the route's
 * state; status is read when the handler is called again after the resume. */
struct http_pending {
	struct writer_item item;
	struct MHD_Connection *conn;
	_Atomic int status; /* enum writer_status */
};

/* Suspends r's connection and queues p->item (whose op and sig the caller
 * has filled) to the writer; the writer's done() resumes the connection.
 * When the writer refuses the item, status is WRITER_FAILED and the
 * connection is resumed at once. Returns MHD_YES. */
enum MHD_Result http_submit(struct http_req *r, struct http_pending *p);

/* Route handlers (defined in the route files). */
enum MHD_Result page_index(struct http_req *r);
enum MHD_Result page_thanks(struct http_req *r);
enum MHD_Result page_static(struct http_req *r);
enum MHD_Result page_embed(struct http_req *r);
enum MHD_Result page_qr(struct http_req *r);
enum MHD_Result sign_post(struct http_req *r);
enum MHD_Result api_stats(struct http_req *r);
enum MHD_Result api_healthz(struct http_req *r);
enum MHD_Result admin_page(struct http_req *r);
enum MHD_Result admin_export(struct http_req *r);
enum MHD_Result admin_delete(struct http_req *r);

/* The database the read-side routes use (api.c, admin.c). Start-up only. */
void api_set_store(struct store *st);
void admin_set_store(struct store *st);

/* sign.c */
int sign_init(void);
void sign_cleanup(void);
void sign_free(struct sign_state *s);
void sign_shutdown(void);
/* Number of signature requests not yet fully answered. */
int sign_busy(void);
/* Submissions answered as success but dropped by the anti-bot traps. */
unsigned long long sign_bots_refused(void);

#endif
