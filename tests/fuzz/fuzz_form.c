/* fuzz_form.c -- fuzz target for form.c: decoding and validating the signature form.
 *
 * The input is a raw application/x-www-form-urlencoded request body. The
 * target decodes it, compares every pair with an independent reference
 * decoder, checks form_get(), re-encodes the pairs with url_encode() and
 * decodes them back, then validates the signature and checks every value it
 * returns against the rules documented in form.h: among them, public_name
 * is never set unless public is ticked, a text without errors holds no
 * format character but ZWSP/ZWNJ/ZWJ (tags only in the three RGI
 * subdivision flags), a name has a letter, and the character and position
 * reported for FORM_ERR_CHAR/FORM_ERR_CONTROL are the first refused one, as
 * an independent scan finds it. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "countries.h"
#include "form.h"
#include "fuzz.h"

/* A pair's key, or "" when form_decode kept none (raw NUL in the key). */
#define KEY(k) ((k) != NULL ? (k) : "")
#include "html.h"

/* Private limits of form.c that its outputs must respect (form.c:
 * FORM_RAW_MAX_BYTES and FORM_NAME_MAX_BYTES). */
#define FUZZ_RAW_MAX_BYTES  4096
#define FUZZ_NAME_MAX_BYTES (FORM_NAME_MAX_CHARS * 32)
#define FUZZ_PUBLIC_NAME_MAX_BYTES (FORM_PUBLIC_NAME_MAX_CHARS * 32)

/* ---- reference decoder ---------------------------------------------------- */

static int ref_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into d (room for n bytes): '+' is a space, "%XX" a byte,
 * any other '%' stays and sets *bad. Returns the decoded length. */
static size_t ref_unescape(const uint8_t *s, size_t n, char *d, int *bad)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] == '+') {
			d[o++] = ' ';
			i++;
		} else if (s[i] == '%' && i + 2 < n && ref_hex(s[i + 1]) >= 0 &&
			   ref_hex(s[i + 2]) >= 0) {
			d[o++] = (char)(ref_hex(s[i + 1]) * 16 + ref_hex(s[i + 2]));
			i += 3;
		} else {
			if (s[i] == '%')
				*bad = 1;
			d[o++] = (char)s[i];
			i++;
		}
	}
	return o;
}

/* Non-empty '&'-separated segments of the body. */
static size_t ref_count(const uint8_t *data, size_t size)
{
	size_t i, seg = 0, count = 0;

	for (i = 0; i <= size; i++) {
		if (i == size || data[i] == '&') {
			if (i > seg)
				count++;
			seg = i + 1;
		}
	}
	return count;
}

/*
 * Checks form_decode()'s result r and kvs against the reference: the field
 * cap, each key and value byte for byte, and the malformed flag.
 */
static void check_decode(const uint8_t *data, size_t size, int r, const struct form_kvs *kvs)
{
	size_t count = ref_count(data, size), i, seg = 0, k = 0;
	int malformed = 0;
	char *tmp;

	if (count > FORM_MAX_FIELDS) {
		FUZZ_CHECK(r == -1);
		FUZZ_CHECK(kvs->n == 0 && kvs->v == NULL);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(kvs->n == count);
	FUZZ_CHECK(kvs->n <= FORM_MAX_FIELDS);
	tmp = malloc(size + 1);
	FUZZ_CHECK(tmp != NULL);
	for (i = 0; i <= size; i++) {
		const uint8_t *p, *eq, *vp;
		const struct form_kv *kv;
		size_t plen, klen, vn, kl, vl;
		int bad = 0;

		if (i < size && data[i] != '&')
			continue;
		p = data + seg;
		plen = i - seg;
		seg = i + 1;
		if (plen == 0)
			continue;
		FUZZ_CHECK(k < kvs->n);
		kv = &kvs->v[k++];
		eq = memchr(p, '=', plen);
		klen = eq ? (size_t)(eq - p) : plen;

		/* A key that would decode to something with a NUL in it is
		 * kept raw, and the body marked malformed. */
		kl = ref_unescape(p, klen, tmp, &bad);
		if (memchr(tmp, '\0', kl) != NULL) {
			if (klen)
				memcpy(tmp, p, klen);
			kl = klen;
			bad = 1;
		}
		if (klen && memchr(p, '\0', klen) != NULL) {
			/* A raw NUL byte in the key: the key matches no name
			 * (it can never pass for a shorter key). */
			FUZZ_CHECK(kv->key == NULL);
		} else {
			FUZZ_CHECK(kv->key != NULL);
			FUZZ_CHECK(memcmp(kv->key, tmp, kl) == 0 && kv->key[kl] == '\0');
			FUZZ_CHECK(strlen(kv->key) == kl);
		}

		vp = eq ? eq + 1 : p + plen;
		vn = eq ? plen - klen - 1 : 0;
		vl = ref_unescape(vp, vn, tmp, &bad);
		FUZZ_CHECK(kv->val != NULL);
		FUZZ_CHECK(kv->vlen == vl);
		FUZZ_CHECK(vl == 0 || memcmp(kv->val, tmp, vl) == 0);
		FUZZ_CHECK(kv->val[vl] == '\0');
		malformed |= bad;
	}
	FUZZ_CHECK(k == kvs->n);
	FUZZ_CHECK(!!kvs->malformed == malformed);
	free(tmp);
}

/* form_get() returns the first pair with that key, or NULL. */
static void check_get(const struct form_kvs *kvs)
{
	static const char *const keys[] = {"name",    "email", "country", "comment",
					   "public",  "updates", "public_name", "lang",
					   "token",   "website", ""};
	size_t i, j, vlen;
	const char *v;

	FUZZ_CHECK(form_get(NULL, "name", NULL) == NULL);
	FUZZ_CHECK(form_get(kvs, NULL, NULL) == NULL);
	for (i = 0; i <= sizeof keys / sizeof keys[0]; i++) {
		const char *key = i < sizeof keys / sizeof keys[0] ? keys[i]
				  : kvs->n > 0 && kvs->v[0].key ? kvs->v[0].key
								: "x";

		vlen = (size_t)-1;
		v = form_get(kvs, key, &vlen);
		for (j = 0; j < kvs->n; j++) {
			if (kvs->v[j].key != NULL && strcmp(kvs->v[j].key, key) == 0)
				break;
		}
		if (j == kvs->n) {
			FUZZ_CHECK(v == NULL);
			FUZZ_CHECK(vlen == (size_t)-1);
		} else {
			FUZZ_CHECK(v == kvs->v[j].val);
			FUZZ_CHECK(vlen == kvs->v[j].vlen);
		}
	}
}

/* ---- url_encode round trip ------------------------------------------------- */

static int unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static int upper_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Appends url_encode(s[0..n)) to b and checks the encoding: unreserved bytes
 * as they are, every other byte as %XX with upper-case hex. */
static void encode_checked(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len, i, o, want = 0;

	FUZZ_CHECK(url_encode(b, s, n) == 0);
	for (i = 0; i < n; i++)
		want += unreserved((uint8_t)s[i]) ? 1 : 3;
	FUZZ_CHECK(b->len - start == want);
	for (i = 0, o = start; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (unreserved(c)) {
			FUZZ_CHECK((uint8_t)b->data[o] == c);
			o++;
		} else {
			FUZZ_CHECK(b->data[o] == '%' && upper_hex((uint8_t)b->data[o + 1]) &&
				   upper_hex((uint8_t)b->data[o + 2]));
			FUZZ_CHECK(ref_hex((uint8_t)b->data[o + 1]) * 16 +
					   ref_hex((uint8_t)b->data[o + 2]) ==
				   c);
			o += 3;
		}
	}
}

/* Re-encodes every pair with url_encode() and decodes the body again: the
 * same pairs must come back, and the body is no longer malformed. */
static void check_reencode(const struct form_kvs *kvs)
{
	struct buf b = BUF_INIT;
	struct form_kvs again;
	size_t i;

	for (i = 0; i < kvs->n; i++) {
		if (i > 0)
			FUZZ_CHECK(buf_putc(&b, '&') == 0);
		/* A key that matches no name (NULL) goes out as the empty key. */
		encode_checked(&b, KEY(kvs->v[i].key), strlen(KEY(kvs->v[i].key)));
		FUZZ_CHECK(buf_putc(&b, '=') == 0);
		encode_checked(&b, kvs->v[i].val, kvs->v[i].vlen);
	}
	FUZZ_CHECK(form_decode(b.data, b.len, &again) == 0);
	FUZZ_CHECK(again.n == kvs->n);
	FUZZ_CHECK(!again.malformed);
	for (i = 0; i < kvs->n; i++) {
		FUZZ_CHECK(strcmp(KEY(again.v[i].key), KEY(kvs->v[i].key)) == 0);
		FUZZ_CHECK(again.v[i].vlen == kvs->v[i].vlen);
		FUZZ_CHECK(memcmp(again.v[i].val, kvs->v[i].val, kvs->v[i].vlen) == 0);
	}
	form_kvs_free(&again);
	buf_free(&b);
}

/* ---- properties of validated text ------------------------------------------ */

/* Unicode White_Space, as form.h means it for trimming. */
static int is_space(utf8proc_int32_t cp)
{
	utf8proc_category_t cat;

	if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85)
		return 1;
	if (cp < 0xA0)
		return 0;
	cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP;
}

/* Decodes the valid UTF-8 s[0..n) into a new array of code points. */
static utf8proc_int32_t *code_points(const char *s, size_t n, size_t *count)
{
	utf8proc_int32_t *cps = malloc((n + 1) * sizeof *cps);
	size_t i = 0, k = 0;

	FUZZ_CHECK(cps != NULL);
	while (i < n) {
		utf8proc_ssize_t used =
			utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i),
					 &cps[k]);

		FUZZ_CHECK(used > 0);
		i += (size_t)used;
		k++;
	}
	*count = k;
	return cps;
}

/* Whether s[0..n) is its own NFC. */
static int nfc_stable(const char *s, size_t n)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t r;
	int same;

	if (n == 0)
		return 1;
	r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	same = r >= 0 && (size_t)r == n && memcmp(dst, s, n) == 0;
	free(dst);
	return same;
}

/* Well-formed UTF-8 by utf8proc's decoder (independent of form.c's). */
static int ref_valid(const char *s, size_t n)
{
	utf8proc_int32_t c;
	size_t i = 0;

	while (i < n) {
		utf8proc_ssize_t used = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
							 (utf8proc_ssize_t)(n - i), &c);

		if (used <= 0)
			return 0;
		i += (size_t)used;
	}
	return 1;
}

/* Extended grapheme clusters in the valid UTF-8 s[0..n). */
static size_t ref_graphemes(const char *s, size_t n)
{
	utf8proc_int32_t *cps, state = 0;
	size_t ncp, i, g = 0;

	cps = code_points(s, n, &ncp);
	for (i = 0; i < ncp; i++) {
		if (i == 0 || utf8proc_grapheme_break_stateful(cps[i - 1], cps[i], &state))
			g++;
	}
	free(cps);
	return g;
}

/* utf8_valid() and utf8_graphemes() on any decoded bytes, valid or not. */
static void check_utf8(const char *s, size_t n)
{
	size_t g = utf8_graphemes(s, n);
	int valid = utf8_valid(s, n);

	FUZZ_CHECK(valid == ref_valid(s, n));
	FUZZ_CHECK(g <= n && (g == 0) == (n == 0));
	if (valid)
		FUZZ_CHECK(g == ref_graphemes(s, n));
}

/* Characters a text field refuses with FORM_ERR_CHAR, from utf8proc's
 * Unicode data: format characters (Cf) and the other default-ignorable
 * code points that are not marks (the Hangul fillers), except ZWSP, ZWNJ,
 * ZWJ; the unassigned default-ignorable code points; noncharacters. */
static int ref_hidden(utf8proc_int32_t c)
{
	const utf8proc_property_t *p = utf8proc_get_property(c);

	if (c == 0x200B || c == 0x200C || c == 0x200D)
		return 0;
	if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFF) >= 0xFFFE)
		return 1;
	if (p->category == UTF8PROC_CATEGORY_CF)
		return 1;
	if (p->ignorable && p->category != UTF8PROC_CATEGORY_MN)
		return 1;
	return p->category == UTF8PROC_CATEGORY_CN &&
	       (c == 0x2065 || (c >= 0xFFF0 && c <= 0xFFF8) || (c >= 0xE0000 && c <= 0xE0FFF));
}

/* Controls the field refuses with FORM_ERR_CONTROL. */
static int ref_control(utf8proc_int32_t c, int is_comment)
{
	if (is_comment)
		return utf8proc_category(c) == UTF8PROC_CATEGORY_CC && c != '\t' && c != '\r' &&
		       c != '\n';
	return utf8proc_category(c) == UTF8PROC_CATEGORY_CC || c == 0x2028 || c == 0x2029;
}

/* Whether cps[i] is U+1F3F4 starting the flag of England, Scotland or
 * Wales; sets *len to the code points of the sequence. */
static int ref_rgi_flag(const utf8proc_int32_t *cps, size_t n, size_t i, size_t *len)
{
	static const char *const flags[] = {"gbeng", "gbsct", "gbwls"};
	size_t f, k;

	if (cps[i] != 0x1F3F4)
		return 0;
	for (f = 0; f < 3; f++) {
		for (k = 0; k < 5; k++) {
			if (i + 1 + k >= n || cps[i + 1 + k] != 0xE0000 + (unsigned char)flags[f][k])
				break;
		}
		if (k == 5 && i + 6 < n && cps[i + 6] == 0xE007F) {
			*len = 7;
			return 1;
		}
	}
	return 0;
}

/* What a field should say about the trimmed valid UTF-8 text s[0..n). */
struct ref_scan {
	enum form_error err; /* FORM_OK, FORM_ERR_CONTROL or FORM_ERR_CHAR */
	utf8proc_int32_t cp;
	size_t pos; /* grapheme cluster, 1-based */
	int letter, visible;
};

static void ref_scan_text(const char *s, size_t n, int is_comment, struct ref_scan *r)
{
	utf8proc_int32_t *cps, state = 0;
	size_t ncp, i, j, len, clusters = 0;

	memset(r, 0, sizeof *r);
	cps = code_points(s, n, &ncp);
	for (i = 0; i < ncp; i++) {
		utf8proc_int32_t c = cps[i];
		utf8proc_category_t cat = utf8proc_category(c);

		if (i == 0 || utf8proc_grapheme_break_stateful(cps[i - 1], c, &state))
			clusters++;
		if (ref_control(c, is_comment) || ref_hidden(c)) {
			r->err = ref_control(c, is_comment) ? FORM_ERR_CONTROL : FORM_ERR_CHAR;
			r->cp = c;
			r->pos = clusters;
			break;
		}
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
			r->letter = 1;
		if (!is_space(c) && c != 0x200B && c != 0x200C && c != 0x200D &&
		    !utf8proc_get_property(c)->ignorable)
			r->visible = 1;
		if (ref_rgi_flag(cps, ncp, i, &len)) {
			/* The tags are grapheme extenders: no new cluster. */
			for (j = i + 1; j < i + len; j++)
				FUZZ_CHECK(!utf8proc_grapheme_break_stateful(cps[j - 1], cps[j], &state));
			i += len - 1;
		}
	}
	free(cps);
}

/* form_error_text() fills {char} and {pos} of a field with detail. */
static void check_error_text(const struct form_sig *sig, enum form_field f)
{
	struct buf b = BUF_INIT;
	char want[96];
	int k;

	k = snprintf(want, sizeof want, "<{U+%04X|%zu|%zu}{x>", (unsigned)sig->bad_cp[f],
		     sig->bad_pos[f], sig->bad_pos[f]);
	FUZZ_CHECK(k > 0 && (size_t)k < sizeof want);
	FUZZ_CHECK(form_error_text(&b, "<{{char}|{pos}|{pos}}{x>", sig, f) == 0);
	FUZZ_CHECK(b.len == (size_t)k && memcmp(b.data, want, (size_t)k) == 0);
	buf_free(&b);
}

/* Which text field f is, for the rules. */
enum text_kind { TEXT_NAME, TEXT_PUBLIC_NAME, TEXT_COMMENT };

/*
 * Checks a validated name, public name or comment s: valid UTF-8, NFC,
 * trimmed, within its grapheme limit, free of the control and invisible
 * characters its field refuses, a letter in a name, never invisible-only.
 */
static void check_text(const char *s, enum text_kind kind)
{
	size_t n = strlen(s), ncp, i, graphemes = 0;
	utf8proc_int32_t *cps, state = 0;
	int is_comment = kind == TEXT_COMMENT;
	struct ref_scan r;

	FUZZ_CHECK(utf8_valid(s, n));
	FUZZ_CHECK(nfc_stable(s, n));
	cps = code_points(s, n, &ncp);
	if (ncp > 0) {
		FUZZ_CHECK(!is_space(cps[0]));
		FUZZ_CHECK(!is_space(cps[ncp - 1]));
	}
	for (i = 0; i < ncp; i++) {
		utf8proc_int32_t c = cps[i];

		if (i == 0 || utf8proc_grapheme_break_stateful(cps[i - 1], c, &state))
			graphemes++;
		if (is_comment) {
			FUZZ_CHECK(c != '\r');
			FUZZ_CHECK(c == '\t' || c == '\n' || !(c < 0x20 || (c >= 0x7F && c < 0xA0)));
		} else {
			FUZZ_CHECK(!(c < 0x20 || (c >= 0x7F && c < 0xA0)));
			FUZZ_CHECK(c != 0x2028 && c != 0x2029);
		}
		/* The bidi controls, explicitly, whatever the tables say. */
		FUZZ_CHECK(!(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069) &&
			   c != 0x200E && c != 0x200F && c != 0x061C);
	}
	/* No refused character anywhere (tags only in an RGI flag). */
	ref_scan_text(s, n, is_comment, &r);
	FUZZ_CHECK(r.err == FORM_OK);
	FUZZ_CHECK(graphemes == utf8_graphemes(s, n));
	if (is_comment) {
		FUZZ_CHECK(graphemes <= FORM_COMMENT_MAX_CHARS);
		FUZZ_CHECK(n == 0 || r.visible);
	} else {
		size_t max = kind == TEXT_NAME ? FORM_NAME_MAX_CHARS : FORM_PUBLIC_NAME_MAX_CHARS;

		FUZZ_CHECK(graphemes >= 1 && graphemes <= max);
		FUZZ_CHECK(n <= (kind == TEXT_NAME ? FUZZ_NAME_MAX_BYTES : FUZZ_PUBLIC_NAME_MAX_BYTES));
		FUZZ_CHECK(r.letter && r.visible);
	}
	free(cps);
}

/* The first value of key in kvs, or NULL. */
static const struct form_kv *first_kv(const struct form_kvs *kvs, const char *key)
{
	size_t i;

	for (i = 0; i < kvs->n; i++) {
		if (kvs->v[i].key != NULL && strcmp(kvs->v[i].key, key) == 0)
			return &kvs->v[i];
	}
	return NULL;
}

/* Trims Unicode white space off the valid UTF-8 s[0..*n) (reference). */
static const char *ref_trim(const char *s, size_t *n)
{
	utf8proc_int32_t *cps;
	size_t ncp, a = 0, b, i, off = 0, start = 0, end = 0;
	utf8proc_uint8_t tmp[4];

	cps = code_points(s, *n, &ncp);
	b = ncp;
	while (a < b && is_space(cps[a]))
		a++;
	while (b > a && is_space(cps[b - 1]))
		b--;
	for (i = 0; i <= ncp; i++) {
		if (i == a)
			start = off;
		if (i == b)
			end = off;
		if (i < ncp)
			off += (size_t)utf8proc_encode_char(cps[i], tmp);
	}
	free(cps);
	*n = end - start;
	return s + start;
}

/*
 * The detail of a text field's error: for FORM_ERR_CHAR and
 * FORM_ERR_CONTROL, the first refused code point and its cluster, as the
 * reference scan finds them in the value sent; nothing for other errors.
 * When the field was read (sent once, valid UTF-8), a text without such
 * an error has no refused character at all.
 */
static void check_detail(const struct form_kvs *kvs, const struct form_sig *sig,
			 enum form_field f, size_t occ)
{
	int detail = sig->err[f] == FORM_ERR_CHAR || sig->err[f] == FORM_ERR_CONTROL;
	const struct form_kv *kv;
	struct ref_scan r;
	const char *t;
	size_t n;

	if (!detail) {
		FUZZ_CHECK(sig->bad_cp[f] == 0 && sig->bad_pos[f] == 0);
	} else {
		FUZZ_CHECK(sig->bad_pos[f] >= 1);
	}
	if (f != FORM_NAME && f != FORM_PUBLIC_NAME && f != FORM_COMMENT) {
		FUZZ_CHECK(!detail);
		return;
	}
	if (occ != 1 || (f == FORM_PUBLIC_NAME && !sig->is_public)) {
		FUZZ_CHECK(!detail);
		return;
	}
	kv = first_kv(kvs, form_field_name(f));
	FUZZ_CHECK(kv != NULL);
	if (!ref_valid(kv->val, kv->vlen)) {
		FUZZ_CHECK(sig->err[f] == FORM_ERR_ENCODING);
		return;
	}
	if (sig->err[f] == FORM_ERR_ENCODING)
		return; /* a suspect '%' in a malformed body */
	n = kv->vlen;
	t = ref_trim(kv->val, &n);
	ref_scan_text(t, n, f == FORM_COMMENT, &r);
	FUZZ_CHECK(r.err == sig->err[f] || (!detail && r.err == FORM_OK));
	if (detail) {
		FUZZ_CHECK(sig->bad_cp[f] == (uint32_t)r.cp);
		FUZZ_CHECK(sig->bad_pos[f] == r.pos);
		check_error_text(sig, f);
	} else {
		FUZZ_CHECK(r.err == FORM_OK);
		/* Invisible-only is empty: required, or "" for a comment. */
		if (!r.visible)
			FUZZ_CHECK(f == FORM_COMMENT ? sig->err[f] == FORM_OK && sig->comment[0] == '\0'
						     : sig->err[f] == FORM_ERR_REQUIRED);
		else if (f != FORM_COMMENT && !r.letter)
			FUZZ_CHECK(sig->err[f] == FORM_ERR_INVALID || sig->err[f] == FORM_ERR_TOO_LONG);
	}
}

static void check_email(const char *email, const char *norm)
{
	size_t n = strlen(email), i, at = 0;

	FUZZ_CHECK(n >= 3 && n <= FORM_EMAIL_MAX_BYTES);
	FUZZ_CHECK(strlen(norm) == n);
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)email[i], l = (uint8_t)norm[i];

		FUZZ_CHECK(c > 0x20 && c < 0x7F);
		FUZZ_CHECK(l == ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
		FUZZ_CHECK(!(l >= 'A' && l <= 'Z'));
		if (c == '@')
			at++;
	}
	FUZZ_CHECK(at == 1);
	FUZZ_CHECK(email[0] != '@' && email[n - 1] != '@' && email[n - 1] != '.');
}

/* form_email_norm() on any value: trimmed as form.h says, ASCII
 * lower-cased, -1 when a NUL byte is left or it does not fit. */
static void check_email_norm(const char *v, size_t vlen)
{
	char out[FORM_EMAIL_MAX_BYTES + 1];
	const char *t = v;
	size_t n = vlen, i;
	int r;

	if (ref_valid(v, vlen))
		t = ref_trim(v, &n);
	r = form_email_norm(v, vlen, out, sizeof out);
	if (!ref_valid(v, vlen)) {
		/* Trimming stops at an ill-formed byte: at most vlen bytes. */
		FUZZ_CHECK(r <= (int)vlen);
		return;
	}
	if (n >= sizeof out || memchr(t, '\0', n) != NULL) {
		FUZZ_CHECK(r == -1 && out[0] == '\0');
		return;
	}
	FUZZ_CHECK(r == (int)n && out[n] == '\0');
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)t[i];

		FUZZ_CHECK((uint8_t)out[i] == ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
	}
}

static void check_country(const char *cc)
{
	const struct country *c;

	FUZZ_CHECK(strlen(cc) == 2);
	FUZZ_CHECK(cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z');
	c = country_find(cc, 2);
	FUZZ_CHECK(c != NULL && memcmp(c->code, cc, 2) == 0);
}

/* The redisplay copy: valid UTF-8 without NUL, capped, trimmed at the start
 * (and at the end unless the cap cut it). */
static void check_raw(const char *raw)
{
	size_t n, ncp;
	utf8proc_int32_t *cps;

	FUZZ_CHECK(raw != NULL);
	n = strlen(raw);
	FUZZ_CHECK(n <= FUZZ_RAW_MAX_BYTES);
	FUZZ_CHECK(utf8_valid(raw, n));
	cps = code_points(raw, n, &ncp);
	if (ncp > 0) {
		FUZZ_CHECK(!is_space(cps[0]));
		if (n + 4 < FUZZ_RAW_MAX_BYTES)
			FUZZ_CHECK(!is_space(cps[ncp - 1]));
	}
	free(cps);
}

static size_t occurrences(const struct form_kvs *kvs, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < kvs->n; i++)
		n += kvs->v[i].key != NULL && strcmp(kvs->v[i].key, key) == 0;
	return n;
}

/* Checks form_validate()'s result nerr and sig against form.h. */
static void check_sig(const struct form_kvs *kvs, const struct form_sig *sig, int nerr)
{
	int f, count = 0;

	/* -1 means out of memory, which does not happen here. */
	FUZZ_CHECK(nerr >= 0);
	for (f = 0; f < FORM_NFIELDS; f++) {
		size_t occ = occurrences(kvs, form_field_name((enum form_field)f));

		FUZZ_CHECK(sig->err[f] >= FORM_OK && sig->err[f] <= FORM_ERR_CHAR);
		check_detail(kvs, sig, (enum form_field)f, occ);
		if (sig->err[f] != FORM_OK)
			count++;
		check_raw(sig->raw[f]);
		if (f == FORM_PUBLIC || f == FORM_UPDATES) {
			int yes = f == FORM_PUBLIC ? sig->is_public : sig->updates;

			FUZZ_CHECK(yes == 0 || yes == 1);
			if (sig->err[f] != FORM_OK || occ == 0)
				FUZZ_CHECK(yes == 0);
			if (occ == 0)
				FUZZ_CHECK(sig->err[f] == FORM_OK);
			FUZZ_CHECK(sig->err[f] != FORM_ERR_REPEATED &&
				   sig->err[f] != FORM_ERR_REQUIRED);
			continue;
		}
		if (f == FORM_PUBLIC_NAME && !sig->is_public) {
			/* Not public: ignored, whatever was sent. */
			FUZZ_CHECK(sig->err[f] == FORM_OK);
			continue;
		}
		if (occ > 1)
			FUZZ_CHECK(sig->err[f] == FORM_ERR_REPEATED);
		if (occ == 0)
			FUZZ_CHECK(sig->err[f] == (f == FORM_COMMENT ? FORM_OK : FORM_ERR_REQUIRED));
	}
	FUZZ_CHECK(nerr == count && sig->nerrors == count);

	FUZZ_CHECK((sig->name != NULL) == (sig->err[FORM_NAME] == FORM_OK));
	FUZZ_CHECK((sig->email != NULL) == (sig->err[FORM_EMAIL] == FORM_OK));
	FUZZ_CHECK((sig->email_norm != NULL) == (sig->err[FORM_EMAIL] == FORM_OK));
	FUZZ_CHECK((sig->country != NULL) == (sig->err[FORM_COUNTRY] == FORM_OK));
	FUZZ_CHECK((sig->comment != NULL) == (sig->err[FORM_COMMENT] == FORM_OK));
	/* A public name exists only for a public signature, and never
	 * otherwise. */
	if (sig->is_public)
		FUZZ_CHECK((sig->public_name != NULL) == (sig->err[FORM_PUBLIC_NAME] == FORM_OK));
	else
		FUZZ_CHECK(sig->public_name == NULL);
	if (sig->name)
		check_text(sig->name, TEXT_NAME);
	if (sig->public_name)
		check_text(sig->public_name, TEXT_PUBLIC_NAME);
	if (sig->comment)
		check_text(sig->comment, TEXT_COMMENT);
	if (sig->email) {
		char out[FORM_EMAIL_MAX_BYTES + 1];

		check_email(sig->email, sig->email_norm);
		FUZZ_CHECK(form_email_norm(sig->email, strlen(sig->email), out, sizeof out) ==
			   (int)strlen(sig->email_norm));
		FUZZ_CHECK(strcmp(out, sig->email_norm) == 0);
	}
	if (sig->country)
		check_country(sig->country);
}

/* The field names and error keys the page and the JSON API use. */
static void check_names(const struct form_sig *sig)
{
	int f;

	for (f = 0; f < FORM_NFIELDS; f++) {
		const char *key = form_error_key(sig->err[f]);

		FUZZ_CHECK(strlen(form_field_name((enum form_field)f)) > 0);
		if (sig->err[f] == FORM_OK)
			FUZZ_CHECK(key[0] == '\0');
		else
			FUZZ_CHECK(strncmp(key, "err.", 4) == 0 && key[4] != '\0');
	}
	FUZZ_CHECK(form_field_name(FORM_NFIELDS)[0] == '\0');
	FUZZ_CHECK(form_error_key((enum form_error)(FORM_ERR_CHAR + 1))[0] == '\0');
	FUZZ_CHECK(strcmp(form_error_key(FORM_ERR_CHAR), "err.char") == 0);
	FUZZ_CHECK(strcmp(form_field_name(FORM_PUBLIC_NAME), "public_name") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form_kvs kvs;
	struct form_sig sig;
	size_t i;
	int r, nerr;

	r = form_decode((const char *)data, size, &kvs);
	check_decode(data, size, r, &kvs);
	if (r == 0) {
		check_get(&kvs);
		check_reencode(&kvs);
	}

	/* form_validate() takes whatever form_decode() left, even after -1. */
	nerr = form_validate(&kvs, &sig);
	check_sig(&kvs, &sig, nerr);
	check_names(&sig);
	for (i = 0; i < kvs.n; i++) {
		if (kvs.v[i].key != NULL)
			check_utf8(kvs.v[i].key, strlen(kvs.v[i].key));
		check_utf8(kvs.v[i].val, kvs.v[i].vlen);
		check_email_norm(kvs.v[i].val, kvs.v[i].vlen);
	}
	form_sig_free(&sig);
	FUZZ_CHECK(sig.name == NULL && sig.raw[0] == NULL && sig.nerrors == 0);
	form_sig_free(&sig);
	form_kvs_free(&kvs);
	FUZZ_CHECK(kvs.n == 0 && kvs.v == NULL);
	form_kvs_free(&kvs);
	form_kvs_free(NULL);

	/* No pairs at all: every required field is missing. */
	nerr = form_validate(NULL, &sig);
	FUZZ_CHECK(nerr == 3 && sig.public_name == NULL && sig.err[FORM_NAME] == FORM_ERR_REQUIRED &&
		   sig.err[FORM_EMAIL] == FORM_ERR_REQUIRED &&
		   sig.err[FORM_COUNTRY] == FORM_ERR_REQUIRED);
	form_sig_free(&sig);
	form_sig_free(NULL);
	return 0;
}
