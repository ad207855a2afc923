/* test_tmpl.c -- unit tests for tmpl.c: the mustache-subset renderer. */
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "tmpl.h"

/* A fixed table of keys for the lookups. */
/* clang-format off */
static const char *const vars[][2] = {
	{ "name", "Dara" },
	{ "html", "<b>bold</b>" },
	{ "quote", "\"it's\" & <x>" },
	{ "empty", "" },
	{ "zero", "0" },
	{ "one", "1" },
	{ "yes", "yes" },
	{ "t.form.name", "ឈ្មោះ" },
	{ "count_raw", "12345" },
	{ "with-dash_and.dot", "ok" },
};
/* clang-format on */

static int lookups; /* how many times lookup() ran */

static int lookup(void *ctx, const char *key, size_t keylen, const char **val, size_t *len)
{
	size_t i;

	(void)ctx;
	lookups++;
	for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		if (strlen(vars[i][0]) == keylen && memcmp(vars[i][0], key, keylen) == 0) {
			*val = vars[i][1];
			*len = strlen(vars[i][1]);
			return 0;
		}
	}
	return -1;
}

/* Renders src and expects success and exactly want. */
static void render_ok(const char *src, const char *want, const char *what)
{
	struct buf b = BUF_INIT;
	const char *err = "unset";
	int r = tmpl_render(&b, src, strlen(src), lookup, NULL, &err);

	if (!ok(r == 0 && err == NULL, "renders: %s", what))
		printf("#   error: %s\n", err ? err : "(null)");
	is_mem(b.data ? b.data : "", b.len, want, strlen(want), "output: %s", what);
	buf_free(&b);
}

/* Renders src and expects -1, an error message and out left as it was. */
static void render_fails(const char *src, const char *what)
{
	struct buf b = BUF_INIT;
	const char *err = NULL;
	int r;

	buf_puts(&b, "kept");
	r = tmpl_render(&b, src, strlen(src), lookup, NULL, &err);
	ok(r == -1 && err != NULL && *err != '\0', "fails: %s (%s)", what,
	   err ? err : "no message");
	is_str(buf_cstr(&b), "kept", "output untouched on error: %s", what);
	buf_free(&b);
}

int main(void)
{
	struct buf b = BUF_INIT;
	const char *err = NULL;
	/* 17 nested sections: one more than allowed. */
	char deep[512] = "", deeper[512] = "";
	int i;

	render_ok("", "", "empty template");
	render_ok("no tags here", "no tags here", "plain text");
	render_ok("Hello {{name}}!", "Hello Dara!", "a variable");
	render_ok("{{ name }}", "Dara", "spaces around the key");
	render_ok("{{html}}", "&lt;b&gt;bold&lt;/b&gt;", "variables are escaped");
	render_ok("{{quote}}", "&quot;it&#39;s&quot; &amp; &lt;x&gt;",
		  "quotes and ampersands are escaped");
	render_ok("{{{html}}}", "<b>bold</b>", "triple braces insert raw");
	render_ok("{{{ html }}}", "<b>bold</b>", "raw with spaces");
	render_ok("{{t.form.name}}: {{count_raw}}", "ឈ្មោះ: 12345", "dotted keys and UTF-8 values");
	render_ok("{{with-dash_and.dot}}", "ok", "dash, underscore and dot");
	render_ok("a{{! a comment }}b", "ab", "comments render nothing");
	render_ok("a{{! {{name}} }}b", "a }}b", "a comment ends at the first closing braces");
	render_ok("[{{empty}}]", "[]", "empty value");

	render_ok("{{#one}}shown{{/one}}", "shown", "section on");
	render_ok("{{#yes}}shown{{/yes}}", "shown", "section on for any text");
	render_ok("{{#zero}}hidden{{/zero}}", "", "section off for \"0\"");
	render_ok("{{#empty}}hidden{{/empty}}", "", "section off for \"\"");
	render_ok("{{^zero}}shown{{/zero}}", "shown", "inverted section for \"0\"");
	render_ok("{{^empty}}shown{{/empty}}", "shown", "inverted section for \"\"");
	render_ok("{{^one}}hidden{{/one}}", "", "inverted section off");
	render_ok("{{# one }}x{{/ one }}", "x", "spaces in section tags");
	render_ok("{{#one}}a{{#yes}}b{{^zero}}c{{/zero}}{{/yes}}d{{/one}}", "abcd",
		  "nested sections, all on");
	render_ok("{{#one}}a{{#zero}}b{{#yes}}c{{/yes}}d{{/zero}}e{{/one}}", "ae",
		  "nested sections, inner off");
	render_ok("{{#one}}1{{/one}}{{^one}}2{{/one}}{{#zero}}3{{/zero}}", "1",
		  "sections one after another");
	render_ok("{{#name}}Hi {{name}}{{/name}}", "Hi Dara", "variable inside a section");
	render_ok("{{#one}}{{{html}}}{{/one}}", "<b>bold</b>", "raw inside a section");
	render_ok("a } b }} c {", "a } b }} c {", "stray braces are text");

	/* Keys in a section that is off are not looked up. */
	render_ok("{{#zero}}{{nosuchkey}}{{#alsonot}}x{{/alsonot}}{{/zero}}y", "y",
		  "unknown keys in an off section are not looked up");
	lookups = 0;
	tmpl_render(&b, "{{#empty}}{{name}}{{name}}{{/empty}}", 36, lookup, NULL, NULL);
	is_int(lookups, 1, "only the section key is looked up");
	buf_free(&b);

	for (i = 0; i < TMPL_MAX_DEPTH; i++)
		strcat(deep, "{{#one}}");
	strcat(deep, "x");
	for (i = 0; i < TMPL_MAX_DEPTH; i++)
		strcat(deep, "{{/one}}");
	render_ok(deep, "x", "sections nested TMPL_MAX_DEPTH deep");
	for (i = 0; i <= TMPL_MAX_DEPTH; i++)
		strcat(deeper, "{{#one}}");
	for (i = 0; i <= TMPL_MAX_DEPTH; i++)
		strcat(deeper, "{{/one}}");
	render_fails(deeper, "sections nested too deep");

	render_fails("Hello {{nosuchkey}}", "unknown key");
	render_fails("{{{nosuchkey}}}", "unknown raw key");
	render_fails("{{#nosuchkey}}x{{/nosuchkey}}", "unknown section key");
	render_fails("Hello {{name", "unclosed tag");
	render_fails("Hello {{name}", "tag closed by one brace");
	render_fails("{{{html}}", "raw tag closed by two braces");
	render_fails("{{! never closed", "unclosed comment");
	render_fails("{{#one}}open", "unclosed section");
	render_fails("{{#one}}{{#yes}}x{{/yes}}", "unclosed outer section");
	render_fails("{{#one}}x{{/yes}}", "mismatched closing tag");
	render_fails("{{#one}}{{#yes}}x{{/one}}{{/yes}}", "crossed sections");
	render_fails("x{{/one}}", "closing tag without section");
	render_fails("{{}}", "empty tag");
	render_fails("{{  }}", "tag of spaces");
	render_fails("{{na me}}", "space inside a key");
	render_fails("{{name!}}", "bad character in a key");
	render_fails("{{&name}}", "unsupported sigil");
	render_fails("{{#}}{{/}}", "section without key");
	render_fails("{{#zero}}{{bad key}}{{/zero}}", "syntax is checked in an off section");
	render_fails("{{", "lone opening braces");

	/* err may be NULL; lookup may be NULL (then every key is unknown). */
	ok(tmpl_render(&b, "{{name}}", 8, lookup, NULL, NULL) == 0, "err may be NULL");
	buf_reset(&b);
	ok(tmpl_render(&b, "{{name}}", 8, NULL, NULL, &err) == -1 && err != NULL,
	   "no lookup: every key is unknown");
	ok(tmpl_render(&b, "text", 4, NULL, NULL, &err) == 0 && err == NULL,
	   "no lookup is fine without keys");
	buf_reset(&b);

	/* The length bounds the template: no NUL needed, none read past. */
	ok(tmpl_render(&b, "{{name}}XYZ", 8, lookup, NULL, &err) == 0,
	   "renders a prefix of a buffer");
	is_str(buf_cstr(&b), "Dara", "stops at len");
	buf_reset(&b);
	ok(tmpl_render(&b, "{{name}}", 7, lookup, NULL, &err) == -1,
	   "a tag cut by len is unclosed");
	buf_free(&b);
	return done_testing();
}
