/* static.c -- the embedded files (CSS, JS, icons, robots.txt) and the QR
 * code of the petition's address.
 *
 * Files are answered from responses prepared at start-up from the bytes
 * and gzip forms made at build time: [plain, gzip] x [short cache,
 * immutable] (immutable when the URL carries the content hash, ?v=). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "assets.h"
#include "hdr.h"
#include "log.h"
#include "qr.h"

#define STATIC_VARY "Accept-Encoding"

/* What each static route serves: the files under the prefix route (by
 * name), and the asset of each exact route. */
static const struct {
	enum route_id route;
	const char *name;  /* after the prefix; NULL for an exact route */
	const char *asset;
} files[] = {
	{ ROUTE_STATIC, "style.css", "assets/style.css" },
	{ ROUTE_STATIC, "app.js", "assets/app.js" },
	{ ROUTE_STATIC, "favicon.svg", "assets/favicon.svg" },
	{ ROUTE_STATIC, "og.png", "assets/og.png" },
	{ ROUTE_FAVICON, NULL, "assets/favicon.svg" },
	{ ROUTE_ROBOTS, NULL, "assets/robots.txt" },
};
#define NFILES (sizeof files / sizeof files[0])

struct statics {
	const struct asset *asset[NFILES];
	struct MHD_Response *resp[NFILES][2][2];
};

static struct MHD_Response *file_response(const struct app *a, const struct asset *f, int gz,
					  int imm)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		gz ? f->gzlen : f->len, (void *)(gz ? f->gz : f->data), MHD_RESPMEM_PERSISTENT);
	char etag[40];

	if (resp == NULL)
		return NULL;
	snprintf(etag, sizeof etag, "\"%s%s\"", f->hash, gz ? "-gz" : "");
	http_add_security_headers(a->cfg, resp, 0);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->mime);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, STATIC_VARY);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				imm ? "public, max-age=31536000, immutable" : "public, max-age=3600");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return resp;
}

/* The file a request names, or -1. */
static int file_of(struct http_req *r)
{
	enum route_id route = app_route_of(r);
	size_t i, plen = strlen(r->route->route.path);

	for (i = 0; i < NFILES; i++) {
		if (files[i].route != route)
			continue;
		if (files[i].name == NULL || strcmp(r->path + plen, files[i].name) == 0)
			return (int)i;
	}
	return -1;
}

enum MHD_Result static_file(struct http_req *r)
{
	struct statics *s = ((struct app *)r->app)->statics;
	const char *v = http_query(r, "v");
	const struct asset *f;
	char etag[40];
	int i = file_of(r), gz, imm;

	if (i < 0)
		return http_send_error(r, HTTP_NOT_FOUND);
	f = s->asset[i];
	gz = f->gz != NULL && http_accepts_gzip(r);
	imm = v != NULL && strlen(v) == 12 && strncmp(v, f->hash, 12) == 0;
	snprintf(etag, sizeof etag, "\"%s%s\"", f->hash, gz ? "-gz" : "");
	if (hdr_etag_matches(http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), etag))
		return http_not_modified(r, etag, "Accept-Encoding, Accept-Language");
	return MHD_queue_response(r->conn, HTTP_OK, s->resp[i][gz][imm]);
}

enum MHD_Result static_qr(struct http_req *r)
{
	struct buf base = BUF_INIT, svg = BUF_INIT;
	struct MHD_Response *resp;
	const char *sz = http_query(r, "size");
	long size = QR_DEFAULT_SIZE;

	if (sz != NULL) {
		char *end;

		size = strtol(sz, &end, 10);
		if (*end != '\0' || end == sz || size < QR_MIN_SIZE || size > QR_MAX_SIZE)
			return http_send_error(r, HTTP_BAD_REQUEST);
	}
	http_base_url(r, &base);
	buf_puts(&base, routes_path(ROUTE_INDEX));
	if (qr_svg(&svg, buf_cstr(&base), (int)size) != 0) {
		buf_free(&base);
		buf_free(&svg);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	buf_free(&base);
	resp = http_response_buf(r, "image/svg+xml", &svg);
	if (resp != NULL) {
		MHD_del_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		if (((struct app *)r->app)->cfg->public_url != NULL) {
			/* The same picture for everyone: any cache may keep it. */
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
						"public, max-age=3600");
		} else {
			/* Made from this request's Host (and a trusted proxy's
			 * X-Forwarded-Proto): a shared cache must never hand one
			 * client's picture to another; the browser may keep its own. */
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
						"private, max-age=3600");
			MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
						"Host, X-Forwarded-Proto");
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
					"inline; filename=\"petition-qr.svg\"");
	}
	return http_queue(r, HTTP_OK, resp);
}

int static_init(struct app *a, char *err, size_t errlen)
{
	size_t i;
	int gz, imm;

	a->statics = calloc(1, sizeof *a->statics);
	if (a->statics == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (a->cfg->public_url == NULL)
		log_info("no --public-url: share links and the QR code follow each request's "
			 "Host header (and X-Forwarded-Proto from a trusted proxy); set "
			 "--public-url https://your.domain for leaflets and printed QR codes");
	for (i = 0; i < NFILES; i++) {
		const struct asset *f = asset_find(files[i].asset);

		if (f == NULL) {
			snprintf(err, errlen, "%s missing from the binary", files[i].asset);
			return -1;
		}
		a->statics->asset[i] = f;
		for (gz = 0; gz < 2; gz++) {
			for (imm = 0; imm < 2; imm++) {
				a->statics->resp[i][gz][imm] =
					file_response(a, f, gz && f->gz != NULL, imm);
				if (a->statics->resp[i][gz][imm] == NULL) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
			}
		}
	}
	return 0;
}

void static_free(struct app *a)
{
	size_t i;
	int gz, imm;

	if (a->statics == NULL)
		return;
	for (i = 0; i < NFILES; i++)
		for (gz = 0; gz < 2; gz++)
			for (imm = 0; imm < 2; imm++)
				if (a->statics->resp[i][gz][imm])
					MHD_destroy_response(a->statics->resp[i][gz][imm]);
	free(a->statics);
	a->statics = NULL;
}
