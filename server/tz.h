/* tz.h -- the organizer's time zone: an IANA zone read from the system's
 * zoneinfo (Debian's tzdata), converted without touching the process-wide
 * TZ (see tzif.h), so any thread may format a time at any moment.
 *
 * For pages: tz_format() writes "2027-01-15 18:00 UTC+07:00"; tz_local()
 * gives the calendar fields (e.g. the local day of a signature). */
#ifndef PETITIOND_TZ_H
#define PETITIOND_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "tzif.h"

/* The organizer's zone unless they choose another (UTC+7, no summer time). */
#define TZ_DEFAULT "Asia/Phnom_Penh"
/* Where zones are read from; the TZDIR environment variable overrides it
 * (as for glibc). */
#define TZ_DIR "/usr/share/zoneinfo"
/* Longest zone name accepted (the longest IANA name has 32 characters). */
#define TZ_NAME_MAX 64
/* A zoneinfo file larger than this is refused (real ones: under 4 KiB). */
#define TZ_FILE_MAX_BYTES (64 * 1024)

struct tz;

/* 1 when name looks like an IANA zone name: 1 to TZ_NAME_MAX characters of
 * A-Z a-z 0-9 / _ + - ., components not empty and not starting with '.',
 * no leading '/'. (It says nothing of whether the zone exists.) */
int tz_name_ok(const char *name);
/* Loads the zone name from the zoneinfo directory: a regular TZif file.
 * TZ_DEFAULT, "UTC" and "Etc/UTC" load even without tzdata installed (they
 * are fixed offsets, built in). Returns the zone (free with tz_free), or
 * NULL with the reason in err (an unknown name: "unknown time zone").
 * Any thread; reads a file. */
struct tz *tz_load(const char *name, char *err, size_t errlen);
/* A copy of z (no file read), or NULL when out of memory. */
struct tz *tz_clone(const struct tz *z);
void tz_free(struct tz *z);

/* The zone's IANA name, e.g. "Asia/Phnom_Penh". */
const char *tz_name(const struct tz *z);
/* The city part of the name for people: "Phnom Penh", "New York",
 * "Buenos Aires" (the last component, '_' read as a space), "UTC" for the
 * UTC zones. Writes a NUL-terminated string into out. */
void tz_city(const struct tz *z, char *out, size_t outlen);
/* Unix time t as local time in z. */
void tz_local(const struct tz *z, int64_t t, struct tzif_tm *out);
/* The Unix time of a local wall-clock time in z (see tzif_from_local).
 * Returns 0 or -1. */
int tz_from_local(const struct tz *z, int64_t year, int mon, int mday, int hour, int min, int sec,
		  int64_t *out);
/* "UTC+07:00", "UTC-03:30", "UTC" for 0. */
void tz_offset_label(int32_t utoff, char *out, size_t outlen);
/* "2027-01-15 18:00 UTC+07:00": t in z, labeled with the offset in force
 * then. Returns the length written (out always NUL-terminated). */
int tz_format(const struct tz *z, int64_t t, char *out, size_t outlen);
/* "2027-01-15": the local date of t in z (e.g. to count signatures per
 * day in the organizer's zone). */
int tz_format_day(const struct tz *z, int64_t t, char *out, size_t outlen);
/* "2027-01-15T18:00:00": t in z as an HTML datetime-local value. */
int tz_format_input(const struct tz *z, int64_t t, char *out, size_t outlen);
/* "2027-01-15T11:00:00Z": t in UTC, ISO 8601 (no zone needed). */
int tz_format_utc(int64_t t, char *out, size_t outlen);

#endif
