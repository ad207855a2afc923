/* html.c -- escaping text for HTML bodies, attribute values and URLs. */
#include "html.h"

#include <string.h>

/*
 * Appends s[0..n) to out, replacing & < > " ' with entities and dropping NUL
 * bytes. Runs of harmless bytes are copied in one append. Any thread; out is
 * owned by the caller. Returns 0, or -1 when out ran out of memory (out->oom
 * is then set and stays set).
 */
int html_escape(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *ent;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		case '\0':
			ent = "";
			break;
		default:
			continue;
		}
		if (i > run)
			buf_append(out, s + run, i - run);
		buf_puts(out, ent);
		run = i + 1;
	}
	if (n > run)
		buf_append(out, s + run, n - run);
	return out->oom ? -1 : 0;
}

static int url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/*
 * Appends s[0..n) percent-encoded (upper-case hex) for a URL query
 * component: RFC 3986 unreserved characters stay, every other byte,
 * including space and NUL, becomes %XX. Returns 0 or -1 (out of memory).
 */
int url_encode(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	char esc[3];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (url_unreserved(c))
			continue;
		if (i > run)
			buf_append(out, s + run, i - run);
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		buf_append(out, esc, sizeof esc);
		run = i + 1;
	}
	if (n > run)
		buf_append(out, s + run, n - run);
	return out->oom ? -1 : 0;
}
