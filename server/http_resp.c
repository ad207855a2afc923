/* http_resp.c -- building and queueing answers.
 *
 * Every answer carries the security headers (http_add_security_headers),
 * errors included. Error bodies come from the hooks' render_error (the
 * views), so this layer never renders a page itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

static int frameable(struct http_req *r)
{
	return r->route != NULL && (r->route->route.flags & ROUTE_F_FRAMEABLE);
}

void http_security_headers(const struct config *cfg, int is_frameable,
			   void (*emit)(void *ctx, const char *name, const char *value), void *ctx)
{
	/* Only the widget may be framed, by any site: it shows the count and a
	 * link, and has no form a framing page could trick anyone into using. */
	emit(ctx, "Content-Security-Policy",
	     is_frameable ? "default-src 'self'; script-src 'self'; style-src 'self'; "
			    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
			    "object-src 'none'; base-uri 'none'; form-action 'self'; "
			    "frame-ancestors *"
			  : "default-src 'self'; script-src 'self'; style-src 'self'; "
			    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
			    "object-src 'none'; base-uri 'none'; form-action 'self'; "
			    "frame-ancestors 'none'");
	if (cfg != NULL && cfg->hsts > 0) {
		char v[64];

		snprintf(v, sizeof v, "max-age=%ld", cfg->hsts);
		emit(ctx, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, v);
	}
	emit(ctx, "X-Content-Type-Options", "nosniff");
	if (!is_frameable)
		emit(ctx, "X-Frame-Options", "DENY");
	/* same-origin: nothing leaks to other sites, and our own form posts
	 * still carry a real Origin for the cross-site check. */
	emit(ctx, "Referrer-Policy", "same-origin");
	emit(ctx, "Permissions-Policy",
	     "camera=(), microphone=(), geolocation=(), payment=(), "
	     "interest-cohort=(), browsing-topics=()");
	emit(ctx, "Cross-Origin-Opener-Policy", "same-origin");
	emit(ctx, "Cross-Origin-Resource-Policy", is_frameable ? "cross-origin" : "same-origin");
}

static void emit_mhd(void *ctx, const char *name, const char *value)
{
	MHD_add_response_header(ctx, name, value);
}

void http_add_security_headers(const struct config *cfg, struct MHD_Response *resp,
			       int is_frameable)
{
	http_security_headers(cfg, is_frameable, emit_mhd, resp);
}

enum MHD_Result http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct MHD_Response *make(struct http_req *r, const char *ctype, const void *data,
				 size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data, mode);

	if (resp == NULL)
		return NULL;
	http_add_security_headers(r->srv->cfg, resp, frameable(r));
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return resp;
}

struct MHD_Response *http_response(struct http_req *r, const char *ctype, const void *data,
				   size_t len)
{
	return make(r, ctype, data, len, MHD_RESPMEM_MUST_COPY);
}

struct MHD_Response *http_response_buf(struct http_req *r, const char *ctype, struct buf *b)
{
	struct MHD_Response *resp;
	size_t len;
	char *p;

	if (b->oom) {
		buf_free(b);
		return NULL;
	}
	p = buf_steal(b, &len);
	if (p == NULL)
		return NULL;
	resp = make(r, ctype, p, len, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		free(p);
	return resp;
}

enum MHD_Result http_send(struct http_req *r, unsigned status, const char *ctype,
			  const void *data, size_t len)
{
	return http_queue(r, status, http_response(r, ctype, data, len));
}

enum MHD_Result http_send_buf(struct http_req *r, unsigned status, const char *ctype,
			      struct buf *b)
{
	return http_queue(r, status, http_response_buf(r, ctype, b));
}

enum MHD_Result http_send_error_with(struct http_req *r, unsigned status, const char *hname,
				     const char *hval)
{
	const struct http_hooks *hooks = r->srv->hooks;
	struct MHD_Response *resp;
	struct buf b = BUF_INIT;
	const char *ctype;

	if (http_wants_json(r) && !r->is_head) {
		buf_printf(&b, "{\"ok\":false,\"error\":%u}", status);
		ctype = "application/json";
	} else if (hooks->render_error != NULL &&
		   hooks->render_error(hooks->app, &b, r->lang, status) == 0 && !b.oom) {
		ctype = "text/html; charset=utf-8";
	} else {
		buf_reset(&b);
		buf_printf(&b, "Error %u\n", status);
		ctype = "text/plain; charset=utf-8";
	}
	resp = http_response_buf(r, ctype, &b);
	if (resp != NULL && hname != NULL)
		MHD_add_response_header(resp, hname, hval);
	return http_queue(r, status, resp);
}

enum MHD_Result http_send_error(struct http_req *r, unsigned status)
{
	return http_send_error_with(r, status, NULL, NULL);
}

enum MHD_Result http_send_retry(struct http_req *r, unsigned status, int seconds)
{
	char v[16];

	snprintf(v, sizeof v, "%d", seconds > 0 ? seconds : 1);
	return http_send_error_with(r, status, MHD_HTTP_HEADER_RETRY_AFTER, v);
}

enum MHD_Result http_send_unavailable(struct http_req *r)
{
	return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, HTTP_RETRY_AFTER_S);
}

enum MHD_Result http_redirect(struct http_req *r, unsigned status, const char *location)
{
	struct MHD_Response *resp = make(r, NULL, "", 0, MHD_RESPMEM_PERSISTENT);

	if (resp != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	return http_queue(r, status, resp);
}

enum MHD_Result http_not_modified(struct http_req *r, const char *etag, const char *vary)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

	if (resp == NULL)
		return MHD_NO;
	http_add_security_headers(r->srv->cfg, resp, frameable(r));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (vary != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, vary);
	return http_queue(r, HTTP_NOT_MODIFIED, resp);
}
