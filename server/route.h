/* route.h -- matching a method and path against a table of routes.
 *
 * Pure: the table itself (with each route's handler) is declared once, in
 * the handlers' routes.c; this module only matches. */
#ifndef PETITIOND_ROUTE_H
#define PETITIOND_ROUTE_H

#include <stddef.h>

#define ROUTE_MAX_PATH 512 /* longer paths are never routes */

/* Properties of a route, read by the HTTP layer and the handlers. */
#define ROUTE_F_PREFIX 0x01     /* path is a prefix ending in a slash */
#define ROUTE_F_ADMIN 0x02      /* only for organizers: credentials checked first */
#define ROUTE_F_FRAMEABLE 0x04  /* other sites may frame it (the widget) */
#define ROUTE_F_CACHEABLE 0x08  /* the same bytes for everyone: caches may keep it */
#define ROUTE_F_UPLOAD 0x10     /* takes a large body (an organizer's text or image, up to
				 * HTTP_MAX_UPLOAD_BYTES); with ROUTE_F_ADMIN the admin gate
				 * runs before any of the body is read */

/* The part of a route that matching needs. A table passed to route_find()
 * is an array of larger structs that each begin with this one. */
struct route {
	const char *method; /* "GET" (also answers HEAD) or "POST" */
	const char *path;
	unsigned flags;
};

/* Finds the route for method and path (path without the query string) in
 * table[0..n), whose elements are stride bytes apart. Returns its index; or
 * -1 with allow[] set to the methods the path does answer ("GET, HEAD"), or
 * to "" when no route has that path (404). HEAD is answered wherever GET is.
 * allow must hold at least 32 bytes. */
int route_find(const void *table, size_t n, size_t stride, const char *method,
	       const char *path, char *allow, size_t allowlen);

#endif
