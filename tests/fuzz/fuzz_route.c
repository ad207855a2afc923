/* fuzz_route.c -- fuzz target for route.c: matching a method and path to a route.
 *
 * The input is read like the start of an HTTP request: "METHOD SP PATH"
 * (the path ends at a space, CR, LF or the end; its query string is cut off
 * as http.c's caller gets it from libmicrohttpd). The whole input is also
 * tried as a GET path, which reaches the ROUTE_MAX_PATH boundary. Checked,
 * for several sizes of the allow buffer (each allocated exactly, so a
 * sanitizer build catches a write past it): route_find() never writes past
 * allowlen, always NUL-terminates allow, gives the same id and the same allow
 * text for every size >= 32 and on every call; and the answer is consistent:
 * HEAD is answered wherever GET is, every method listed in allow is one the
 * path answers, the method asked for is never listed, a path with no route
 * answers no method, and a path past ROUTE_MAX_PATH is never a route. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "route.h"
#include "routes.h"

/* The server's own table (routes.h), without its handlers. */
#define FUZZ_ROW(id, method, path, flags, handler) { method, path, flags },
static const struct route table[] = { ROUTES(FUZZ_ROW) };
#define FUZZ_NROUTES ((int)(sizeof table / sizeof table[0]))
#define ROUTE_NONE (-1)

#define FUZZ_ALLOW_MAX 256

static const size_t allow_sizes[] = {32, 33, 41, 64, FUZZ_ALLOW_MAX};
#define FUZZ_NSIZES (sizeof allow_sizes / sizeof allow_sizes[0])

/*
 * route_find() with allow buffers of every size in allow_sizes; checks the
 * buffers and that all calls agree. Returns the id; copies allow to
 * allow_out (FUZZ_ALLOW_MAX bytes).
 */
static int find(const char *method, const char *path, char *allow_out)
{
	int id = ROUTE_NONE;
	size_t k;

	for (k = 0; k < FUZZ_NSIZES; k++) {
		size_t len = allow_sizes[k];
		char *allow = malloc(len);
		int got;

		FUZZ_CHECK(allow != NULL);
		memset(allow, 0xA5, len);
		got = route_find(table, (size_t)FUZZ_NROUTES, sizeof table[0], method, path, allow, len);
		FUZZ_CHECK(got >= ROUTE_NONE && got < FUZZ_NROUTES);
		FUZZ_CHECK(memchr(allow, '\0', len) != NULL);
		if (k == 0) {
			id = got;
			strcpy(allow_out, allow);
		} else {
			/* Deterministic, and never cut short at any size >= 32. */
			FUZZ_CHECK(got == id);
			if (got == ROUTE_NONE)
				FUZZ_CHECK(strcmp(allow, allow_out) == 0);
		}
		free(allow);
	}
	return id;
}

/* Whether tok is one of the ", "-separated methods in list. */
static int listed(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;

	if (n == 0)
		return 0;
	for (;;) {
		if (strncmp(p, tok, n) == 0 && (p[n] == '\0' || p[n] == ','))
			return 1;
		p = strchr(p, ',');
		if (p == NULL)
			return 0;
		p += 2;
	}
}

static void check_route(const char *method, const char *path)
{
	static const char *const probes[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
	char allow[FUZZ_ALLOW_MAX], other[FUZZ_ALLOW_MAX], tok[FUZZ_ALLOW_MAX];
	int id, id2;
	const char *p;
	size_t k;

	id = find(method, path, allow);
	id2 = find(method, path, other);
	FUZZ_CHECK(id == id2);
	FUZZ_CHECK(id != ROUTE_NONE || strcmp(allow, other) == 0);

	if (strlen(path) > ROUTE_MAX_PATH)
		FUZZ_CHECK(id == ROUTE_NONE && allow[0] == '\0');

	/* HEAD is answered wherever GET is, by the same route. */
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		id2 = find(strcmp(method, "GET") == 0 ? "HEAD" : "GET", path, other);
		FUZZ_CHECK(id2 == id);
		FUZZ_CHECK(id != ROUTE_NONE || strcmp(allow, other) == 0);
	}

	if (id != ROUTE_NONE) {
		/* A method no route has gets 405 with this method allowed. */
		FUZZ_CHECK(path[0] == '/');
		FUZZ_CHECK(find("BREW", path, other) == ROUTE_NONE);
		FUZZ_CHECK(listed(other, method));
		return;
	}
	if (allow[0] == '\0') {
		/* 404: no method at all finds this path. */
		for (k = 0; k < sizeof probes / sizeof probes[0]; k++) {
			FUZZ_CHECK(find(probes[k], path, other) == ROUTE_NONE);
			FUZZ_CHECK(other[0] == '\0');
		}
		return;
	}
	/* 405: allow lists methods, each of which does find the path. */
	FUZZ_CHECK(!listed(allow, method));
	for (p = allow;;) {
		size_t n = strcspn(p, ",");

		FUZZ_CHECK(n > 0);
		memcpy(tok, p, n);
		tok[n] = '\0';
		for (k = 0; k < n; k++)
			FUZZ_CHECK(tok[k] >= 'A' && tok[k] <= 'Z');
		FUZZ_CHECK(find(tok, path, other) != ROUTE_NONE);
		if (p[n] == '\0')
			break;
		FUZZ_CHECK(p[n + 1] == ' ');
		p += n + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *sp, *end = s + size;
	size_t mlen, plen;
	char *method, *path, *whole;

	/* "METHOD SP PATH?query SP VERSION": copies end at an embedded NUL,
	 * as any C string would. */
	sp = memchr(s, ' ', size);
	mlen = sp ? (size_t)(sp - s) : size;
	method = fuzz_strndup(s, mlen);
	if (sp) {
		const char *p = sp + 1;

		plen = 0;
		while (p + plen < end && p[plen] != ' ' && p[plen] != '\r' && p[plen] != '\n' &&
		       p[plen] != '?')
			plen++;
		path = fuzz_strndup(p, plen);
	} else {
		path = fuzz_strndup("/", 1);
	}
	check_route(method, path);

	whole = fuzz_strndup(s, size);
	check_route("GET", whole);
	check_route(method, whole);

	free(whole);
	free(path);
	free(method);
	return 0;
}
