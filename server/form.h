/* form.h -- decoding, validating and normalizing the signature form.
 *
 * Pure code: takes the raw application/x-www-form-urlencoded body and
 * returns either a clean signature or per-field error codes. No I/O. */
#ifndef PETITIOND_FORM_H
#define PETITIOND_FORM_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Limits, with their units. */
#define FORM_MAX_BODY_BYTES   16384 /* request body, before decoding */
#define FORM_MAX_FIELDS       64    /* key=value pairs in one body */
#define FORM_NAME_MAX_CHARS   100   /* user-perceived characters (graphemes) */
#define FORM_EMAIL_MAX_BYTES  254
#define FORM_COMMENT_MAX_CHARS 1000 /* graphemes */
#define FORM_PUBLIC_NAME_MAX_CHARS 40 /* graphemes */

/* One decoded key=value pair. Both are NUL-terminated copies (the value
 * may contain embedded NUL bytes; vlen is its true length). */
struct form_kv {
	char *key;
	char *val;
	size_t vlen;
};

struct form_kvs {
	struct form_kv *v;
	size_t n;
	int malformed; /* a pair had bad percent-encoding (that value is kept raw) */
};

/* Decodes an urlencoded body ('+' is a space, %XX escapes; a bad escape such as
 * "%G1" or a truncated "%4" marks the pair malformed and keeps the bytes as they
 * are). Keys are decoded the same way. "a" (no '=') gives value "". Empty pairs
 * ("&&") are skipped. Returns 0, FORM_DECODE_TOO_MANY when there are more
 * than FORM_MAX_FIELDS pairs (the client's fault: 422), or FORM_DECODE_NOMEM
 * when memory ran out (ours: 503); out is then emptied. Both are negative.
 * out must be freed with form_kvs_free(). */
#define FORM_DECODE_TOO_MANY (-1)
#define FORM_DECODE_NOMEM (-2)
int form_decode(const char *body, size_t len, struct form_kvs *out);
void form_kvs_free(struct form_kvs *kvs);

/* Fields of the signature form. New fields are appended (before
 * FORM_NFIELDS) so the indices of the others never change; the page shows
 * public_name right under the public checkbox. */
enum form_field {
	FORM_NAME,
	FORM_EMAIL,
	FORM_COUNTRY,
	FORM_COMMENT,
	FORM_PUBLIC,
	FORM_UPDATES,
	FORM_PUBLIC_NAME,
	FORM_NFIELDS
};

/* Why a field was refused. Each has an i18n message "err.<code name>"
 * (see form_error_key()). */
enum form_error {
	FORM_OK = 0,
	FORM_ERR_REQUIRED,     /* missing or empty after trimming */
	FORM_ERR_TOO_LONG,     /* over the field's limit */
	FORM_ERR_ENCODING,     /* bad percent-encoding or invalid UTF-8 */
	FORM_ERR_CONTROL,      /* a control character (Cc, NUL; U+2028/2029 in a
				* name) where not allowed; bad_cp/bad_pos say which */
	FORM_ERR_INVALID,      /* wrong shape: bad email, unknown country, checkbox
				* not "1", a name without any letter, a run of
				* combining marks too long to be text */
	FORM_ERR_REPEATED,     /* the field was sent more than once */
	FORM_ERR_CHAR          /* an invisible character that could change how the
				* text is shown (bidi controls, other format
				* characters, tags, noncharacters, fillers);
				* bad_cp/bad_pos say which and where */
};

struct form_sig {
	/* Normalized values, malloc'd, NUL-terminated, NFC, trimmed (NULL when the
	 * field is absent or invalid). */
	char *name;
	char *email;      /* as entered (trimmed, NFC) */
	char *email_norm; /* trimmed and lower-cased: the duplicate key */
	char *country;    /* upper-cased ISO 3166-1 alpha-2 */
	char *comment;    /* "" when absent */
	/* The name to publish with the country: set only when is_public is 1
	 * and the field is valid; NULL whenever is_public is 0 (the value sent
	 * is then ignored and must never be stored). */
	char *public_name;
	int is_public;
	int updates;
	/* Raw values (as decoded, but trimmed) for redisplay in the form when there
	 * are errors; "" when absent. Always valid UTF-8 (invalid sequences replaced
	 * by U+FFFD) so they may be echoed after HTML escaping. */
	char *raw[FORM_NFIELDS];
	enum form_error err[FORM_NFIELDS];
	/* For FORM_ERR_CHAR and FORM_ERR_CONTROL: the first offending code point
	 * and its 1-based position in the trimmed value (as raw[] shows it),
	 * counted in extended grapheme clusters, i.e. characters as the signer
	 * sees them. An invisible format character is a cluster of its own, so
	 * "position 5" of "Dara<U+202E>" is the character after the "a"; a tag
	 * character or ZWJ-like mark attaches to the character before it and
	 * shares its position. bad_pos is 0 (and bad_cp 0) for other errors. */
	uint32_t bad_cp[FORM_NFIELDS];
	size_t bad_pos[FORM_NFIELDS];
	int nerrors;
};

/* Validates and normalizes the signature fields from kvs into sig.
 * Rules (DESIGN.md):
 *   name:    required; 1..100 graphemes after trimming Unicode white space;
 *            valid UTF-8; no control characters (Cc; also U+2028/2029);
 *            at least one letter (general category L*); stored NFC.
 *   email:   required; <= 254 bytes; WHATWG "valid e-mail address"
 *            (local@label(.label)*, ASCII only); stored as entered (trimmed),
 *            email_norm = ASCII lower-case.
 *   country: required; one of the 249 ISO 3166-1 alpha-2 codes
 *            (case-insensitive in, upper-case out).
 *   comment: optional; <= 1000 graphemes; valid UTF-8; control characters
 *            other than TAB, CR, LF refused; CRLF/CR normalized to LF; NFC.
 *   public, updates: optional; absent, "", "0" mean no, "1" or "on" yes; anything
 *            else FORM_ERR_INVALID.
 *   public_name: only read when public is yes (otherwise ignored, even when
 *            repeated or malformed, and sig->public_name stays NULL); then
 *            required, <= 40 graphemes, and the same rules as name.
 *   Every text field (name, public_name, comment) also refuses, with
 *   FORM_ERR_CHAR, the characters that are invisible but change how text is
 *   shown or hide text: every format character (Cf: bidi embeddings,
 *   overrides and isolates U+202A..202E and U+2066..2069, LRM, RLM, ALM,
 *   word joiner, BOM, soft hyphen, ...) except ZWSP, ZWNJ and ZWJ, which
 *   Khmer and emoji need; tag characters U+E0000..E007F (except inside the
 *   three RGI subdivision flags, England, Scotland, Wales); the other
 *   default-ignorable code points U+2065, U+FFF0..FFF8, U+E0080..E0FFF
 *   (variation selectors U+E0100..E01EF excepted: they are marks); the
 *   Hangul fillers U+115F, U+1160, U+3164, U+FFA0 (invisible "letters");
 *   noncharacters (U+FDD0..FDEF, U+xxFFFE, U+xxFFFF). Private-use
 *   characters are allowed (visible, left-to-right). A value made only of
 *   white space, ZWSP, ZWNJ, ZWJ and invisible marks (variation selectors,
 *   CGJ) counts as empty: FORM_ERR_REQUIRED for name and public_name, ""
 *   for comment.
 * Keys it does not know are ignored (the caller reads hidden fields itself).
 * A text field given twice is FORM_ERR_REPEATED.
 * Returns the number of fields in error (0: the signature is valid), or -1 when
 * memory ran out. sig must be freed with form_sig_free() in every case. */
int form_validate(const struct form_kvs *kvs, struct form_sig *sig);
void form_sig_free(struct form_sig *sig);

/* The value of key in kvs (first occurrence), or NULL. */
const char *form_get(const struct form_kvs *kvs, const char *key, size_t *vlen);

/* "name", "email", ... as used in the HTML form and JSON errors. */
const char *form_field_name(enum form_field f);
/* i18n key of an error, e.g. "err.required". */
const char *form_error_key(enum form_error e);

/*
 * Appends the message template tmpl to out with "{char}" replaced by the
 * offending code point of field f written "U+202E" (upper-case hex, at
 * least four digits) and "{pos}" by its decimal position (sig->bad_cp[f],
 * sig->bad_pos[f]); all other text is copied as it is, so a message without
 * placeholders comes out unchanged and every error message may go through
 * it. When the field has no such detail (bad_pos 0, or sig NULL, or f out
 * of range) both placeholders become "?". What it inserts is ASCII, never
 * a character of the signer's input (so the invisible character itself is
 * never echoed in a message); HTML-escape the result like any message.
 * Returns 0, or -1 when out ran out of memory. Pure: any thread.
 */
int form_error_text(struct buf *out, const char *tmpl, const struct form_sig *sig,
		    enum form_field f);

/*
 * The one email normalization, shared by form_validate() (email_norm, the
 * duplicate key) and the admin's delete-by-email: s[0..n) with Unicode
 * white space trimmed at both ends (as form_validate trims) and ASCII
 * letters lower-cased; every other byte is copied as it is. Writes the
 * result and a NUL to out (outlen bytes; FORM_EMAIL_MAX_BYTES + 1 holds any
 * valid address). Returns its length, or -1 when s is NULL, the trimmed
 * value contains a NUL byte, or it does not fit in outlen - 1 bytes (out
 * is then ""; no stored address can match such a value). It does not
 * check the address. Pure: any thread.
 */
int form_email_norm(const char *s, size_t n, char *out, size_t outlen);
/* 1 when s[0..n), trimmed as form_validate trims, is an address the
 * signature form would take (at most 254 bytes, WHATWG grammar), else 0.
 * Pure. */
int form_email_valid(const char *s, size_t n);

/* The value of a hexadecimal digit, or -1. */
int form_hex_digit(unsigned char c);

/* UTF-8 helpers, exported for the unit tests and other modules. */
int utf8_valid(const char *s, size_t n);
/* Number of extended grapheme clusters in valid UTF-8 s[0..n). */
size_t utf8_graphemes(const char *s, size_t n);

#endif
