/* bare.c -- the page and form ceiling: libmicrohttpd alone, no per-request work.
 *
 * Usage: bare PORT THREADS PAGE PAGE.hdr PAGE.gz PAGE.gz.hdr SIGN.hdr
 * Serves petitiond's page bytes (plain or gzip, by Accept-Encoding) with its
 * headers from responses prepared once, in petitiond's daemon mode (thread
 * pool, epoll), answering on the second call as petitiond does. POST /sign
 * runs the form through libmicrohttpd's post processor and answers 303
 * without storing anything. A .hdr file holds "Name: value" lines. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct MHD_Response *page[2], *see_other;
static char get_req; /* the *req_cls of a GET: not a post processor */

static struct MHD_Response *load(const char *body, const char *hdr)
{
	FILE *f = body ? fopen(body, "rb") : NULL;
	char *p = malloc(1 << 20), line[4096], *colon;
	size_t n = f ? fread(p, 1, 1 << 20, f) : 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(n, p, MHD_RESPMEM_MUST_FREE);

	if (f)
		fclose(f);
	for (f = fopen(hdr, "r"); f && fgets(line, sizeof line, f);)
		if ((colon = strchr(line, ':')) != NULL) {
			*colon = '\0', colon[2 + strcspn(colon + 2, "\r\n")] = '\0';
			MHD_add_response_header(r, line, colon + 2);
		}
	return r;
}

static enum MHD_Result field(void *cls, enum MHD_ValueKind kind, const char *key, const char *file,
			     const char *type, const char *enc, const char *data, uint64_t off, size_t size)
{
	return MHD_YES; /* parsed and decoded by libmicrohttpd; stored nowhere */
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			     const char *version, const char *data, size_t *size, void **req)
{
	const char *ae;

	if (*req == NULL) { /* headers only: answer on the next call (keep-alive) */
		*req = strcmp(method, "POST") ? (void *)&get_req : MHD_create_post_processor(c, 4096, field, NULL);
		return *req ? MHD_YES : MHD_NO;
	}
	if (*size != 0) {
		MHD_post_process(*req, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (*req != &get_req)
		return MHD_queue_response(c, MHD_HTTP_SEE_OTHER, see_other);
	ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	return MHD_queue_response(c, MHD_HTTP_OK, page[ae && strstr(ae, "gzip")]);
}

static void done(void *cls, struct MHD_Connection *c, void **req, enum MHD_RequestTerminationCode t)
{
	if (*req != NULL && *req != &get_req)
		MHD_destroy_post_processor(*req);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	sigset_t s;
	int sig;

	if (argc != 8)
		return fprintf(stderr, "usage: bare PORT THREADS PAGE HDR PAGE.gz HDR SIGN.hdr\n"), 2;
	page[0] = load(argv[3], argv[4]), page[1] = load(argv[5], argv[6]), see_other = load(NULL, argv[7]);
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sigemptyset(&s), sigaddset(&s, SIGINT), sigaddset(&s, SIGTERM), pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (!MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)atoi(argv[1]), NULL, NULL, serve, NULL,
			      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]), MHD_OPTION_CONNECTION_LIMIT, 2048u,
			      MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			      MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END))
		return perror("bare: MHD_start_daemon"), 1;
	return sigwait(&s, &sig), 0; /* the kernel closes the sockets */
}
