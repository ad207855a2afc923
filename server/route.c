/* route.c -- matching a method and path against a table of routes. */
#include "route.h"

#include <stdio.h>
#include <string.h>

int route_find(const void *table, size_t n, size_t stride, const char *method,
	       const char *path, char *allow, size_t allowlen)
{
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	size_t i, used = 0;

	if (allowlen > 0)
		allow[0] = '\0';
	if (strlen(path) > ROUTE_MAX_PATH)
		return -1;
	for (i = 0; i < n; i++) {
		const struct route *rt =
			(const struct route *)(const void *)((const char *)table + i * stride);
		int match = (rt->flags & ROUTE_F_PREFIX) ? strncmp(path, rt->path, strlen(rt->path)) == 0
						       : strcmp(path, rt->path) == 0;
		int k;

		if (!match)
			continue;
		if (strcmp(rt->method, method) == 0 || (is_get && strcmp(rt->method, "GET") == 0))
			return (int)i;
		if (used >= allowlen)
			continue;
		k = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
			     strcmp(rt->method, "GET") == 0 ? "GET, HEAD" : rt->method);
		if (k > 0)
			used += (size_t)k < allowlen - used ? (size_t)k : allowlen - used - 1;
	}
	return -1;
}
