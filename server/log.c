/* log.c -- one-line diagnostics on stderr, with a UTC timestamp. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void vlog(const char *level, const char *fmt, va_list ap)
{
	char ts[32], line[1024];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	vsnprintf(line, sizeof line, fmt, ap);
	/* One fprintf call per line so concurrent threads do not interleave. */
	fprintf(stderr, "%s petitiond %s: %s\n", ts, level, line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap);
	va_end(ap);
	exit(1);
}
