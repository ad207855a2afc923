/* tap.h -- a tiny Test Anything Protocol helper for the unit tests.
 *
 * Header-only: each test program includes it once. Output goes to stdout
 * ("1..N", then "ok N - description" or "not ok N - description"); details
 * of a failure go to stdout as "#" comments, which TAP readers show. */
#ifndef PETITIOND_TAP_H
#define PETITIOND_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run;
static int tap_failed;
static int tap_planned = -1;

/* Announces how many assertions follow. Call it once, first. */
static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

/* Records one assertion; returns cond so callers can add diagnostics. */
__attribute__((format(printf, 2, 3))) static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

/* Prints a byte string as a C-like literal, for diagnostics. */
static inline void tap_dump(const char *label, const char *s, size_t n)
{
	size_t i;

	printf("#   %s: ", label);
	if (s == NULL) {
		printf("NULL\n");
		return;
	}
	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7F)
			printf("\\x%02X", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

/* Passes when the byte strings got[0..glen) and want[0..wlen) are equal
 * (got may be NULL, which never equals). */
__attribute__((format(printf, 5, 6))) static inline int
is_mem(const char *got, size_t glen, const char *want, size_t wlen, const char *fmt, ...)
{
	va_list ap;
	int cond = got != NULL && want != NULL && glen == wlen &&
		   (wlen == 0 || memcmp(got, want, wlen) == 0);

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		tap_dump("got ", got, got ? glen : 0);
		tap_dump("want", want, want ? wlen : 0);
	}
	return cond;
}

/* Passes when the NUL-terminated strings are equal (NULL never equals). */
__attribute__((format(printf, 3, 4))) static inline int is_str(const char *got, const char *want,
							       const char *fmt, ...)
{
	va_list ap;
	int cond = got != NULL && want != NULL && strcmp(got, want) == 0;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		tap_dump("got ", got, got ? strlen(got) : 0);
		tap_dump("want", want, want ? strlen(want) : 0);
	}
	return cond;
}

/* Passes when the integers are equal. */
__attribute__((format(printf, 3, 4))) static inline int is_int(long long got, long long want,
							       const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got %lld, want %lld\n", got, want);
	return cond;
}

/* Ends the run: returns the exit status for main (1 when an assertion
 * failed or the plan was not met, else 0). */
static inline int done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
	} else if (tap_planned != tap_run) {
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
		return 1;
	}
	if (tap_failed) {
		printf("# failed %d of %d tests\n", tap_failed, tap_run);
		return 1;
	}
	return 0;
}

#endif
