/* hdr.h -- parsing the request headers the server acts on, and client addresses.
 *
 * Pure code: every function takes the header's value (as libmicrohttpd hands
 * it: a NUL-terminated string, or NULL when the header is absent) and returns
 * a verdict. No I/O, no allocation, no global state: any thread may call any
 * function at any time. Client input never makes these functions fail in any
 * other way than by returning "no" (0, -1, HDR_AUTH_BAD), and a header that
 * does not follow its grammar is never taken for a stronger answer than the
 * safe one (no gzip, no 304, cross-site, the peer's own address).
 *
 * Whitespace (OWS) means spaces and horizontal tabs, as in RFC 9110. */
#ifndef PETITIOND_HDR_H
#define PETITIOND_HDR_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define HDR_ADDR_LEN 16 /* bytes of an address: IPv6; IPv4 uses the first 4 */

/* 1 when Accept-Encoding accepts gzip: an element "gzip" or "x-gzip" (or,
 * when neither is listed, "*") with q > 0. "gzip;q=0" refuses it, even with
 * a "*" beside it. Codings are whole tokens compared case-insensitively
 * ("gzipx" is not gzip). An element with a malformed weight ("q=1.5",
 * "q=.5", "q", "q=0.0001") or a malformed parameter is ignored. NULL -> 0. */
int hdr_accepts_gzip(const char *accept_encoding);

/* 1 when If-None-Match matches etag, the current entity-tag with its quotes
 * ("\"abc\"", or weak "W/\"abc\""): the value "*", or a comma-separated list
 * of entity-tags one of which has the same opaque-tag (weak comparison:
 * W/"abc" matches "abc"). A list with any malformed element (an unquoted tag,
 * a stray character) matches nothing, so the full answer is sent. NULL
 * arguments -> 0. */
int hdr_etag_matches(const char *if_none_match, const char *etag);

/* 1 when Content-Type is application/x-www-form-urlencoded: the media type
 * compared case-insensitively, with optional surrounding OWS and optional
 * parameters after ';' (not looked at). NULL -> 0. */
int hdr_is_form_type(const char *content_type);

/* Content-Length: returns 1 and sets *out for 1*DIGIT (no sign, no spaces
 * inside, optional surrounding OWS), -1 for anything malformed or larger than
 * UINT64_MAX (*out untouched), 0 when v is NULL (no header). */
int hdr_content_length(const char *v, uint64_t *out);

/* Parses the IP literal s[0..len) (no NUL needed, none allowed inside): an
 * IPv4 dotted quad (four decimal numbers 0-255, no leading zeros) or an IPv6
 * address, optionally in [brackets]; no surrounding spaces, no zone ("%eth0"),
 * no port. IPv4-mapped IPv6 (::ffff:a.b.c.d) is returned as AF_INET with its
 * 4 bytes: one client, one key, whichever way it arrived. Returns AF_INET,
 * AF_INET6, or 0 when s is not an address. All HDR_ADDR_LEN bytes of addr are
 * written: the 4 or 16 bytes of the address, then zeros (all zeros for 0). */
int hdr_parse_ip(const char *s, size_t len, unsigned char addr[HDR_ADDR_LEN]);

/* The same for a socket address (AF_INET or AF_INET6; an IPv4-mapped IPv6
 * peer becomes AF_INET). NULL or another family -> 0. addr is written as by
 * hdr_parse_ip(). */
int hdr_sockaddr_ip(const struct sockaddr *sa, unsigned char addr[HDR_ADDR_LEN]);

/* One address range. addr has its host bits (those past bits) cleared. */
struct hdr_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[HDR_ADDR_LEN];
	unsigned bits; /* prefix length: 0-32 for AF_INET, 0-128 for AF_INET6 */
};

/* Parses a comma-separated list of ranges, "10.0.0.0/8, ::1, 192.168.1.7",
 * into out[0..max). Each entry is an address as hdr_parse_ip() takes it
 * (OWS around it allowed), optionally followed by a slash and a decimal prefix
 * length of at most 3 digits. A bare address is a /32 or /128. An IPv4-mapped
 * range ::ffff:a.b.c.d/N with N >= 96 becomes the IPv4 range /(N-96) (a
 * mapped range shorter than /96 stays IPv6 and so matches no IPv4 address).
 * "none" (any case) or an empty or blank string -> 0 entries. Returns the
 * count, or -1 on any malformed or empty entry ("a,,b", a trailing comma) or
 * when there are more than max entries; out[] is then unspecified. */
int hdr_cidr_parse(const char *s, struct hdr_cidr *out, int max);

/* 1 when (family, addr) lies inside one of list[0..n). addr holds 4 bytes for
 * AF_INET, 16 for AF_INET6 (as hdr_parse_ip() writes it). Entries with an
 * impossible prefix length never match. */
int hdr_cidr_match(const struct hdr_cidr *list, int n, int family, const unsigned char *addr);

/* X-Forwarded-For behind trusted proxies: walking from the right-most entry
 * leftwards, skips entries inside trusted[0..ntrusted); the first entry that
 * is not trusted is the client: returns its family and fills addr (as
 * hdr_parse_ip() does). Returns 0 when xff is NULL or empty, when an entry met
 * before the client is not a valid IP (garbage, an empty entry, "unknown":
 * the caller then falls back to the peer's address), or when every entry is
 * trusted. Entries may carry surrounding OWS; IPv6 may be bracketed; the
 * forms "a.b.c.d:port" and "[v6]:port" are accepted (the port is ignored).
 * Only call it when the peer itself is a trusted proxy: anyone else's
 * X-Forwarded-For is whatever the client wanted it to say. */
int hdr_xff_client(const char *xff, const struct hdr_cidr *trusted, int ntrusted,
		   unsigned char addr[HDR_ADDR_LEN]);

/* What an Authorization header carries. */
enum hdr_auth {
	HDR_AUTH_NONE,   /* no header, or a scheme other than Bearer and Basic */
	HDR_AUTH_BEARER, /* "Bearer TOKEN": the secret is TOKEN */
	HDR_AUTH_BASIC,  /* "Basic base64(user:password)": the secret is password */
	HDR_AUTH_BAD     /* Bearer or Basic, but malformed, empty or too long */
};

/* Authorization: copies the secret into out[0..*len) (not NUL-terminated, at
 * most outlen bytes): the token of "Bearer TOKEN" (after the spaces that
 * follow the scheme; trailing OWS dropped; empty -> HDR_AUTH_BAD), or the
 * password of "Basic base64(user:password)" (decoded with nettle's base64
 * decoder, everything after the first ':'; may be empty; undecodable or
 * without ':' -> HDR_AUTH_BAD). Scheme names are case-insensitive and must be
 * followed by at least one space. A secret longer than outlen ->
 * HDR_AUTH_BAD. *len is set (to 0 unless BEARER or BASIC); out[0..outlen) is
 * wiped unless BEARER or BASIC, and the decoding scratch always is. The
 * caller compares the secret in constant time and wipes out after use. */
enum hdr_auth hdr_auth_secret(const char *authorization, unsigned char *out, size_t outlen,
			      size_t *len);

/* 1 when the request comes from another site: Sec-Fetch-Site is
 * "cross-site"; or an Origin header is present and it is "null" (opaque
 * origins: sandboxed frames, data: URLs, some redirects, old Safari; taken as
 * cross-site), or it is not "scheme://host[:port]", or its host[:port]
 * differs from Host (case-insensitive; a port equal to the scheme's default,
 * 80 for http and 443 for https, is the same as none), or there is no Host to
 * compare it with. Sec-Fetch-Site "same-origin", "same-site" or "none" (or
 * none at all) with no Origin -> 0. Any argument may be NULL (header
 * absent). */
int hdr_cross_site(const char *sec_fetch_site, const char *origin, const char *host);

/* Accept-Language: the index in codes[0..ncodes) of the supported language
 * the client gives the highest q (ties: the one earlier in the header). A
 * language range matches a code when their primary subtags are equal
 * (case-insensitive): "km-KH" matches "km". q=0 means the element selects
 * nothing; "*" selects nothing; elements with a malformed range or weight
 * ("q=1.5", "q=", "q") are ignored. Returns -1 when nothing matches (NULL
 * header included); NULL entries of codes are skipped. */
int hdr_lang_pick(const char *accept_language, const char *const *codes, int ncodes);

#endif
