/* route.c -- the route table: every method and path the server answers. */
#include "route.h"

#include <stdio.h>
#include <string.h>

static const struct route {
	const char *method; /* GET routes also answer HEAD */
	const char *path;
	int prefix;         /* path is a prefix (ends with '/') */
	enum route_id id;
} routes[] = {
	{ "GET", "/", 0, ROUTE_INDEX },
	{ "POST", "/sign", 0, ROUTE_SIGN },
	{ "GET", "/thanks", 0, ROUTE_THANKS },
	{ "GET", "/api/stats", 0, ROUTE_STATS },
	{ "GET", "/healthz", 0, ROUTE_HEALTHZ },
	{ "GET", "/admin", 0, ROUTE_ADMIN },
	{ "GET", "/admin/export.csv", 0, ROUTE_EXPORT },
	{ "POST", "/admin/delete", 0, ROUTE_DELETE },
	{ "GET", "/embed", 0, ROUTE_EMBED },
	{ "GET", "/qr.svg", 0, ROUTE_QR },
	{ "GET", "/robots.txt", 0, ROUTE_STATIC },
	{ "GET", "/favicon.ico", 0, ROUTE_STATIC },
	{ "GET", "/static/", 1, ROUTE_STATIC },
};
#define NROUTES (sizeof routes / sizeof routes[0])

enum route_id route_find(const char *method, const char *path, char *allow, size_t allowlen)
{
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	size_t i, used = 0;

	if (allowlen > 0)
		allow[0] = '\0';
	if (strlen(path) > ROUTE_MAX_PATH)
		return ROUTE_NONE;
	for (i = 0; i < NROUTES; i++) {
		const struct route *rt = &routes[i];
		int match = rt->prefix ? strncmp(path, rt->path, strlen(rt->path)) == 0
				       : strcmp(path, rt->path) == 0;
		int n;

		if (!match)
			continue;
		if (strcmp(rt->method, method) == 0 || (is_get && strcmp(rt->method, "GET") == 0))
			return rt->id;
		if (used >= allowlen)
			continue;
		n = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
			     strcmp(rt->method, "GET") == 0 ? "GET, HEAD" : rt->method);
		if (n > 0)
			used += (size_t)n < allowlen - used ? (size_t)n : allowlen - used - 1;
	}
	return ROUTE_NONE;
}
