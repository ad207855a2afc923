/* test_tzif.c -- unit tests for tzif.c: zones parsed from the system's
 * zoneinfo files (Debian's tzdata) must give the same local times as glibc
 * does with TZ set (this test is single-threaded, so switching TZ is safe
 * here), from 1900 to 2100 -- past 2037 through the footer's POSIX rule --
 * including summer time in both hemispheres, half-hour and 45-minute
 * offsets and Dublin's negative summer time; local-to-UTC round trips;
 * POSIX rules of synthetic files; and damaged data refused without a
 * crash. Zones missing from the system are skipped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "tzif.h"

#define ZONEINFO "/usr/share/zoneinfo"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* glibc's view of t in zone tzspec ("America/New_York" or a POSIX rule). */
static void glibc_local(const char *tzspec, int64_t t, struct tm *out)
{
	time_t tt = (time_t)t;

	setenv("TZ", tzspec, 1);
	tzset();
	localtime_r(&tt, out);
}

/* Compares z with glibc for many times from Unix time from to 2100; one
 * assertion per zone. */
static void compare(const char *label, const struct tzif *z, const char *tzspec, int64_t from)
{
	/* Every 2 days and 7 hours (so every hour of the day and every weekday
	 * come round), plus every quarter of an hour around the start of March,
	 * April, September, October and November in a few years (where most
	 * changes happen). */
	const int64_t to = 4102444800LL;
	int64_t t, bad_t = 0, n = 0;
	int bad = 0;
	struct tm g;
	struct tzif_tm m;

	for (t = from; t < to; t += 2 * 86400 + 7 * 3600) {
		tzif_local(z, t, &m);
		glibc_local(tzspec, t, &g);
		n++;
		if (m.year != g.tm_year + 1900 || m.mon != g.tm_mon + 1 || m.mday != g.tm_mday ||
		    m.hour != g.tm_hour || m.min != g.tm_min || m.sec != g.tm_sec ||
		    m.utoff != g.tm_gmtoff || m.wday != g.tm_wday) {
			if (!bad)
				bad_t = t;
			bad++;
		}
	}
	{
		static const int years[] = {1996, 2007, 2024, 2026, 2031, 2040, 2061, 2099};
		static const int months[] = {3, 4, 9, 10, 11};
		size_t yi, mi;

		for (yi = 0; yi < sizeof years / sizeof years[0]; yi++) {
			for (mi = 0; mi < sizeof months / sizeof months[0]; mi++) {
				int64_t start =
				    tzif_days_from_civil(years[yi], months[mi], 1) * 86400 -
				    10 * 86400;

				for (t = start < from ? from : start; t < start + 20 * 86400;
				     t += 900) {
					tzif_local(z, t, &m);
					glibc_local(tzspec, t, &g);
					n++;
					if (m.hour != g.tm_hour || m.min != g.tm_min ||
					    m.mday != g.tm_mday || m.utoff != g.tm_gmtoff) {
						if (!bad)
							bad_t = t;
						bad++;
					}
				}
			}
		}
	}
	if (!ok(bad == 0, "%s: same local time as glibc at %lld instants, %s-2100", label,
		(long long)n,
		from < 0     ? "1900"
		: from < 1e9 ? "1971"
			     : "2008")) {
		tzif_local(z, bad_t, &m);
		glibc_local(tzspec, bad_t, &g);
		printf("#   %d differ; first at t=%lld: ours %04lld-%02d-%02d %02d:%02d:%02d %+d, "
		       "glibc %04d-%02d-%02d %02d:%02d:%02d %+ld\n",
		       bad, (long long)bad_t, (long long)m.year, m.mon, m.mday, m.hour, m.min,
		       m.sec, (int)m.utoff, g.tm_year + 1900, g.tm_mon + 1, g.tm_mday, g.tm_hour,
		       g.tm_min, g.tm_sec, g.tm_gmtoff);
	}
}

/* local(from_local(local(t))) == local(t), and from_local picks the
 * earliest instant when a reading happens twice. */
static void round_trip(const char *label, const struct tzif *z)
{
	const int64_t from = 0, to = 4102444800LL;
	int64_t t, back = 0;
	int bad = 0, badfold = 0;

	for (t = from; t < to; t += 86400 + 3 * 3600 + 60) {
		struct tzif_tm a, b;

		tzif_local(z, t, &a);
		if (tzif_from_local(z, a.year, a.mon, a.mday, a.hour, a.min, a.sec, &back) != 0) {
			bad++;
			continue;
		}
		tzif_local(z, back, &b);
		if (b.year != a.year || b.mon != a.mon || b.mday != a.mday || b.hour != a.hour ||
		    b.min != a.min || b.sec != a.sec)
			bad++;
		if (back > t)
			badfold++; /* a later instant than one that reads the same */
	}
	ok(bad == 0 && badfold == 0,
	   "%s: local time -> UTC -> local time round trips (%d bad, "
	   "%d not the earliest)",
	   label, bad, badfold);
}

/* A version 2 file with no transitions, one type (offset off) and the
 * footer rule; written into buf (at least 256 bytes). Returns its length. */
static size_t synth(unsigned char *buf, int32_t off, const char *footer)
{
	size_t n = 0, i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		memcpy(buf + n, "TZif2", 5);
		memset(buf + n + 5, 0, 15);
		n += 20;
		/* isut, isstd, leap, time, type, chars */
		for (i = 0; i < 6; i++) {
			uint32_t v = i == 4 ? 1 : i == 5 ? 4 : 0;

			buf[n++] = (unsigned char)(v >> 24);
			buf[n++] = (unsigned char)(v >> 16);
			buf[n++] = (unsigned char)(v >> 8);
			buf[n++] = (unsigned char)v;
		}
		buf[n++] = (unsigned char)((uint32_t)off >> 24);
		buf[n++] = (unsigned char)((uint32_t)off >> 16);
		buf[n++] = (unsigned char)((uint32_t)off >> 8);
		buf[n++] = (unsigned char)off;
		buf[n++] = 0; /* isdst */
		buf[n++] = 0; /* abbreviation index */
		memcpy(buf + n, "XYZ", 4);
		n += 4;
	}
	buf[n++] = '\n';
	memcpy(buf + n, footer, strlen(footer));
	n += strlen(footer);
	buf[n++] = '\n';
	return n;
}

static void zone_file(const char *name)
{
	char path[256], err[128];
	unsigned char *data;
	size_t len = 0;
	struct tzif *z, *c;

	snprintf(path, sizeof path, "%s/%s", ZONEINFO, name);
	data = slurp(path, &len);
	if (data == NULL) {
		printf("# %s not installed: skipped\n", name);
		ok(1, "%s: skipped (no %s)", name, path);
		return;
	}
	z = tzif_parse(data, len, err, sizeof err);
	if (!ok(z != NULL, "%s: parsed", name))
		printf("#   %s\n", err);
	if (z != NULL) {
		compare(name, z, name, -2208988800LL); /* from 1900 */
		round_trip(name, z);
		c = tzif_clone(z);
		if (c != NULL) {
			struct tzif_tm a, b;

			tzif_local(z, 2000000000, &a);
			tzif_local(c, 2000000000, &b);
			ok(a.utoff == b.utoff && a.hour == b.hour, "%s: a clone reads the same",
			   name);
		}
		tzif_free(c);
	}
	tzif_free(z);
	free(data);
}

int main(void)
{
	static const char *const zones[] = {
	    "Asia/Phnom_Penh",  "Asia/Bangkok",        "Europe/Berlin",     "America/New_York",
	    "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Chatham",
	    "Asia/Kolkata",     "America/St_Johns",    "Europe/Dublin",     "Africa/Casablanca",
	    "Asia/Kathmandu",   "America/Santiago",    "Etc/UTC",
	};
	static const char *const rules[] = {
	    "EST5EDT,M3.2.0,M11.1.0",
	    "CET-1CEST,M3.5.0,M10.5.0/3",
	    "<+0330>-3:30",
	    "AEST-10AEDT,M10.1.0,M4.1.0/3",
	    "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
	    "IST-1GMT0,M10.5.0,M3.5.0/1",
	    "XXX3YYY,J60/1,J300/25",
	    "XXX-2YYY,59/0,300/1",
	    "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
	    "EST5EDT",
	};
	static const char *const broken[] = {
	    "",
	    "TZif",
	    "XZif2",
	    "<ab>5",
	    "AB5",
	    "EST",
	    "EST5EDT,M13.1.0,M11.1.0",
	    "EST5EDT,M3.6.0,M11.1.0",
	    "EST5EDT,M3.2.7,M11.1.0",
	    "EST5EDT,J0,J100",
	    "EST5EDT,M3.2.0/168,M11.1.0",
	    "EST25",
	    "EST5EDT,M3.2.0,",
	    "EST5EDT,M3.2.0,M11.1.0x",
	};
	unsigned char buf[512], *data;
	char err[128];
	size_t i, len = 0;
	struct tzif *z;
	int64_t t;

	for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
		zone_file(zones[i]);

	/* Footer rules alone (no transitions), against glibc's reading of the
	 * same POSIX TZ string -- from 1971: glibc computes a rule's changes
	 * for any year up to 1970 as if it were 1970. */
	for (i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		size_t n = synth(buf, 0, rules[i]);

		z = tzif_parse(buf, n, err, sizeof err);
		if (!ok(z != NULL, "rule %s: parsed", rules[i])) {
			printf("#   %s\n", err);
			continue;
		}
		/* A rule without dates: ours is the US rule since 2007 (as in
		 * tzcode); glibc reads the history of posixrules instead. */
		compare(rules[i], z, rules[i], strchr(rules[i], ',') ? 31536000LL : 1199145600LL);
		tzif_free(z);
	}
	for (i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		size_t n = i < 3 ? strlen(broken[i]) : synth(buf, 0, broken[i]);

		if (i < 3)
			memcpy(buf, broken[i], n);
		z = tzif_parse(buf, n, err, sizeof err);
		ok(z == NULL && err[0] != '\0', "refused: %s%s", i < 3 ? "data " : "rule ",
		   broken[i][0] ? broken[i] : "(empty)");
		tzif_free(z);
	}

	/* Every truncation of a real file is refused, none crashes. */
	data = slurp(ZONEINFO "/Europe/Berlin", &len);
	if (data != NULL) {
		int refused = 1;

		for (i = 0; i + 1 < len; i++) {
			z = tzif_parse(data, i, err, sizeof err);
			refused &= z == NULL;
			tzif_free(z);
		}
		ok(refused, "Europe/Berlin cut short at each of %zu lengths: refused", len - 1);
		/* Leap-second records (in the 64-bit block's header) are refused. */
		for (i = 44; i + 44 < len && memcmp(data + i, "TZif", 4) != 0; i++)
			;
		data[i + 28 + 3] = 1;
		z = tzif_parse(data, len, err, sizeof err);
		ok(z == NULL && strstr(err, "leap") != NULL, "leap-second records refused (%s)",
		   err);
		tzif_free(z);
		free(data);
	} else {
		ok(1, "truncations: skipped (no Europe/Berlin)");
		ok(1, "leap seconds: skipped (no Europe/Berlin)");
	}

	/* A fixed zone, and the calendar at its edges. */
	z = tzif_fixed(7 * 3600);
	{
		struct tzif_tm m;

		tzif_local(z, 1768474800, &m); /* 2026-01-15T11:00:00Z */
		ok(m.year == 2026 && m.mon == 1 && m.mday == 15 && m.hour == 18 && m.min == 0 &&
		       m.utoff == 25200,
		   "fixed +07:00: 2026-01-15T11:00Z is 18:00 local");
		ok(tzif_from_local(z, 2027, 1, 15, 18, 0, 0, &t) == 0 && t == 1800010800,
		   "fixed +07:00: 2027-01-15 18:00 local is 2027-01-15T11:00Z (%lld)",
		   (long long)t);
		ok(tzif_from_local(z, 2027, 2, 29, 0, 0, 0, &t) != 0, "2027-02-29 refused");
		ok(tzif_from_local(z, 2028, 2, 29, 0, 0, 0, &t) == 0, "2028-02-29 accepted");
		ok(tzif_from_local(z, 2027, 1, 15, 24, 0, 0, &t) != 0 &&
		       tzif_from_local(z, 2027, 0, 15, 1, 0, 0, &t) != 0 &&
		       tzif_from_local(z, 0, 1, 1, 1, 0, 0, &t) != 0,
		   "hour 24, month 0 and year 0 refused");
		tzif_local(z, INT64_MAX, &m);
		ok(m.year > 200000, "a huge time is clamped, not overflowed (year %lld)",
		   (long long)m.year);
		tzif_local(z, INT64_MIN, &m);
		ok(m.year < -200000, "a hugely negative time is clamped (year %lld)",
		   (long long)m.year);
	}
	tzif_free(z);
	/* A time in a gap (Berlin, 2026-03-29 02:30 never happens) lands after it. */
	data = slurp(ZONEINFO "/Europe/Berlin", &len);
	if (data != NULL && (z = tzif_parse(data, len, err, sizeof err)) != NULL) {
		struct tzif_tm m;

		ok(tzif_from_local(z, 2026, 3, 29, 2, 30, 0, &t) == 0, "Berlin gap: accepted");
		tzif_local(z, t, &m);
		ok(m.hour == 3 && m.min == 30, "Berlin 02:30 on 29 March 2026 reads as 03:30");
		ok(tzif_from_local(z, 2026, 10, 25, 2, 30, 0, &t) == 0 && t == 1792888200,
		   "Berlin fold: 02:30 on 25 October 2026 is the first one, 00:30Z (%lld)",
		   (long long)t);
		tzif_free(z);
	}
	free(data);
	return done_testing();
}
