/* search.h -- what an organizer typed into the signature search, turned
 * into something the store can look up (pure: no I/O).
 *
 * One box takes a name or an email address. Text with an '@' is an email
 * address, or its beginning: it is normalized the way the duplicate key is
 * (form_email_norm) and looked up as a prefix of email_norm, which the
 * UNIQUE index answers. Anything else is a name: it is cut into words the
 * way the store's full-text index cuts names (letters, digits, combining
 * marks and private-use characters make words; everything else separates
 * them, so "Mary-Jane O'Brien" is four words and Khmer vowel signs and
 * COENG stay inside their word), and every word must begin a word of the
 * signer's name or public name, in any case, accents ignored. */
#ifndef PETITIOND_SEARCH_H
#define PETITIOND_SEARCH_H

#include <stddef.h>

#include "buf.h"
#include "form.h"

/* Longest search text taken, in bytes (a name is at most 100 characters;
 * an email address 254 bytes). Longer text is refused, not cut. */
#define SEARCH_MAX_QUERY_BYTES 400
/* Most words in a name search; more are refused. */
#define SEARCH_MAX_WORDS 8

enum search_kind {
	SEARCH_NONE = 0, /* empty, or only separators */
	SEARCH_NAME,     /* words: match holds a full-text expression */
	SEARCH_EMAIL,    /* an address or its beginning: lo <= email_norm < hi */
	SEARCH_INVALID   /* too long, too many words, not UTF-8, a NUL byte */
};

struct search_query {
	enum search_kind kind;
	size_t nwords;
	/* SEARCH_NAME: a full-text (SQLite FTS5) expression over the columns
	 * name and public_name, each word a quoted prefix term; "" otherwise. */
	struct buf match;
	/* SEARCH_EMAIL: the bounds of the prefix range, NUL-terminated; lo is
	 * the normalized prefix, hi the first string after every string that
	 * starts with it (lo with its last byte raised by one). */
	char lo[FORM_EMAIL_MAX_BYTES + 1];
	char hi[FORM_EMAIL_MAX_BYTES + 1];
};

/* Parses q[0..len) (not NUL-terminated, may be NULL when len is 0).
 * country: an ISO 3166-1 alpha-2 code already checked by the caller (any
 * case), or NULL: for a name search, appended to the expression as a
 * condition on the country column; a country alone gives SEARCH_NAME with
 * nwords 0 and only that condition (an email search leaves the country to
 * the caller). Returns 0 (out->kind says what it is),
 * or -1 when memory ran out. out must be released with search_query_free
 * in every case. Any thread. */
int search_parse(const char *q, size_t len, const char *country, struct search_query *out);
void search_query_free(struct search_query *sq);

/* 1 when code point c belongs to a word (Unicode general category L*, N*,
 * M* or Co), as the store's index tokenizer sees it. */
int search_word_char(int c);

#endif
