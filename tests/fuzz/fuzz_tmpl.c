/* fuzz_tmpl.c -- fuzz target for tmpl.c (template rendering) and html_escape().
 *
 * Input: a template, optionally followed by a line "--" and then variables,
 * one "key=value" per line (a line without '=' is a key with an empty value):
 *
 *     <p>{{#who}}Hello {{who}}{{/who}}</p>{{{raw}}}
 *     --
 *     who=<script>alert(1)</script>
 *     raw=<b>trusted</b>
 *
 * A few variables always exist (see fuzz_defaults) so that any mutated
 * template finds something to look up. Checked: rendering never crashes; the
 * lookup callback only ever sees well-formed keys taken from the template;
 * on success the error is NULL and the characters < > " ' in the output can
 * all be accounted for by the template text and the {{{raw}}} tags (an
 * escaped {{key}} never brings one in); on failure there is an error message
 * and the output buffer is exactly as it was; rendering is deterministic and
 * appends. html_escape() of the whole input is checked on its own: no
 * special character survives and unescaping gives back the input minus NULs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "html.h"
#include "tmpl.h"

#define FUZZ_MAX_VARS 64

struct fuzz_var {
	const char *key;
	size_t keylen;
	const char *val; /* may be NULL (see "null" and "badptr") */
	size_t vlen;
};

/* Always defined; variables from the input come first and win. */
#define FUZZ_VAR(k, v) {k, sizeof k - 1, v, sizeof v - 1}
static const struct fuzz_var fuzz_defaults[] = {
	FUZZ_VAR("html", "<b class=\"x\">Tom & 'Jerry'</b>"),
	FUZZ_VAR("empty", ""),
	FUZZ_VAR("zero", "0"),
	FUZZ_VAR("one", "1"),
	FUZZ_VAR("km", "កម្ពុជា"),
	FUZZ_VAR("nul", "a\0<b>"),
	{"null", 4, NULL, 0},   /* a NULL value of length 0: an empty string */
	{"badptr", 6, NULL, 5}, /* a broken lookup: must fail, not crash */
};
#define FUZZ_NDEFAULTS (sizeof fuzz_defaults / sizeof fuzz_defaults[0])

struct fuzz_ctx {
	struct fuzz_var vars[FUZZ_MAX_VARS];
	size_t n;
	const char *tpl; /* the template, for checking key pointers */
	size_t tlen;
	size_t lookups;
};

static int key_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int fuzz_lookup(void *arg, const char *key, size_t keylen, const char **val, size_t *len)
{
	struct fuzz_ctx *ctx = arg;
	size_t i;

	/* The key is a non-empty slice of the template, in [A-Za-z0-9_.-]. */
	FUZZ_CHECK(keylen > 0);
	FUZZ_CHECK(key >= ctx->tpl && key + keylen <= ctx->tpl + ctx->tlen);
	for (i = 0; i < keylen; i++)
		FUZZ_CHECK(key_char((uint8_t)key[i]));
	ctx->lookups++;

	for (i = 0; i < ctx->n; i++) {
		if (ctx->vars[i].keylen == keylen && memcmp(ctx->vars[i].key, key, keylen) == 0)
			goto found;
	}
	for (i = 0; i < FUZZ_NDEFAULTS; i++) {
		if (fuzz_defaults[i].keylen == keylen &&
		    memcmp(fuzz_defaults[i].key, key, keylen) == 0) {
			*val = fuzz_defaults[i].val;
			*len = fuzz_defaults[i].vlen;
			return 0;
		}
	}
	return -1;
found:
	*val = ctx->vars[i].val;
	*len = ctx->vars[i].vlen;
	return 0;
}

/* Number of bytes c in s[0..n) (s may be NULL when n is 0). */
static size_t count_char(const char *s, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* Occurrences of the n-byte needle in s[0..len), overlapping ones included. */
static size_t count_str(const char *s, size_t len, const char *needle, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i + n <= len; i++)
		k += memcmp(s + i, needle, n) == 0;
	return k;
}

/* Splits "template\n--\nkey=value\n..." into ctx. */
static void parse_input(const char *s, size_t n, struct fuzz_ctx *ctx)
{
	const char *sep = NULL, *p, *end = s + n;
	size_t i;

	for (i = 0; i + 4 <= n; i++) {
		if (memcmp(s + i, "\n--\n", 4) == 0) {
			sep = s + i;
			break;
		}
	}
	memset(ctx, 0, sizeof *ctx);
	ctx->tpl = s;
	ctx->tlen = sep ? (size_t)(sep - s) : n;
	if (sep == NULL)
		return;
	for (p = sep + 4; p < end && ctx->n < FUZZ_MAX_VARS;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		struct fuzz_var *v = &ctx->vars[ctx->n++];

		v->key = p;
		v->keylen = (size_t)((eq ? eq : le) - p);
		v->val = eq ? eq + 1 : le;
		v->vlen = (size_t)(le - v->val);
		p = nl ? nl + 1 : end;
	}
}

/* The most bytes c in any one value a lookup can return. */
static size_t max_in_values(const struct fuzz_ctx *ctx, char c)
{
	size_t i, k, m = 0;

	for (i = 0; i < ctx->n; i++) {
		k = count_char(ctx->vars[i].val, ctx->vars[i].vlen, c);
		m = k > m ? k : m;
	}
	for (i = 0; i < FUZZ_NDEFAULTS; i++) {
		if (fuzz_defaults[i].val == NULL)
			continue;
		k = count_char(fuzz_defaults[i].val, fuzz_defaults[i].vlen, c);
		m = k > m ? k : m;
	}
	return m;
}

/* Renders the template after a prefix already in the buffer and checks the
 * result. Returns tmpl_render()'s value; *res gets the rendered part. */
static int render_checked(struct fuzz_ctx *ctx, tmpl_lookup_fn fn, struct buf *res)
{
	static const char prefix[] = "<prefix & \"stuff\">";
	const size_t plen = sizeof prefix - 1;
	struct buf out = BUF_INIT;
	const char *err = "unset";
	int r;

	FUZZ_CHECK(buf_append(&out, prefix, plen) == 0);
	ctx->lookups = 0;
	r = tmpl_render(&out, ctx->tpl, ctx->tlen, fn, ctx, &err);
	FUZZ_CHECK(r == 0 || r == -1);
	FUZZ_CHECK(!out.oom);
	FUZZ_CHECK(out.len >= plen && memcmp(out.data, prefix, plen) == 0);
	FUZZ_CHECK(out.data[out.len] == '\0');
	if (r == 0) {
		FUZZ_CHECK(err == NULL);
	} else {
		/* A failed render leaves the buffer as it found it. */
		FUZZ_CHECK(err != NULL && strlen(err) > 0);
		FUZZ_CHECK(out.len == plen);
	}
	if (fn == NULL)
		FUZZ_CHECK(ctx->lookups == 0);
	buf_reset(res);
	FUZZ_CHECK(buf_append(res, out.data + plen, out.len - plen) == 0);
	buf_free(&out);
	return r;
}

/* html_escape(s): no special character left, and it decodes back to s
 * without its NUL bytes. */
static void check_escape(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i = 0, j = 0;

	FUZZ_CHECK(html_escape(&b, s, n) == 0);
	for (i = 0; i < b.len; i++) {
		char c = b.data[i];

		FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'' && c != '\0');
	}
	for (i = 0; i < b.len;) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
		char want;
		size_t k;

		while (j < n && s[j] == '\0')
			j++;
		FUZZ_CHECK(j < n);
		if (b.data[i] == '&') {
			for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
				size_t el = strlen(ents[k].ent);

				if (b.len - i >= el && memcmp(b.data + i, ents[k].ent, el) == 0)
					break;
			}
			FUZZ_CHECK(k < sizeof ents / sizeof ents[0]);
			want = ents[k].c;
			i += strlen(ents[k].ent);
		} else {
			want = b.data[i++];
		}
		FUZZ_CHECK(s[j] == want);
		j++;
	}
	while (j < n && s[j] == '\0')
		j++;
	FUZZ_CHECK(j == n);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char specials[] = "<>\"'";
	struct fuzz_ctx ctx;
	struct buf first = BUF_INIT, again = BUF_INIT, bare = BUF_INIT;
	size_t triple, i;
	int r, r2, r3;
	char *input;

	/* An exactly sized copy, so reading past the end is caught. */
	input = malloc(size ? size : 1);
	FUZZ_CHECK(input != NULL);
	if (size)
		memcpy(input, data, size);
	parse_input(input, size, &ctx);

	r = render_checked(&ctx, fuzz_lookup, &first);
	if (r == 0) {
		/* Only a {{{raw}}} tag may insert a value's < > " ' as they are. */
		triple = count_str(ctx.tpl, ctx.tlen, "{{{", 3);
		for (i = 0; specials[i]; i++) {
			char c = specials[i];

			FUZZ_CHECK(count_char(first.data, first.len, c) <=
				   count_char(ctx.tpl, ctx.tlen, c) + triple * max_in_values(&ctx, c));
		}
	}
	if (count_str(ctx.tpl, ctx.tlen, "{{", 2) == 0) {
		/* Plain text comes out as it is. */
		FUZZ_CHECK(r == 0 && ctx.lookups == 0);
		FUZZ_CHECK(first.len == ctx.tlen &&
			   (first.len == 0 || memcmp(first.data, ctx.tpl, first.len) == 0));
	}

	/* Deterministic. */
	r2 = render_checked(&ctx, fuzz_lookup, &again);
	FUZZ_CHECK(r2 == r);
	FUZZ_CHECK(again.len == first.len &&
		   (first.len == 0 || memcmp(again.data, first.data, first.len) == 0));

	/* Without a lookup function every key is unknown. */
	r3 = render_checked(&ctx, NULL, &bare);
	if (r3 == 0) {
		/* Then nothing needed a lookup, so the real one changes nothing. */
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(bare.len == first.len &&
			   (first.len == 0 || memcmp(bare.data, first.data, first.len) == 0));
	}

	/* No template: empty renders nothing; missing is an error. (tmpl.c
	 * once computed src + len before checking src for NULL: UBSan.) */
	{
		struct buf none = BUF_INIT;
		const char *err = "unset";

		FUZZ_CHECK(tmpl_render(&none, NULL, 0, fuzz_lookup, &ctx, &err) == 0);
		FUZZ_CHECK(err == NULL && none.len == 0);
		FUZZ_CHECK(tmpl_render(&none, NULL, size + 1, fuzz_lookup, &ctx, &err) == -1);
		FUZZ_CHECK(err != NULL && none.len == 0);
		buf_free(&none);
	}

	check_escape(input, size);

	buf_free(&first);
	buf_free(&again);
	buf_free(&bare);
	free(input);
	return 0;
}
