/* http_req.c -- what a handler asks of its request: headers, query
 * arguments, what the client accepts, where it comes from; and handing work
 * to the writer with the connection suspended. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

const struct config *http_config(struct http_req *r)
{
	return r->srv->cfg;
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
	return hdr_accepts_gzip(http_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

unsigned http_form_post_refusal(struct http_req *r)
{
	if (http_cross_site(r))
		return HTTP_FORBIDDEN;
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return HTTP_UNSUPPORTED_MEDIA_TYPE;
	if (r->body_too_large)
		return HTTP_PAYLOAD_TOO_LARGE;
	return 0;
}

int http_cross_site(struct http_req *r)
{
	return hdr_cross_site(http_header(r, "Sec-Fetch-Site"), http_header(r, "Origin"),
			      http_header(r, MHD_HTTP_HEADER_HOST));
}

int http_peer_trusted(struct http_req *r)
{
	struct http_server *srv = r->srv;
	struct http_conn *c = http_conn_of(r->conn);
	unsigned char addr[HDR_ADDR_LEN];
	const union MHD_ConnectionInfo *ci;
	int family;

	/* A connection whose address came from a PROXY header: its peer is
	 * that proxy (Tor), which passes no X-Forwarded-* of its own. */
	if (srv->ntrusted == 0 || (c != NULL && c->proxied))
		return 0;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	family = hdr_sockaddr_ip(ci ? ci->client_addr : NULL, addr);
	return family != 0 && hdr_cidr_match(srv->trusted, srv->ntrusted, family, addr);
}

/* 1 when the first entry of an X-Forwarded-Proto list is "https" (the
 * scheme the client used, when proxies append theirs). */
static int proto_is_https(const char *proto)
{
	size_t n;

	if (proto == NULL)
		return 0;
	while (*proto == ' ' || *proto == '\t')
		proto++;
	n = strcspn(proto, ", \t");
	return n == 5 && strncasecmp(proto, "https", 5) == 0;
}

int http_base_url(struct http_req *r, struct buf *out)
{
	const struct config *cfg = r->srv->cfg;
	const char *host;
	int https;
	size_t i;

	if (cfg->public_url != NULL)
		return buf_puts(out, cfg->public_url);
	/* Without --public-url: the Host the client used (a proxy passes it on:
	 * see deploy/), never X-Forwarded-Host. Only host-name characters
	 * pass, so a forged Host cannot inject markup; what it can choose is
	 * only the links in its own answer, which no shared cache may keep
	 * (see static_qr and page_thanks). The scheme is https when we serve
	 * TLS, or when a trusted proxy says the client used https; anyone
	 * else's X-Forwarded-Proto is ignored. */
	host = http_header(r, MHD_HTTP_HEADER_HOST);
	if (host == NULL || host[0] == '\0' || strlen(host) > 255)
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
	https = cfg->tls_cert != NULL ||
		(proto_is_https(http_header(r, "X-Forwarded-Proto")) && http_peer_trusted(r));
	return buf_printf(out, "%s://%s", https ? "https" : "http", host);
}

/* Writer thread: the item is committed (or not). Wake the connection. */
static void pending_done(struct writer_item *item, enum writer_status status)
{
	struct http_pending *p = (struct http_pending *)item;

	atomic_store(&p->status, (int)status);
	MHD_resume_connection(p->conn);
}

enum MHD_Result http_submit(struct http_req *r, struct writer *w, struct http_pending *p)
{
	p->conn = r->conn;
	p->item.done = pending_done;
	if (!r->submitted) {
		r->submitted = 1;
		atomic_fetch_add(&r->srv->busy, 1);
	}
	/* Suspend before queueing, so the writer can never resume a connection
	 * that is not yet suspended. */
	MHD_suspend_connection(r->conn);
	if (atomic_load(&r->srv->stopping) || writer_submit(w, &p->item) != 0) {
		atomic_store(&p->status, WRITER_FAILED);
		MHD_resume_connection(r->conn);
	}
	return MHD_YES;
}
