/* form.h -- decoding, validating and normalizing the signature form.
 *
 * Pure code: takes the raw application/x-www-form-urlencoded body and
 * returns either a clean signature or per-field error codes. No I/O. */
#ifndef PETITIOND_FORM_H
#define PETITIOND_FORM_H

#include <stddef.h>

/* Limits, with their units. */
#define FORM_MAX_BODY_BYTES   16384 /* request body, before decoding */
#define FORM_MAX_FIELDS       64    /* key=value pairs in one body */
#define FORM_NAME_MAX_CHARS   100   /* user-perceived characters (graphemes) */
#define FORM_EMAIL_MAX_BYTES  254
#define FORM_COMMENT_MAX_CHARS 1000 /* graphemes */

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
 * ("&&") are skipped. Returns 0, or -1 when there are more than
 * FORM_MAX_FIELDS pairs or memory ran out (out is then emptied).
 * out must be freed with form_kvs_free(). */
int form_decode(const char *body, size_t len, struct form_kvs *out);
void form_kvs_free(struct form_kvs *kvs);

/* Fields of the signature form, in the order they appear on the page. */
enum form_field {
	FORM_NAME,
	FORM_EMAIL,
	FORM_COUNTRY,
	FORM_COMMENT,
	FORM_PUBLIC,
	FORM_UPDATES,
	FORM_NFIELDS
};

/* Why a field was refused. Each has an i18n message "err.<code name>"
 * (see form_error_key()). */
enum form_error {
	FORM_OK = 0,
	FORM_ERR_REQUIRED,     /* missing or empty after trimming */
	FORM_ERR_TOO_LONG,     /* over the field's limit */
	FORM_ERR_ENCODING,     /* bad percent-encoding or invalid UTF-8 */
	FORM_ERR_CONTROL,      /* control characters (or NUL) where not allowed */
	FORM_ERR_INVALID,      /* wrong shape: bad email, unknown country, checkbox not "1" */
	FORM_ERR_REPEATED      /* the field was sent more than once */
};

struct form_sig {
	/* Normalized values, malloc'd, NUL-terminated, NFC, trimmed (NULL when the
	 * field is absent or invalid). */
	char *name;
	char *email;      /* as entered (trimmed, NFC) */
	char *email_norm; /* trimmed and lower-cased: the duplicate key */
	char *country;    /* upper-cased ISO 3166-1 alpha-2 */
	char *comment;    /* "" when absent */
	int is_public;
	int updates;
	/* Raw values (as decoded, but trimmed) for redisplay in the form when there
	 * are errors; "" when absent. Always valid UTF-8 (invalid sequences replaced
	 * by U+FFFD) so they may be echoed after HTML escaping. */
	char *raw[FORM_NFIELDS];
	enum form_error err[FORM_NFIELDS];
	int nerrors;
};

/* Validates and normalizes the signature fields from kvs into sig.
 * Rules (DESIGN.md):
 *   name:    required; 1..100 graphemes after trimming Unicode white space;
 *            valid UTF-8; no control characters (Cc; also U+2028/2029);
 *            stored NFC.
 *   email:   required; <= 254 bytes; WHATWG "valid e-mail address"
 *            (local@label(.label)*, ASCII only); stored as entered (trimmed),
 *            email_norm = ASCII lower-case.
 *   country: required; one of the 249 ISO 3166-1 alpha-2 codes
 *            (case-insensitive in, upper-case out).
 *   comment: optional; <= 1000 graphemes; valid UTF-8; control characters
 *            other than TAB, CR, LF refused; CRLF/CR normalized to LF; NFC.
 *   public, updates: optional; absent, "", "0" mean no, "1" or "on" yes; anything
 *            else FORM_ERR_INVALID.
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

/* The value of a hexadecimal digit, or -1. */
int form_hex_digit(unsigned char c);

/* UTF-8 helpers, exported for the unit tests and other modules. */
int utf8_valid(const char *s, size_t n);
/* Number of extended grapheme clusters in valid UTF-8 s[0..n). */
size_t utf8_graphemes(const char *s, size_t n);

#endif
