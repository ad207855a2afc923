/* tz.c -- zones loaded from the system's zoneinfo files (see tz.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"

struct tz {
	char name[TZ_NAME_MAX + 1];
	struct tzif *zone;
};

/* Zones that work without tzdata (a minimal container): fixed offsets. */
static const struct {
	const char *name;
	int32_t utoff;
} builtin[] = {
    {TZ_DEFAULT, 7 * 3600},
    {"UTC", 0},
    {"Etc/UTC", 0},
};

int tz_name_ok(const char *name)
{
	size_t i, n;
	int start = 1;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (start && (c == '.' || c == '/'))
			return 0; /* "..", ".hidden", "a//b" */
		start = c == '/';
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '+' || c == '-' || c == '.'))
			return 0;
	}
	/* Files in the zoneinfo directory that are not zones of their own. */
	if (strcmp(name, "localtime") == 0 || strcmp(name, "posixrules") == 0 ||
	    strcmp(name, "Factory") == 0)
		return 0;
	return 1;
}

static struct tz *make(const char *name, struct tzif *zone)
{
	struct tz *z;

	if (zone == NULL)
		return NULL;
	z = calloc(1, sizeof *z);
	if (z == NULL) {
		tzif_free(zone);
		return NULL;
	}
	snprintf(z->name, sizeof z->name, "%s", name);
	z->zone = zone;
	return z;
}

/* Reads the whole regular file at path (at most TZ_FILE_MAX_BYTES) into a
 * malloc'd buffer. Returns it with its length, or NULL (errno set; EFBIG
 * for too large, EINVAL for not a regular file). */
static unsigned char *read_file(const char *path, size_t *len)
{
	struct stat sb;
	unsigned char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > TZ_FILE_MAX_BYTES) {
		close(fd);
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

struct tz *tz_load(const char *name, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[4096], why[128];
	unsigned char *data;
	struct tzif *zone;
	struct tz *z;
	size_t len = 0, i;

	if (!tz_name_ok(name)) {
		snprintf(err, errlen, "unknown time zone (not an IANA zone name)");
		return NULL;
	}
	if (dir == NULL || dir[0] != '/')
		dir = TZ_DIR;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
		snprintf(err, errlen, "unknown time zone (name too long)");
		return NULL;
	}
	data = read_file(path, &len);
	if (data == NULL) {
		int e = errno;

		for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
			if (strcmp(name, builtin[i].name) == 0)
				return make(name, tzif_fixed(builtin[i].utoff));
		if (e == ENOENT || e == ENOTDIR || e == EINVAL || e == EISDIR)
			snprintf(err, errlen, "unknown time zone (no zone %s in %s)", name, dir);
		else
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return NULL;
	}
	zone = tzif_parse(data, len, why, sizeof why);
	free(data);
	if (zone == NULL) {
		snprintf(err, errlen, "unknown time zone (%s: %s)", path, why);
		return NULL;
	}
	if ((z = make(name, zone)) == NULL)
		snprintf(err, errlen, "out of memory");
	return z;
}

struct tz *tz_clone(const struct tz *z)
{
	return z ? make(z->name, tzif_clone(z->zone)) : NULL;
}

void tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	tzif_free(z->zone);
	free(z);
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

void tz_city(const struct tz *z, char *out, size_t outlen)
{
	const char *slash = strrchr(z->name, '/'), *c = slash ? slash + 1 : z->name;
	size_t i;

	if (outlen == 0)
		return;
	if (strcmp(z->name, "Etc/UTC") == 0 || strcmp(z->name, "UTC") == 0 ||
	    strcmp(z->name, "Etc/UCT") == 0 || strcmp(z->name, "Zulu") == 0) {
		snprintf(out, outlen, "UTC");
		return;
	}
	for (i = 0; c[i] && i + 1 < outlen; i++)
		out[i] = c[i] == '_' ? ' ' : c[i];
	out[i] = '\0';
}

void tz_local(const struct tz *z, int64_t t, struct tzif_tm *out)
{
	tzif_local(z->zone, t, out);
}

int tz_from_local(const struct tz *z, int64_t year, int mon, int mday, int hour, int min, int sec,
		  int64_t *out)
{
	return tzif_from_local(z->zone, year, mon, mday, hour, min, sec, out);
}

void tz_offset_label(int32_t utoff, char *out, size_t outlen)
{
	int32_t a = utoff < 0 ? -utoff : utoff;

	if (utoff == 0)
		snprintf(out, outlen, "UTC");
	else if (a % 60 != 0)
		snprintf(out, outlen, "UTC%c%02d:%02d:%02d", utoff < 0 ? '-' : '+', (int)(a / 3600),
			 (int)(a / 60 % 60), (int)(a % 60));
	else
		snprintf(out, outlen, "UTC%c%02d:%02d", utoff < 0 ? '-' : '+', (int)(a / 3600),
			 (int)(a / 60 % 60));
}

int tz_format(const struct tz *z, int64_t t, char *out, size_t outlen)
{
	struct tzif_tm tm;
	char off[24];

	tz_local(z, t, &tm);
	tz_offset_label(tm.utoff, off, sizeof off);
	return snprintf(out, outlen, "%04" PRId64 "-%02d-%02d %02d:%02d %s", tm.year, tm.mon,
			tm.mday, tm.hour, tm.min, off);
}

int tz_format_day(const struct tz *z, int64_t t, char *out, size_t outlen)
{
	struct tzif_tm tm;

	tz_local(z, t, &tm);
	return snprintf(out, outlen, "%04" PRId64 "-%02d-%02d", tm.year, tm.mon, tm.mday);
}

int tz_format_input(const struct tz *z, int64_t t, char *out, size_t outlen)
{
	struct tzif_tm tm;

	tz_local(z, t, &tm);
	return snprintf(out, outlen, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", tm.year, tm.mon,
			tm.mday, tm.hour, tm.min, tm.sec);
}

int tz_format_utc(int64_t t, char *out, size_t outlen)
{
	struct tzif_tm tm;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), secs = t - days * 86400;

	tzif_civil_from_days(days, &tm.year, &tm.mon, &tm.mday);
	return snprintf(out, outlen, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", tm.year, tm.mon,
			tm.mday, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
