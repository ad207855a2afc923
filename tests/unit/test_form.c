/* test_form.c -- unit tests for form.c: urlencoded decoding, UTF-8 checks,
 * validation and normalization of the signature form. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "tap.h"

/* A valid body that each test changes one field of. */
#define BASE_NAME    "name=Dara"
#define BASE_EMAIL   "email=dara%40example.org"
#define BASE_COUNTRY "country=KH"

/* ---- helpers ------------------------------------------------------------ */

/* Decodes and validates body; the caller frees both with done(). */
static int run(const char *body, size_t len, struct form_kvs *kvs, struct form_sig *sig)
{
	if (form_decode(body, len, kvs) != 0) {
		memset(sig, 0, sizeof *sig);
		return -2;
	}
	return form_validate(kvs, sig);
}

static void done(struct form_kvs *kvs, struct form_sig *sig)
{
	form_sig_free(sig);
	form_kvs_free(kvs);
}

/* The error of field f for body (a NUL-terminated string). */
static enum form_error field_err(const char *body, enum form_field f)
{
	struct form_kvs kvs;
	struct form_sig sig;
	enum form_error e;

	if (run(body, strlen(body), &kvs, &sig) < 0) {
		done(&kvs, &sig);
		return (enum form_error) - 1;
	}
	e = sig.err[f];
	done(&kvs, &sig);
	return e;
}

/* Checks the error that a name value (urlencoded) gives. */
static void name_err(const char *value, enum form_error want, const char *what)
{
	char body[1024];

	snprintf(body, sizeof body, "name=%s&%s&%s", value, BASE_EMAIL, BASE_COUNTRY);
	is_int(field_err(body, FORM_NAME), want, "name %s -> %s", what,
	       want ? form_error_key(want) : "ok");
}

static void email_err(const char *value, enum form_error want, const char *what)
{
	char body[2048];

	snprintf(body, sizeof body, "%s&email=%s&%s", BASE_NAME, value, BASE_COUNTRY);
	is_int(field_err(body, FORM_EMAIL), want, "email %s: %s -> %s", what, value,
	       want ? form_error_key(want) : "ok");
}

/* Checks that a valid body gives field f the normalized value want. */
static void value_is(const char *body, enum form_field f, const char *want, const char *what)
{
	struct form_kvs kvs;
	struct form_sig sig;
	const char *got = NULL;

	run(body, strlen(body), &kvs, &sig);
	switch (f) {
	case FORM_NAME:
		got = sig.name;
		break;
	case FORM_EMAIL:
		got = sig.email;
		break;
	case FORM_COUNTRY:
		got = sig.country;
		break;
	case FORM_COMMENT:
		got = sig.comment;
		break;
	case FORM_PUBLIC_NAME:
		got = sig.public_name;
		break;
	default:
		break;
	}
	if (!is_str(got, want, "%s", what))
		printf("#   error: %s\n", form_error_key(sig.err[f]));
	done(&kvs, &sig);
}

/* Checks that a valid body gives email_norm want, and that it is what
 * form_email_norm() makes of the raw email. */
static void value_is_norm(const char *body, const char *want, const char *what)
{
	struct form_kvs kvs;
	struct form_sig sig;
	char out[FORM_EMAIL_MAX_BYTES + 1];
	const char *raw;
	size_t n = 0;

	run(body, strlen(body), &kvs, &sig);
	raw = form_get(&kvs, "email", &n);
	ok(sig.email_norm != NULL && strcmp(sig.email_norm, want) == 0 && raw != NULL &&
		   form_email_norm(raw, n, out, sizeof out) == (int)strlen(want) &&
		   strcmp(out, want) == 0,
	   "%s", what);
	done(&kvs, &sig);
}

/* n copies of s, urlencoded as they are (s must need no escaping). */
static char *repeat(const char *prefix, const char *s, size_t n, const char *suffix)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_puts(&b, prefix);
	for (i = 0; i < n; i++)
		buf_puts(&b, s);
	buf_puts(&b, suffix);
	return buf_steal(&b, NULL);
}

/* ---- decoding ----------------------------------------------------------- */

static void test_decode(void)
{
	struct form_kvs kvs;
	const char *v;
	size_t vlen = 99;
	char *big;
	int i;

	ok(form_decode("a=1&b=two", 9, &kvs) == 0 && kvs.n == 2 && !kvs.malformed, "two pairs");
	is_str(kvs.v[0].key, "a", "first key");
	is_str(kvs.v[1].val, "two", "second value");
	form_kvs_free(&kvs);

	form_decode("name=S%C3%B6k+Dara%21", 21, &kvs);
	is_str(form_get(&kvs, "name", NULL), "Sök Dara!", "percent escapes and '+' as a space");
	form_kvs_free(&kvs);

	form_decode("a=%c3%a9%2B%2b", 14, &kvs);
	is_str(form_get(&kvs, "a", NULL), "é++", "lower-case hex, %%2B is '+'");
	ok(!kvs.malformed, "good escapes are not malformed");
	form_kvs_free(&kvs);

	form_decode("na%6De=x", 8, &kvs);
	is_str(form_get(&kvs, "name", NULL), "x", "keys are decoded too");
	form_kvs_free(&kvs);

	form_decode("a+b=c", 5, &kvs);
	is_str(kvs.v[0].key, "a b", "'+' in a key is a space");
	form_kvs_free(&kvs);

	form_decode("a=%G1", 5, &kvs);
	ok(kvs.malformed, "%%G1 marks the body malformed");
	is_str(form_get(&kvs, "a", NULL), "%G1", "a bad escape is kept");
	form_kvs_free(&kvs);

	form_decode("a=x%4", 5, &kvs);
	ok(kvs.malformed, "a truncated %%4 is malformed");
	is_str(form_get(&kvs, "a", NULL), "x%4", "truncated escape kept");
	form_kvs_free(&kvs);

	form_decode("a=%", 3, &kvs);
	ok(kvs.malformed && strcmp(kvs.v[0].val, "%") == 0, "a lone %% is kept and malformed");
	form_kvs_free(&kvs);

	form_decode("a=%%41", 6, &kvs);
	is_str(form_get(&kvs, "a", NULL), "%A", "%%%%41: bad then good escape");
	form_kvs_free(&kvs);

	form_decode("flag", 4, &kvs);
	ok(kvs.n == 1 && form_get(&kvs, "flag", &vlen) != NULL && vlen == 0,
	   "a key without '=' has value \"\"");
	form_kvs_free(&kvs);

	form_decode("&&a=1&&&b=&", 11, &kvs);
	ok(kvs.n == 2, "empty pairs are skipped");
	v = form_get(&kvs, "b", &vlen);
	ok(v && *v == '\0' && vlen == 0, "\"b=\" has an empty value");
	form_kvs_free(&kvs);

	form_decode("=x&a=b=c", 8, &kvs);
	ok(kvs.n == 2 && strcmp(kvs.v[0].key, "") == 0 && strcmp(kvs.v[0].val, "x") == 0,
	   "an empty key is kept");
	is_str(form_get(&kvs, "a", NULL), "b=c", "the value may contain '='");
	form_kvs_free(&kvs);

	ok(form_decode("", 0, &kvs) == 0 && kvs.n == 0 && kvs.v == NULL,
	   "an empty body gives no pairs");
	form_kvs_free(&kvs);
	ok(form_decode("&&&", 3, &kvs) == 0 && kvs.n == 0, "a body of separators gives no pairs");
	form_kvs_free(&kvs);

	form_decode("a=1&b=2", 3, &kvs);
	ok(kvs.n == 1 && form_get(&kvs, "b", NULL) == NULL, "decoding stops at len");
	form_kvs_free(&kvs);

	/* %00: a NUL byte inside a value is kept, with its true length. */
	form_decode("a=x%00y", 7, &kvs);
	v = form_get(&kvs, "a", &vlen);
	ok(v && vlen == 3 && memcmp(v, "x\0y", 4) == 0, "%%00 in a value: vlen counts the NUL");
	form_kvs_free(&kvs);

	/* ... but a key with %00 never passes for a shorter one. */
	form_decode("name%00x=evil&name%00=evil", 26, &kvs);
	ok(form_get(&kvs, "name", NULL) == NULL, "a key with %%00 does not match \"name\"");
	ok(kvs.malformed, "a key with %%00 is malformed");
	is_str(kvs.v[0].key, "name%00x", "such a key is kept undecoded");
	form_kvs_free(&kvs);

	form_decode("a=1&a=2&b=3", 11, &kvs);
	is_str(form_get(&kvs, "a", &vlen), "1", "form_get: first occurrence");
	ok(form_get(&kvs, "c", NULL) == NULL, "form_get: missing key");
	ok(form_get(NULL, "a", NULL) == NULL, "form_get: NULL kvs");
	form_kvs_free(&kvs);

	/* The pair cap. */
	big = repeat("", "x=1&", FORM_MAX_FIELDS, "");
	ok(form_decode(big, strlen(big), &kvs) == 0 && kvs.n == FORM_MAX_FIELDS,
	   "FORM_MAX_FIELDS pairs are accepted");
	form_kvs_free(&kvs);
	free(big);
	big = repeat("", "x=1&", FORM_MAX_FIELDS + 1, "");
	ok(form_decode(big, strlen(big), &kvs) == FORM_DECODE_TOO_MANY && kvs.n == 0 && kvs.v == NULL,
	   "one pair more is refused and out is empty");
	form_kvs_free(&kvs);
	free(big);
	big = repeat("", "&", 20000, "a=1");
	ok(form_decode(big, strlen(big), &kvs) == 0 && kvs.n == 1,
	   "many empty pairs do not count against the cap");
	form_kvs_free(&kvs);
	free(big);

	/* form_kvs_free is idempotent. */
	form_decode("a=1", 3, &kvs);
	form_kvs_free(&kvs);
	form_kvs_free(&kvs);
	form_kvs_free(NULL);
	ok(kvs.n == 0 && kvs.v == NULL, "form_kvs_free twice and on NULL");

	/* Not NUL-terminated: only len bytes are read (ASan checks it). */
	{
		char *exact = malloc(6);

		memcpy(exact, "a=%4", 4);
		exact[4] = '1';
		exact[5] = '%';
		i = form_decode(exact, 6, &kvs);
		ok(i == 0 && strcmp(kvs.v[0].val, "A%") == 0 && kvs.malformed,
		   "a trailing %% at the end of an unterminated buffer");
		form_kvs_free(&kvs);
		free(exact);
	}
}

/* ---- UTF-8 -------------------------------------------------------------- */

static void test_utf8(void)
{
	static const struct {
		const char *s;
		int valid;
		const char *what;
	} cases[] = {
		{ "plain ASCII", 1, "ASCII" },
		{ "\xC3\xA9", 1, "e acute (2 bytes)" },
		{ "សុខ ដារ៉ា", 1, "Khmer (3 bytes)" },
		{ "\xF0\x9F\x87\xB0\xF0\x9F\x87\xAD", 1, "flag (4 bytes)" },
		{ "\xED\x9F\xBF", 1, "U+D7FF, just below the surrogates" },
		{ "\xEE\x80\x80", 1, "U+E000, just above the surrogates" },
		{ "\xF4\x8F\xBF\xBF", 1, "U+10FFFF" },
		{ "\xC0\x80", 0, "overlong NUL C0 80" },
		{ "\xC1\xBF", 0, "overlong C1 BF" },
		{ "\xE0\x80\x80", 0, "overlong E0 80 80" },
		{ "\xE0\x9F\xBF", 0, "overlong E0 9F BF" },
		{ "\xF0\x80\x80\x80", 0, "overlong F0 80 80 80" },
		{ "\xF0\x8F\xBF\xBF", 0, "overlong F0 8F BF BF" },
		{ "\xED\xA0\x80", 0, "surrogate ED A0 80" },
		{ "\xED\xBF\xBF", 0, "surrogate ED BF BF" },
		{ "\xF4\x90\x80\x80", 0, "above U+10FFFF" },
		{ "\xF5\x80\x80\x80", 0, "F5 lead byte" },
		{ "\xFF", 0, "FF byte" },
		{ "\x80", 0, "lone continuation byte" },
		{ "\xE1\x9E", 0, "truncated 3-byte sequence" },
		{ "a\xE1\x9E!", 0, "3-byte sequence cut by ASCII" },
		{ "\xF0\x9F\x87", 0, "truncated 4-byte sequence" },
		{ "\xC3", 0, "truncated 2-byte sequence" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ok(utf8_valid(cases[i].s, strlen(cases[i].s)) == cases[i].valid,
		   "utf8_valid: %s is %s", cases[i].what, cases[i].valid ? "valid" : "invalid");
	ok(utf8_valid("a\0b", 3), "utf8_valid: NUL is valid UTF-8");
	ok(utf8_valid("", 0), "utf8_valid: empty");
	ok(!utf8_valid("\xE1\x9E\x80", 2), "utf8_valid stops at n");

	is_int((long long)utf8_graphemes("e\xCC\x81", 3), 1,
	       "graphemes: e + combining acute is one");
	is_int((long long)utf8_graphemes("សុខ ដារ៉ា", strlen("សុខ ដារ៉ា")), 5,
	       "graphemes: សុខ ដារ៉ា is five");
	is_int((long long)utf8_graphemes("កម្ពុជា", strlen("កម្ពុជា")), 4, "graphemes: កម្ពុជា is four");
	is_int((long long)utf8_graphemes("\xF0\x9F\x87\xB0\xF0\x9F\x87\xAD", 8), 1,
	       "graphemes: a flag is one");
	is_int((long long)utf8_graphemes("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F"
					 "\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
					 18),
	       1, "graphemes: a ZWJ family is one");
	is_int((long long)utf8_graphemes("\r\n", 2), 1, "graphemes: CRLF is one");
	is_int((long long)utf8_graphemes("", 0), 0, "graphemes: empty");
	is_int((long long)utf8_graphemes("a\xFF"
					 "b",
					 3),
	       3, "graphemes: a bad byte counts as one");
}

/* ---- validation --------------------------------------------------------- */

static void test_valid_form(void)
{
	struct form_kvs kvs;
	struct form_sig sig;
	const char *body = "lang=km&token=abc&website=&"
			   "name=%E1%9E%9F%E1%9E%BB%E1%9E%81+%E1%9E%8A%E1%9E%B6"
			   "%E1%9E%9A%E1%9F%89%E1%9E%B6"
			   "&email=+Sok.Dara%40Example.COM+&country=kh"
			   "&comment=Hello%0D%0Aworld&public=1&updates=on"
			   "&public_name=+%E1%9E%9F%E1%9E%BB%E1%9E%81+";
	int f, raw_ok = 1;

	is_int(run(body, strlen(body), &kvs, &sig), 0, "a full Khmer signature validates");
	is_str(sig.name, "សុខ ដារ៉ា", "Khmer name kept");
	is_str(sig.email, "Sok.Dara@Example.COM", "email as entered, trimmed");
	is_str(sig.email_norm, "sok.dara@example.com", "email_norm lower-cased");
	is_str(sig.country, "KH", "country upper-cased");
	is_str(sig.comment, "Hello\nworld", "comment CRLF became LF");
	ok(sig.is_public == 1 && sig.updates == 1, "both checkboxes on");
	is_str(sig.public_name, "សុខ", "public name kept, trimmed");
	is_int(sig.nerrors, 0, "no errors");
	for (f = 0; f < FORM_NFIELDS; f++)
		raw_ok &= sig.err[f] == FORM_OK && sig.raw[f] != NULL;
	ok(raw_ok, "every field OK and every raw value set");
	is_str(sig.raw[FORM_EMAIL], "Sok.Dara@Example.COM", "raw email trimmed");
	is_str(sig.raw[FORM_COUNTRY], "kh", "raw country as sent");
	is_str(sig.raw[FORM_COMMENT], "Hello\r\nworld", "raw comment as sent");
	is_str(sig.raw[FORM_PUBLIC], "1", "raw public");
	is_str(sig.raw[FORM_UPDATES], "on", "raw updates");
	is_str(sig.raw[FORM_PUBLIC_NAME], "សុខ", "raw public name trimmed");
	done(&kvs, &sig);

	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY;
	is_int(run(body, strlen(body), &kvs, &sig), 0, "the three required fields alone validate");
	is_str(sig.comment, "", "an absent comment is \"\"");
	ok(sig.is_public == 0 && sig.updates == 0, "absent checkboxes are off");
	ok(sig.public_name == NULL && sig.err[FORM_PUBLIC_NAME] == FORM_OK,
	   "no public name, and none needed");
	is_str(sig.raw[FORM_COMMENT], "", "raw of an absent field is \"\"");
	is_str(sig.raw[FORM_PUBLIC], "", "raw of an absent checkbox is \"\"");
	done(&kvs, &sig);

	is_int(run("", 0, &kvs, &sig), 3, "an empty body: three errors");
	ok(sig.err[FORM_NAME] == FORM_ERR_REQUIRED && sig.err[FORM_EMAIL] == FORM_ERR_REQUIRED &&
	       sig.err[FORM_COUNTRY] == FORM_ERR_REQUIRED && sig.err[FORM_COMMENT] == FORM_OK,
	   "name, email, country required");
	ok(sig.name == NULL && sig.email == NULL && sig.email_norm == NULL && sig.country == NULL,
	   "values of invalid fields are NULL");
	done(&kvs, &sig);

	is_int(form_validate(NULL, &sig), 3, "form_validate(NULL) is empty");
	form_sig_free(&sig);
	ok(sig.name == NULL && sig.comment == NULL && sig.raw[FORM_NAME] == NULL &&
		   sig.raw[FORM_PUBLIC_NAME] == NULL && sig.err[FORM_NAME] == FORM_OK &&
		   sig.nerrors == 0,
	   "form_sig_free zeroes what it freed");
	form_sig_free(&sig);
	form_sig_free(NULL);
	ok(sig.name == NULL && sig.raw[FORM_COMMENT] == NULL && sig.nerrors == 0,
	   "form_sig_free twice and on NULL leave it zeroed");

	body = "name=&email=x&country=ZZ&comment=%01&public=2&updates=yes";
	is_int(run(body, strlen(body), &kvs, &sig), 6, "every field in error is counted");
	is_int(sig.err[FORM_COMMENT], FORM_ERR_CONTROL, "comment %%01");
	is_int(sig.err[FORM_PUBLIC], FORM_ERR_INVALID, "public=2");
	is_int(sig.err[FORM_UPDATES], FORM_ERR_INVALID, "updates=yes");
	ok(sig.comment == NULL && sig.is_public == 0 && sig.updates == 0,
	   "invalid comment is NULL, invalid checkboxes are off");
	is_str(sig.raw[FORM_UPDATES], "yes", "raw keeps the bad checkbox value");
	done(&kvs, &sig);

	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY
			 "&website=http%3A%2F%2Fspam&extra=1&extra=2&Name=x";
	is_int(field_err(body, FORM_NAME), FORM_OK,
	       "unknown and repeated unknown keys are ignored; keys are "
	       "case-sensitive");
}

static void test_name(void)
{
	char *s;

	value_is("name=++Dara+Sok%09+&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME, "Dara Sok",
		 "ASCII white space trimmed");
	value_is("name=%C2%A0%E3%80%80Dara%E2%80%83%C2%85&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME,
		 "Dara", "NBSP, ideographic space, em space, NEL trimmed");
	value_is("name=Dara%C2%A0Sok&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME, "Dara\xC2\xA0Sok",
		 "inner NBSP kept");
	value_is("name=Rene%CC%81&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME, "René",
		 "NFC: e + U+0301 becomes é");
	value_is("name=%E1%84%92%E1%85%A1%E1%86%AB&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME, "한",
		 "NFC: Hangul jamo compose");
	value_is("name=Zo%C3%AB+%C3%91%C3%BA%C3%B1ez-%C5%81ukasz+O%27Brien&" BASE_EMAIL
		 "&" BASE_COUNTRY,
		 FORM_NAME, "Zoë Ñúñez-Łukasz O'Brien", "accented Latin accepted");
	value_is("name=សុខ ដារ៉ា&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME, "សុខ ដារ៉ា",
		 "raw UTF-8 bytes in the body accepted");
	value_is("name=%E2%80%8B%E1%9E%80%E2%80%8C&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME,
		 "\xE2\x80\x8B\xE1\x9E\x80\xE2\x80\x8C",
		 "ZWSP and ZWNJ are not white space and are kept");
	value_is("name=%F0%9F%98%80+Joy&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME, "😀 Joy",
		 "emoji accepted");

	name_err("", FORM_ERR_REQUIRED, "empty");
	name_err("+++%09%C2%A0", FORM_ERR_REQUIRED, "only white space");
	is_int(field_err(BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME), FORM_ERR_REQUIRED,
	       "name missing -> err.required");
	name_err("D", FORM_OK, "one letter");
	name_err("Dara%01Sok", FORM_ERR_CONTROL, "with U+0001");
	name_err("Dara%0ASok", FORM_ERR_CONTROL, "with a line feed inside");
	name_err("Dara%09Sok", FORM_ERR_CONTROL, "with a TAB inside");
	name_err("Dara%00", FORM_ERR_CONTROL, "with NUL (%00)");
	name_err("Da%00ra", FORM_ERR_CONTROL, "with NUL inside");
	name_err("Dara%7F", FORM_ERR_CONTROL, "with DEL");
	name_err("Da%C2%85ra", FORM_ERR_CONTROL, "with NEL inside");
	name_err("Da%C2%9Bra", FORM_ERR_CONTROL, "with C1 CSI");
	name_err("Da%E2%80%A8ra", FORM_ERR_CONTROL, "with U+2028");
	name_err("Da%E2%80%A9ra", FORM_ERR_CONTROL, "with U+2029");
	name_err("Dara%0A", FORM_OK, "a trailing newline is trimmed");
	name_err("%C0%80", FORM_ERR_ENCODING, "overlong C0 80");
	name_err("Dara%ED%A0%80", FORM_ERR_ENCODING, "surrogate ED A0 80");
	name_err("Dara%E1%9E", FORM_ERR_ENCODING, "truncated sequence");
	name_err("Dara%F5%80%80%80", FORM_ERR_ENCODING, "F5");
	name_err("Dara%FF", FORM_ERR_ENCODING, "FF");
	name_err("Dara%G1", FORM_ERR_ENCODING, "bad escape %G1");
	name_err("Dara%4", FORM_ERR_ENCODING, "truncated escape %4");
	name_err("Dara+100%25", FORM_OK, "a well-escaped %");
	is_int(field_err("name=Dara+100%25&" BASE_EMAIL "&" BASE_COUNTRY "&token=%ZZ", FORM_NAME),
	       FORM_ERR_ENCODING, "a '%%' in a field of a malformed body is suspect");
	is_int(field_err("name=Dara&" BASE_EMAIL "&" BASE_COUNTRY "&token=%ZZ", FORM_NAME), FORM_OK,
	       "a malformed other field leaves clean ones alone");
	is_int(field_err("name=Dara&name=Sok&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME),
	       FORM_ERR_REPEATED, "name twice");
	is_int(field_err("name=Dara&name=&" BASE_EMAIL "&" BASE_COUNTRY, FORM_NAME),
	       FORM_ERR_REPEATED, "name twice, once empty");

	/* Length in graphemes: "កា" is two code points, one grapheme. */
	s = repeat("name=", "កា", 100, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "100 Khmer graphemes (200 code points) pass");
	free(s);
	s = repeat("name=", "កា", 101, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_ERR_TOO_LONG, "101 Khmer graphemes fail");
	free(s);
	s = repeat("name=", "ស្ត្រី", 33, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "99 graphemes of stacked Khmer consonants pass");
	free(s);
	s = repeat("name=", "e%CC%81", 100, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "100 decomposed é (200 code points) pass");
	free(s);
	s = repeat("name=", "x", 100, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "100 ASCII letters pass");
	free(s);
	s = repeat("name=", "x", 101, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_ERR_TOO_LONG, "101 ASCII letters fail");
	free(s);
	s = repeat("name=+", "x", 100, "+&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "the limit counts after trimming");
	free(s);
	s = repeat("name=a", "%CC%81", 31, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_ERR_INVALID,
	       "31 combining marks in a row are refused (stream-safe)");
	free(s);
	s = repeat("name=a", "%CC%81", 30, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "30 combining marks pass");
	free(s);
	s = repeat("name=x",
		   "%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0"
		   "%9F%91%A7%E2%80%8D%F0%9F%91%A6",
		   99, "&" BASE_EMAIL "&" BASE_COUNTRY);
	is_int(field_err(s, FORM_NAME), FORM_OK, "a letter and 99 ZWJ families (2476 bytes) pass");
	free(s);
}

static void test_email(void)
{
	static const char *const valid[] = {
		"a%40b",
		"dara%40example.org",
		"first.last%2Btag%40mail.example.co.uk",
		"x%40localhost",
		"user%40sub-domain.example",
		"%21%23%24%25%26%27*%2B%2F%3D%3F%5E_%60%7B%7C%7D%7E-%40a.b",
		".dots..%40example.org",
		"a%401.2.3.4",
		"A%40B-C.D",
	};
	static const char *const invalid[] = {
		"plain",
		"%40example.org",
		"a%40",
		"a%40b..c",
		"a%40.b",
		"a%40b.",
		"a%40-b.c",
		"a%40b-.c",
		"a%40b.c-",
		"a%40%40b",
		"a%40b%40c",
		"a+b%40c.d",
		"a%40b_c.d",
		"a%40b+c.d",
		"%CE%B4%40b.c",
		"a%40%C3%A9xample.org",
		"%22quoted%22%40b.c",
		"a%40%5B127.0.0.1%5D",
		"a(b)%40c.d",
		"a%2Cb%40c.d",
		"a%40b.c%00",
		"a%00b%40c.d",
		"a%40b.c%01",
	};
	char *s;
	size_t i;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		email_err(valid[i], FORM_OK, "valid");
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		email_err(invalid[i], FORM_ERR_INVALID, "invalid");
	email_err("", FORM_ERR_REQUIRED, "empty");
	email_err("+++", FORM_ERR_REQUIRED, "only spaces");
	email_err("%C0%80%40b.c", FORM_ERR_ENCODING, "invalid UTF-8");
	is_int(field_err(BASE_NAME "&" BASE_COUNTRY, FORM_EMAIL), FORM_ERR_REQUIRED,
	       "email missing");
	is_int(field_err(BASE_NAME "&email=a%40b&email=c%40d&" BASE_COUNTRY, FORM_EMAIL),
	       FORM_ERR_REPEATED, "email twice");

	/* A label may have 63 characters, not 64. */
	s = repeat("a%40", "x", 63, ".org");
	email_err(s, FORM_OK, "63-character label");
	free(s);
	s = repeat("a%40", "x", 64, ".org");
	email_err(s, FORM_ERR_INVALID, "64-character label");
	free(s);
	/* 254 bytes in all: 64 + '@' + 63 + '.' + 63 + '.' + 61. */
	s = repeat("", "l", 64, "%40");
	{
		struct buf b = BUF_INIT;

		buf_puts(&b, s);
		for (i = 0; i < 63; i++)
			buf_putc(&b, 'a');
		buf_putc(&b, '.');
		for (i = 0; i < 63; i++)
			buf_putc(&b, 'b');
		buf_putc(&b, '.');
		for (i = 0; i < 61; i++)
			buf_putc(&b, 'c');
		email_err(buf_cstr(&b), FORM_OK, "254 bytes");
		buf_putc(&b, 'c');
		email_err(buf_cstr(&b), FORM_ERR_TOO_LONG, "255 bytes");
		buf_free(&b);
	}
	free(s);
	s = repeat("+", "+", 300, "a%40b.c+");
	email_err(s, FORM_OK, "the byte limit counts after trimming");
	free(s);

	value_is(BASE_NAME "&email=%09Dara.Sok%40Example.ORG%C2%A0&" BASE_COUNTRY, FORM_EMAIL,
		 "Dara.Sok@Example.ORG", "email stored as entered, trimmed");
}

static void test_country(void)
{
	value_is(BASE_NAME "&" BASE_EMAIL "&country=KH", FORM_COUNTRY, "KH", "KH");
	value_is(BASE_NAME "&" BASE_EMAIL "&country=kh", FORM_COUNTRY, "KH", "kh is upper-cased");
	value_is(BASE_NAME "&" BASE_EMAIL "&country=+uS+", FORM_COUNTRY, "US",
		 "\" uS \" is trimmed and upper-cased");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=XX", FORM_COUNTRY), FORM_ERR_INVALID,
	       "XX is unknown");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=UK", FORM_COUNTRY), FORM_ERR_INVALID,
	       "UK is not a code");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=KHM", FORM_COUNTRY), FORM_ERR_INVALID,
	       "alpha-3 is refused");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=K", FORM_COUNTRY), FORM_ERR_INVALID,
	       "one letter is refused");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=K%00", FORM_COUNTRY), FORM_ERR_INVALID,
	       "K%%00 is refused");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=Cambodia", FORM_COUNTRY),
	       FORM_ERR_INVALID, "a name is refused");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=", FORM_COUNTRY), FORM_ERR_REQUIRED,
	       "empty country");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL, FORM_COUNTRY), FORM_ERR_REQUIRED,
	       "country missing");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=KH&country=KH", FORM_COUNTRY),
	       FORM_ERR_REPEATED, "country twice");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&country=%FF%FE", FORM_COUNTRY),
	       FORM_ERR_ENCODING, "invalid UTF-8 country");
}

static void test_comment(void)
{
	char *s;

	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=", FORM_COMMENT, "",
		 "an empty comment is \"\"");
	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=++%0D%0A", FORM_COMMENT, "",
		 "a comment of white space is \"\"");
	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a%0D%0Ab%0Dc%0Ad%09e",
		 FORM_COMMENT, "a\nb\nc\nd\te", "CRLF and CR become LF, TAB kept");
	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY
			   "&comment=%0D%0A+line+one%0D%0A%0D%0Aline+two+%0D%0A",
		 FORM_COMMENT, "line one\n\nline two", "comment trimmed");
	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=cafe%CC%81", FORM_COMMENT,
		 "café", "comment NFC");
	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY
			   "&comment=%E1%9E%81%E1%9F%92%E1%9E%89%E1%9E%BB%E1%9F%86"
			   "%E1%9E%82%E1%9E%B6%E1%9F%86%E1%9E%91%E1%9F%92%E1%9E%9A",
		 FORM_COMMENT, "ខ្ញុំគាំទ្រ", "Khmer comment kept");
	value_is(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a%E2%80%A8b", FORM_COMMENT,
		 "a\xE2\x80\xA8"
		 "b",
		 "U+2028 is allowed in a comment");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a%00b", FORM_COMMENT),
	       FORM_ERR_CONTROL, "NUL in a comment");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a%1Bb", FORM_COMMENT),
	       FORM_ERR_CONTROL, "ESC in a comment");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a%0Bb", FORM_COMMENT),
	       FORM_ERR_CONTROL, "VT inside a comment");
	is_int(
		field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=%ED%A0%80", FORM_COMMENT),
		FORM_ERR_ENCODING, "surrogate in a comment");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a&comment=b",
			 FORM_COMMENT),
	       FORM_ERR_REPEATED, "comment twice");
	s = repeat(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=", "កា", 1000, "");
	is_int(field_err(s, FORM_COMMENT), FORM_OK, "1000 Khmer graphemes in a comment pass");
	free(s);
	s = repeat(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=", "កា", 1001, "");
	is_int(field_err(s, FORM_COMMENT), FORM_ERR_TOO_LONG, "1001 Khmer graphemes fail");
	free(s);
	s = repeat(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=x", "%0D%0A", 1000, "x");
	is_int(field_err(s, FORM_COMMENT), FORM_ERR_TOO_LONG,
	       "1000 line breaks between two letters fail");
	free(s);
	s = repeat(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=a", "%CC%81%CC%96", 4000,
		   "");
	is_int(field_err(s, FORM_COMMENT), FORM_ERR_INVALID,
	       "a 16 KB run of combining marks is refused");
	free(s);
}

static void test_checkboxes(void)
{
	static const struct {
		const char *value;
		enum form_error err;
		int yes;
	} cases[] = {
		{ "public=1", FORM_OK, 1 },
		{ "public=on", FORM_OK, 1 },
		{ "public=+1+", FORM_OK, 1 },
		{ "public=0", FORM_OK, 0 },
		{ "public=", FORM_OK, 0 },
		{ "public", FORM_OK, 0 },
		{ "", FORM_OK, 0 },
		{ "public=0&public=1", FORM_OK, 1 },
		{ "public=1&public=0", FORM_OK, 1 },
		{ "public=1&public=1", FORM_OK, 1 },
		{ "public=0&public=0", FORM_OK, 0 },
		{ "public=yes", FORM_ERR_INVALID, 0 },
		{ "public=ON", FORM_ERR_INVALID, 0 },
		{ "public=2", FORM_ERR_INVALID, 0 },
		{ "public=true", FORM_ERR_INVALID, 0 },
		{ "public=1%00", FORM_ERR_INVALID, 0 },
		{ "public=1&public=x", FORM_ERR_INVALID, 0 },
		{ "public=%FF", FORM_ERR_ENCODING, 0 },
	};
	char body[256];
	struct form_kvs kvs;
	struct form_sig sig;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(body, sizeof body, "%s&%s&%s&%s&public_name=Dara", BASE_NAME, BASE_EMAIL,
			 BASE_COUNTRY, cases[i].value);
		run(body, strlen(body), &kvs, &sig);
		ok(sig.err[FORM_PUBLIC] == cases[i].err && sig.is_public == cases[i].yes &&
		       sig.updates == 0 && sig.nerrors == (cases[i].err != FORM_OK),
		   "checkbox \"%s\": %s, %s", cases[i].value,
		   cases[i].err ? form_error_key(cases[i].err) : "ok", cases[i].yes ? "yes" : "no");
		done(&kvs, &sig);
	}
	run(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&updates=0&updates=on",
		strlen(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&updates=0&updates=on"), &kvs, &sig);
	ok(sig.updates == 1 && sig.is_public == 0, "updates: hidden 0 + on");
	is_str(sig.raw[FORM_UPDATES], "on", "raw checkbox is the \"yes\" value");
	done(&kvs, &sig);
}

static void test_raw(void)
{
	struct form_kvs kvs;
	struct form_sig sig;
	const char *body;
	char *s;
	size_t len;

	body = "name=+Da%C0%80ra%00+&email=%E1%9E&country=%F5x";
	run(body, strlen(body), &kvs, &sig);
	is_str(sig.raw[FORM_NAME], "Da\xEF\xBF\xBD\xEF\xBF\xBDra",
	       "raw: overlong replaced (one U+FFFD per byte), NUL removed, "
	       "trimmed");
	is_str(sig.raw[FORM_EMAIL], "\xEF\xBF\xBD", "raw: a truncated sequence is one U+FFFD");
	is_str(sig.raw[FORM_COUNTRY], "\xEF\xBF\xBDx", "raw: F5 replaced");
	ok(sig.err[FORM_NAME] == FORM_ERR_ENCODING && sig.err[FORM_EMAIL] == FORM_ERR_ENCODING &&
	       sig.err[FORM_COUNTRY] == FORM_ERR_ENCODING,
	   "those fields are encoding errors");
	done(&kvs, &sig);

	body = "name=a&name=b&" BASE_EMAIL "&" BASE_COUNTRY;
	run(body, strlen(body), &kvs, &sig);
	is_str(sig.raw[FORM_NAME], "a", "raw of a repeated field: the first");
	done(&kvs, &sig);

	s = repeat(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&comment=", "កា", 2000, "");
	run(s, strlen(s), &kvs, &sig);
	len = strlen(sig.raw[FORM_COMMENT]);
	ok(len <= 4096 && len >= 4090 && len % 3 == 0 && utf8_valid(sig.raw[FORM_COMMENT], len),
	   "raw is capped near 4096 bytes on a character boundary (%zu)", len);
	done(&kvs, &sig);
	free(s);
}

/* ---- characters that change how text is shown --------------------------- */

/* A body with value (urlencoded) in field f; the other fields valid, and
 * public ticked when f is public_name. */
static void body_with(char *body, size_t size, enum form_field f, const char *value)
{
	switch (f) {
	case FORM_NAME:
		snprintf(body, size, "name=%s&%s&%s", value, BASE_EMAIL, BASE_COUNTRY);
		break;
	case FORM_PUBLIC_NAME:
		snprintf(body, size, "%s&%s&%s&public=1&public_name=%s", BASE_NAME, BASE_EMAIL,
			 BASE_COUNTRY, value);
		break;
	default:
		snprintf(body, size, "%s&%s&%s&%s=%s", BASE_NAME, BASE_EMAIL, BASE_COUNTRY,
			 form_field_name(f), value);
		break;
	}
}

/* Checks that value in field f gives error want with the code point cp at
 * position pos (for FORM_ERR_CHAR and FORM_ERR_CONTROL; else no detail). */
static void char_err(enum form_field f, const char *value, enum form_error want, uint32_t cp,
		     size_t pos, const char *what)
{
	char body[4096];
	struct form_kvs kvs;
	struct form_sig sig;
	int detail = want == FORM_ERR_CHAR || want == FORM_ERR_CONTROL;

	body_with(body, sizeof body, f, value);
	run(body, strlen(body), &kvs, &sig);
	if (!ok(sig.err[f] == want && sig.bad_cp[f] == (detail ? cp : 0) &&
			sig.bad_pos[f] == (detail ? pos : 0) && sig.nerrors == (want != FORM_OK),
		"%s %s -> %s U+%04X at %zu", form_field_name(f), what,
		want ? form_error_key(want) : "ok", (unsigned)cp, pos))
		printf("#   got %s U+%04X at %zu (%d errors)\n", form_error_key(sig.err[f]),
		       (unsigned)sig.bad_cp[f], sig.bad_pos[f], sig.nerrors);
	done(&kvs, &sig);
}

/* The stored value of field f for a valid value (urlencoded). */
static void text_is(enum form_field f, const char *value, const char *want, const char *what)
{
	char body[4096];

	body_with(body, sizeof body, f, value);
	value_is(body, f, want, what);
}

static void test_display_chars(void)
{
	static const struct {
		const char *enc;
		uint32_t cp;
		const char *what;
	} refused[] = {
		{"%E2%80%AA", 0x202A, "LRE"},
		{"%E2%80%AB", 0x202B, "RLE"},
		{"%E2%80%AC", 0x202C, "PDF"},
		{"%E2%80%AD", 0x202D, "LRO"},
		{"%E2%80%AE", 0x202E, "RLO"},
		{"%E2%81%A6", 0x2066, "LRI"},
		{"%E2%81%A7", 0x2067, "RLI"},
		{"%E2%81%A8", 0x2068, "FSI"},
		{"%E2%81%A9", 0x2069, "PDI"},
		{"%E2%80%8E", 0x200E, "LRM"},
		{"%E2%80%8F", 0x200F, "RLM"},
		{"%D8%9C", 0x061C, "ALM"},
		{"%E2%81%A0", 0x2060, "word joiner"},
		{"%E2%81%A4", 0x2064, "invisible plus"},
		{"%E2%81%AA", 0x206A, "inhibit symmetric swapping"},
		{"%EF%BB%BF", 0xFEFF, "BOM / ZWNBSP"},
		{"%C2%AD", 0x00AD, "soft hyphen"},
		{"%E1%A0%8E", 0x180E, "Mongolian vowel separator"},
		{"%EF%BF%B9", 0xFFF9, "interlinear annotation anchor"},
		{"%F0%9D%85%B3", 0x1D173, "musical symbol begin beam"},
		{"%F3%A0%80%81", 0xE0001, "language tag"},
		{"%F3%A0%81%81", 0xE0041, "tag A (attaches to the a before it)"},
		{"%F3%A0%81%BF", 0xE007F, "cancel tag (attaches to the a before it)"},
		{"%F3%A0%80%80", 0xE0000, "unassigned tag-block U+E0000"},
		{"%F3%A0%82%80", 0xE0080, "unassigned default-ignorable U+E0080"},
		{"%E2%81%A5", 0x2065, "unassigned default-ignorable U+2065"},
		{"%EF%BF%B0", 0xFFF0, "unassigned default-ignorable U+FFF0"},
		{"%E3%85%A4", 0x3164, "Hangul filler"},
		{"%EF%BE%A0", 0xFFA0, "halfwidth Hangul filler"},
		{"%E1%85%9F", 0x115F, "Hangul choseong filler"},
		{"%EF%B7%90", 0xFDD0, "noncharacter U+FDD0"},
		{"%EF%BF%BE", 0xFFFE, "noncharacter U+FFFE"},
		{"%F0%9F%BF%BF", 0x1FFFF, "noncharacter U+1FFFF"},
		{"%F4%8F%BF%BF", 0x10FFFF, "noncharacter U+10FFFF"},
	};
	static const enum form_field text_fields[] = {FORM_NAME, FORM_PUBLIC_NAME, FORM_COMMENT};
	char value[256], what[128];
	size_t i, k;
	char *s;

	/* The attack: a U+202E in a name reverses the rest of the list. */
	char_err(FORM_NAME, "Dara%E2%80%AEkoS", FORM_ERR_CHAR, 0x202E, 5,
		 "U+202E after four letters");
	char_err(FORM_NAME, "%E2%80%AEDara", FORM_ERR_CHAR, 0x202E, 1, "U+202E first");
	char_err(FORM_NAME, "Dara+%E2%80%AE+", FORM_ERR_CHAR, 0x202E, 6,
		 "U+202E last (not trimmed: not white space)");
	char_err(FORM_NAME, "++Dara%E2%80%AE", FORM_ERR_CHAR, 0x202E, 5,
		 "positions count in the trimmed value");
	char_err(FORM_NAME,
		 "%E1%9E%9F%E1%9E%BB%E1%9E%81+%E1%9E%8A%E1%9E%B6%E1%9E%9A%E1%9F%89%E1%9E%B6"
		 "%E2%80%AE",
		 FORM_ERR_CHAR, 0x202E, 6, "after a Khmer name of five characters (graphemes)");
	char_err(FORM_NAME, "e%CC%81e%CC%81%E2%81%A7", FORM_ERR_CHAR, 0x2067, 3,
		 "after two decomposed é (graphemes, not code points)");
	char_err(FORM_NAME, "Dara%F3%A0%81%81", FORM_ERR_CHAR, 0xE0041, 4,
		 "a tag attaches to the letter before it");
	char_err(FORM_NAME, "Da%E2%80%8Fra%E2%80%AE", FORM_ERR_CHAR, 0x200F, 3,
		 "the first of two is reported");
	char_err(FORM_COMMENT, "a%0D%0Ab%E2%80%AE", FORM_ERR_CHAR, 0x202E, 4,
		 "CRLF is one character");
	char_err(FORM_PUBLIC_NAME, "Sok%E2%81%A6", FORM_ERR_CHAR, 0x2066, 4, "U+2066");

	for (k = 0; k < sizeof text_fields / sizeof text_fields[0]; k++) {
		for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
			snprintf(value, sizeof value, "Da%sra", refused[i].enc);
			snprintf(what, sizeof what, "with %s inside", refused[i].what);
			/* A format character is a character of its own, at 3;
			 * a tag (grapheme Extend) belongs to the "a" at 2. */
			char_err(text_fields[k], value, FORM_ERR_CHAR, refused[i].cp,
				 refused[i].cp >= 0xE0020 && refused[i].cp <= 0xE007F ? 2 : 3,
				 what);
		}
	}
	/* A long text does not hide it: the character is reported before the
	 * length is looked at. */
	s = repeat("", "x", 150, "%E2%80%AE");
	char_err(FORM_NAME, s, FORM_ERR_CHAR, 0x202E, 151, "after 150 letters");
	free(s);

	/* Control characters carry the same detail (and keep their code). */
	char_err(FORM_NAME, "Dara%01Sok", FORM_ERR_CONTROL, 0x01, 5, "U+0001");
	char_err(FORM_NAME, "Da%00ra", FORM_ERR_CONTROL, 0x00, 3, "NUL");
	char_err(FORM_NAME, "Da%E2%80%A8ra", FORM_ERR_CONTROL, 0x2028, 3, "U+2028");
	char_err(FORM_NAME, "Da%C2%9Bra", FORM_ERR_CONTROL, 0x9B, 3, "C1 CSI");
	char_err(FORM_COMMENT, "line%0D%0Ab%1B", FORM_ERR_CONTROL, 0x1B, 7, "ESC after CRLF");
	char_err(FORM_PUBLIC_NAME, "So%09k", FORM_ERR_CONTROL, 0x09, 3, "TAB");
	char_err(FORM_NAME, "Da%C0%80ra", FORM_ERR_ENCODING, 0, 0, "overlong: no detail");
	char_err(FORM_NAME, "", FORM_ERR_REQUIRED, 0, 0, "empty: no detail");

	/* What Khmer and emoji need stays allowed. */
	text_is(FORM_NAME, "%E1%9E%9F%E1%9E%BB%E1%9E%81%E2%80%8B%E1%9E%8A%E1%9E%B6"
			   "%E1%9E%9A%E1%9F%89%E1%9E%B6",
		"សុខ\xE2\x80\x8Bដារ៉ា", "a Khmer name with a ZWSP between the words");
	text_is(FORM_NAME, "%E1%9E%80%E2%80%8C%E1%9F%92%E1%9E%80%E2%80%8D%E1%9E%B6",
		"ក\xE2\x80\x8C\xE1\x9F\x92ក\xE2\x80\x8D\xE1\x9E\xB6", "ZWNJ and ZWJ inside Khmer");
	text_is(FORM_COMMENT,
		"%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7+"
		"%F0%9F%8F%B3%EF%B8%8F%E2%80%8D%F0%9F%8C%88+%E2%9D%A4%EF%B8%8F+"
		"%F0%9F%91%8D%F0%9F%8F%BD",
		"👨\xE2\x80\x8D👩\xE2\x80\x8D👧 🏳\xEF\xB8\x8F\xE2\x80\x8D🌈 ❤\xEF\xB8\x8F 👍🏽",
		"emoji ZWJ sequences, VS16 and skin tones in a comment");
	text_is(FORM_COMMENT, "%F0%9F%8F%B4%F3%A0%81%A7%F3%A0%81%A2%F3%A0%81%A5%F3%A0%81%AE"
			      "%F3%A0%81%A7%F3%A0%81%BF",
		"\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xA5\xF3\xA0\x81\xAE"
		"\xF3\xA0\x81\xA7\xF3\xA0\x81\xBF",
		"the flag of England (a tag sequence) in a comment");
	text_is(FORM_NAME, "Ewan+%F0%9F%8F%B4%F3%A0%81%A7%F3%A0%81%A2%F3%A0%81%B3%F3%A0%81%A3"
			   "%F3%A0%81%B4%F3%A0%81%BF",
		"Ewan \xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xB3\xF3\xA0\x81\xA3"
		"\xF3\xA0\x81\xB4\xF3\xA0\x81\xBF",
		"the flag of Scotland in a name");
	char_err(FORM_COMMENT,
		 "%F0%9F%8F%B4%F3%A0%81%A7%F3%A0%81%A2%F3%A0%81%B8%F3%A0%81%B9%F3%A0%81%BA"
		 "%F3%A0%81%BF",
		 FORM_ERR_CHAR, 0xE0067, 1, "a flag tag sequence that is not RGI (gbxyz)");
	char_err(FORM_COMMENT, "%F0%9F%8F%B4%F3%A0%81%A7%F3%A0%81%A2%F3%A0%81%A5%F3%A0%81%AE"
			       "%F3%A0%81%A7",
		 FORM_ERR_CHAR, 0xE0067, 1, "England without its cancel tag");
	char_err(FORM_COMMENT, "x%F3%A0%81%A7%F3%A0%81%A2%F3%A0%81%A5%F3%A0%81%AE%F3%A0%81%A7"
			       "%F3%A0%81%BF",
		 FORM_ERR_CHAR, 0xE0067, 1, "England's tags after something else than U+1F3F4");
	text_is(FORM_COMMENT, "%E8%BE%BB%F3%A0%84%80", "辻\xF3\xA0\x84\x80",
		"an ideographic variation selector (U+E0100) is a mark, allowed");
	text_is(FORM_COMMENT, "%EE%80%80+%EF%A3%BF", "\xEE\x80\x80 \xEF\xA3\xBF",
		"private-use characters are allowed");

	/* "Dr." and initials are fine; a name needs a letter. */
	text_is(FORM_NAME, "Dr.+Kem", "Dr. Kem", "\"Dr. Kem\"");
	text_is(FORM_PUBLIC_NAME, "Dr.+Kem", "Dr. Kem", "\"Dr. Kem\"");
	text_is(FORM_NAME, "K.", "K.", "an initial");
	text_is(FORM_NAME, "%CA%B0a", "ʰa", "a modifier letter counts");
	char_err(FORM_NAME, "123", FORM_ERR_INVALID, 0, 0, "digits only");
	char_err(FORM_NAME, "%21%21%21", FORM_ERR_INVALID, 0, 0, "punctuation only");
	char_err(FORM_NAME, "%F0%9F%98%80", FORM_ERR_INVALID, 0, 0, "an emoji only");
	char_err(FORM_NAME, "%E1%9F%92%E1%9E%B6", FORM_ERR_INVALID, 0, 0, "Khmer signs without a letter");
	char_err(FORM_PUBLIC_NAME, "%E2%9C%8C%EF%B8%8F", FORM_ERR_INVALID, 0, 0, "✌️ only");
	text_is(FORM_COMMENT, "%F0%9F%98%80", "😀", "a comment needs no letter");

	/* Invisible-only text is empty. */
	char_err(FORM_NAME, "%E2%80%8B", FORM_ERR_REQUIRED, 0, 0, "a lone ZWSP");
	char_err(FORM_NAME, "+%E2%80%8B%C2%A0%E2%80%8C+%E2%80%8D%E3%80%80", FORM_ERR_REQUIRED, 0, 0,
		 "ZWSP, ZWNJ, ZWJ and spaces");
	char_err(FORM_NAME, "%EF%B8%8F%CD%8F", FORM_ERR_REQUIRED, 0, 0, "VS16 and CGJ only");
	char_err(FORM_PUBLIC_NAME, "%E2%80%8B%E2%80%8B", FORM_ERR_REQUIRED, 0, 0, "two ZWSP");
	text_is(FORM_COMMENT, "%E2%80%8B+%0D%0A%E2%80%8D", "", "a comment of ZWSP, ZWJ and breaks");
	text_is(FORM_NAME, "%E2%80%8BDara", "\xE2\x80\x8B" "Dara",
		"a ZWSP next to letters is kept (it is not white space)");
}

static void test_public_name(void)
{
	struct form_kvs kvs;
	struct form_sig sig;
	const char *body;
	char *s;

	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&public=1";
	is_int(run(body, strlen(body), &kvs, &sig), 1, "public=1 without public_name: one error");
	ok(sig.err[FORM_PUBLIC_NAME] == FORM_ERR_REQUIRED && sig.public_name == NULL &&
		   sig.is_public == 1,
	   "public=1 without public_name -> err.required");
	done(&kvs, &sig);
	char_err(FORM_PUBLIC_NAME, "", FORM_ERR_REQUIRED, 0, 0, "empty, with public=1");
	char_err(FORM_PUBLIC_NAME, "+%C2%A0+", FORM_ERR_REQUIRED, 0, 0, "white space, with public=1");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&public=on&public_name=",
			 FORM_PUBLIC_NAME),
	       FORM_ERR_REQUIRED, "public=on without public_name -> err.required");
	is_int(field_err(BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY
				   "&public=0&public=1&public_name=A&public_name=B",
			 FORM_PUBLIC_NAME),
	       FORM_ERR_REPEATED, "public_name twice, with public -> err.repeated");

	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&public=1&public_name=+Kem+S.+";
	is_int(run(body, strlen(body), &kvs, &sig), 0, "public=1 with a public name validates");
	is_str(sig.public_name, "Kem S.", "public_name stored trimmed");
	done(&kvs, &sig);
	text_is(FORM_PUBLIC_NAME, "Rene%CC%81", "René", "public_name NFC");

	/* Not public: the public name is ignored and never kept. */
	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&public_name=Secret";
	is_int(run(body, strlen(body), &kvs, &sig), 0, "public_name without public validates");
	ok(sig.public_name == NULL && sig.is_public == 0 && sig.err[FORM_PUBLIC_NAME] == FORM_OK,
	   "public_name without public: NULL (ignored)");
	is_str(sig.raw[FORM_PUBLIC_NAME], "Secret", "its raw value is kept for redisplay only");
	done(&kvs, &sig);
	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&public=0&public_name=%E2%80%AE&public_name=x";
	is_int(run(body, strlen(body), &kvs, &sig), 0,
	       "public=0: a bad or repeated public_name is ignored too");
	ok(sig.public_name == NULL && sig.bad_pos[FORM_PUBLIC_NAME] == 0, "and is NULL");
	done(&kvs, &sig);
	body = BASE_NAME "&" BASE_EMAIL "&" BASE_COUNTRY "&public=2&public_name=Sok";
	is_int(run(body, strlen(body), &kvs, &sig), 1, "public=2: only the checkbox is wrong");
	ok(sig.err[FORM_PUBLIC] == FORM_ERR_INVALID && sig.is_public == 0 &&
		   sig.public_name == NULL && sig.err[FORM_PUBLIC_NAME] == FORM_OK,
	   "public=2: not public, public_name NULL");
	done(&kvs, &sig);

	/* At most 40 characters (graphemes). */
	s = repeat("", "x", 40, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_OK, 0, 0, "40 ASCII letters");
	free(s);
	s = repeat("", "x", 41, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_ERR_TOO_LONG, 0, 0, "41 ASCII letters");
	free(s);
	s = repeat("", "កា", 40, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_OK, 0, 0, "40 Khmer graphemes (80 code points)");
	free(s);
	s = repeat("", "កា", 41, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_ERR_TOO_LONG, 0, 0, "41 Khmer graphemes");
	free(s);
	s = repeat("", "ស្ត្រី", 13, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_OK, 0, 0, "39 graphemes of stacked Khmer");
	free(s);
	s = repeat("x",
		   "%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0"
		   "%9F%91%A7%E2%80%8D%F0%9F%91%A6",
		   39, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_OK, 0, 0, "a letter and 39 ZWJ families");
	free(s);
	s = repeat("x",
		   "%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0"
		   "%9F%91%A7%E2%80%8D%F0%9F%91%A6",
		   40, "");
	char_err(FORM_PUBLIC_NAME, s, FORM_ERR_TOO_LONG, 0, 0, "a letter and 40 ZWJ families");
	free(s);
	s = repeat("+", "x", 40, "+");
	char_err(FORM_PUBLIC_NAME, s, FORM_OK, 0, 0, "40 letters with spaces around");
	free(s);
}

static void test_error_text(void)
{
	struct buf b = BUF_INIT;
	struct form_kvs kvs;
	struct form_sig sig;
	char body[256];

	body_with(body, sizeof body, FORM_NAME, "Dara%E2%80%AEkoS");
	run(body, strlen(body), &kvs, &sig);
	form_error_text(&b, "Remove the invisible character {char} (position {pos}).", &sig,
			FORM_NAME);
	is_str(buf_cstr(&b), "Remove the invisible character U+202E (position 5).",
	       "form_error_text fills {char} and {pos}");
	buf_reset(&b);
	buf_puts(&b, "kept|");
	ok(form_error_text(&b, "{pos}{char}{pos}", &sig, FORM_NAME) == 0, "returns 0");
	is_str(buf_cstr(&b), "kept|5U+202E5", "appends; placeholders may repeat and touch");
	buf_reset(&b);
	form_error_text(&b, "{ {char {pos}} {x} }{", &sig, FORM_NAME);
	is_str(buf_cstr(&b), "{ {char 5} {x} }{", "other braces are copied as they are");
	buf_reset(&b);
	form_error_text(&b, "ស {char} ទីតាំង {pos}។", &sig, FORM_NAME);
	is_str(buf_cstr(&b), "ស U+202E ទីតាំង 5។", "UTF-8 text around placeholders");
	buf_reset(&b);
	form_error_text(&b, "Plain message.", &sig, FORM_NAME);
	is_str(buf_cstr(&b), "Plain message.", "a message without placeholders is unchanged");
	buf_reset(&b);
	form_error_text(&b, "{char} at {pos}", &sig, FORM_EMAIL);
	is_str(buf_cstr(&b), "? at ?", "a field without detail gives '?'");
	buf_reset(&b);
	form_error_text(&b, "{char} at {pos}", NULL, FORM_NAME);
	is_str(buf_cstr(&b), "? at ?", "no sig gives '?'");
	buf_reset(&b);
	form_error_text(&b, "{char}", &sig, FORM_NFIELDS);
	is_str(buf_cstr(&b), "?", "a field out of range gives '?'");
	buf_reset(&b);
	ok(form_error_text(&b, NULL, &sig, FORM_NAME) == 0 && b.len == 0, "a NULL template is empty");
	done(&kvs, &sig);

	body_with(body, sizeof body, FORM_COMMENT, "ok%F3%A0%81%81");
	run(body, strlen(body), &kvs, &sig);
	form_error_text(&b, "{char}/{pos}", &sig, FORM_COMMENT);
	is_str(buf_cstr(&b), "U+E0041/2", "five hex digits above U+FFFF");
	buf_reset(&b);
	done(&kvs, &sig);
	body_with(body, sizeof body, FORM_NAME, "%00Dara");
	run(body, strlen(body), &kvs, &sig);
	form_error_text(&b, "{char}/{pos}", &sig, FORM_NAME);
	is_str(buf_cstr(&b), "U+0000/1", "NUL is U+0000, four digits");
	done(&kvs, &sig);
	buf_free(&b);
}

static void test_email_norm(void)
{
	char out[FORM_EMAIL_MAX_BYTES + 1], small[6];
	const char *in;

	in = " \t Dara.Sok@Example.ORG\xC2\xA0\xE3\x80\x80";
	is_int(form_email_norm(in, strlen(in), out, sizeof out), 20, "returns the length");
	is_str(out, "dara.sok@example.org", "Unicode white space trimmed, ASCII lower-cased");
	in = "\xE2\x80\x83\xC2\x85" "A@B.C\n";
	form_email_norm(in, strlen(in), out, sizeof out);
	is_str(out, "a@b.c", "em space, NEL and LF trimmed too (the weaker admin copy kept them)");
	in = "\xC3\x89@X.org";
	form_email_norm(in, strlen(in), out, sizeof out);
	is_str(out, "\xC3\x89@x.org", "non-ASCII bytes are copied as they are");
	is_int(form_email_norm("ABCDE", 5, small, sizeof small), 5, "exactly fits outlen - 1");
	is_str(small, "abcde", "and is NUL-terminated");
	ok(form_email_norm("ABCDEF", 6, small, sizeof small) == -1 && small[0] == '\0',
	   "too long for out: -1 and \"\"");
	ok(form_email_norm("  ABCDE  ", 9, small, sizeof small) == 5,
	   "the room needed is counted after trimming");
	ok(form_email_norm("a\0b@c.d", 7, out, sizeof out) == -1 && out[0] == '\0',
	   "a NUL byte inside: -1");
	ok(form_email_norm(NULL, 0, out, sizeof out) == -1, "NULL: -1");
	ok(form_email_norm("x", 1, NULL, 0) == -1, "no room: -1");
	is_int(form_email_norm(" \t", 2, out, sizeof out), 0, "only white space: \"\"");
	ok(form_email_norm("a@b.c\xFF", 6, out, sizeof out) == 6, "invalid UTF-8 is copied (no match)");
	value_is_norm(BASE_NAME "&email=%09Dara.Sok%40Example.ORG%C2%A0&" BASE_COUNTRY,
		      "dara.sok@example.org", "form_validate's email_norm is form_email_norm's");
}

static void test_names(void)
{
	is_str(form_field_name(FORM_NAME), "name", "field name");
	is_str(form_field_name(FORM_EMAIL), "email", "field email");
	is_str(form_field_name(FORM_COUNTRY), "country", "field country");
	is_str(form_field_name(FORM_COMMENT), "comment", "field comment");
	is_str(form_field_name(FORM_PUBLIC), "public", "field public");
	is_str(form_field_name(FORM_UPDATES), "updates", "field updates");
	is_str(form_field_name(FORM_PUBLIC_NAME), "public_name", "field public_name");
	is_int(FORM_PUBLIC_NAME, 6, "FORM_PUBLIC_NAME is appended: the other indices stay");
	is_int(FORM_NFIELDS, 7, "seven fields");
	is_str(form_field_name(FORM_NFIELDS), "", "field out of range");
	is_str(form_error_key(FORM_ERR_REQUIRED), "err.required", "required");
	is_str(form_error_key(FORM_ERR_TOO_LONG), "err.too_long", "too_long");
	is_str(form_error_key(FORM_ERR_ENCODING), "err.encoding", "encoding");
	is_str(form_error_key(FORM_ERR_CONTROL), "err.control", "control");
	is_str(form_error_key(FORM_ERR_INVALID), "err.invalid", "invalid");
	is_str(form_error_key(FORM_ERR_REPEATED), "err.repeated", "repeated");
	is_str(form_error_key(FORM_ERR_CHAR), "err.char", "char");
	is_int(FORM_ERR_CHAR, FORM_ERR_REPEATED + 1, "FORM_ERR_CHAR is appended");
	is_str(form_error_key((enum form_error)(FORM_ERR_CHAR + 1)), "", "error out of range");
	is_str(form_error_key(FORM_OK), "", "FORM_OK has no message");
}

/* Regressions found by the fuzzers (tests/fuzz). */
static void test_regressions(void)
{
	/* A raw NUL byte inside a key must not let it pass for a shorter key. */
	static const char body[] = "name\0junk=Bob&email=a%40b.c&country=KH";
	struct form_kvs kvs;
	struct form_sig sig;
	char mark[64];
	size_t i;

	memset(&kvs, 0, sizeof kvs);
	memset(&sig, 0, sizeof sig);
	ok(form_decode(body, sizeof body - 1, &kvs) == 0, "raw NUL in a key: decodes");
	ok(form_get(&kvs, "name", NULL) == NULL, "raw NUL in a key: 'name\\0junk' is not 'name'");
	ok(form_validate(&kvs, &sig) > 0 && sig.err[FORM_NAME] == FORM_ERR_REQUIRED,
	   "raw NUL in a key: the name counts as missing");
	form_sig_free(&sig);
	form_kvs_free(&kvs);

	/* NFC splits U+0344 into two marks: 20 of them are 40 after NFC, over
	 * the stream-safe limit, so the name is refused rather than stored in a
	 * form that would be refused when submitted again. */
	{
		struct buf b = BUF_INIT;

		buf_puts(&b, "name=a");
		for (i = 0; i < 20; i++)
			buf_puts(&b, "%CD%84");
		buf_puts(&b, "&email=a%40b.org&country=KH");
		memset(&kvs, 0, sizeof kvs);
		memset(&sig, 0, sizeof sig);
		form_decode(b.data, b.len, &kvs);
		form_validate(&kvs, &sig);
		snprintf(mark, sizeof mark, "%d", (int)sig.err[FORM_NAME]);
		ok(sig.err[FORM_NAME] == FORM_ERR_INVALID,
		   "20 x U+0344 (40 marks after NFC): refused (err %s)", mark);
		form_sig_free(&sig);
		form_kvs_free(&kvs);
		buf_free(&b);
	}
}

/* Random bodies: nothing may crash (ASan/UBSan watch), and whatever comes
 * out must hold the documented invariants. */
static void test_random(void)
{
	static const char *const atoms[] = {
		"name", "email", "country", "comment", "public", "updates",
		"=", "&", "%", "%0", "%00", "%C0%80", "%ED%A0%80", "%E1%9E",
		"%F5", "+", "1", "on", "kh", "a%40b.c", "\xE1\x9E\x80",
		"\xCC\x81", "\xFF", "\xC3", "%0D%0A", "%CC%81", " ", "x",
		"public_name", "%E2%80%AE", "%E2%80%8B", "\xE2\x80\x8D", "%F3%A0%81%81",
		"%F0%9F%8F%B4", "1",
	};
	uint32_t seed = 12345;
	int i, j, bad = 0;
	char body[512];
	size_t n;

	for (i = 0; i < 20000; i++) {
		struct form_kvs kvs;
		struct form_sig sig;
		int r, f, nerr = 0;

		n = 0;
		for (j = 0; j < 40; j++) {
			const char *a;
			size_t al;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 5 == 0) {
				a = (const char *)&seed; /* raw bytes */
				al = 1;
			} else {
				a = atoms[(seed >> 8) % (sizeof atoms / sizeof atoms[0])];
				al = strlen(a);
			}
			if (n + al > sizeof body)
				break;
			memcpy(body + n, a, al);
			n += al;
		}
		r = run(body, n, &kvs, &sig);
		if (r == -2) {
			done(&kvs, &sig);
			continue;
		}
		for (f = 0; f < FORM_NFIELDS; f++) {
			if (sig.raw[f] == NULL || !utf8_valid(sig.raw[f], strlen(sig.raw[f])))
				bad++;
			nerr += sig.err[f] != FORM_OK;
		}
		if (r != nerr || r != sig.nerrors)
			bad++;
		if (!sig.is_public && (sig.public_name != NULL || sig.err[FORM_PUBLIC_NAME] != FORM_OK))
			bad++;
		if (sig.is_public && (sig.public_name != NULL) != (sig.err[FORM_PUBLIC_NAME] == FORM_OK))
			bad++;
		for (f = 0; f < FORM_NFIELDS; f++) {
			int detail = sig.err[f] == FORM_ERR_CHAR || sig.err[f] == FORM_ERR_CONTROL;

			if (detail != (sig.bad_pos[f] > 0) || (!detail && sig.bad_cp[f] != 0))
				bad++;
		}
		if (r == 0 && (sig.name == NULL || sig.email == NULL || sig.email_norm == NULL ||
			       sig.country == NULL || sig.comment == NULL ||
			       !utf8_valid(sig.name, strlen(sig.name)) ||
			       !utf8_valid(sig.comment, strlen(sig.comment))))
			bad++;
		done(&kvs, &sig);
	}
	is_int(bad, 0, "20000 random bodies keep every invariant");
}

int main(void)
{
	test_decode();
	test_utf8();
	test_valid_form();
	test_name();
	test_email();
	test_country();
	test_comment();
	test_checkboxes();
	test_raw();
	test_display_chars();
	test_public_name();
	test_error_text();
	test_email_norm();
	test_names();
	test_regressions();
	test_random();
	return done_testing();
}
