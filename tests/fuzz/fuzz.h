/* fuzz.h -- shared helpers for the fuzz targets.
 *
 * Header-only, included once by each fuzz_<name>.c. An invariant is checked
 * with FUZZ_CHECK(), which reports the failed condition and calls abort(): a
 * crash is what libFuzzer (and the replay main, through meson) detects. These
 * checks are deliberately not assert(), so a build with NDEBUG keeps them. */
#ifndef PETITIOND_FUZZ_H
#define PETITIOND_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libFuzzer entry point; replay.c calls it for each corpus file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static inline void fuzz_fail(const char *file, int line,
							const char *what)
{
	fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

#define FUZZ_CHECK(cond)                                              \
	do {                                                          \
		if (!(cond))                                          \
			fuzz_fail(__FILE__, __LINE__, #cond);         \
	} while (0)

/* A malloc'd copy of s[0..n) with a NUL after it; aborts when memory ran
 * out (the fuzzers run far from any limit, so that is a harness problem). */
static inline char *fuzz_strndup(const void *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory in the harness");
	if (n > 0)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

#endif
