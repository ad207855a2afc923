/* route.h -- the route table: every method and path the server answers.
 * Pure: matching only; http.c maps route ids to handlers. */
#ifndef PETITIOND_ROUTE_H
#define PETITIOND_ROUTE_H

#include <stddef.h>

enum route_id {
	ROUTE_NONE = -1,
	ROUTE_INDEX,
	ROUTE_SIGN,
	ROUTE_THANKS,
	ROUTE_STATS,
	ROUTE_HEALTHZ,
	ROUTE_ADMIN,
	ROUTE_EXPORT,
	ROUTE_DELETE,
	ROUTE_EMBED,
	ROUTE_QR,
	ROUTE_STATIC,
	ROUTE_COUNT
};

#define ROUTE_MAX_PATH 512 /* longer paths are never routes */

/* Finds the route for method and path (path without the query string).
 * Returns its id; or ROUTE_NONE with allow[] set to the methods the path does
 * answer ("GET, HEAD"), or to "" when no route has that path (404).
 * HEAD is answered wherever GET is. allow must hold at least 32 bytes. */
enum route_id route_find(const char *method, const char *path, char *allow, size_t allowlen);

#endif
