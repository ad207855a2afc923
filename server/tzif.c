/* tzif.c -- TZif parsing and zone arithmetic (see tzif.h).
 *
 * The format (RFC 8536): a 44-byte header with six counts, a data block with
 * 32-bit times; from version 2 on a second header and block with 64-bit
 * times, then a footer "\nTZ-string\n" in POSIX TZ syntax (with the version 3
 * extensions: hours up to 167 and negative in rule times) that governs the
 * times after the last transition. */
#include <stdlib.h>
#include <string.h>

#include "tzif.h"

#define TZIF_HEADER_BYTES     44
#define TZIF_DAY              86400
#define TZIF_RULE_MAX_HOURS   167 /* RFC 8536, version 3: rule times */
#define TZIF_OFFSET_MAX_HOURS 24  /* POSIX: offsets */

/* When a footer rule's change happens in a year. */
struct rule_when {
	char kind;      /* 'J' (1-365, no Feb 29), 'N' (0-365), 'M' (month.week.day) */
	int n, m, w, d; /* n for J and N; m, w, d for M */
	int32_t secs;   /* local time of day of the change, may be negative or past 24 h */
};

/* The footer's POSIX TZ rule. */
struct rule {
	int has; /* a footer rule is present */
	int has_dst;
	int32_t std_off, dst_off; /* seconds east of UTC */
	struct rule_when start, end;
};

struct tzif {
	size_t n;           /* transitions */
	int64_t *times;     /* ascending */
	unsigned char *idx; /* type of each transition */
	size_t ntypes;
	int32_t *offs; /* utoff of each type */
	struct rule rule;
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	n = strlen(msg);
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	uint64_t v = (uint64_t)be32(p) << 32 | be32(p + 4);

	return (int64_t)v;
}

static int64_t clamp_t(int64_t t)
{
	if (t > TZIF_TIME_LIMIT)
		return TZIF_TIME_LIMIT;
	if (t < -TZIF_TIME_LIMIT)
		return -TZIF_TIME_LIMIT;
	return t;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t tzif_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tzif_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* ---- The POSIX TZ footer ------------------------------------------------ */

/* A zone name: <...> quoted, or three or more letters. */
static int parse_name(const char **pp)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '<') {
		p++;
		while (*p && *p != '>') {
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
				return -1;
			p++;
			n++;
		}
		if (*p != '>' || n < 3)
			return -1;
		*pp = p + 1;
		return 0;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
		p++;
		n++;
	}
	if (n < 3)
		return -1;
	*pp = p;
	return 0;
}

/* [+-]hh[:mm[:ss]], hours at most max_h. Sets *out in seconds. */
static int parse_hms(const char **pp, int max_h, int32_t *out)
{
	const char *p = *pp;
	int sign = 1, h = 0, mi = 0, s = 0, nd = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	while (*p >= '0' && *p <= '9' && nd < 3) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || h > max_h)
		return -1;
	if (*p == ':') {
		p++;
		if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'))
			return -1;
		mi = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'))
				return -1;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*out = sign * (h * 3600 + mi * 60 + s);
	*pp = p;
	return 0;
}

static int parse_num(const char **pp, int lo, int hi, int *out)
{
	const char *p = *pp;
	int v = 0, nd = 0;

	while (*p >= '0' && *p <= '9' && nd < 4) {
		v = v * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || v < lo || v > hi)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

/* Jn | n | Mm.w.d, then [/time] (default 02:00). */
static int parse_when(const char **pp, struct rule_when *w)
{
	const char *p = *pp;

	memset(w, 0, sizeof *w);
	if (*p == 'J') {
		p++;
		w->kind = 'J';
		if (parse_num(&p, 1, 365, &w->n) != 0)
			return -1;
	} else if (*p == 'M') {
		p++;
		w->kind = 'M';
		if (parse_num(&p, 1, 12, &w->m) != 0 || *p++ != '.' ||
		    parse_num(&p, 1, 5, &w->w) != 0 || *p++ != '.' ||
		    parse_num(&p, 0, 6, &w->d) != 0)
			return -1;
	} else {
		w->kind = 'N';
		if (parse_num(&p, 0, 365, &w->n) != 0)
			return -1;
	}
	w->secs = 2 * 3600;
	if (*p == '/') {
		p++;
		if (parse_hms(&p, TZIF_RULE_MAX_HOURS, &w->secs) != 0)
			return -1;
	}
	*pp = p;
	return 0;
}

/* Parses a POSIX TZ string (NUL-terminated). "" gives no rule. */
static int parse_rule(const char *s, struct rule *r)
{
	const char *p = s;
	int32_t off;

	memset(r, 0, sizeof *r);
	if (*p == '\0')
		return 0;
	if (parse_name(&p) != 0 || parse_hms(&p, TZIF_OFFSET_MAX_HOURS, &off) != 0)
		return -1;
	r->has = 1;
	r->std_off = -off; /* POSIX counts west of UTC as positive */
	if (*p == '\0')
		return 0;
	if (parse_name(&p) != 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (parse_hms(&p, TZIF_OFFSET_MAX_HOURS, &off) != 0)
			return -1;
		r->dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule given: the default tzcode uses (the US rule). */
		p = ",M3.2.0,M11.1.0";
	}
	if (*p++ != ',' || parse_when(&p, &r->start) != 0 || *p++ != ',' ||
	    parse_when(&p, &r->end) != 0 || *p != '\0')
		return -1;
	return 0;
}

/* Day number (since 1970) on which w falls in year y. */
static int64_t when_day(const struct rule_when *w, int64_t y)
{
	int64_t jan1 = tzif_days_from_civil(y, 1, 1), first, day;
	int wd;

	switch (w->kind) {
	case 'J':
		/* 1-365, February 29 never counted. */
		return jan1 + w->n - 1 + (is_leap(y) && w->n >= 60);
	case 'N':
		return jan1 + w->n;
	default:
		break;
	}
	first = tzif_days_from_civil(y, w->m, 1);
	wd = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
	day = first + (w->d - wd + 7) % 7 + (int64_t)(w->w - 1) * 7;
	while (day - first >= month_days(y, w->m))
		day -= 7;
	return day;
}

static int32_t rule_utoff(const struct rule *r, int64_t t)
{
	int64_t y, start, end;
	int m, d;

	if (!r->has_dst)
		return r->std_off;
	tzif_civil_from_days(floor_div(t + r->std_off, TZIF_DAY), &y, &m, &d);
	/* The change to summer time happens at a standard-time clock reading,
	 * the change back at a summer-time one. */
	start = when_day(&r->start, y) * TZIF_DAY + r->start.secs - r->std_off;
	end = when_day(&r->end, y) * TZIF_DAY + r->end.secs - r->dst_off;
	if (start < end)
		return t >= start && t < end ? r->dst_off : r->std_off;
	/* Southern hemisphere: summer time spans the new year. */
	return t >= end && t < start ? r->std_off : r->dst_off;
}

/* ---- TZif ----------------------------------------------------------------- */

struct counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static void read_counts(const unsigned char *h, struct counts *c)
{
	c->isut = be32(h + 20);
	c->isstd = be32(h + 24);
	c->leap = be32(h + 28);
	c->time = be32(h + 32);
	c->type = be32(h + 36);
	c->chars = be32(h + 40);
}

/* Bytes of the data block after a header with counts c; tsize: 4 or 8. */
static size_t block_bytes(const struct counts *c, size_t tsize)
{
	return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars +
	       (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

struct tzif *tzif_parse(const unsigned char *data, size_t len, char *err, size_t errlen)
{
	const unsigned char *h = data, *p;
	struct counts c;
	struct tzif *z = NULL;
	size_t tsize = 4, i;
	int version;

	if (data == NULL || len < TZIF_HEADER_BYTES || memcmp(data, "TZif", 4) != 0) {
		set_err(err, errlen, "not TZif data");
		return NULL;
	}
	version = data[4] == 0 ? 1 : data[4] - '0';
	if (version < 1 || version > 9) {
		set_err(err, errlen, "unknown TZif version");
		return NULL;
	}
	read_counts(h, &c);
	if (c.time > TZIF_MAX_TRANSITIONS || c.type > TZIF_MAX_TYPES || c.chars > TZIF_MAX_CHARS ||
	    c.leap > TZIF_MAX_TRANSITIONS || c.isut > TZIF_MAX_TYPES || c.isstd > TZIF_MAX_TYPES) {
		set_err(err, errlen, "TZif counts out of range");
		return NULL;
	}
	if (len - TZIF_HEADER_BYTES < block_bytes(&c, 4)) {
		set_err(err, errlen, "truncated TZif data");
		return NULL;
	}
	if (version >= 2) {
		/* Skip the 32-bit block: the 64-bit one follows with its header. */
		h = data + TZIF_HEADER_BYTES + block_bytes(&c, 4);
		if ((size_t)(data + len - h) < TZIF_HEADER_BYTES || memcmp(h, "TZif", 4) != 0) {
			set_err(err, errlen, "truncated TZif data (no 64-bit block)");
			return NULL;
		}
		read_counts(h, &c);
		tsize = 8;
		if (c.time > TZIF_MAX_TRANSITIONS || c.type > TZIF_MAX_TYPES ||
		    c.chars > TZIF_MAX_CHARS || c.leap > TZIF_MAX_TRANSITIONS ||
		    c.isut > TZIF_MAX_TYPES || c.isstd > TZIF_MAX_TYPES ||
		    (size_t)(data + len - h) - TZIF_HEADER_BYTES < block_bytes(&c, 8)) {
			set_err(err, errlen, "truncated TZif data");
			return NULL;
		}
	}
	if (c.type == 0 || (c.isut != 0 && c.isut != c.type) ||
	    (c.isstd != 0 && c.isstd != c.type)) {
		set_err(err, errlen, "malformed TZif counts");
		return NULL;
	}
	if (c.leap != 0) {
		set_err(err, errlen, "zones with leap seconds are not supported");
		return NULL;
	}
	z = calloc(1, sizeof *z);
	if (z == NULL)
		goto oom;
	z->n = c.time;
	z->ntypes = c.type;
	z->times = calloc(c.time ? c.time : 1, sizeof *z->times);
	z->idx = calloc(c.time ? c.time : 1, 1);
	z->offs = calloc(c.type, sizeof *z->offs);
	if (z->times == NULL || z->idx == NULL || z->offs == NULL)
		goto oom;
	p = h + TZIF_HEADER_BYTES;
	for (i = 0; i < c.time; i++, p += tsize) {
		z->times[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
		if (i > 0 && z->times[i] <= z->times[i - 1]) {
			set_err(err, errlen, "TZif transitions out of order");
			goto fail;
		}
	}
	for (i = 0; i < c.time; i++, p++) {
		if (*p >= c.type) {
			set_err(err, errlen, "TZif transition names an unknown type");
			goto fail;
		}
		z->idx[i] = *p;
	}
	for (i = 0; i < c.type; i++, p += 6) {
		int32_t off = (int32_t)be32(p);

		/* RFC 8536: -2^31 is not allowed; real offsets are within a day. */
		if (off <= -TZIF_DAY || off >= TZIF_DAY || p[5] >= c.chars) {
			set_err(err, errlen, "TZif type out of range");
			goto fail;
		}
		z->offs[i] = off;
	}
	p += c.chars + c.isstd + c.isut;
	if (version >= 2) {
		/* Footer: "\n" TZ string "\n". */
		const unsigned char *end = data + len, *nl;
		char tzs[128];
		size_t n;

		if (p >= end || *p != '\n') {
			set_err(err, errlen, "TZif footer missing");
			goto fail;
		}
		p++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : 0;
		if (nl == NULL || n >= sizeof tzs) {
			set_err(err, errlen, "TZif footer malformed");
			goto fail;
		}
		memcpy(tzs, p, n);
		tzs[n] = '\0';
		if (parse_rule(tzs, &z->rule) != 0) {
			set_err(err, errlen, "TZif footer rule not understood");
			goto fail;
		}
	}
	return z;
oom:
	set_err(err, errlen, "out of memory");
fail:
	tzif_free(z);
	return NULL;
}

struct tzif *tzif_fixed(int32_t utoff)
{
	struct tzif *z = calloc(1, sizeof *z);

	if (z == NULL)
		return NULL;
	z->offs = calloc(1, sizeof *z->offs);
	if (z->offs == NULL) {
		free(z);
		return NULL;
	}
	z->ntypes = 1;
	z->offs[0] = utoff;
	return z;
}

struct tzif *tzif_clone(const struct tzif *z)
{
	struct tzif *c;

	if (z == NULL)
		return NULL;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	*c = *z;
	c->times = malloc((z->n ? z->n : 1) * sizeof *c->times);
	c->idx = malloc(z->n ? z->n : 1);
	c->offs = malloc(z->ntypes * sizeof *c->offs);
	if (c->times == NULL || c->idx == NULL || c->offs == NULL) {
		tzif_free(c);
		return NULL;
	}
	if (z->n) {
		memcpy(c->times, z->times, z->n * sizeof *c->times);
		memcpy(c->idx, z->idx, z->n);
	}
	memcpy(c->offs, z->offs, z->ntypes * sizeof *c->offs);
	return c;
}

void tzif_free(struct tzif *z)
{
	if (z == NULL)
		return;
	free(z->times);
	free(z->idx);
	free(z->offs);
	free(z);
}

int32_t tzif_utoff(const struct tzif *z, int64_t t)
{
	size_t lo, hi;

	t = clamp_t(t);
	if (z->n == 0)
		return z->rule.has ? rule_utoff(&z->rule, t) : z->offs[0];
	if (t < z->times[0])
		return z->offs[0];
	if (t >= z->times[z->n - 1] && z->rule.has)
		return rule_utoff(&z->rule, t);
	/* The last transition at or before t. */
	lo = 0;
	hi = z->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->offs[z->idx[lo]];
}

void tzif_local(const struct tzif *z, int64_t t, struct tzif_tm *out)
{
	int64_t local, days, secs;

	t = clamp_t(t);
	out->utoff = tzif_utoff(z, t);
	local = t + out->utoff;
	days = floor_div(local, TZIF_DAY);
	secs = local - days * TZIF_DAY;
	tzif_civil_from_days(days, &out->year, &out->mon, &out->mday);
	out->hour = (int)(secs / 3600);
	out->min = (int)(secs / 60 % 60);
	out->sec = (int)(secs % 60);
	out->wday = (int)((days % 7 + 7 + 4) % 7);
}

int tzif_from_local(const struct tzif *z, int64_t year, int mon, int mday, int hour, int min,
		    int sec, int64_t *out)
{
	int64_t wall, cand[2];
	int32_t before, after;
	int i;

	if (year < 1 || year > 9999 || mon < 1 || mon > 12 || mday < 1 ||
	    mday > month_days(year, mon) || hour < 0 || hour > 23 || min < 0 || min > 59 ||
	    sec < 0 || sec > 59)
		return -1;
	/* The wall clock read as if it were UTC. */
	wall = tzif_days_from_civil(year, mon, mday) * TZIF_DAY + hour * 3600 + min * 60 + sec;
	/* The offsets a day either side: no zone changes twice within two days. */
	before = tzif_utoff(z, wall - TZIF_DAY);
	after = tzif_utoff(z, wall + TZIF_DAY);
	cand[0] = wall - before;
	cand[1] = wall - after;
	if (cand[1] < cand[0]) {
		int64_t tmp = cand[0];

		cand[0] = cand[1];
		cand[1] = tmp;
	}
	/* The earliest instant whose local reading is the wall time. */
	for (i = 0; i < 2; i++) {
		if (cand[i] + tzif_utoff(z, cand[i]) == wall) {
			*out = cand[i];
			return 0;
		}
	}
	/* In a gap: read with the offset before the change. */
	*out = wall - before;
	return 0;
}
