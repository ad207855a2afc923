/* tmpl.c -- a small logic-less template renderer (a mustache subset). */
#include "tmpl.h"

#include <string.h>

#include "html.h"

/* One open section: its key (a slice of the template) and whether the text
 * around it was being rendered when it opened. */
struct tmpl_frame {
	const char *key;
	size_t keylen;
	int outer_active;
};

struct tmpl_state {
	struct buf *out;
	tmpl_lookup_fn lookup;
	void *ctx;
	const char *err;
	struct tmpl_frame stack[TMPL_MAX_DEPTH];
	size_t depth;
	int active; /* text is emitted only while every open section is on */
};

static int tmpl_fail(struct tmpl_state *st, const char *msg)
{
	if (st->err == NULL)
		st->err = msg;
	return -1;
}

/* The first occurrence of the n-byte needle in s[0..len), or NULL. */
static const char *tmpl_find(const char *s, size_t len, const char *needle, size_t n)
{
	size_t i;

	if (len < n)
		return NULL;
	for (i = 0; i + n <= len; i++) {
		if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
			return s + i;
	}
	return NULL;
}

static int tmpl_key_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * Trims spaces around the key in s[0..n) and checks its characters.
 * Returns 0 with *key and *keylen set, or -1 when the key is empty or has a
 * character outside [A-Za-z0-9_.-].
 */
static int tmpl_parse_key(const char *s, size_t n, const char **key, size_t *keylen)
{
	size_t i;

	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!tmpl_key_char((unsigned char)s[i]))
			return -1;
	}
	*key = s;
	*keylen = n;
	return 0;
}

static int tmpl_get(struct tmpl_state *st, const char *key, size_t keylen, const char **val,
		    size_t *len)
{
	*val = NULL;
	*len = 0;
	if (st->lookup == NULL || st->lookup(st->ctx, key, keylen, val, len) != 0)
		return tmpl_fail(st, "unknown key");
	if (*val == NULL && *len != 0)
		return tmpl_fail(st, "lookup returned no value");
	return 0;
}

/* Handles the tag whose inside (between the braces) is s[0..n). */
static int tmpl_tag(struct tmpl_state *st, const char *s, size_t n, int raw)
{
	const char *key, *val;
	size_t keylen, len;
	struct tmpl_frame *f;
	char sigil = raw ? 0 : (n > 0 ? s[0] : 0);

	if (sigil == '!')
		return 0;
	if (sigil == '#' || sigil == '^' || sigil == '/') {
		s++;
		n--;
	}
	if (tmpl_parse_key(s, n, &key, &keylen) != 0)
		return tmpl_fail(st, "bad key in tag");

	switch (sigil) {
	case '#':
	case '^':
		if (st->depth >= TMPL_MAX_DEPTH)
			return tmpl_fail(st, "sections nested too deep");
		f = &st->stack[st->depth++];
		f->key = key;
		f->keylen = keylen;
		f->outer_active = st->active;
		if (st->active) {
			int on;

			if (tmpl_get(st, key, keylen, &val, &len) != 0)
				return -1;
			on = len > 0 && !(len == 1 && val[0] == '0');
			st->active = sigil == '#' ? on : !on;
		}
		return 0;
	case '/':
		if (st->depth == 0)
			return tmpl_fail(st, "closing tag without section");
		f = &st->stack[st->depth - 1];
		if (f->keylen != keylen || memcmp(f->key, key, keylen) != 0)
			return tmpl_fail(st, "mismatched closing tag");
		st->active = f->outer_active;
		st->depth--;
		return 0;
	default:
		/* Keys in a section that is not rendered are not looked up,
		 * as in mustache: a key may exist only when its section is on. */
		if (!st->active)
			return 0;
		if (tmpl_get(st, key, keylen, &val, &len) != 0)
			return -1;
		if (raw)
			buf_append(st->out, val, len);
		else
			html_escape(st->out, val, len);
		return st->out->oom ? tmpl_fail(st, "out of memory") : 0;
	}
}

/*
 * Renders src[0..len) into out; see tmpl.h for the syntax. Pure and
 * reentrant: any thread, as long as lookup is. On error, out is restored to
 * the length it had on entry (unless it ran out of memory) and *err, when
 * err is not NULL, points to a static message.
 */
int tmpl_render(struct buf *out, const char *src, size_t len, tmpl_lookup_fn lookup, void *ctx,
		const char **err)
{
	struct tmpl_state st;
	size_t start = out->len;
	const char *p = src, *end, *open, *close;

	memset(&st, 0, sizeof st);
	st.out = out;
	st.lookup = lookup;
	st.ctx = ctx;
	st.active = 1;
	if (err)
		*err = NULL;
	if (src == NULL && len != 0) {
		tmpl_fail(&st, "no template");
		goto fail;
	}
	end = src == NULL ? src : src + len;

	while (p < end) {
		int raw;

		open = tmpl_find(p, (size_t)(end - p), "{{", 2);
		if (open == NULL) {
			if (st.active)
				buf_append(out, p, (size_t)(end - p));
			break;
		}
		if (st.active && open > p)
			buf_append(out, p, (size_t)(open - p));
		raw = open + 2 < end && open[2] == '{';
		p = open + (raw ? 3 : 2);
		close = tmpl_find(p, (size_t)(end - p), raw ? "}}}" : "}}", raw ? 3 : 2);
		if (close == NULL) {
			tmpl_fail(&st, "unclosed tag");
			goto fail;
		}
		if (tmpl_tag(&st, p, (size_t)(close - p), raw) != 0)
			goto fail;
		p = close + (raw ? 3 : 2);
		if (out->oom) {
			tmpl_fail(&st, "out of memory");
			goto fail;
		}
	}
	if (st.depth > 0) {
		tmpl_fail(&st, "unclosed section");
		goto fail;
	}
	if (out->oom) {
		tmpl_fail(&st, "out of memory");
		goto fail;
	}
	return 0;

fail:
	if (!out->oom && out->len > start) {
		out->len = start;
		out->data[start] = '\0';
	}
	if (err)
		*err = st.err;
	return -1;
}
