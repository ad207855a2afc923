/* fuzz_hdr.c -- fuzz target for hdr.c: request headers and client addresses.
 *
 * The input is split at '\n' into up to FUZZ_MAX_FIELDS fields (a field
 * keeps any NUL bytes it has: hdr_parse_ip() sees them, the string parsers
 * see the field up to its first NUL, as libmicrohttpd would hand it). Every
 * field goes through every parser that takes one string, and neighbouring
 * fields feed the ones that take two or three (If-None-Match and the
 * entity-tag; Sec-Fetch-Site, Origin and Host; X-Forwarded-For and the
 * trusted list). Checked for each: results within their ranges (families in
 * {0, AF_INET, AF_INET6}, lengths within outlen, indexes within the table),
 * unused bytes zeroed, and properties that tie a result to the input: an
 * address formatted with inet_ntop() parses back to the same bytes; a CIDR
 * list formatted back parses to the same ranges, each containing its own
 * network address; cidr_match() agrees with a bit-by-bit reference;
 * Content-Length agrees with a decimal reference; the Basic password agrees
 * with a one-shot nettle decoding; and lists keep their answer when an empty
 * element, a q=0 element or a trusted hop is appended. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <nettle/base64.h>

#include "fuzz.h"
#include "hdr.h"

#define FUZZ_MAX_FIELDS 16
#define FUZZ_MAX_CIDRS  8

static const char *const codes[] = {"en", "km", "fr-CA", "zh-Hant"};
#define FUZZ_NCODES ((int)(sizeof codes / sizeof codes[0]))

/* ---- small helpers ---------------------------------------------------------- */

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A malloc'd a followed by b. */
static char *concat(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = malloc(na + nb + 1);

	FUZZ_CHECK(s != NULL);
	memcpy(s, a, na);
	memcpy(s + na, b, nb + 1);
	return s;
}

/* 1 when needle[0..n) occurs in hay, ignoring ASCII case. */
static int ci_contains(const char *hay, const char *needle, size_t n)
{
	size_t i, j, h = strlen(hay);

	for (i = 0; i + n <= h; i++) {
		for (j = 0; j < n && lower(hay[i + j]) == lower(needle[j]); j++)
			;
		if (j == n)
			return 1;
	}
	return 0;
}

static int family_ok(int f)
{
	return f == 0 || f == AF_INET || f == AF_INET6;
}

static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The address bytes as hdr.h promises them: zeros past the address, an
 * AF_INET6 result never in the mapped block. */
static void check_addr(int f, const unsigned char *a)
{
	size_t i, from = f == AF_INET ? 4 : f == AF_INET6 ? 16 : 0;

	FUZZ_CHECK(family_ok(f));
	for (i = from; i < HDR_ADDR_LEN; i++)
		FUZZ_CHECK(a[i] == 0);
	if (f == AF_INET6)
		FUZZ_CHECK(memcmp(a, mapped_prefix, sizeof mapped_prefix) != 0);
}

/* An address in text form parses back to the same family and bytes, with
 * and (for IPv6) without brackets, and through a socket address. */
static void check_round_trip(int f, const unsigned char *a)
{
	char text[INET6_ADDRSTRLEN + 2];
	unsigned char b[HDR_ADDR_LEN];
	struct sockaddr_in6 s6;

	if (f == 0)
		return;
	FUZZ_CHECK(inet_ntop(f, a, text + 1, INET6_ADDRSTRLEN) != NULL);
	FUZZ_CHECK(hdr_parse_ip(text + 1, strlen(text + 1), b) == f);
	FUZZ_CHECK(memcmp(a, b, HDR_ADDR_LEN) == 0);
	if (f == AF_INET6) {
		size_t n = strlen(text + 1);

		text[0] = '[';
		text[n + 1] = ']';
		FUZZ_CHECK(hdr_parse_ip(text, n + 2, b) == f);
		FUZZ_CHECK(memcmp(a, b, HDR_ADDR_LEN) == 0);
	}
	/* The same address as a peer: IPv4 arrives mapped on a dual-stack socket. */
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	if (f == AF_INET) {
		memcpy(s6.sin6_addr.s6_addr, mapped_prefix, sizeof mapped_prefix);
		memcpy(s6.sin6_addr.s6_addr + 12, a, 4);
	} else {
		memcpy(s6.sin6_addr.s6_addr, a, 16);
	}
	FUZZ_CHECK(hdr_sockaddr_ip((const struct sockaddr *)&s6, b) == f);
	FUZZ_CHECK(memcmp(a, b, HDR_ADDR_LEN) == 0);
}

/* ---- single-field parsers --------------------------------------------------- */

static void check_gzip(const char *s)
{
	int r = hdr_accepts_gzip(s);
	char *t;

	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 1)
		FUZZ_CHECK(ci_contains(s, "gzip", 4) || strchr(s, '*') != NULL);
	/* Empty elements change nothing. */
	t = concat(s, " ,, ");
	FUZZ_CHECK(hdr_accepts_gzip(t) == r);
	free(t);
	t = concat(", ", s);
	FUZZ_CHECK(hdr_accepts_gzip(t) == r);
	free(t);
	/* Other codings change nothing; a plain "gzip" is always accepted
	 * (the highest weight given to gzip counts). */
	t = concat(s, ",deflate, identity;q=0.5,br;q=0");
	FUZZ_CHECK(hdr_accepts_gzip(t) == r);
	free(t);
	t = concat(s, ",GZip");
	FUZZ_CHECK(hdr_accepts_gzip(t) == 1);
	free(t);
}

static void check_lang(const char *s)
{
	int r = hdr_lang_pick(s, codes, FUZZ_NCODES);
	char *t;

	FUZZ_CHECK(r >= -1 && r < FUZZ_NCODES);
	if (r >= 0)
		FUZZ_CHECK(ci_contains(s, codes[r], strcspn(codes[r], "-")));
	t = concat(s, ",,");
	FUZZ_CHECK(hdr_lang_pick(t, codes, FUZZ_NCODES) == r);
	free(t);
	t = concat(s, ", en;q=0, km-KH;q=0.000, *");
	FUZZ_CHECK(hdr_lang_pick(t, codes, FUZZ_NCODES) == r);
	free(t);
	/* A language the header does not name yet, at the lowest weight,
	 * is chosen only when nothing else was. */
	t = concat(s, ", fr;q=0.001");
	FUZZ_CHECK(hdr_lang_pick(t, codes, FUZZ_NCODES) == (r >= 0 ? r : 2));
	free(t);
	FUZZ_CHECK(hdr_lang_pick(s, codes, 0) == -1);
}

static void check_form_type(const char *s)
{
	int r = hdr_is_form_type(s);
	char *t;

	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 1)
		FUZZ_CHECK(ci_contains(s, "application/x-www-form-urlencoded", 33));
	/* Parameters are never looked at. */
	t = concat(s, ";charset=\"\x01\"");
	FUZZ_CHECK(hdr_is_form_type(t) >= r);
	free(t);
	t = concat("application/x-www-form-urlencoded;", s);
	FUZZ_CHECK(hdr_is_form_type(t) == 1);
	free(t);
}

/* Content-Length against a decimal reference. */
static void check_content_length(const char *s)
{
	static const char max[] = "18446744073709551615";
	uint64_t v = 7;
	int r = hdr_content_length(s, &v), want = 1;
	size_t a = 0, b = strlen(s), i;
	char text[32];

	while (a < b && is_ows(s[a]))
		a++;
	while (b > a && is_ows(s[b - 1]))
		b--;
	if (a == b)
		want = -1;
	for (i = a; i < b; i++) {
		if (s[i] < '0' || s[i] > '9')
			want = -1;
	}
	if (want == 1) {
		while (a + 1 < b && s[a] == '0')
			a++;
		if (b - a > sizeof max - 1 ||
		    (b - a == sizeof max - 1 && memcmp(s + a, max, sizeof max - 1) > 0))
			want = -1;
	}
	FUZZ_CHECK(r == want);
	if (r == 1) {
		snprintf(text, sizeof text, "%llu", (unsigned long long)v);
		FUZZ_CHECK(strlen(text) == b - a && memcmp(text, s + a, b - a) == 0);
	} else {
		FUZZ_CHECK(v == 7);
	}
	FUZZ_CHECK(hdr_content_length(NULL, &v) == 0);
}

/* parse_ip on the raw field (NUL bytes included). */
static void check_parse_ip(const char *raw, size_t n)
{
	unsigned char a[HDR_ADDR_LEN];
	int f;

	memset(a, 0xA5, sizeof a);
	f = hdr_parse_ip(raw, n, a);
	check_addr(f, a);
	if (f != 0) {
		FUZZ_CHECK(memchr(raw, '\0', n) == NULL);
		FUZZ_CHECK(n <= 47);
	}
	check_round_trip(f, a);
}

/* Bit i (from the most significant) of an address. */
static int bit(const unsigned char *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* The reference for hdr_cidr_match(): bit by bit. */
static int ref_match(const struct hdr_cidr *list, int n, int family, const unsigned char *a)
{
	int k;

	for (k = 0; k < n; k++) {
		unsigned i, max = family == AF_INET ? 32 : 128;

		if (list[k].family != family || list[k].bits > max)
			continue;
		for (i = 0; i < list[k].bits && bit(list[k].addr, i) == bit(a, i); i++)
			;
		if (i == list[k].bits)
			return 1;
	}
	return 0;
}

/* A CIDR list: well-formed ranges that format back to the same list. */
static int check_cidrs(const char *s, struct hdr_cidr *c)
{
	struct hdr_cidr again[FUZZ_MAX_CIDRS];
	char text[FUZZ_MAX_CIDRS * (INET6_ADDRSTRLEN + 8)];
	size_t o = 0;
	int n = hdr_cidr_parse(s, c, FUZZ_MAX_CIDRS), i;
	unsigned b;

	FUZZ_CHECK(n >= -1 && n <= FUZZ_MAX_CIDRS);
	if (n < 0)
		return 0;
	text[0] = '\0';
	for (i = 0; i < n; i++) {
		unsigned max = c[i].family == AF_INET ? 32 : 128;

		FUZZ_CHECK(c[i].family == AF_INET || c[i].family == AF_INET6);
		FUZZ_CHECK(c[i].bits <= max);
		for (b = c[i].bits; b < HDR_ADDR_LEN * 8; b++)
			FUZZ_CHECK(bit(c[i].addr, b) == 0);
		FUZZ_CHECK(hdr_cidr_match(&c[i], 1, c[i].family, c[i].addr) == 1);
		if (i > 0)
			text[o++] = ',';
		FUZZ_CHECK(inet_ntop(c[i].family, c[i].addr, text + o, INET6_ADDRSTRLEN) != NULL);
		o += strlen(text + o);
		o += (size_t)snprintf(text + o, sizeof text - o, "/%u", c[i].bits);
	}
	FUZZ_CHECK(hdr_cidr_parse(text, again, FUZZ_MAX_CIDRS) == n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(again[i].family == c[i].family && again[i].bits == c[i].bits);
		FUZZ_CHECK(memcmp(again[i].addr, c[i].addr, HDR_ADDR_LEN) == 0);
	}
	/* Room for one fewer is refused, never overrun. */
	if (n > 0)
		FUZZ_CHECK(hdr_cidr_parse(s, again, n - 1) == -1);
	return n;
}

/* Authorization against a one-shot nettle decoding, and with less room.
 * The first call has room for any secret s can carry (out is exactly that
 * big, so a sanitizer build sees a write past outlen). */
static void check_auth(const char *s)
{
	static unsigned char small[9];
	size_t n = strlen(s), room = n + 1, len = 99, slen = 99, i;
	unsigned char *out = malloc(room);
	enum hdr_auth r, rs;
	const char *p;

	FUZZ_CHECK(out != NULL);
	memset(out, 0xA5, room);
	r = hdr_auth_secret(s, out, room, &len);
	FUZZ_CHECK(r >= HDR_AUTH_NONE && r <= HDR_AUTH_BAD);
	FUZZ_CHECK(len <= room);
	if (r != HDR_AUTH_BEARER && r != HDR_AUTH_BASIC) {
		FUZZ_CHECK(len == 0);
		for (i = 0; i < room; i++)
			FUZZ_CHECK(out[i] == 0);
	}
	for (p = s; is_ows(*p); p++)
		;
	if (r == HDR_AUTH_BEARER) {
		FUZZ_CHECK(strncasecmp(p, "bearer", 6) == 0 && is_ows(p[6]));
		FUZZ_CHECK(len > 0 && ci_contains(s, (const char *)out, len));
		FUZZ_CHECK(!is_ows((char)out[0]) && !is_ows((char)out[len - 1]));
	}
	if (r == HDR_AUTH_BASIC) {
		struct base64_decode_ctx ctx;
		uint8_t *dec = malloc(BASE64_DECODE_LENGTH(n) + 1);
		size_t dlen = 0, a, b;
		const uint8_t *colon;

		FUZZ_CHECK(dec != NULL);
		FUZZ_CHECK(strncasecmp(p, "basic", 5) == 0 && is_ows(p[5]));
		a = (size_t)(p + 5 - s);
		while (a < n && is_ows(s[a]))
			a++;
		b = n;
		while (b > a && is_ows(s[b - 1]))
			b--;
		base64_decode_init(&ctx);
		FUZZ_CHECK(base64_decode_update(&ctx, &dlen, dec, b - a, s + a) == 1);
		FUZZ_CHECK(base64_decode_final(&ctx) == 1);
		colon = memchr(dec, ':', dlen);
		FUZZ_CHECK(colon != NULL);
		colon++;
		FUZZ_CHECK(len == dlen - (size_t)(colon - dec));
		FUZZ_CHECK(len == 0 || memcmp(out, colon, len) == 0);
		free(dec);
	}
	/* Less room: the same answer when the secret fits, else BAD. */
	memset(small, 0xA5, sizeof small);
	rs = hdr_auth_secret(s, small, sizeof small - 1, &slen);
	FUZZ_CHECK(small[sizeof small - 1] == 0xA5);
	if ((r == HDR_AUTH_BEARER || r == HDR_AUTH_BASIC) && len > sizeof small - 1) {
		FUZZ_CHECK(rs == HDR_AUTH_BAD && slen == 0);
	} else {
		FUZZ_CHECK(rs == r && slen == len);
		FUZZ_CHECK(len == 0 || memcmp(small, out, len) == 0);
	}
	free(out);
}

/* The field itself as a Bearer token and as a Basic user:password. */
static void check_auth_build(const char *s)
{
	size_t n = strlen(s), len = 0, a = 0, b = n;
	unsigned char *out = malloc(n + 1);
	struct base64_encode_ctx ctx;
	const char *colon;
	size_t o;
	enum hdr_auth r;
	char *h;

	FUZZ_CHECK(out != NULL);
	while (a < b && is_ows(s[a]))
		a++;
	while (b > a && is_ows(s[b - 1]))
		b--;
	h = concat("Bearer ", s);
	r = hdr_auth_secret(h, out, n, &len);
	if (a == b) {
		FUZZ_CHECK(r == HDR_AUTH_BAD);
	} else {
		FUZZ_CHECK(r == HDR_AUTH_BEARER && len == b - a && memcmp(out, s + a, len) == 0);
	}
	free(h);

	h = malloc(BASE64_ENCODE_LENGTH(n) + BASE64_ENCODE_FINAL_LENGTH + 8);
	FUZZ_CHECK(h != NULL);
	memcpy(h, "Basic ", 6);
	base64_encode_init(&ctx);
	o = 6 + base64_encode_update(&ctx, h + 6, n, (const uint8_t *)s);
	o += base64_encode_final(&ctx, h + o);
	h[o] = '\0';
	r = hdr_auth_secret(h, out, n, &len);
	colon = strchr(s, ':');
	if (n == 0 || colon == NULL) {
		FUZZ_CHECK(r == HDR_AUTH_BAD);
	} else {
		FUZZ_CHECK(r == HDR_AUTH_BASIC);
		FUZZ_CHECK(len == n - (size_t)(colon + 1 - s));
		FUZZ_CHECK(len == 0 || memcmp(out, colon + 1, len) == 0);
	}
	free(h);
	free(out);
}

/* ---- fields taken together --------------------------------------------------- */

/* An entity-tag made from the field's tag characters. */
static void check_etag(const char *inm, const char *etag, const char *field)
{
	int r = hdr_etag_matches(inm, etag);
	size_t n = strlen(field), i, o = 0;
	char *tag = malloc(n + 3), *t;
	const char *p;

	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 1 && etag != NULL) {
		for (p = inm; is_ows(*p); p++)
			;
		if (*p != '*') {
			const char *q = strchr(etag, '"');

			FUZZ_CHECK(q != NULL && strstr(inm, q) != NULL);
		}
	}
	FUZZ_CHECK(hdr_etag_matches(NULL, etag) == 0);
	FUZZ_CHECK(hdr_etag_matches(inm, NULL) == 0);

	/* A tag matches itself, weak or strong, alone or in a list. */
	FUZZ_CHECK(tag != NULL);
	tag[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)field[i];

		if (c > 0x20 && c != '"' && c != 0x7F)
			tag[o++] = (char)c;
	}
	tag[o++] = '"';
	tag[o] = '\0';
	FUZZ_CHECK(hdr_etag_matches(tag, tag) == 1);
	t = concat("W/", tag);
	FUZZ_CHECK(hdr_etag_matches(t, tag) == 1);
	FUZZ_CHECK(hdr_etag_matches(tag, t) == 1);
	free(t);
	t = concat("\"\x01\"-not-a-tag, ", tag);
	FUZZ_CHECK(hdr_etag_matches(t, tag) == 0);
	free(t);
	t = concat(" \"x\" ,W/\"y\", ", tag);
	FUZZ_CHECK(hdr_etag_matches(t, tag) == 1);
	free(t);
	if (etag != NULL && hdr_etag_matches(etag, etag) == 1) {
		/* Two well-formed tags in a list: each one matches. */
		char *u = concat(etag, ", ");

		t = concat(u, tag);
		FUZZ_CHECK(hdr_etag_matches(t, tag) == 1);
		FUZZ_CHECK(hdr_etag_matches(t, etag) == 1);
		free(t);
		free(u);
	}
	free(tag);
}

/* A copy of s with ASCII letters upper-cased. */
static char *upper(const char *s)
{
	char *t = fuzz_strndup(s, strlen(s));
	size_t i;

	for (i = 0; t[i]; i++) {
		if (t[i] >= 'a' && t[i] <= 'z')
			t[i] = (char)(t[i] - 'a' + 'A');
	}
	return t;
}

static void check_cross_site(const char *sfs, const char *origin, const char *host)
{
	int r = hdr_cross_site(sfs, origin, host);
	char *us = sfs ? upper(sfs) : NULL, *uo = origin ? upper(origin) : NULL,
	     *uh = host ? upper(host) : NULL, *o;

	FUZZ_CHECK(r == 0 || r == 1);
	/* Case never matters. */
	FUZZ_CHECK(hdr_cross_site(us, uo, uh) == r);
	free(us);
	free(uo);
	free(uh);
	if (origin == NULL)
		FUZZ_CHECK(r == hdr_cross_site(sfs, NULL, NULL));
	FUZZ_CHECK(hdr_cross_site("cross-site", origin, host) == 1);
	FUZZ_CHECK(hdr_cross_site(sfs, "null", host) == 1);
	if (r == 0 && origin != NULL) {
		const char *p = strstr(origin, "://");

		FUZZ_CHECK(p != NULL && host != NULL);
		FUZZ_CHECK(strchr(p + 3, '/') == NULL && strchr(p + 3, '@') == NULL);
	}
	/* An origin built from the Host header is the same site when Host is
	 * a host[:port], whatever Sec-Fetch-Site says short of cross-site. */
	if (host != NULL) {
		int same;

		o = concat("http://", host);
		same = hdr_cross_site(NULL, o, host);
		FUZZ_CHECK(hdr_cross_site("same-origin", o, host) == same);
		if (same == 0)
			FUZZ_CHECK(hdr_cross_site(NULL, o, NULL) == 1);
		free(o);
	}
}

static void check_xff(const char *xff, const struct hdr_cidr *trusted, int ntrusted)
{
	unsigned char a[HDR_ADDR_LEN], b[HDR_ADDR_LEN];
	char text[INET6_ADDRSTRLEN + 4];
	int f, g;

	memset(a, 0xA5, sizeof a);
	f = hdr_xff_client(xff, trusted, ntrusted, a);
	check_addr(f, a);
	if (f != 0) {
		FUZZ_CHECK(!hdr_cidr_match(trusted, ntrusted, f, a));
		check_round_trip(f, a);
		/* The client alone names the same client. */
		FUZZ_CHECK(inet_ntop(f, a, text, INET6_ADDRSTRLEN) != NULL);
		FUZZ_CHECK(hdr_xff_client(text, trusted, ntrusted, b) == f);
		FUZZ_CHECK(memcmp(a, b, HDR_ADDR_LEN) == 0);
	}
	/* One more trusted hop on the right changes nothing (the empty
	 * header excepted: its only entry is then an empty one). */
	if (ntrusted > 0) {
		char *t;

		FUZZ_CHECK(inet_ntop(trusted[0].family, trusted[0].addr, text, INET6_ADDRSTRLEN) !=
			   NULL);
		t = malloc(strlen(xff) + strlen(text) + 4);
		FUZZ_CHECK(t != NULL);
		sprintf(t, "%s ,\t%s", xff, text);
		g = hdr_xff_client(t, trusted, ntrusted, b);
		FUZZ_CHECK(g == f);
		FUZZ_CHECK(memcmp(a, b, HDR_ADDR_LEN) == 0);
		free(t);
	}
	FUZZ_CHECK(hdr_xff_client(NULL, trusted, ntrusted, b) == 0);
}

static void check_match(const struct hdr_cidr *list, int n, const char *raw, size_t len)
{
	unsigned char a[HDR_ADDR_LEN];
	int f = hdr_parse_ip(raw, len, a);

	if (f != 0)
		FUZZ_CHECK(hdr_cidr_match(list, n, f, a) == ref_match(list, n, f, a));
}

/* Ranges made of raw input bytes (any family, any prefix length, host bits
 * set): hdr_cidr_match() still agrees with the reference and reads no more
 * than the address. */
static void check_raw_cidrs(const uint8_t *data, size_t size)
{
	struct hdr_cidr list[4];
	unsigned char a4[4], a16[16];
	size_t k;

	memset(list, 0, sizeof list);
	for (k = 0; k < 4; k++) {
		size_t off = k * 18;

		if (off + 18 > size)
			break;
		list[k].family = data[off] % 3 == 0 ? AF_INET : data[off] % 3 == 1 ? AF_INET6 : 0;
		list[k].bits = data[off + 1];
		memcpy(list[k].addr, data + off + 2, HDR_ADDR_LEN);
	}
	memcpy(a4, size >= 4 ? data + size - 4 : (const uint8_t *)"\0\0\0\0", 4);
	memset(a16, 0, sizeof a16);
	memcpy(a16, data, size < 16 ? size : 16);
	/* a4 is exactly 4 bytes: a sanitizer build sees any read past it. */
	FUZZ_CHECK(hdr_cidr_match(list, (int)k, AF_INET, a4) ==
		   ref_match(list, (int)k, AF_INET, a4));
	FUZZ_CHECK(hdr_cidr_match(list, (int)k, AF_INET6, a16) ==
		   ref_match(list, (int)k, AF_INET6, a16));
	FUZZ_CHECK(hdr_cidr_match(list, (int)k, AF_UNIX, a16) == 0);
}

/* A socket address made of the input's first bytes, of each family. */
static void check_sockaddr(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	unsigned char a[HDR_ADDR_LEN];
	static const sa_family_t fams[] = {AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC};
	size_t k;

	for (k = 0; k < sizeof fams / sizeof fams[0]; k++) {
		int f;

		memset(&ss, 0, sizeof ss);
		memcpy(&ss, data, size < sizeof ss ? size : sizeof ss);
		ss.ss_family = fams[k];
		memset(a, 0xA5, sizeof a);
		f = hdr_sockaddr_ip((const struct sockaddr *)&ss, a);
		check_addr(f, a);
		if (fams[k] == AF_INET)
			FUZZ_CHECK(f == AF_INET);
		else if (fams[k] == AF_INET6)
			FUZZ_CHECK(f == AF_INET || f == AF_INET6);
		else
			FUZZ_CHECK(f == 0);
		check_round_trip(f, a);
	}
	FUZZ_CHECK(hdr_sockaddr_ip(NULL, a) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw[FUZZ_MAX_FIELDS];
	size_t rawlen[FUZZ_MAX_FIELDS];
	char *f[FUZZ_MAX_FIELDS];
	struct hdr_cidr loopback[2], trusted[FUZZ_MAX_CIDRS];
	size_t start = 0, i;
	int n = 0, k, ntrusted;

	/* Fields: the input cut at '\n', the last one running to the end. */
	for (i = 0; i <= size && n < FUZZ_MAX_FIELDS; i++) {
		if (i == size || data[i] == '\n' || n == FUZZ_MAX_FIELDS - 1) {
			if (n == FUZZ_MAX_FIELDS - 1)
				i = size;
			raw[n] = (const char *)data + start;
			rawlen[n] = i - start;
			f[n] = fuzz_strndup(data + start, i - start);
			n++;
			start = i + 1;
		}
	}
	FUZZ_CHECK(hdr_cidr_parse("127.0.0.0/8, ::1", loopback, 2) == 2);

	for (k = 0; k < n; k++) {
		const char *next = k + 1 < n ? f[k + 1] : NULL;
		const char *third = k + 2 < n ? f[k + 2] : NULL;

		check_gzip(f[k]);
		check_lang(f[k]);
		check_form_type(f[k]);
		check_content_length(f[k]);
		check_parse_ip(raw[k], rawlen[k]);
		check_auth(f[k]);
		check_auth_build(f[k]);
		check_etag(f[k], next, f[k]);
		check_cross_site(f[k], next, third);
		check_cross_site(NULL, f[k], next);
		ntrusted = check_cidrs(f[k], trusted);
		check_xff(f[k], loopback, 2);
		if (next != NULL)
			check_xff(next, trusted, ntrusted);
		check_xff(f[k], trusted, ntrusted);
		for (i = 0; i < (size_t)n; i++)
			check_match(trusted, ntrusted, raw[i], rawlen[i]);
		check_match(loopback, 2, raw[k], rawlen[k]);
	}
	check_sockaddr(data, size);
	check_raw_cidrs(data, size);
	for (k = 0; k < n; k++)
		free(f[k]);
	return 0;
}
