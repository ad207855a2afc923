/* search.c -- the organizers' signature search text, parsed (see search.h). */
#include "search.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int search_word_char(int c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_CO:
		return 1;
	default:
		return 0;
	}
}

void search_query_free(struct search_query *sq)
{
	if (sq == NULL)
		return;
	buf_free(&sq->match);
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The address, or its beginning: [lo, hi) holds every email_norm that
 * starts with it. */
static void parse_email(const char *q, size_t len, struct search_query *out)
{
	int n = form_email_norm(q, len, out->lo, sizeof out->lo);

	if (n <= 0) {
		out->kind = n == 0 ? SEARCH_NONE : SEARCH_INVALID;
		out->lo[0] = '\0';
		return;
	}
	memcpy(out->hi, out->lo, (size_t)n + 1);
	/* Valid UTF-8 never holds 0xFF, so the raised byte stays a byte. */
	out->hi[n - 1] = (char)((unsigned char)out->hi[n - 1] + 1);
	out->kind = SEARCH_EMAIL;
}

/* Appends the words of the NFC form of s (NUL-terminated) as quoted prefix
 * terms joined by AND. Returns the number of words, or -1 (out of memory,
 * or more than SEARCH_MAX_WORDS: then *too_many is set). */
static int append_words(struct buf *m, const unsigned char *s, int *too_many)
{
	utf8proc_ssize_t i = 0, len = (utf8proc_ssize_t)strlen((const char *)s);
	int words = 0, in_word = 0;

	*too_many = 0;
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(s + i, len - i, &c);

		if (k <= 0)
			return -1;
		if (search_word_char(c)) {
			if (!in_word) {
				if (++words > SEARCH_MAX_WORDS) {
					*too_many = 1;
					return -1;
				}
				buf_puts(m, words > 1 ? " AND \"" : "\"");
				in_word = 1;
			}
			buf_append(m, s + i, (size_t)k);
		} else if (in_word) {
			buf_puts(m, "\"*");
			in_word = 0;
		}
		i += k;
	}
	if (in_word)
		buf_puts(m, "\"*");
	return m->oom ? -1 : words;
}

int search_parse(const char *q, size_t len, const char *country, struct search_query *out)
{
	utf8proc_uint8_t *nfc = NULL;
	size_t a = 0, b;
	int words = 0, too_many = 0;

	memset(out, 0, sizeof *out);
	buf_init(&out->match);
	out->kind = SEARCH_NONE;
	if (q == NULL)
		len = 0;
	b = len;
	if (len > SEARCH_MAX_QUERY_BYTES || (len > 0 && memchr(q, '\0', len) != NULL) ||
	    (len > 0 && !utf8_valid(q, len))) {
		out->kind = SEARCH_INVALID;
		return 0;
	}
	while (a < b && is_space((unsigned char)q[a]))
		a++;
	while (b > a && is_space((unsigned char)q[b - 1]))
		b--;
	if (b > a && memchr(q + a, '@', b - a) != NULL) {
		parse_email(q + a, b - a, out);
		return 0;
	}
	if (b > a) {
		/* Names are stored in NFC: so is what is looked for. */
		if (utf8proc_map((const utf8proc_uint8_t *)q + a, (utf8proc_ssize_t)(b - a), &nfc,
				 UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0) {
			out->kind = SEARCH_INVALID;
			return 0;
		}
		buf_puts(&out->match, "{name public_name} : (");
		words = append_words(&out->match, nfc, &too_many);
		free(nfc);
		if (words < 0) {
			buf_reset(&out->match);
			if (too_many) {
				out->kind = SEARCH_INVALID;
				return 0;
			}
			return -1;
		}
		if (words == 0)
			buf_reset(&out->match);
		else
			buf_putc(&out->match, ')');
	}
	if (country != NULL && country[0] != '\0') {
		char cc[3] = { 0 };

		cc[0] = (char)(country[0] | 0x20);
		cc[1] = (char)(country[1] | 0x20);
		buf_printf(&out->match, "%scountry : \"%s\"", words > 0 ? " AND " : "", cc);
	}
	if (out->match.oom)
		return -1;
	out->nwords = (size_t)words;
	out->kind = out->match.len > 0 ? SEARCH_NAME : SEARCH_NONE;
	return 0;
}
