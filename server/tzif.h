/* tzif.h -- time zones from TZif data (RFC 8536), without the C library's
 * process-global TZ.
 *
 * glibc converts times between zones through one process-wide setting (TZ,
 * tzset), which no thread may change while others read the clock. A zone
 * here is a value instead: the transitions and offsets parsed once from the
 * bytes of a zoneinfo file (tz.c reads the file), plus the POSIX TZ rule of
 * its footer for the years after the last transition. Looking a time up is
 * a binary search or a little calendar arithmetic, on any thread at once.
 *
 * Pure: no I/O, no globals, no <time.h>. */
#ifndef PETITIOND_TZIF_H
#define PETITIOND_TZIF_H

#include <stddef.h>
#include <stdint.h>

/* Limits on what tzif_parse accepts (real zones: under 2,000 transitions,
 * under 20 types). */
#define TZIF_MAX_TRANSITIONS 8192
#define TZIF_MAX_TYPES       256
#define TZIF_MAX_CHARS       256
/* Times are clamped to this many seconds either side of 1970 (about
 * 285,000 years): far beyond any date a petition shows, and far from
 * overflowing the calendar arithmetic. */
#define TZIF_TIME_LIMIT (INT64_C(1) << 43)

struct tzif;

/* A moment in a zone's local time. */
struct tzif_tm {
	int64_t year;
	int mon;       /* 1-12 */
	int mday;      /* 1-31 */
	int hour;      /* 0-23 */
	int min;       /* 0-59 */
	int sec;       /* 0-59 */
	int wday;      /* 0 = Sunday */
	int32_t utoff; /* seconds east of UTC in force then */
};

/* Parses TZif data (versions 1 to 4) in data[0..len): the 64-bit block
 * when there is one, and its footer rule. Zones with leap-second records
 * ("right/...") are refused. Returns the zone (free with tzif_free), or
 * NULL with the reason in err. */
struct tzif *tzif_parse(const unsigned char *data, size_t len, char *err, size_t errlen);
/* A zone at a fixed offset from UTC (seconds east). NULL when out of memory. */
struct tzif *tzif_fixed(int32_t utoff);
/* A copy of z, or NULL when out of memory. */
struct tzif *tzif_clone(const struct tzif *z);
void tzif_free(struct tzif *z);

/* The offset from UTC (seconds east) in force at Unix time t. */
int32_t tzif_utoff(const struct tzif *z, int64_t t);
/* Unix time t as local time in z. */
void tzif_local(const struct tzif *z, int64_t t, struct tzif_tm *out);
/* The Unix time of a local wall-clock time in z. A time that happens twice
 * (clocks going back) is taken at its first occurrence; one that never
 * happens (clocks going forward) is read with the offset before the change,
 * which lands as far after the gap as it was into it. Returns 0, or -1 when
 * a field is out of range (month 1-12, day valid for the month, hour 0-23,
 * minute and second 0-59, year 1-9999). */
int tzif_from_local(const struct tzif *z, int64_t year, int mon, int mday, int hour, int min,
		    int sec, int64_t *out);

/* Calendar helpers (proleptic Gregorian): days since 1970-01-01 of a date,
 * and the date of such a day number. */
int64_t tzif_days_from_civil(int64_t y, int m, int d);
void tzif_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
