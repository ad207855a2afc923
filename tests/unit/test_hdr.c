/* test_hdr.c -- unit tests for hdr.c: the request headers the server acts on
 * (Accept-Encoding, If-None-Match, Content-Type, Content-Length,
 * Authorization, Origin, Accept-Language) and client addresses (IP literals,
 * CIDR lists, X-Forwarded-For), each with hostile input beside the real. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <nettle/base64.h>

#include "hdr.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

/* s for a test name: "[NULL]" for NULL, control and non-ASCII bytes as
 * \xNN, cut after 60 bytes. Returns one of a few rotating static buffers,
 * so up to four may appear in one name. */
static const char *show(const char *s)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];
	size_t i, o = 0;

	if (s == NULL)
		return "[NULL]";
	for (i = 0; s[i] != '\0' && o + 8 < sizeof bufs[0]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 60) {
			o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7F || c == '#')
			o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "\\x%02X", c);
		else
			b[o++] = (char)c;
	}
	b[o] = '\0';
	return b;
}

/* The address as text, "-" for family 0. */
static const char *fmt_ip(int family, const unsigned char *a, char *buf, size_t n)
{
	if (family == 0 || inet_ntop(family, a, buf, (socklen_t)n) == NULL)
		snprintf(buf, n, "-");
	return buf;
}

/* Checks that parsing s (a string; its strlen) gives want ("-" for not an
 * address, else the address as inet_ntop() writes it). */
static void ip_is(const char *s, const char *want, const char *what)
{
	unsigned char a[HDR_ADDR_LEN];
	char got[INET6_ADDRSTRLEN];
	int f;

	memset(a, 0xAA, sizeof a);
	f = hdr_parse_ip(s, strlen(s), a);
	is_str(fmt_ip(f, a, got, sizeof got), want, "parse_ip \"%s\": %s", show(s), what);
}

static void gzip_is(const char *ae, int want)
{
	is_int(hdr_accepts_gzip(ae), want, "accepts_gzip \"%s\" -> %d", show(ae), want);
}

static void etag_is(const char *inm, const char *etag, int want)
{
	is_int(hdr_etag_matches(inm, etag), want, "etag_matches \"%s\" vs %s -> %d", show(inm),
	       show(etag), want);
}

static void form_is(const char *ct, int want)
{
	is_int(hdr_is_form_type(ct), want, "is_form_type \"%s\" -> %d", show(ct), want);
}

/* Content-Length: want is the return value; when 1, wantv the value. */
static void cl_is(const char *v, int want, uint64_t wantv)
{
	uint64_t out = 12345;
	int r = hdr_content_length(v, &out);

	is_int(r, want, "content_length \"%s\" -> %d", show(v), want);
	if (want == 1)
		ok(out == wantv, "content_length \"%s\" = %llu (got %llu)", show(v),
		   (unsigned long long)wantv, (unsigned long long)out);
	else
		ok(out == 12345, "content_length \"%s\" leaves *out alone", show(v));
}

/* Parses list and checks the count and each range, given as "addr/bits"
 * with the address as inet_ntop() writes it (host bits cleared). */
static void cidr_is(const char *list, int max, int want, const char *const *ranges)
{
	struct hdr_cidr c[8];
	int r, i;

	memset(c, 0xAA, sizeof c);
	r = hdr_cidr_parse(list, c, max);
	if (!is_int(r, want, "cidr_parse \"%s\" (max %d) -> %d", show(list), max, want))
		return;
	for (i = 0; i < r && ranges != NULL; i++) {
		char txt[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN + 8];

		snprintf(got, sizeof got, "%s/%u", fmt_ip(c[i].family, c[i].addr, txt, sizeof txt),
			 c[i].bits);
		is_str(got, ranges[i], "cidr_parse \"%s\" entry %d", show(list), i);
	}
}

/* Checks whether addr (text) lies inside the list (text). */
static void match_is(const char *list, const char *addr, int want)
{
	struct hdr_cidr c[8];
	unsigned char a[HDR_ADDR_LEN];
	int n = hdr_cidr_parse(list, c, 8), f = hdr_parse_ip(addr, strlen(addr), a);

	ok(n >= 0 && f != 0, "cidr_match setup \"%s\" / %s", show(list), show(addr));
	is_int(hdr_cidr_match(c, n, f, a), want, "cidr_match %s in \"%s\" -> %d", show(addr), show(list),
	       want);
}

/* X-Forwarded-For with the ranges trusted; want is the client or "-". */
static void xff_is(const char *xff, const char *trusted, const char *want)
{
	struct hdr_cidr c[8];
	unsigned char a[HDR_ADDR_LEN];
	char got[INET6_ADDRSTRLEN];
	int n = hdr_cidr_parse(trusted, c, 8), f;

	memset(a, 0xAA, sizeof a);
	f = hdr_xff_client(xff, c, n < 0 ? 0 : n, a);
	is_str(fmt_ip(f, a, got, sizeof got), want, "xff \"%s\" trusting \"%s\" -> %s", show(xff),
	       trusted, want);
}

/* Authorization: want the kind, and for BEARER/BASIC the secret. */
static void auth_is(const char *h, size_t outlen, enum hdr_auth want, const char *secret,
		    size_t slen)
{
	unsigned char out[512];
	size_t len = 999;
	enum hdr_auth r;

	memset(out, 0x55, sizeof out);
	r = hdr_auth_secret(h, out, outlen, &len);
	is_int(r, want, "auth \"%s\" (outlen %zu) -> %d", show(h), outlen, (int)want);
	if (want == HDR_AUTH_BEARER || want == HDR_AUTH_BASIC) {
		is_mem((const char *)out, len, secret, slen, "auth \"%s\" secret", show(h));
	} else {
		size_t i, dirty = 0;

		for (i = 0; i < outlen; i++)
			dirty += out[i] != 0;
		ok(len == 0 && dirty == 0, "auth \"%s\": *len 0 and out wiped", show(h));
	}
	ok(outlen >= sizeof out || out[outlen] == 0x55, "auth \"%s\": nothing past outlen",
	   show(h));
}

/* "Basic " + base64(cred). */
static const char *basic(const char *cred, size_t n, char *buf)
{
	struct base64_encode_ctx ctx;
	size_t o;

	memcpy(buf, "Basic ", 6);
	base64_encode_init(&ctx);
	o = 6 + base64_encode_update(&ctx, buf + 6, n, (const uint8_t *)cred);
	o += base64_encode_final(&ctx, buf + o);
	buf[o] = '\0';
	return buf;
}

static void cross_is(const char *sfs, const char *origin, const char *host, int want)
{
	is_int(hdr_cross_site(sfs, origin, host), want, "cross_site sfs=%s origin=%s host=%s -> %d",
	       show(sfs), show(origin), show(host), want);
}

static const char *const langs[] = {"en", "km"};

static void lang_is(const char *al, int want)
{
	is_int(hdr_lang_pick(al, langs, 2), want, "lang_pick \"%s\" -> %d", show(al), want);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_gzip(void)
{
	char big[8192];
	size_t i;

	gzip_is(NULL, 0);
	gzip_is("", 0);
	gzip_is("gzip", 1);
	gzip_is("GZIP", 1);
	gzip_is("gzip, deflate, br", 1);
	gzip_is("deflate, gzip;q=1.0, *;q=0.5", 1);
	gzip_is("br;q=1.0, gzip;q=0.8, *;q=0.1", 1);
	gzip_is("x-gzip", 1);
	gzip_is("X-Gzip;q=0.5", 1);
	gzip_is("*", 1);
	gzip_is("*;q=0.1", 1);
	gzip_is("identity", 0);
	gzip_is("deflate, br", 0);
	gzip_is("gzip;q=0", 0);
	gzip_is("gzip;q=0.", 0);
	gzip_is("gzip;q=0.000", 0);
	gzip_is("gzip;q=0.001", 1);
	gzip_is("gzip; q=0", 0);
	gzip_is("gzip ;q=0", 0);
	gzip_is("gzip;Q=0", 0);
	gzip_is("gzip;q=0, *", 0);           /* "*" does not speak for listed codings */
	gzip_is("*, gzip;q=0", 0);
	gzip_is("*;q=0", 0);
	gzip_is("*;q=0, gzip", 1);
	gzip_is("gzip;q=0, x-gzip", 1);
	gzip_is("gzipx", 0);                 /* whole tokens only */
	gzip_is("xgzip", 0);
	gzip_is("gzip2;q=1", 0);
	gzip_is("nogzip, deflate", 0);
	gzip_is("deflate;gzip", 0);          /* a parameter without '=' */
	gzip_is("gzip;q=1.5", 0);            /* malformed weight: element ignored */
	gzip_is("gzip;q=2", 0);
	gzip_is("gzip;q=1.001", 0);
	gzip_is("gzip;q=1.000", 1);
	gzip_is("gzip;q=0.0001", 0);
	gzip_is("gzip;q=.5", 0);
	gzip_is("gzip;q=-1", 0);
	gzip_is("gzip;q=", 0);
	gzip_is("gzip;q", 0);                /* missing '=' */
	gzip_is("gzip;=1", 0);
	gzip_is("gzip;q=0.5;q=0.6", 0);      /* two weights */
	gzip_is("gzip;q=0.5x", 0);
	gzip_is("gzip;q=\"1\"", 0);
	gzip_is("gzip;level=9", 1);          /* unknown parameters are skipped */
	gzip_is("gzip;q=1.5, *", 1);         /* the bad element is ignored, "*" speaks */
	gzip_is("gzip;q", 0);
	gzip_is(" \t gzip \t ", 1);
	gzip_is(",,, gzip ,,", 1);
	gzip_is("gzip deflate", 0);          /* two tokens: not a list */
	gzip_is("gz ip", 0);
	gzip_is("gzip\x01", 0);
	gzip_is("\xff\xfe, gzip", 1);        /* garbage elements do not hide the rest */
	gzip_is("deflate;q=0.5;foo=bar, gzip;q=0.2", 1);
	gzip_is("identity;q=1, *;q=0", 0);

	/* A long header made of junk, then gzip at the end. */
	for (i = 0; i + 1 < sizeof big; i++)
		big[i] = i % 7 == 6 ? ',' : 'a';
	big[sizeof big - 1] = '\0';
	gzip_is(big, 0);
	memcpy(big + sizeof big - 6, ",gzip", 6);
	gzip_is(big, 1);
}

static void test_etag(void)
{
	etag_is(NULL, "\"abc\"", 0);
	etag_is("\"abc\"", NULL, 0);
	etag_is("", "\"abc\"", 0);
	etag_is("\"abc\"", "\"abc\"", 1);
	etag_is("W/\"abc\"", "\"abc\"", 1);        /* weak comparison */
	etag_is("\"abc\"", "W/\"abc\"", 1);
	etag_is("*", "\"abc\"", 1);
	etag_is("  *  ", "\"abc\"", 1);
	etag_is("*, \"x\"", "\"abc\"", 0);
	etag_is("\"x\", \"abc\"", "\"abc\"", 1);
	etag_is("\"x\",\"abc\"", "\"abc\"", 1);
	etag_is("\"abc\" , \"x\"", "\"abc\"", 1);
	etag_is(" \t\"abc\"\t ", "\"abc\"", 1);
	etag_is(", , \"abc\" ,", "\"abc\"", 1);
	etag_is("\"x\", W/\"y\"", "\"abc\"", 0);
	etag_is("\"abcd\"", "\"abc\"", 0);
	etag_is("\"ab\"", "\"abc\"", 0);
	etag_is("\"ABC\"", "\"abc\"", 0);          /* tags are case-sensitive */
	etag_is("abc", "\"abc\"", 0);              /* unquoted */
	etag_is("\"abc", "\"abc\"", 0);
	etag_is("\"abc\"x", "\"abc\"", 0);
	etag_is("\"abc\" \"x\"", "\"abc\"", 0);
	etag_is("w/\"abc\"", "\"abc\"", 0);        /* "W/" is case-sensitive */
	etag_is("\"abc\", garbage", "\"abc\"", 0); /* a malformed list matches nothing */
	etag_is("garbage, \"abc\"", "\"abc\"", 0);
	etag_is("\"a bc\"", "\"a bc\"", 0);        /* space is no etagc */
	etag_is("\"abc\"", "abc", 0);              /* our own tag must be a tag */
	etag_is("\"abc\"", "\"abc\" ", 0);
	etag_is("\"\"", "\"\"", 1);
	etag_is("\"x\"x\"abc\"", "\"abc\"", 0);
	etag_is("\"abc\"\x01", "\"abc\"", 0);
	etag_is("\"\xe1\x9e\x80\"", "\"\xe1\x9e\x80\"", 1); /* obs-text */
}

static void test_form_type(void)
{
	form_is(NULL, 0);
	form_is("", 0);
	form_is("application/x-www-form-urlencoded", 1);
	form_is("Application/X-WWW-Form-URLEncoded", 1);
	form_is("application/x-www-form-urlencoded; charset=UTF-8", 1);
	form_is("application/x-www-form-urlencoded;charset=utf-8", 1);
	form_is("application/x-www-form-urlencoded ; charset=utf-8", 1);
	form_is("  application/x-www-form-urlencoded\t", 1);
	form_is("application/x-www-form-urlencoded;", 1);
	form_is("application/x-www-form-urlencodedx", 0);
	form_is("application/x-www-form-urlencoded x", 0);
	form_is("application/x-www-form-urlencoded,text/plain", 0);
	form_is("application/x-www-form", 0);
	form_is("multipart/form-data; boundary=x", 0);
	form_is("text/plain", 0);
	form_is("application/json", 0);
	form_is("xapplication/x-www-form-urlencoded", 0);
}

static void test_content_length(void)
{
	cl_is(NULL, 0, 0);
	cl_is("0", 1, 0);
	cl_is("42", 1, 42);
	cl_is(" 42\t", 1, 42);
	cl_is("00042", 1, 42);
	cl_is("16384", 1, 16384);
	cl_is("18446744073709551615", 1, UINT64_MAX);
	cl_is("000000000000000000000018446744073709551615", 1, UINT64_MAX);
	cl_is("18446744073709551616", -1, 0);      /* UINT64_MAX + 1 */
	cl_is("18446744073709551620", -1, 0);
	cl_is("99999999999999999999999999", -1, 0);
	cl_is("", -1, 0);
	cl_is("   ", -1, 0);
	cl_is("-1", -1, 0);
	cl_is("+1", -1, 0);
	cl_is("4 2", -1, 0);
	cl_is("42abc", -1, 0);
	cl_is("0x10", -1, 0);
	cl_is("1e3", -1, 0);
	cl_is("42,42", -1, 0);
	cl_is("4.2", -1, 0);
	cl_is("\n42", -1, 0);
	cl_is("42\r\n", -1, 0);
}

static void test_parse_ip(void)
{
	unsigned char a[HDR_ADDR_LEN];
	size_t i, zero;

	ip_is("127.0.0.1", "127.0.0.1", "IPv4");
	ip_is("0.0.0.0", "0.0.0.0", "IPv4 any");
	ip_is("255.255.255.255", "255.255.255.255", "IPv4 broadcast");
	ip_is("::1", "::1", "IPv6 loopback");
	ip_is("[::1]", "::1", "bracketed IPv6");
	ip_is("2001:db8::1", "2001:db8::1", "IPv6");
	ip_is("2001:DB8:0:0:0:0:0:1", "2001:db8::1", "IPv6 upper case, full");
	ip_is("::", "::", "IPv6 any");
	ip_is("::ffff:1.2.3.4", "1.2.3.4", "mapped IPv4 is IPv4");
	ip_is("::FFFF:1.2.3.4", "1.2.3.4", "mapped IPv4 upper case");
	ip_is("::ffff:102:304", "1.2.3.4", "mapped IPv4 in hex");
	ip_is("[::ffff:1.2.3.4]", "1.2.3.4", "bracketed mapped IPv4");
	ip_is("0:0:0:0:0:ffff:1.2.3.4", "1.2.3.4", "mapped IPv4, full form");
	ip_is("::1.2.3.4", "::1.2.3.4", "IPv4-compatible stays IPv6");
	ip_is("::fffe:1.2.3.4", "::fffe:102:304", "not mapped");
	ip_is("64:ff9b::1.2.3.4", "64:ff9b::102:304", "NAT64 stays IPv6");
	ip_is("", "-", "empty");
	ip_is("[]", "-", "empty brackets");
	ip_is("[", "-", "lone bracket");
	ip_is("[1.2.3.4]", "-", "IPv4 in brackets");
	ip_is("[::1", "-", "open bracket");
	ip_is("::1]", "-", "close bracket");
	ip_is("[[::1]]", "-", "double brackets");
	ip_is(" 1.2.3.4", "-", "leading space");
	ip_is("1.2.3.4 ", "-", "trailing space");
	ip_is("1.2.3", "-", "three parts");
	ip_is("1.2.3.4.5", "-", "five parts");
	ip_is("1.2.3.256", "-", "part over 255");
	ip_is("01.2.3.4", "-", "leading zero (octal in inet_aton)");
	ip_is("1.2.3.-4", "-", "sign");
	ip_is("0x7f.0.0.1", "-", "hex part");
	ip_is("2130706433", "-", "one number");
	ip_is("1.2.3.4:80", "-", "port");
	ip_is("[::1]:80", "-", "bracketed port");
	ip_is("fe80::1%eth0", "-", "zone");
	ip_is("1:2:3:4:5:6:7:8:9", "-", "nine groups");
	ip_is("1::2::3", "-", "two ::");
	ip_is("12345::1", "-", "group over 4 digits");
	ip_is("::ffff:1.2.3.256", "-", "bad mapped IPv4");
	ip_is("localhost", "-", "a name");
	ip_is("unknown", "-", "unknown");
	ip_is("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	      "longest IPv6 text (45)");
	ip_is("0000:0000:0000:0000:0000:0000:0000:0000:0", "-", "46 characters");

	/* Embedded NUL: not a prefix match. */
	memset(a, 0xAA, sizeof a);
	is_int(hdr_parse_ip("1.2.3.4\0junk", 12, a), 0, "parse_ip with an embedded NUL -> 0");
	is_int(hdr_parse_ip("1.2.3.4junk", 7, a), AF_INET, "parse_ip reads only len bytes");
	ok(a[0] == 1 && a[3] == 4, "parse_ip len bytes: 1.2.3.4");
	is_int(hdr_parse_ip(NULL, 0, a), 0, "parse_ip NULL -> 0");

	/* The unused bytes are zeros, also after a failure. */
	memset(a, 0xAA, sizeof a);
	hdr_parse_ip("10.0.0.1", 8, a);
	for (i = 4, zero = 0; i < HDR_ADDR_LEN; i++)
		zero += a[i] == 0;
	is_int((long long)zero, 12, "IPv4: bytes 4-15 are zero");
	memset(a, 0xAA, sizeof a);
	hdr_parse_ip("nope", 4, a);
	for (i = 0, zero = 0; i < HDR_ADDR_LEN; i++)
		zero += a[i] == 0;
	is_int((long long)zero, 16, "not an address: all bytes zero");
}

static void test_sockaddr(void)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	struct sockaddr_storage ss;
	unsigned char a[HDR_ADDR_LEN];
	char txt[INET6_ADDRSTRLEN];
	int f;

	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = htons(8080);
	inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
	f = hdr_sockaddr_ip((const struct sockaddr *)&s4, a);
	is_str(fmt_ip(f, a, txt, sizeof txt), "192.0.2.7", "sockaddr_ip IPv4");

	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::5", &s6.sin6_addr);
	f = hdr_sockaddr_ip((const struct sockaddr *)&s6, a);
	is_str(fmt_ip(f, a, txt, sizeof txt), "2001:db8::5", "sockaddr_ip IPv6");

	inet_pton(AF_INET6, "::ffff:203.0.113.9", &s6.sin6_addr);
	f = hdr_sockaddr_ip((const struct sockaddr *)&s6, a);
	is_int(f, AF_INET, "sockaddr_ip mapped IPv6 -> AF_INET");
	is_str(fmt_ip(f, a, txt, sizeof txt), "203.0.113.9", "sockaddr_ip mapped IPv6 bytes");

	memset(&ss, 0, sizeof ss);
	ss.ss_family = AF_UNIX;
	memset(a, 0xAA, sizeof a);
	is_int(hdr_sockaddr_ip((const struct sockaddr *)&ss, a), 0, "sockaddr_ip AF_UNIX -> 0");
	ok(a[0] == 0 && a[15] == 0, "sockaddr_ip AF_UNIX zeroes addr");
	is_int(hdr_sockaddr_ip(NULL, a), 0, "sockaddr_ip NULL -> 0");
}

static void test_cidr(void)
{
	static const char *const loop[] = {"127.0.0.0/8", "::1/128"};
	static const char *const three[] = {"10.0.0.0/8", "::1/128", "192.168.1.7/32"};
	static const char *const masked[] = {"10.0.0.0/8", "192.168.0.0/23", "2001:db8::/32"};
	static const char *const mapped[] = {"1.2.3.4/32", "1.2.0.0/16", "0.0.0.0/0",
					     "1.2.3.4/32"};
	/* Shorter than /96: IPv6, host bits cleared (ffff/95 is fffe). */
	static const char *const mapped_v6[] = {"::fffe:0:0/95", "::/0"};
	static const char *const zero[] = {"0.0.0.0/0", "::/0"};
	static const char *const bracket[] = {"::1/128", "2001:db8::/48"};
	struct hdr_cidr c[4], bad;

	cidr_is("127.0.0.0/8,::1", 8, 2, loop);
	cidr_is("10.0.0.0/8, ::1, 192.168.1.7", 8, 3, three);
	cidr_is(" \t10.0.0.0/8 ,\t::1\t, 192.168.1.7 ", 8, 3, three);
	cidr_is("10.1.2.3/8,192.168.1.255/23,2001:db8:ffff::1/32", 8, 3, masked);
	cidr_is("::ffff:1.2.3.4,::ffff:1.2.3.4/112,::ffff:1.2.3.4/96,[::ffff:1.2.3.4]/128", 8, 4,
		mapped);
	cidr_is("::ffff:1.2.3.4/95,::ffff:1.2.3.4/0", 8, 2, mapped_v6);
	cidr_is("0.0.0.0/0,::/0", 8, 2, zero);
	cidr_is("[::1],[2001:db8::]/48", 8, 2, bracket);
	cidr_is("10.0.0.0/008", 8, 1, NULL);
	cidr_is("none", 8, 0, NULL);
	cidr_is("NONE", 8, 0, NULL);
	cidr_is("  none ", 8, 0, NULL);
	cidr_is("", 8, 0, NULL);
	cidr_is("  \t ", 8, 0, NULL);
	cidr_is(NULL, 8, 0, NULL);
	cidr_is("none,10.0.0.0/8", 8, -1, NULL);
	cidr_is("nonesuch", 8, -1, NULL);
	cidr_is("10.0.0.0/8,", 8, -1, NULL);        /* trailing comma: an empty entry */
	cidr_is(",10.0.0.0/8", 8, -1, NULL);
	cidr_is("10.0.0.0/8,,::1", 8, -1, NULL);
	cidr_is("10.0.0.0/8, ,::1", 8, -1, NULL);
	cidr_is("10.0.0.0/33", 8, -1, NULL);
	cidr_is("::1/129", 8, -1, NULL);
	cidr_is("::ffff:1.2.3.4/129", 8, -1, NULL);
	cidr_is("10.0.0.0/", 8, -1, NULL);
	cidr_is("10.0.0.0/-8", 8, -1, NULL);
	cidr_is("10.0.0.0/+8", 8, -1, NULL);
	cidr_is("10.0.0.0/ 8", 8, -1, NULL);
	cidr_is("10.0.0.0 /8", 8, -1, NULL);
	cidr_is("10.0.0.0/8/8", 8, -1, NULL);
	cidr_is("10.0.0.0/0008", 8, -1, NULL);
	cidr_is("10.0.0.0/99999999999999999999", 8, -1, NULL);
	cidr_is("10.0.0.0/8x", 8, -1, NULL);
	cidr_is("10.0.0/8", 8, -1, NULL);
	cidr_is("localhost", 8, -1, NULL);
	cidr_is("1.2.3.4;5.6.7.8", 8, -1, NULL);
	cidr_is("[1.2.3.4]/32", 8, -1, NULL);
	cidr_is("1.1.1.1,2.2.2.2,3.3.3.3", 3, 3, NULL);
	cidr_is("1.1.1.1,2.2.2.2,3.3.3.3", 2, -1, NULL); /* more than max */
	cidr_is("1.1.1.1", 0, -1, NULL);
	is_int(hdr_cidr_parse("1.1.1.1", NULL, 4), -1, "cidr_parse into NULL -> -1");

	match_is("10.0.0.0/8", "10.255.1.2", 1);
	match_is("10.0.0.0/8", "11.0.0.1", 0);
	match_is("192.168.0.0/23", "192.168.1.200", 1);
	match_is("192.168.0.0/23", "192.168.2.1", 0);
	match_is("192.168.1.7", "192.168.1.7", 1);
	match_is("192.168.1.7", "192.168.1.8", 0);
	match_is("0.0.0.0/0", "203.0.113.1", 1);
	match_is("0.0.0.0/0", "::1", 0);                 /* families differ */
	match_is("::/0", "1.2.3.4", 0);
	match_is("::/0", "2001:db8::1", 1);
	match_is("::1", "::1", 1);
	match_is("::1", "::2", 0);
	match_is("2001:db8::/33", "2001:db8:7fff::1", 1);
	match_is("2001:db8::/33", "2001:db8:8000::1", 0);
	match_is("::ffff:10.0.0.0/104", "10.9.9.9", 1);  /* mapped range, IPv4 client */
	match_is("::ffff:10.0.0.0/104", "::ffff:10.9.9.9", 1);
	match_is("10.0.0.0/8", "::ffff:10.1.1.1", 1);    /* IPv4 range, mapped client */
	match_is("::ffff:0.0.0.0/95", "10.1.1.1", 0);    /* IPv6 range: no IPv4 inside */
	match_is("127.0.0.1/32, ::1", "127.0.0.2", 0);
	match_is("127.0.0.1/31", "127.0.0.0", 1);

	/* Hostile lists built by hand never read past the address. */
	memset(&bad, 0, sizeof bad);
	bad.family = AF_INET;
	bad.bits = 200;
	memset(c[0].addr, 0, sizeof c[0].addr);
	is_int(hdr_cidr_match(&bad, 1, AF_INET, c[0].addr), 0, "cidr_match: /200 never matches");
	bad.family = AF_INET6;
	bad.bits = 129;
	is_int(hdr_cidr_match(&bad, 1, AF_INET6, c[0].addr), 0, "cidr_match: /129 never matches");
	is_int(hdr_cidr_match(NULL, 3, AF_INET, c[0].addr), 0, "cidr_match NULL list -> 0");
	is_int(hdr_cidr_match(&bad, 1, AF_INET6, NULL), 0, "cidr_match NULL addr -> 0");
	is_int(hdr_cidr_match(&bad, 1, 0, c[0].addr), 0, "cidr_match family 0 -> 0");
	is_int(hdr_cidr_match(&bad, 0, AF_INET6, c[0].addr), 0, "cidr_match empty list -> 0");
}

static void test_xff(void)
{
	const char *lo = "127.0.0.0/8, ::1";
	const char *proxies = "10.0.0.0/8, 2001:db8::/32";
	char big[4096];
	size_t i;

	xff_is(NULL, lo, "-");
	xff_is("", lo, "-");
	xff_is("   ", lo, "-");
	xff_is("203.0.113.5", lo, "203.0.113.5");
	xff_is(" \t203.0.113.5\t ", lo, "203.0.113.5");
	xff_is("198.51.100.1, 203.0.113.5", lo, "203.0.113.5");     /* right-most wins */
	xff_is("198.51.100.1, 203.0.113.5, 10.0.0.2", proxies, "203.0.113.5");
	xff_is("198.51.100.1,203.0.113.5,10.0.0.2,10.0.0.3", proxies, "203.0.113.5");
	xff_is("10.0.0.1, 10.0.0.2", proxies, "-");                  /* every entry trusted */
	xff_is("garbage, 203.0.113.5", lo, "203.0.113.5");           /* garbage left of the client */
	xff_is("203.0.113.5, garbage", lo, "-");                     /* garbage met first */
	xff_is("203.0.113.5, garbage, 10.0.0.2", proxies, "-");
	xff_is("unknown", lo, "-");
	xff_is("203.0.113.5,", lo, "-");                             /* empty right-most entry */
	xff_is("203.0.113.5, , 10.0.0.1", proxies, "-");
	xff_is(",10.0.0.1", proxies, "-");
	xff_is("::ffff:1.2.3.4", lo, "1.2.3.4");                     /* mapped: IPv4 */
	xff_is("::ffff:10.0.0.7", proxies, "-");                     /* mapped proxy is trusted */
	xff_is("203.0.113.5, ::ffff:10.0.0.7", proxies, "203.0.113.5");
	xff_is("[::1]", "none", "::1");
	xff_is("2001:db8::1, [::1]", lo, "2001:db8::1");
	xff_is("[2001:db8::1]:443", "none", "2001:db8::1");
	xff_is("2001:db9::1, 2001:db8::7", proxies, "2001:db9::1");
	xff_is("203.0.113.5:4711", lo, "203.0.113.5");               /* IPv4 with a port */
	xff_is("203.0.113.5:0", lo, "203.0.113.5");
	xff_is("203.0.113.5:65535", lo, "203.0.113.5");
	xff_is("203.0.113.5:65536", lo, "-");
	xff_is("203.0.113.5:", lo, "-");
	xff_is("203.0.113.5:80:80", lo, "-");
	xff_is("203.0.113.5:http", lo, "-");
	xff_is("203.0.113.5:-1", lo, "-");
	xff_is("2001:db8::1:80", lo, "2001:db8::1:80");              /* no port on bare IPv6 */
	xff_is("[2001:db8::1]:", lo, "-");
	xff_is("[2001:db8::1]x", lo, "-");
	xff_is("[2001:db8::1]:99999", lo, "-");
	xff_is("[1.2.3.4]:80", lo, "-");
	xff_is("[", lo, "-");
	xff_is("]", lo, "-");
	xff_is(":", lo, "-");
	xff_is("1.2.3.4 5.6.7.8", lo, "-");
	xff_is("01.2.3.4", lo, "-");
	xff_is("203.0.113.5", "none", "203.0.113.5");
	xff_is("203.0.113.5", "0.0.0.0/0", "-");

	/* Many trusted hops then the client. */
	big[0] = '\0';
	strcat(big, "203.0.113.5");
	for (i = 0; i < 200; i++)
		strcat(big, ", 10.1.2.3");
	xff_is(big, proxies, "203.0.113.5");
	/* A long garbage entry. */
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	xff_is(big, lo, "-");
}

static void test_auth(void)
{
	char b[512], cred[300];

	auth_is(NULL, 64, HDR_AUTH_NONE, NULL, 0);
	auth_is("", 64, HDR_AUTH_NONE, NULL, 0);
	auth_is("Digest username=x", 64, HDR_AUTH_NONE, NULL, 0);
	auth_is("Bearerx abc", 64, HDR_AUTH_NONE, NULL, 0);
	auth_is("Basically abc", 64, HDR_AUTH_NONE, NULL, 0);
	auth_is("Bearer abc123", 64, HDR_AUTH_BEARER, "abc123", 6);
	auth_is("bearer abc123", 64, HDR_AUTH_BEARER, "abc123", 6);
	auth_is("BEARER   abc123  \t", 64, HDR_AUTH_BEARER, "abc123", 6);
	auth_is("  Bearer abc123", 64, HDR_AUTH_BEARER, "abc123", 6);
	auth_is("Bearer\tabc123", 64, HDR_AUTH_BEARER, "abc123", 6);
	auth_is("Bearer a b", 64, HDR_AUTH_BEARER, "a b", 3);
	auth_is("Bearer", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Bearer ", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Bearer    \t", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Bearer:abc", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Bearer abc123", 6, HDR_AUTH_BEARER, "abc123", 6);   /* exactly outlen */
	auth_is("Bearer abc123", 5, HDR_AUTH_BAD, NULL, 0);          /* one byte too long */
	auth_is("Bearer abc123", 0, HDR_AUTH_BAD, NULL, 0);

	auth_is(basic("admin:s3cret", 12, b), 64, HDR_AUTH_BASIC, "s3cret", 6);
	auth_is(basic(":s3cret", 7, b), 64, HDR_AUTH_BASIC, "s3cret", 6);
	auth_is(basic("admin:pa:ss", 11, b), 64, HDR_AUTH_BASIC, "pa:ss", 5); /* first ':' */
	auth_is(basic("admin:", 6, b), 64, HDR_AUTH_BASIC, "", 0);           /* empty password */
	auth_is(basic("a\0b:p\0w", 7, b), 64, HDR_AUTH_BASIC, "p\0w", 3);
	auth_is(basic("admin", 5, b), 64, HDR_AUTH_BAD, NULL, 0);            /* no ':' */
	auth_is(basic("admin:s3cret", 12, b), 6, HDR_AUTH_BASIC, "s3cret", 6);
	auth_is(basic("admin:s3cret", 12, b), 5, HDR_AUTH_BAD, NULL, 0);
	auth_is("basic YWRtaW46czNjcmV0", 64, HDR_AUTH_BASIC, "s3cret", 6);
	auth_is("BASIC   YWRtaW46czNjcmV0  ", 64, HDR_AUTH_BASIC, "s3cret", 6);
	auth_is("Basic YWRtaW46czNjcmV0", 64, HDR_AUTH_BASIC, "s3cret", 6);
	auth_is("Basic Og==", 64, HDR_AUTH_BASIC, "", 0);                   /* ":" */
	auth_is("Basic", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Basic ", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Basic YWRtaW46czNjcmV0=", 64, HDR_AUTH_BAD, NULL, 0);       /* bad padding */
	auth_is("Basic YWRtaW46czNjcmV", 64, HDR_AUTH_BAD, NULL, 0);         /* truncated */
	auth_is("Basic YWRt*W46czNjcmV0", 64, HDR_AUTH_BAD, NULL, 0);        /* not base64 */
	auth_is("Basic YQ==YQ==", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Basic ====", 64, HDR_AUTH_BAD, NULL, 0);
	auth_is("Basic \xff\xfe", 64, HDR_AUTH_BAD, NULL, 0);

	/* A long password across several decoding chunks. */
	memset(cred, 'x', sizeof cred);
	cred[0] = 'u';
	cred[1] = ':';
	basic(cred, sizeof cred, b);
	auth_is(b, 298, HDR_AUTH_BASIC, cred + 2, 298);
	auth_is(b, 297, HDR_AUTH_BAD, NULL, 0);
	/* A long user name does not count against the secret's room. */
	memset(cred, 'u', sizeof cred);
	cred[sizeof cred - 3] = ':';
	basic(cred, sizeof cred, b);
	auth_is(b, 2, HDR_AUTH_BASIC, "uu", 2);
}

static void test_cross_site(void)
{
	cross_is(NULL, NULL, NULL, 0);
	cross_is(NULL, NULL, "example.org", 0);
	cross_is("same-origin", NULL, "example.org", 0);
	cross_is("same-site", NULL, "example.org", 0);
	cross_is("none", NULL, "example.org", 0);
	cross_is("cross-site", NULL, "example.org", 1);
	cross_is("Cross-Site", NULL, "example.org", 1);
	cross_is(" cross-site ", NULL, "example.org", 1);
	cross_is("cross-sitex", NULL, "example.org", 0);
	cross_is("cross-site", "https://example.org", "example.org", 1);
	cross_is(NULL, "https://example.org", "example.org", 0);
	cross_is("same-origin", "https://example.org", "example.org", 0);
	cross_is(NULL, "http://127.0.0.1:8080", "127.0.0.1:8080", 0);
	cross_is(NULL, "HTTP://Example.ORG", "example.org", 0);
	cross_is(NULL, "https://example.org", "EXAMPLE.org", 0);
	cross_is(NULL, "http://[::1]:8080", "[::1]:8080", 0);
	cross_is(NULL, "http://[::1]:8080", "[::1]:8081", 1);
	cross_is(NULL, "https://example.org", "example.org:443", 0);  /* default ports */
	cross_is(NULL, "https://example.org:443", "example.org", 0);
	cross_is(NULL, "http://example.org:80", "example.org", 0);
	cross_is(NULL, "http://example.org", "example.org:443", 1);
	cross_is(NULL, "https://example.org", "example.org:80", 1);
	cross_is(NULL, "https://example.org:8443", "example.org", 1);
	cross_is(NULL, "https://example.org", "example.org:8443", 1);
	cross_is(NULL, "foo://example.org", "example.org", 0);
	cross_is(NULL, "foo://example.org", "example.org:80", 1);
	cross_is(NULL, "https://evil.example", "example.org", 1);
	cross_is("same-origin", "https://evil.example", "example.org", 1);
	cross_is(NULL, "https://example.org.evil.example", "example.org", 1);
	cross_is(NULL, "https://example.or", "example.org", 1);
	cross_is(NULL, "null", "example.org", 1);                     /* opaque origin */
	cross_is(NULL, "NULL", "example.org", 1);
	cross_is("same-origin", "null", "example.org", 1);
	cross_is(NULL, "", "example.org", 1);
	cross_is(NULL, "example.org", "example.org", 1);               /* no scheme */
	cross_is(NULL, "://example.org", "example.org", 1);
	cross_is(NULL, "https:/example.org", "example.org", 1);
	cross_is(NULL, "https://", "example.org", 1);
	cross_is(NULL, "https://example.org/", "example.org", 1);      /* a path */
	cross_is(NULL, "https://example.org/x", "example.org", 1);
	cross_is(NULL, "http://example.org@evil.example", "example.org", 1);
	cross_is(NULL, "http://evil.example@example.org", "example.org", 1); /* userinfo */
	cross_is(NULL, "https://example.org:", "example.org", 1);
	cross_is(NULL, "https://example.org:99999", "example.org:99999", 1);
	cross_is(NULL, "https://example.org:x", "example.org:x", 1);
	cross_is(NULL, "https://exa mple.org", "exa mple.org", 1);
	cross_is(NULL, "https://example.org", NULL, 1);               /* nothing to compare */
	cross_is(NULL, "https://example.org", "", 1);
	cross_is(NULL, "https://example.org", "example.org/", 1);
	cross_is(NULL, "1http://example.org", "example.org", 1);
	cross_is(NULL, "https://[::1", "[::1", 1);
	cross_is(NULL, "https://[]", "[]", 1);
	cross_is(NULL, "https://[zz]", "[zz]", 1);
	cross_is(NULL, " https://example.org ", " example.org ", 0);
	cross_is(NULL, "https://example.org\r\nX: y", "example.org", 1);
}

static void test_lang(void)
{
	static const char *const three[] = {"en", "km", "fr"};
	static const char *const holes[] = {NULL, "km"};

	lang_is(NULL, -1);
	lang_is("", -1);
	lang_is("en", 0);
	lang_is("km", 1);
	lang_is("KM", 1);
	lang_is("km-KH", 1);
	lang_is("km-kh,km;q=0.9,en-US;q=0.8,en;q=0.7", 1);
	lang_is("en-US,en;q=0.9,km;q=0.8", 0);
	lang_is("fr-FR,fr;q=0.9", -1);
	lang_is("fr, km;q=0.5", 1);
	lang_is("en;q=0.5, km;q=0.8", 1);
	lang_is("en, km", 0);                       /* tie: the earlier */
	lang_is("km, en", 1);
	lang_is("en;q=0.8, km;q=0.8", 0);
	lang_is("km;q=0.800, en;q=0.8", 1);
	lang_is("en;q=0, km;q=0.1", 1);
	lang_is("en;q=0", -1);                      /* q=0 excludes */
	lang_is("en;q=0.000", -1);
	lang_is("en;q=0.001", 0);
	lang_is("*", -1);                           /* "*" selects nothing */
	lang_is("*, km;q=0.1", 1);
	lang_is("km;q=1.5, en;q=0.5", 0);           /* malformed weight: ignored */
	lang_is("km;q=2, en;q=0.5", 0);
	lang_is("km;q=, en;q=0.5", 0);
	lang_is("km;q, en;q=0.5", 0);               /* missing '=' */
	lang_is("km;q=0.5.5, en;q=0.1", 0);
	lang_is("km;q=-1, en;q=0.1", 0);
	lang_is("km;q=1e0, en;q=0.1", 0);
	lang_is("km;q=1.000, en", 1);
	lang_is("kmer", -1);                        /* whole primary subtag */
	lang_is("k", -1);
	lang_is("ekm", -1);
	lang_is("km_KH", -1);                       /* not a language range */
	lang_is("km-", -1);
	lang_is("-km", -1);
	lang_is("km--KH", -1);
	lang_is("km-KHKHKHKHK", -1);                /* subtag over 8 */
	lang_is("abcdefghi", -1);
	lang_is("km-Khmr-KH", 1);
	lang_is("km-123", 1);
	lang_is(" \t km-KH \t ; \t q=0.5 , en;q=0.4", 1);
	lang_is(",,km,,", 1);
	lang_is("\xe1\x9e\x81\xe1\x9f\x92, km;q=0.2", 1);
	lang_is("km en", -1);
	lang_is("km;level=1", 1);
	is_int(hdr_lang_pick("fr;q=0.9, km", three, 3), 1, "lang_pick 3 codes: km (q=1) over fr");
	is_int(hdr_lang_pick("fr, km", three, 3), 2, "lang_pick 3 codes: fr first");
	is_int(hdr_lang_pick("en, km", holes, 2), 1, "lang_pick skips NULL codes");
	is_int(hdr_lang_pick("en", langs, 0), -1, "lang_pick no codes -> -1");
	is_int(hdr_lang_pick("en", NULL, 2), -1, "lang_pick NULL codes -> -1");
}

int main(void)
{
	test_gzip();
	test_etag();
	test_form_type();
	test_content_length();
	test_parse_ip();
	test_sockaddr();
	test_cidr();
	test_xff();
	test_auth();
	test_cross_site();
	test_lang();
	return done_testing();
}
