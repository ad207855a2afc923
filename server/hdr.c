/* hdr.c -- request headers and client addresses, parsed without I/O.
 *
 * Every parser here reads a value a client chose, so each one follows the
 * header's grammar (RFC 9110 and friends) and, when the value strays from
 * it, gives the answer that costs nothing: identity encoding, a full 200,
 * cross-site, the proxy's own address. See hdr.h for each contract. */
#include "hdr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <nettle/base64.h>

/* Longest IP literal inet_pton() is handed: a full IPv6 with an IPv4 tail
 * is 45 characters ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"). */
#define HDR_IP_TEXT_MAX 45

/* Longest prefix length in a CIDR entry, in digits ("128"). */
#define HDR_BITS_DIGITS_MAX 3

/* Base64 characters decoded at a time for Basic credentials, and the bytes
 * that many characters can give (nettle's BASE64_DECODE_LENGTH). */
#define HDR_B64_CHUNK 64
#define HDR_B64_OUT   BASE64_DECODE_LENGTH(HDR_B64_CHUNK)

/* Weights are kept in thousandths: q=0.5 is 500, q=1 is 1000. */
#define HDR_Q_ONE 1000

static const unsigned char hdr_v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ---- characters --------------------------------------------------------- */

static int hdr_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int hdr_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hdr_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char hdr_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* RFC 9110 tchar: the characters of a token. */
static int hdr_is_tchar(char c)
{
	if (hdr_is_alpha(c) || hdr_is_digit(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *hdr_skip_ows(const char *p)
{
	while (hdr_is_ows(*p))
		p++;
	return p;
}

/* The end of s[0..n) with trailing OWS dropped. */
static size_t hdr_trim_end(const char *s, size_t n)
{
	while (n > 0 && hdr_is_ows(s[n - 1]))
		n--;
	return n;
}

/* 1 when s[0..n) equals the lower-case ASCII word, ignoring case. */
static int hdr_ci_eq(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (word[i] == '\0' || hdr_lower(s[i]) != word[i])
			return 0;
	}
	return word[n] == '\0';
}

/* 1 when s[0..n) is 1-5 digits with a value of at most 65535; *port set. */
static int hdr_parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!hdr_is_digit(s[i]))
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return 0;
	*port = v;
	return 1;
}

/* ---- comma-separated lists with weights ------------------------------- */

/* One element of Accept-Encoding or Accept-Language. */
struct hdr_elem {
	const char *tok; /* the coding or language range, tok[0..toklen) */
	size_t toklen;
	int q; /* weight in thousandths, HDR_Q_ONE when absent */
};

/*
 * RFC 9110 qvalue: "0" [ "." 0*3DIGIT ] or "1" [ "." 0*3"0" ]. Returns the
 * weight in thousandths, or -1 when s[0..n) is anything else ("1.5", ".5",
 * "0.0001", "").
 */
static int hdr_qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * HDR_Q_ONE;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++) {
		if (!hdr_is_digit(s[i]))
			return -1;
		q += (s[i] - '0') * scale;
		scale /= 10;
	}
	return q > HDR_Q_ONE ? -1 : q;
}

/*
 * Reads the list element at *pp: OWS token OWS *( ";" OWS name "=" value OWS )
 * where name and value are tokens and "q" (any case, at most once) is the
 * weight; other parameters are skipped. Moves *pp past the element and its
 * comma (to the next comma when the element is malformed, so one bad element
 * does not hide the others). Returns 1 for a well-formed element (e set), 0
 * for an empty or malformed one. Call it only while **pp is not NUL.
 */
static int hdr_next_elem(const char **pp, struct hdr_elem *e)
{
	const char *p = hdr_skip_ows(*pp);
	int ok = 1, seen_q = 0;

	e->tok = p;
	while (hdr_is_tchar(*p))
		p++;
	e->toklen = (size_t)(p - e->tok);
	e->q = HDR_Q_ONE;
	p = hdr_skip_ows(p);
	while (ok && *p == ';') {
		const char *name, *val;
		size_t nlen, vlen;

		p = hdr_skip_ows(p + 1);
		name = p;
		while (hdr_is_tchar(*p))
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0 || *p != '=') {
			ok = 0;
			break;
		}
		val = ++p;
		while (hdr_is_tchar(*p))
			p++;
		vlen = (size_t)(p - val);
		if (vlen == 0) {
			ok = 0;
			break;
		}
		if (nlen == 1 && hdr_lower(name[0]) == 'q') {
			if (seen_q || (e->q = hdr_qvalue(val, vlen)) < 0)
				ok = 0;
			seen_q = 1;
		}
		p = hdr_skip_ows(p);
	}
	if (*p != ',' && *p != '\0')
		ok = 0;
	while (*p != '\0' && *p != ',')
		p++;
	if (*p == ',')
		p++;
	*pp = p;
	return ok && e->toklen > 0;
}

int hdr_accepts_gzip(const char *accept_encoding)
{
	const char *p = accept_encoding;
	int gzip_q = -1, star_q = -1;
	struct hdr_elem e;

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		if (!hdr_next_elem(&p, &e))
			continue;
		if (hdr_ci_eq(e.tok, e.toklen, "gzip") || hdr_ci_eq(e.tok, e.toklen, "x-gzip")) {
			if (e.q > gzip_q)
				gzip_q = e.q;
		} else if (e.toklen == 1 && e.tok[0] == '*') {
			if (e.q > star_q)
				star_q = e.q;
		}
	}
	/* "*" speaks only for the codings the list does not name. */
	return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

/* RFC 4647 language-range: "*" or 1*8ALPHA *( "-" 1*8alphanum ). Returns the
 * length of the primary subtag, or 0 for "*" and anything malformed. */
static size_t hdr_lang_range(const char *s, size_t n)
{
	size_t i = 0, primary, run;

	while (i < n && hdr_is_alpha(s[i]))
		i++;
	if (i == 0 || i > 8)
		return 0;
	primary = i;
	while (i < n) {
		if (s[i] != '-')
			return 0;
		i++;
		run = 0;
		while (i < n && (hdr_is_alpha(s[i]) || hdr_is_digit(s[i]))) {
			i++;
			run++;
		}
		if (run == 0 || run > 8)
			return 0;
	}
	return primary;
}

/* 1 when the primary subtags of range r[0..rn) and code are equal. */
static int hdr_lang_match(const char *r, size_t rn, const char *code)
{
	size_t cn = strcspn(code, "-"), i;

	if (cn != rn)
		return 0;
	for (i = 0; i < cn; i++) {
		if (hdr_lower(r[i]) != hdr_lower(code[i]))
			return 0;
	}
	return 1;
}

int hdr_lang_pick(const char *accept_language, const char *const *codes, int ncodes)
{
	const char *p = accept_language;
	int best = -1, bestq = 0, i;
	struct hdr_elem e;

	if (p == NULL || codes == NULL)
		return -1;
	while (*p != '\0') {
		size_t primary;

		if (!hdr_next_elem(&p, &e) || e.q == 0)
			continue;
		primary = hdr_lang_range(e.tok, e.toklen);
		if (primary == 0)
			continue;
		/* Strictly higher: on a tie the earlier element keeps it. */
		for (i = 0; i < ncodes; i++) {
			if (codes[i] != NULL && e.q > bestq &&
			    hdr_lang_match(e.tok, primary, codes[i])) {
				best = i;
				bestq = e.q;
			}
		}
	}
	return best;
}

/* ---- entity tags, media types, lengths ------------------------------- */

/*
 * Reads an entity-tag at p: [ "W/" ] DQUOTE *etagc DQUOTE, etagc being any
 * visible character but '"' (and bytes >= 0x80). Sets *tag and *n to the
 * opaque-tag with its quotes. Returns the character after it, or NULL.
 */
static const char *hdr_entity_tag(const char *p, const char **tag, size_t *n)
{
	const char *q;

	if (p[0] == 'W' && p[1] == '/')
		p += 2;
	if (*p != '"')
		return NULL;
	for (q = p + 1; *q != '"'; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '\0' || c < 0x21 || c == 0x7F)
			return NULL;
	}
	*tag = p;
	*n = (size_t)(q + 1 - p);
	return q + 1;
}

int hdr_etag_matches(const char *if_none_match, const char *etag)
{
	const char *p, *want, *got, *end;
	size_t wn, gn;
	int matched = 0;

	if (if_none_match == NULL || etag == NULL)
		return 0;
	end = hdr_entity_tag(etag, &want, &wn);
	if (end == NULL || *end != '\0')
		return 0;
	p = hdr_skip_ows(if_none_match);
	if (*p == '*')
		return *hdr_skip_ows(p + 1) == '\0';
	for (;;) {
		p = hdr_skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		p = hdr_entity_tag(p, &got, &gn);
		if (p == NULL)
			return 0;
		if (gn == wn && memcmp(got, want, wn) == 0)
			matched = 1;
		p = hdr_skip_ows(p);
		if (*p != ',' && *p != '\0')
			return 0;
	}
	return matched;
}

int hdr_is_form_type(const char *content_type)
{
	static const char want[] = "application/x-www-form-urlencoded";
	const size_t n = sizeof want - 1;
	const char *p;
	size_t i;

	if (content_type == NULL)
		return 0;
	p = hdr_skip_ows(content_type);
	for (i = 0; i < n; i++) {
		if (hdr_lower(p[i]) != want[i])
			return 0;
	}
	p = hdr_skip_ows(p + n);
	return *p == '\0' || *p == ';';
}

int hdr_content_length(const char *v, uint64_t *out)
{
	const char *p;
	uint64_t x = 0;

	if (v == NULL)
		return 0;
	p = hdr_skip_ows(v);
	if (!hdr_is_digit(*p))
		return -1;
	for (; hdr_is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (*hdr_skip_ows(p) != '\0')
		return -1;
	*out = x;
	return 1;
}

/* ---- addresses ----------------------------------------------------------- */

/* Stores the 16 bytes of an IPv6 address, an IPv4-mapped one as IPv4. */
static int hdr_from_v6(const unsigned char a[16], unsigned char addr[HDR_ADDR_LEN])
{
	if (memcmp(a, hdr_v4mapped, sizeof hdr_v4mapped) == 0) {
		memset(addr, 0, HDR_ADDR_LEN);
		memcpy(addr, a + 12, 4);
		return AF_INET;
	}
	memcpy(addr, a, 16);
	return AF_INET6;
}

int hdr_parse_ip(const char *s, size_t len, unsigned char addr[HDR_ADDR_LEN])
{
	char text[HDR_IP_TEXT_MAX + 1];
	unsigned char a6[16];
	int bracketed = 0;

	memset(addr, 0, HDR_ADDR_LEN);
	if (s == NULL)
		return 0;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		bracketed = 1;
	}
	/* inet_pton() stops at a NUL: one inside would hide what follows. */
	if (len == 0 || len > HDR_IP_TEXT_MAX || memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(text, s, len);
	text[len] = '\0';
	/* Brackets hold IPv6 only ("[1.2.3.4]" is no URI host). glibc's
	 * inet_pton() takes exactly four decimal parts without leading zeros,
	 * so "010.1.1.1" and "1.1" (which inet_aton() would take) are refused. */
	if (!bracketed && inet_pton(AF_INET, text, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, a6) == 1)
		return hdr_from_v6(a6, addr);
	memset(addr, 0, HDR_ADDR_LEN);
	return 0;
}

int hdr_sockaddr_ip(const struct sockaddr *sa, unsigned char addr[HDR_ADDR_LEN])
{
	memset(addr, 0, HDR_ADDR_LEN);
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof sin);
		memcpy(addr, &sin.sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof sin6);
		return hdr_from_v6(sin6.sin6_addr.s6_addr, addr);
	}
	return 0;
}

/* Bits in an address of family (0 for any other family). */
static unsigned hdr_family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

/* Parses one entry s[0..n) (trimmed, not empty) into c. Returns 0 or -1. */
static int hdr_cidr_entry(const char *s, size_t n, struct hdr_cidr *c)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n, i;
	int v6_text = memchr(s, ':', alen) != NULL;
	unsigned bits, full, rest;

	memset(c, 0, sizeof *c);
	c->family = hdr_parse_ip(s, alen, c->addr);
	if (c->family == 0)
		return -1;
	if (slash == NULL) {
		c->bits = hdr_family_bits(c->family);
		return 0;
	}
	{
		const char *d = slash + 1;
		size_t dn = n - alen - 1;

		if (dn == 0 || dn > HDR_BITS_DIGITS_MAX)
			return -1;
		for (bits = 0, i = 0; i < dn; i++) {
			if (!hdr_is_digit(d[i]))
				return -1;
			bits = bits * 10 + (unsigned)(d[i] - '0');
		}
	}
	if (bits > (v6_text ? 128u : 32u))
		return -1;
	if (c->family == AF_INET && v6_text) {
		/* ::ffff:a.b.c.d/N: the IPv4 range /(N-96) when it stays inside
		 * the mapped block, else an IPv6 range (which no IPv4 client,
		 * being keyed as AF_INET, ever falls in). */
		if (bits >= 96) {
			bits -= 96;
		} else {
			unsigned char v4[4];

			memcpy(v4, c->addr, 4);
			memcpy(c->addr, hdr_v4mapped, sizeof hdr_v4mapped);
			memcpy(c->addr + 12, v4, 4);
			c->family = AF_INET6;
		}
	}
	c->bits = bits;
	/* Clear the host bits, so that equal ranges are equal bytes. */
	full = bits / 8;
	rest = bits % 8;
	if (rest) {
		c->addr[full] &= (unsigned char)(0xff << (8 - rest));
		full++;
	}
	memset(c->addr + full, 0, HDR_ADDR_LEN - full);
	return 0;
}

int hdr_cidr_parse(const char *s, struct hdr_cidr *out, int max)
{
	const char *p;
	int n = 0;

	if (s == NULL)
		return 0;
	p = hdr_skip_ows(s);
	if (*p == '\0')
		return 0;
	if (hdr_ci_eq(p, hdr_trim_end(p, strlen(p)), "none"))
		return 0;
	for (;;) {
		const char *start = hdr_skip_ows(p);
		size_t span = strcspn(start, ","), len = hdr_trim_end(start, span);

		if (len == 0 || n >= max || out == NULL)
			return -1;
		if (hdr_cidr_entry(start, len, &out[n]) != 0)
			return -1;
		n++;
		if (start[span] == '\0')
			return n;
		p = start + span + 1;
	}
}

int hdr_cidr_match(const struct hdr_cidr *list, int n, int family, const unsigned char *addr)
{
	unsigned max = hdr_family_bits(family);
	int i;

	if (list == NULL || addr == NULL || max == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned full = list[i].bits / 8, rest = list[i].bits % 8;

		if (list[i].family != family || list[i].bits > max)
			continue;
		if (memcmp(list[i].addr, addr, full) != 0)
			continue;
		if (rest && ((list[i].addr[full] ^ addr[full]) & (0xff << (8 - rest))) != 0)
			continue;
		return 1;
	}
	return 0;
}

/* One X-Forwarded-For entry s[0..n) (trimmed): an address as hdr_parse_ip()
 * takes it, "a.b.c.d:port" or "[v6]:port". Returns the family or 0. */
static int hdr_xff_entry(const char *s, size_t n, unsigned char addr[HDR_ADDR_LEN])
{
	const char *colon;
	unsigned port;
	int family = hdr_parse_ip(s, n, addr);

	if (family != 0 || n == 0)
		return family;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || (size_t)(close - s) + 1 >= n || close[1] != ':' ||
		    !hdr_parse_port(close + 2, n - (size_t)(close + 2 - s), &port))
			return 0;
		return hdr_parse_ip(s, (size_t)(close + 1 - s), addr);
	}
	colon = memchr(s, ':', n);
	if (colon == NULL || memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL ||
	    !hdr_parse_port(colon + 1, n - (size_t)(colon + 1 - s), &port))
		return 0;
	/* The part before the only ':' has no ':', so it can only be IPv4. */
	return hdr_parse_ip(s, (size_t)(colon - s), addr);
}

int hdr_xff_client(const char *xff, const struct hdr_cidr *trusted, int ntrusted,
		   unsigned char addr[HDR_ADDR_LEN])
{
	size_t end;

	memset(addr, 0, HDR_ADDR_LEN);
	if (xff == NULL)
		return 0;
	end = strlen(xff);
	while (end > 0) {
		size_t start = end, a, b;
		unsigned char xa[HDR_ADDR_LEN];
		int family;

		while (start > 0 && xff[start - 1] != ',')
			start--;
		for (a = start; a < end && hdr_is_ows(xff[a]); a++)
			;
		b = a + hdr_trim_end(xff + a, end - a);
		family = hdr_xff_entry(xff + a, b - a, xa);
		if (family == 0)
			return 0; /* garbage: the caller keeps the proxy's address */
		if (!hdr_cidr_match(trusted, ntrusted, family, xa)) {
			memcpy(addr, xa, HDR_ADDR_LEN);
			return family;
		}
		if (start == 0)
			break;
		end = start - 1;
		if (end == 0)
			return 0; /* ",a": an empty entry on the left is garbage too */
	}
	return 0;
}

/* ---- credentials ------------------------------------------------------------ */

/* Decodes the Basic credentials b[0..n) into out: the bytes after the first
 * ':'. Returns HDR_AUTH_BASIC (*len set) or HDR_AUTH_BAD. */
static enum hdr_auth hdr_basic(const char *b, size_t n, unsigned char *out, size_t outlen,
			       size_t *len)
{
	struct base64_decode_ctx ctx;
	uint8_t dec[HDR_B64_OUT];
	enum hdr_auth res = HDR_AUTH_BASIC;
	size_t off = 0, olen = 0, i;
	int colon = 0;

	base64_decode_init(&ctx);
	while (off < n && res == HDR_AUTH_BASIC) {
		size_t chunk = n - off < HDR_B64_CHUNK ? n - off : HDR_B64_CHUNK, got = 0;

		if (!base64_decode_update(&ctx, &got, dec, chunk, b + off)) {
			res = HDR_AUTH_BAD;
			break;
		}
		off += chunk;
		for (i = 0; i < got; i++) {
			if (!colon) {
				colon = dec[i] == ':';
			} else if (olen < outlen) {
				out[olen++] = dec[i];
			} else {
				res = HDR_AUTH_BAD; /* longer than any secret we hold */
				break;
			}
		}
	}
	if (res == HDR_AUTH_BASIC && (!base64_decode_final(&ctx) || !colon))
		res = HDR_AUTH_BAD;
	explicit_bzero(dec, sizeof dec);
	explicit_bzero(&ctx, sizeof ctx);
	*len = res == HDR_AUTH_BASIC ? olen : 0;
	return res;
}

enum hdr_auth hdr_auth_secret(const char *authorization, unsigned char *out, size_t outlen,
			      size_t *len)
{
	const char *p, *scheme, *cred;
	size_t slen, n;
	enum hdr_auth kind, res;

	*len = 0;
	if (authorization == NULL) {
		res = HDR_AUTH_NONE;
		goto wipe;
	}
	scheme = hdr_skip_ows(authorization);
	for (p = scheme; hdr_is_tchar(*p); p++)
		;
	slen = (size_t)(p - scheme);
	if (hdr_ci_eq(scheme, slen, "bearer")) {
		kind = HDR_AUTH_BEARER;
	} else if (hdr_ci_eq(scheme, slen, "basic")) {
		kind = HDR_AUTH_BASIC;
	} else {
		res = HDR_AUTH_NONE;
		goto wipe;
	}
	/* The credentials follow the scheme after at least one space. */
	cred = hdr_skip_ows(p);
	n = hdr_trim_end(cred, strlen(cred));
	if (cred == p || n == 0) {
		res = HDR_AUTH_BAD;
	} else if (kind == HDR_AUTH_BEARER) {
		res = n <= outlen ? HDR_AUTH_BEARER : HDR_AUTH_BAD;
		if (res == HDR_AUTH_BEARER) {
			memcpy(out, cred, n);
			*len = n;
		}
	} else {
		res = hdr_basic(cred, n, out, outlen, len);
	}
wipe:
	if (res != HDR_AUTH_BEARER && res != HDR_AUTH_BASIC && out != NULL && outlen > 0)
		explicit_bzero(out, outlen);
	return res;
}

/* ---- cross-site requests ---------------------------------------------------- */

/* A host[:port] split into its parts. */
struct hdr_hostport {
	const char *host;
	size_t hostlen;
	int has_port;
	unsigned port;
};

/*
 * Splits s[0..n) as host [ ":" port ]: host an IPv6 literal in brackets or a
 * name of letters, digits, '-', '.', '_', '~' and '%' (what a browser puts in
 * an Origin or a Host header); port 1-5 digits. Returns 1, or 0 when s is
 * anything else (a path, userinfo, spaces, an empty part).
 */
static int hdr_split_hostport(const char *s, size_t n, struct hdr_hostport *hp)
{
	size_t i = 0;

	hp->host = s;
	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++) {
			char c = s[i];

			if (!hdr_is_digit(c) && !(hdr_lower(c) >= 'a' && hdr_lower(c) <= 'f') &&
			    c != ':' && c != '.')
				return 0;
		}
		if (i >= n || i == 1)
			return 0;
		i++;
	} else {
		while (i < n &&
		       (hdr_is_alpha(s[i]) || hdr_is_digit(s[i]) || strchr("-._~%", s[i]) != NULL))
			i++;
		if (i == 0)
			return 0;
	}
	hp->hostlen = i;
	hp->has_port = 0;
	if (i == n)
		return 1;
	if (s[i] != ':' || !hdr_parse_port(s + i + 1, n - i - 1, &hp->port))
		return 0;
	hp->has_port = 1;
	return 1;
}

int hdr_cross_site(const char *sec_fetch_site, const char *origin, const char *host)
{
	const char *o, *p;
	size_t on, hn, i;
	struct hdr_hostport oh, hh;
	unsigned dflt = 0;

	if (sec_fetch_site != NULL) {
		const char *s = hdr_skip_ows(sec_fetch_site);

		if (hdr_ci_eq(s, hdr_trim_end(s, strlen(s)), "cross-site"))
			return 1;
	}
	if (origin == NULL)
		return 0;
	o = hdr_skip_ows(origin);
	on = hdr_trim_end(o, strlen(o));
	/* "null": an opaque origin (sandboxed frame, data: URL, a redirect
	 * across sites); nothing shows it is ours, so it is not. */
	if (hdr_ci_eq(o, on, "null"))
		return 1;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (on == 0 || !hdr_is_alpha(o[0]))
		return 1;
	for (p = o + 1; p < o + on && (hdr_is_alpha(*p) || hdr_is_digit(*p) || *p == '+' ||
				       *p == '-' || *p == '.');
	     p++)
		;
	if ((size_t)(o + on - p) < 3 || memcmp(p, "://", 3) != 0)
		return 1;
	if (hdr_ci_eq(o, (size_t)(p - o), "http"))
		dflt = 80;
	else if (hdr_ci_eq(o, (size_t)(p - o), "https"))
		dflt = 443;
	p += 3;
	if (!hdr_split_hostport(p, (size_t)(o + on - p), &oh) || host == NULL)
		return 1;
	host = hdr_skip_ows(host);
	hn = hdr_trim_end(host, strlen(host));
	if (!hdr_split_hostport(host, hn, &hh) || oh.hostlen != hh.hostlen)
		return 1;
	for (i = 0; i < oh.hostlen; i++) {
		if (hdr_lower(oh.host[i]) != hdr_lower(hh.host[i]))
			return 1;
	}
	/* "https://example.org" and "Host: example.org:443" are one origin. */
	if (!oh.has_port)
		oh.port = dflt;
	if (!hh.has_port)
		hh.port = dflt;
	if ((oh.has_port || hh.has_port) && oh.port != hh.port)
		return 1;
	return 0;
}
