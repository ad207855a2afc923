/* form.c -- decoding, validating and normalizing the signature form. */
#include "form.h"

#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "countries.h"

/* Longest raw value kept for redisplay, in bytes (cut on a UTF-8 boundary). */
#define FORM_RAW_MAX_BYTES 4096
/* Bytes allowed per grapheme on average in a name: generous for any script
 * (an emoji family is 25 bytes) but refuses a "zalgo" name whose 100
 * graphemes each carry dozens of combining marks. */
#define FORM_NAME_MAX_BYTES ((size_t)FORM_NAME_MAX_CHARS * 32)
#define FORM_PUBLIC_NAME_MAX_BYTES ((size_t)FORM_PUBLIC_NAME_MAX_CHARS * 32)
/* Longest run of combining marks (non-starters) in a text, as in the
 * Unicode Stream-Safe Text Format (UAX #15). No real text in any script
 * comes near it; without it a 16 KiB run of marks costs NFC's canonical
 * reordering ~100 ms of CPU. */
#define FORM_MAX_NONSTARTERS 30

/* ---- UTF-8 --------------------------------------------------------------- */

/*
 * Decodes one code point from s[0..n), n > 0. Returns the number of bytes
 * used and sets *cp, or, for an ill-formed sequence, sets *cp to -1 and
 * returns the length of its maximal valid prefix (at least 1), so a caller
 * replacing it with U+FFFD follows the Unicode "maximal subpart" practice.
 * Refuses overlong forms, surrogates (ED A0..BF) and anything above
 * U+10FFFF; never reads past n.
 */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
	unsigned char c = s[0], lo, hi;
	size_t need, i;
	int32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
		lo = 0x80;
		hi = 0xBF;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		*cp = -1;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = -1;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

/* Returns non-zero when s[0..n) is well-formed UTF-8 (NUL bytes allowed). */
int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		i += utf8_next(p + i, n - i, &cp);
		if (cp < 0)
			return 0;
	}
	return 1;
}

/*
 * Counts extended grapheme clusters (what a reader takes for one character)
 * in s[0..n), which should be valid UTF-8; an ill-formed byte counts as one
 * cluster of its own, so the count is defined for any input.
 */
size_t utf8_graphemes(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t state = 0, prev = -1;
	size_t i = 0, count = 0;
	int32_t cp;

	while (i < n) {
		i += utf8_next(p + i, n - i, &cp);
		if (cp < 0) {
			count++;
			prev = -1;
			state = 0;
			continue;
		}
		if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state))
			count++;
		prev = cp;
	}
	return count;
}

/* Unicode White_Space: the ASCII controls TAB..CR, NEL and Zs/Zl/Zp. */
static int uni_space(int32_t cp)
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

/*
 * Narrows the valid UTF-8 s[0..*n) to drop white space at both ends:
 * returns the new start and updates *n. Ill-formed bytes are never white
 * space, so this is also safe on any input.
 */
static const char *utf8_trim(const char *s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, end = *n, k, used;
	int32_t cp;

	while (start < end) {
		used = utf8_next(p + start, end - start, &cp);
		if (cp < 0 || !uni_space(cp))
			break;
		start += used;
	}
	while (end > start) {
		/* Step back to the lead byte of the last code point. */
		k = end - 1;
		while (k > start && end - k < 4 && (p[k] & 0xC0) == 0x80)
			k--;
		used = utf8_next(p + k, end - k, &cp);
		if (cp < 0 || k + used != end || !uni_space(cp))
			break;
		end = k;
	}
	*n = end - start;
	return s + start;
}

/* Length of the longest prefix of the valid UTF-8 s[0..n) that fits in max
 * bytes without cutting a code point. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* ---- urlencoded bodies ------------------------------------------------- */

int form_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes s[0..n) ('+' is a space, %XX a byte) into a new NUL-terminated
 * string stored in *out (length *outlen; the caller frees it). A '%' not
 * followed by two hex digits is kept as it is and sets *bad. When keep_raw
 * is set the bytes are copied without decoding. Returns 0, or -1 when
 * memory ran out.
 */
static int form_unescape(const char *s, size_t n, int keep_raw, char **out, size_t *outlen,
			 int *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, o = 0;
	char *d;
	int hi, lo;

	if (n == SIZE_MAX)
		return -1;
	d = malloc(n + 1);
	if (d == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (keep_raw) {
			d[o++] = (char)p[i];
		} else if (p[i] == '+') {
			d[o++] = ' ';
		} else if (p[i] == '%') {
			hi = lo = -1;
			if (n - i >= 3) {
				hi = form_hex_digit(p[i + 1]);
				lo = form_hex_digit(p[i + 2]);
			}
			if (hi < 0 || lo < 0) {
				*bad = 1;
				d[o++] = '%';
			} else {
				d[o++] = (char)(hi << 4 | lo);
				i += 2;
			}
		} else {
			d[o++] = (char)p[i];
		}
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return 0;
}

/*
 * Decodes an application/x-www-form-urlencoded body; see form.h. A key
 * that would decode to a string with a NUL byte in it (such as
 * "name%00x") is kept undecoded and marks the body malformed, so it can
 * never pass for a shorter key. Never reads past len. out is initialized
 * here; free it with form_kvs_free() whatever this returns.
 */
int form_decode(const char *body, size_t len, struct form_kvs *out)
{
	size_t i, seg, n = 0, count = 0;

	out->v = NULL;
	out->n = 0;
	out->malformed = 0;
	if (len == 0)
		return 0;
	if (body == NULL || len == SIZE_MAX)
		return FORM_DECODE_NOMEM;

	/* Count the non-empty pairs first: the cap is checked before any
	 * allocation. */
	for (i = 0, seg = 0; i <= len; i++) {
		if (i == len || body[i] == '&') {
			if (i > seg && ++count > FORM_MAX_FIELDS)
				return FORM_DECODE_TOO_MANY;
			seg = i + 1;
		}
	}
	if (count == 0)
		return 0;
	out->v = calloc(count, sizeof *out->v);
	if (out->v == NULL)
		return FORM_DECODE_NOMEM;

	for (i = 0, seg = 0; i <= len; i++) {
		const char *p, *eq, *vp;
		size_t plen, klen, dlen, vn;
		struct form_kv *kv;
		int bad = 0;

		if (i < len && body[i] != '&')
			continue;
		p = body + seg;
		plen = i - seg;
		seg = i + 1;
		if (plen == 0)
			continue;
		kv = &out->v[n];
		eq = memchr(p, '=', plen);
		klen = eq ? (size_t)(eq - p) : plen;
		if (form_unescape(p, klen, 0, &kv->key, &dlen, &bad) != 0)
			goto fail;
		n++;
		out->n = n;
		if (strlen(kv->key) != dlen) {
			free(kv->key);
			kv->key = NULL;
			bad = 1;
			if (form_unescape(p, klen, 1, &kv->key, &dlen, &bad) != 0)
				goto fail;
			/* A raw NUL byte in the key itself: it matches no name. */
			if (strlen(kv->key) != dlen) {
				free(kv->key);
				kv->key = NULL;
			}
		}
		/* Without '=', the value is "" (an empty slice of p). */
		vp = eq ? eq + 1 : p + plen;
		vn = eq ? plen - klen - 1 : 0;
		if (form_unescape(vp, vn, 0, &kv->val, &kv->vlen, &bad) != 0)
			goto fail;
		if (bad)
			out->malformed = 1;
	}
	return 0;

fail:
	form_kvs_free(out);
	return FORM_DECODE_NOMEM;
}

/* Frees every pair and empties kvs. Accepts NULL and an emptied kvs. */
void form_kvs_free(struct form_kvs *kvs)
{
	size_t i;

	if (kvs == NULL)
		return;
	for (i = 0; i < kvs->n; i++) {
		free(kvs->v[i].key);
		free(kvs->v[i].val);
	}
	free(kvs->v);
	kvs->v = NULL;
	kvs->n = 0;
	kvs->malformed = 0;
}

/* The value of key (first occurrence) and its length, or NULL. */
const char *form_get(const struct form_kvs *kvs, const char *key, size_t *vlen)
{
	size_t i;

	if (kvs == NULL || key == NULL)
		return NULL;
	for (i = 0; i < kvs->n; i++) {
		const struct form_kv *kv = &kvs->v[i];

		if (kv->key == NULL || strcmp(kv->key, key) != 0)
			continue;
		if (vlen)
			*vlen = kv->val ? kv->vlen : 0;
		return kv->val ? kv->val : "";
	}
	return NULL;
}

/* ---- names -------------------------------------------------------------- */

/* clang-format off */
static const char *const form_names[FORM_NFIELDS] = {
	[FORM_NAME] = "name",
	[FORM_EMAIL] = "email",
	[FORM_COUNTRY] = "country",
	[FORM_COMMENT] = "comment",
	[FORM_PUBLIC] = "public",
	[FORM_UPDATES] = "updates",
	[FORM_PUBLIC_NAME] = "public_name",
};
/* clang-format on */

const char *form_field_name(enum form_field f)
{
	if ((unsigned)f >= FORM_NFIELDS)
		return "";
	return form_names[f];
}

/* The i18n key of an error; "" for FORM_OK and for values out of range. */
const char *form_error_key(enum form_error e)
{
	switch (e) {
	case FORM_ERR_REQUIRED:
		return "err.required";
	case FORM_ERR_TOO_LONG:
		return "err.too_long";
	case FORM_ERR_ENCODING:
		return "err.encoding";
	case FORM_ERR_CONTROL:
		return "err.control";
	case FORM_ERR_INVALID:
		return "err.invalid";
	case FORM_ERR_REPEATED:
		return "err.repeated";
	case FORM_ERR_CHAR:
		return "err.char";
	case FORM_OK:
	default:
		return "";
	}
}

/* ---- validation --------------------------------------------------------- */

/* Where a field's values are in kvs. */
struct form_occ {
	const char *val; /* first occurrence */
	size_t vlen;
	size_t count;
};

static void form_find(const struct form_kvs *kvs, const char *key, struct form_occ *o)
{
	size_t i;

	o->val = NULL;
	o->vlen = 0;
	o->count = 0;
	for (i = 0; i < kvs->n; i++) {
		const struct form_kv *kv = &kvs->v[i];

		if (kv->key == NULL || strcmp(kv->key, key) != 0)
			continue;
		if (o->count++ == 0) {
			o->val = kv->val ? kv->val : "";
			o->vlen = kv->val ? kv->vlen : 0;
		}
	}
}

/* A malloc'd NUL-terminated copy of s[0..n), or NULL. */
static char *form_strndup(const char *s, size_t n)
{
	char *d;

	if (n == SIZE_MAX)
		return NULL;
	d = malloc(n + 1);
	if (d == NULL)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/*
 * Builds the redisplay copy of a value: ill-formed UTF-8 replaced by
 * U+FFFD, NUL bytes removed, white space trimmed, cut to
 * FORM_RAW_MAX_BYTES on a code point boundary. Returns a malloc'd string,
 * or NULL when memory ran out.
 */
static char *form_raw_copy(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = BUF_INIT;
	const char *t;
	size_t i = 0, used, tlen;
	int32_t cp;
	char *r;

	while (i < n) {
		used = utf8_next(p + i, n - i, &cp);
		if (cp < 0)
			buf_append(&b, "\xEF\xBF\xBD", 3);
		else if (cp != 0)
			buf_append(&b, s + i, used);
		i += used;
		/* Far more than the cap needs, even after trimming: stop. */
		if (b.len > 2 * FORM_RAW_MAX_BYTES + 8)
			break;
	}
	if (b.oom) {
		buf_free(&b);
		return NULL;
	}
	tlen = b.len;
	t = utf8_trim(b.data ? b.data : "", &tlen);
	tlen = utf8_cut(t, tlen, FORM_RAW_MAX_BYTES);
	r = form_strndup(t, tlen);
	buf_free(&b);
	return r;
}

/* Whether the value bears a malformed escape: the decoder keeps a bad
 * escape's '%' in the value and flags only the whole body, so any '%'
 * in a value of a malformed body is treated as suspect. */
static int form_bad_escape(const struct form_kvs *kvs, const char *v, size_t n)
{
	return kvs->malformed && n > 0 && memchr(v, '%', n) != NULL;
}

/* ---- characters of displayed text ------------------------------------- */

/* ZWSP, ZWNJ, ZWJ: invisible, but Khmer (word breaks, shaping) and emoji
 * sequences need them, so they are the format characters a text may keep. */
static int form_zero_width(int32_t cp)
{
	return cp >= 0x200B && cp <= 0x200D;
}

/*
 * Whether cp may not appear in a signer's text (FORM_ERR_CHAR): a format
 * character (Cf) other than ZWSP/ZWNJ/ZWJ, which covers the bidi controls
 * (U+061C, U+200E, U+200F, U+202A..202E, U+2066..2069), the word joiner
 * and invisible operators, BOM, soft hyphen and the tags; the default-
 * ignorable code points that are still unassigned (U+2065, U+FFF0..FFF8,
 * U+E0000..E0FFF but the variation selectors U+E0100..E01EF), refused by
 * range so an older Unicode table cannot let them through; the Hangul
 * fillers, letters that show nothing; and the noncharacters.
 */
static int form_hidden_char(int32_t cp)
{
	if (cp < 0xAD)
		return 0; /* ASCII and C1 (controls are checked before) */
	if (form_zero_width(cp))
		return 0;
	if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
		return 1;
	if (cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0)
		return 1;
	if (cp == 0x2065 || (cp >= 0xFFF0 && cp <= 0xFFF8))
		return 1;
	if (cp >= 0xE0000 && cp <= 0xE0FFF)
		return cp < 0xE0100 || cp > 0xE01EF;
	return utf8proc_category(cp) == UTF8PROC_CATEGORY_CF;
}

/* Whether cp shows nothing by itself: white space, ZWSP/ZWNJ/ZWJ and the
 * default-ignorable marks (variation selectors, CGJ, ...). A text of only
 * these is empty to a reader. */
static int form_invisible(int32_t cp)
{
	return uni_space(cp) || form_zero_width(cp) ||
	       (cp >= 0xAD && utf8proc_get_property(cp)->ignorable);
}

static int form_letter(int32_t cp)
{
	utf8proc_category_t cat;

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
	       cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
	       cat == UTF8PROC_CATEGORY_LO;
}

/*
 * The three RGI subdivision flags are U+1F3F4 followed by tag letters and
 * CANCEL TAG (UTS #51): England, Scotland, Wales. Given the bytes right
 * after a U+1F3F4 in the valid UTF-8 s[0..n), returns the length of such a
 * tag run (CANCEL TAG included), or 0 when none follows. Any other use of
 * tags (which can hide arbitrary ASCII text) is refused.
 */
static size_t form_flag_tags(const unsigned char *s, size_t n)
{
	static const char *const flags[] = {"gbeng", "gbsct", "gbwls"};
	char tag[8];
	size_t i = 0, k = 0, f, used;
	int32_t cp;

	while (i < n && k < sizeof tag - 1) {
		used = utf8_next(s + i, n - i, &cp);
		if (cp < 0xE0061 || cp > 0xE007A)
			break;
		tag[k++] = (char)(cp - 0xE0000);
		i += used;
	}
	tag[k] = '\0';
	if (i >= n)
		return 0;
	used = utf8_next(s + i, n - i, &cp);
	if (cp != 0xE007F)
		return 0;
	for (f = 0; f < sizeof flags / sizeof flags[0]; f++) {
		if (strcmp(tag, flags[f]) == 0)
			return i + used;
	}
	return 0;
}

/* What one pass over a text found. */
struct form_scan {
	enum form_error err; /* FORM_OK, FORM_ERR_CONTROL or FORM_ERR_CHAR */
	uint32_t bad_cp;     /* the first offending code point */
	size_t bad_pos;      /* its grapheme cluster, 1-based */
	int letter;          /* a letter (L*) was seen */
	int visible;         /* something other than form_invisible() was seen */
};

/*
 * Scans the trimmed valid UTF-8 s[0..n) once, stopping at the first
 * character the field refuses: a control character (every Cc, NUL
 * included, except TAB, CR and LF when allow_breaks is set; U+2028 and
 * U+2029 too when it is not) gives FORM_ERR_CONTROL, a form_hidden_char()
 * FORM_ERR_CHAR. Positions are counted in grapheme clusters exactly as
 * utf8_graphemes() counts them.
 */
static void form_scan_text(const char *s, size_t n, int allow_breaks, struct form_scan *sc)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t state = 0, prev = -1;
	size_t i = 0, used, clusters = 0, tags_end = 0;
	int32_t cp;

	memset(sc, 0, sizeof *sc);
	while (i < n) {
		used = utf8_next(p + i, n - i, &cp);
		if (cp < 0) { /* not reached: the caller checked the encoding */
			sc->err = FORM_ERR_CHAR;
			sc->bad_cp = 0xFFFD;
			sc->bad_pos = clusters + 1;
			return;
		}
		if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state))
			clusters++;
		prev = cp;
		if (!(allow_breaks && (cp == '\t' || cp == '\r' || cp == '\n')) &&
		    (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) ||
		     (!allow_breaks && (cp == 0x2028 || cp == 0x2029)))) {
			sc->err = FORM_ERR_CONTROL;
		} else if (i >= tags_end && form_hidden_char(cp)) {
			sc->err = FORM_ERR_CHAR;
		}
		if (sc->err != FORM_OK) {
			sc->bad_cp = (uint32_t)cp;
			sc->bad_pos = clusters;
			return;
		}
		if (cp == 0x1F3F4)
			tags_end = i + used + form_flag_tags(p + i + used, n - i - used);
		if (!sc->visible && !form_invisible(cp))
			sc->visible = 1;
		if (!sc->letter && form_letter(cp))
			sc->letter = 1;
		i += used;
	}
}

/* Whether the valid UTF-8 s[0..n) is "stream-safe": no more than
 * FORM_MAX_NONSTARTERS code points of non-zero combining class in a row. */
static int form_stream_safe(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int32_t cp;

	while (i < n) {
		i += utf8_next(p + i, n - i, &cp);
		if (cp >= 0x300 && utf8proc_get_property(cp)->combining_class) {
			if (++run > FORM_MAX_NONSTARTERS)
				return 0;
		} else {
			run = 0;
		}
	}
	return 1;
}

/*
 * NFC of the valid UTF-8 s[0..n), without NUL bytes. Returns 0 with a
 * malloc'd string in *out, 1 when utf8proc refuses the text, -1 when
 * memory ran out.
 */
static int form_nfc(const char *s, size_t n, char **out)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t r;

	*out = NULL;
	if (n == 0) {
		*out = form_strndup("", 0);
		return *out ? 0 : -1;
	}
	if (n > (size_t)PTRDIFF_MAX / 8)
		return 1;
	/* ASCII is already NFC: most names and every email skip utf8proc. */
	{
		size_t i;

		for (i = 0; i < n && (unsigned char)s[i] < 0x80; i++)
			;
		if (i == n) {
			*out = form_strndup(s, n);
			return *out ? 0 : -1;
		}
	}
	r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (r < 0) {
		free(dst);
		return r == UTF8PROC_ERROR_NOMEM ? -1 : 1;
	}
	*out = (char *)dst;
	return 0;
}

/* Comment line ends: CRLF and lone CR become LF, in place. Returns the new
 * length. */
static size_t form_unify_newlines(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			s[o++] = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

/* The free-text fields and their limits. */
enum form_text_kind { FORM_TEXT_NAME, FORM_TEXT_PUBLIC_NAME, FORM_TEXT_COMMENT };

struct form_text_rules {
	size_t max_chars; /* graphemes */
	size_t max_bytes; /* after NFC; 0: no byte cap of its own */
	int is_comment;   /* optional, TAB/CR/LF allowed, no letter needed */
};

static const struct form_text_rules form_text_rules[] = {
	[FORM_TEXT_NAME] = {FORM_NAME_MAX_CHARS, FORM_NAME_MAX_BYTES, 0},
	[FORM_TEXT_PUBLIC_NAME] = {FORM_PUBLIC_NAME_MAX_CHARS, FORM_PUBLIC_NAME_MAX_BYTES, 0},
	[FORM_TEXT_COMMENT] = {FORM_COMMENT_MAX_CHARS, 0, 1},
};

/*
 * Validates a free-text field (name, public_name or comment) given once,
 * as s[0..n). On success stores the normalized value in *dst (malloc'd)
 * and returns FORM_OK; otherwise returns the error, and for
 * FORM_ERR_CONTROL and FORM_ERR_CHAR sets *bad_cp and *bad_pos. *oom is
 * set when memory ran out.
 */
static enum form_error form_text(const struct form_kvs *kvs, const char *s, size_t n,
				 enum form_text_kind kind, char **dst, uint32_t *bad_cp,
				 size_t *bad_pos, int *oom)
{
	const struct form_text_rules *rules = &form_text_rules[kind];
	int is_comment = rules->is_comment;
	struct form_scan sc;
	char *tmp, *norm;
	size_t len;
	int r;

	if (!utf8_valid(s, n) || form_bad_escape(kvs, s, n))
		return FORM_ERR_ENCODING;
	s = utf8_trim(s, &n);
	form_scan_text(s, n, is_comment, &sc);
	if (sc.err != FORM_OK) {
		*bad_cp = sc.bad_cp;
		*bad_pos = sc.bad_pos;
		return sc.err;
	}
	/* Nothing a reader could see (ZWSP alone, say) is no value at all. */
	if (!sc.visible) {
		if (!is_comment)
			return FORM_ERR_REQUIRED;
		*dst = form_strndup("", 0);
		*oom = *dst == NULL;
		return FORM_OK;
	}
	/* Cheap bounds first, so NFC never runs on absurd text. NFC shrinks
	 * UTF-8 by at most a factor of three (Hangul jamo). */
	if (rules->max_bytes && n > 4 * rules->max_bytes)
		return FORM_ERR_TOO_LONG;
	/* A name is written with letters: "123", "!!!" or emoji alone are not. */
	if (!is_comment && !sc.letter)
		return FORM_ERR_INVALID;
	if (!form_stream_safe(s, n))
		return FORM_ERR_INVALID;

	tmp = form_strndup(s, n);
	if (tmp == NULL)
		goto nomem;
	len = n;
	if (is_comment)
		len = form_unify_newlines(tmp, len);
	r = form_nfc(tmp, len, &norm);
	free(tmp);
	if (r < 0)
		goto nomem;
	if (r > 0)
		return FORM_ERR_ENCODING;
	len = strlen(norm);
	if (utf8_graphemes(norm, len) > rules->max_chars ||
	    (rules->max_bytes && len > rules->max_bytes)) {
		free(norm);
		return FORM_ERR_TOO_LONG;
	}
	/* Checked again after NFC, which can split one mark into two: what is
	 * stored must pass the same rules when it is submitted again. */
	if (!form_stream_safe(norm, len)) {
		free(norm);
		return FORM_ERR_INVALID;
	}
	*dst = norm;
	return FORM_OK;

nomem:
	*oom = 1;
	return FORM_OK;
}

static int email_local_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static int email_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/*
 * The WHATWG "valid e-mail address" grammar, without regular expressions:
 * a non-empty local part of [A-Za-z0-9.!#$%&'*+/=?^_`{|}~-], '@', then one
 * or more dot-separated labels of 1..63 [A-Za-z0-9-] that neither start nor
 * end with '-'. Returns non-zero when s[0..n) matches.
 */
static int email_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, at, label;

	for (at = 0; at < n && p[at] != '@'; at++) {
		if (!email_local_char(p[at]))
			return 0;
	}
	if (at == 0 || at >= n)
		return 0;
	label = at + 1; /* start of the current label */
	for (i = at + 1; i <= n; i++) {
		if (i < n && p[i] != '.') {
			if (!email_label_char(p[i]))
				return 0;
			continue;
		}
		/* The label is p[label..i). */
		if (i == label || i - label > 63)
			return 0;
		if (p[label] == '-' || p[i - 1] == '-')
			return 0;
		label = i + 1;
	}
	return 1;
}

static enum form_error form_email(const struct form_kvs *kvs, const char *s, size_t n,
				  struct form_sig *sig, int *oom)
{
	if (!utf8_valid(s, n) || form_bad_escape(kvs, s, n))
		return FORM_ERR_ENCODING;
	s = utf8_trim(s, &n);
	if (n == 0)
		return FORM_ERR_REQUIRED;
	if (n > FORM_EMAIL_MAX_BYTES)
		return FORM_ERR_TOO_LONG;
	if (!email_valid(s, n))
		return FORM_ERR_INVALID;
	/* ASCII only, so already NFC. */
	sig->email = form_strndup(s, n);
	sig->email_norm = malloc(n + 1);
	if (sig->email == NULL || sig->email_norm == NULL) {
		*oom = 1;
		return FORM_OK;
	}
	if (form_email_norm(s, n, sig->email_norm, n + 1) != (int)n) {
		*oom = 1; /* not reached: a valid address of n bytes fits */
		return FORM_OK;
	}
	return FORM_OK;
}

static enum form_error form_country(const struct form_kvs *kvs, const char *s, size_t n,
				    struct form_sig *sig, int *oom)
{
	const struct country *c;

	if (!utf8_valid(s, n) || form_bad_escape(kvs, s, n))
		return FORM_ERR_ENCODING;
	s = utf8_trim(s, &n);
	if (n == 0)
		return FORM_ERR_REQUIRED;
	c = country_find(s, n);
	if (c == NULL)
		return FORM_ERR_INVALID;
	sig->country = form_strndup(c->code, 2);
	*oom = sig->country == NULL;
	return FORM_OK;
}

/*
 * A checkbox. Every occurrence must read "", "0" (no), "1" or "on" (yes)
 * after trimming; it is checked when any occurrence says yes, so the usual
 * hidden "0" + checkbox "1" pair works. Sets *yes and, in *rawv and
 * *rawn, the value to redisplay: the first "yes", else the first value.
 */
static enum form_error form_checkbox(const struct form_kvs *kvs, const char *key, int *yes,
				     const char **rawv, size_t *rawn)
{
	enum form_error err = FORM_OK;
	size_t i, n;
	const char *s;

	*yes = 0;
	*rawv = NULL;
	*rawn = 0;
	for (i = 0; i < kvs->n; i++) {
		const struct form_kv *kv = &kvs->v[i];

		if (kv->key == NULL || strcmp(kv->key, key) != 0)
			continue;
		s = kv->val ? kv->val : "";
		n = kv->val ? kv->vlen : 0;
		if (*rawv == NULL) {
			*rawv = s;
			*rawn = n;
		}
		if (!utf8_valid(s, n) || form_bad_escape(kvs, s, n)) {
			if (err == FORM_OK)
				err = FORM_ERR_ENCODING;
			continue;
		}
		s = utf8_trim(s, &n);
		if (n == 0 || (n == 1 && s[0] == '0'))
			continue;
		if ((n == 1 && s[0] == '1') || (n == 2 && memcmp(s, "on", 2) == 0)) {
			if (!*yes) {
				*rawv = s;
				*rawn = n;
			}
			*yes = 1;
			continue;
		}
		if (err == FORM_OK)
			err = FORM_ERR_INVALID;
	}
	if (err != FORM_OK)
		*yes = 0;
	return err;
}

/*
 * Validates and normalizes the signature; see form.h for the rules. sig is
 * overwritten (its old contents are not freed) and owns everything it
 * points to afterwards; free it with form_sig_free(). Pure: any thread.
 * Returns the number of fields in error, or -1 when memory ran out.
 */
int form_validate(const struct form_kvs *kvs, struct form_sig *sig)
{
	static const struct form_kvs empty = {NULL, 0, 0};
	struct form_occ o;
	const char *rv;
	size_t rn;
	int oom = 0;
	int f;

	memset(sig, 0, sizeof *sig);
	if (kvs == NULL)
		kvs = &empty;

	for (f = 0; f < FORM_NFIELDS; f++) {
		enum form_error e = FORM_OK;

		if (f == FORM_PUBLIC || f == FORM_UPDATES) {
			int yes;

			e = form_checkbox(kvs, form_names[f], &yes, &rv, &rn);
			if (f == FORM_PUBLIC)
				sig->is_public = yes;
			else
				sig->updates = yes;
		} else {
			form_find(kvs, form_names[f], &o);
			rv = o.val;
			rn = o.vlen;
			if (f == FORM_PUBLIC_NAME && !sig->is_public) {
				/* Not to be published: ignored, never kept (FORM_PUBLIC
				 * comes before FORM_PUBLIC_NAME, so is_public is known). */
				e = FORM_OK;
			} else if (o.count > 1) {
				e = FORM_ERR_REPEATED;
			} else if (o.count == 0) {
				if (f == FORM_COMMENT) {
					sig->comment = form_strndup("", 0);
					oom |= sig->comment == NULL;
				} else {
					e = FORM_ERR_REQUIRED;
				}
			} else if (f == FORM_NAME) {
				e = form_text(kvs, rv, rn, FORM_TEXT_NAME, &sig->name,
					      &sig->bad_cp[f], &sig->bad_pos[f], &oom);
			} else if (f == FORM_PUBLIC_NAME) {
				e = form_text(kvs, rv, rn, FORM_TEXT_PUBLIC_NAME, &sig->public_name,
					      &sig->bad_cp[f], &sig->bad_pos[f], &oom);
			} else if (f == FORM_COMMENT) {
				e = form_text(kvs, rv, rn, FORM_TEXT_COMMENT, &sig->comment,
					      &sig->bad_cp[f], &sig->bad_pos[f], &oom);
			} else if (f == FORM_EMAIL) {
				e = form_email(kvs, rv, rn, sig, &oom);
			} else {
				e = form_country(kvs, rv, rn, sig, &oom);
			}
		}
		sig->raw[f] = form_raw_copy(rv ? rv : "", rv ? rn : 0);
		if (sig->raw[f] == NULL || oom)
			return -1;
		sig->err[f] = e;
		if (e != FORM_OK)
			sig->nerrors++;
	}
	return sig->nerrors;
}

/* Frees everything sig owns and zeroes it. Accepts NULL. */
void form_sig_free(struct form_sig *sig)
{
	int f;

	if (sig == NULL)
		return;
	free(sig->name);
	free(sig->email);
	free(sig->email_norm);
	free(sig->country);
	free(sig->comment);
	free(sig->public_name);
	for (f = 0; f < FORM_NFIELDS; f++)
		free(sig->raw[f]);
	memset(sig, 0, sizeof *sig);
}

/* ---- messages and shared normalization ---------------------------------- */

/* Appends tmpl with {char} and {pos} filled in; see form.h. */
int form_error_text(struct buf *out, const char *tmpl, const struct form_sig *sig,
		    enum form_field f)
{
	int detail = sig != NULL && (unsigned)f < FORM_NFIELDS && sig->bad_pos[f] > 0;
	const char *p = tmpl ? tmpl : "", *brace;

	while (*p) {
		if (strncmp(p, "{char}", 6) == 0) {
			if (detail)
				buf_printf(out, "U+%04" PRIX32, sig->bad_cp[f]);
			else
				buf_putc(out, '?');
			p += 6;
		} else if (strncmp(p, "{pos}", 5) == 0) {
			if (detail)
				buf_printf(out, "%zu", sig->bad_pos[f]);
			else
				buf_putc(out, '?');
			p += 5;
		} else {
			/* Copy up to the next '{' (at least one byte). */
			brace = strchr(p + 1, '{');
			if (brace == NULL)
				brace = p + strlen(p);
			buf_append(out, p, (size_t)(brace - p));
			p = brace;
		}
	}
	return out->oom ? -1 : 0;
}

/* Trims and ASCII-lower-cases an address into out; see form.h. */
int form_email_norm(const char *s, size_t n, char *out, size_t outlen)
{
	const char *t;
	size_t i;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (s == NULL || out == NULL)
		return -1;
	t = utf8_trim(s, &n);
	if (n >= outlen || n > INT_MAX || (n > 0 && memchr(t, '\0', n) != NULL))
		return -1;
	for (i = 0; i < n; i++) {
		char c = t[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return (int)n;
}

int form_email_valid(const char *s, size_t n)
{
	char norm[FORM_EMAIL_MAX_BYTES + 1];
	int len = form_email_norm(s, n, norm, sizeof norm);

	return len > 0 && email_valid(norm, (size_t)len);
}
