/* routes.c -- the dispatch table, expanded from the one list in routes.h.
 * Only main uses it (it hands it to the HTTP layer), so no handler depends
 * on the file that depends on every handler. */
#include "app.h"

#define ROUTES_ROW(id, method, path, flags, handler) \
	[ROUTE_##id] = { { method, path, flags }, handler },
const struct http_route app_routes[ROUTE_COUNT] = { ROUTES(ROUTES_ROW) };
#undef ROUTES_ROW
