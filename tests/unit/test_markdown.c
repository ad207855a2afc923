/* test_markdown.c -- unit tests for markdown.c: the organizers' Markdown
 * rendered with cmark, made safe (no raw HTML, no script links, no
 * images, no second <h1>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "markdown.h"
#include "tap.h"

static char *render(const char *md, unsigned flags)
{
	struct buf b = BUF_INIT;

	if (markdown_render(&b, md, strlen(md), flags) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

static void has(const char *md, unsigned flags, const char *want, const char *what)
{
	char *h = render(md, flags);

	if (!ok(h != NULL && strstr(h, want) != NULL, "%s", what))
		printf("#   got: %s\n#   want inside: %s\n", h ? h : "(null)", want);
	free(h);
}

static void lacks(const char *md, const char *bad, const char *what)
{
	char *h = render(md, 0);
	char *low = h ? strdup(h) : NULL;
	size_t i;

	for (i = 0; low && low[i]; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] = (char)(low[i] + 32);
	if (!ok(low != NULL && strstr(low, bad) == NULL, "%s", what))
		printf("#   got: %s\n", h ? h : "(null)");
	free(low);
	free(h);
}

int main(void)
{
	char *h;

	/* What organizers write. */
	has("Hello *world*", 0, "<p>Hello <em>world</em></p>", "a paragraph with emphasis");
	has("**strong**", 0, "<strong>strong</strong>", "strong emphasis");
	has("## Our Demands:", 0, "<h2>Our Demands:</h2>", "a level-2 heading");
	has("# Title again", 0, "<h2>Title again</h2>", "a level-1 heading becomes <h2>");
	has("### Small", 0, "<h3>Small</h3>", "a level-3 heading stays");
	has("1. one\n2. two", 0, "<ol>\n<li>one</li>\n<li>two</li>\n</ol>", "a numbered list");
	has("3. three\n4. four", 0, "<ol start=\"3\">", "a numbered list starting at 3");
	has("- a\n- b", 0, "<ul>\n<li>a</li>", "a bulleted list");
	has("[site](https://example.org/a?b=c&d=e)", 0,
	    "<a href=\"https://example.org/a?b=c&amp;d=e\">site</a>", "an https link");
	has("[write](mailto:contact@example.org)", 0, "href=\"mailto:contact@example.org\"",
	    "a mailto link");
	has("[call](tel:+17028080337)", 0, "href=\"tel:+17028080337\"", "a tel link");
	has("[page](/?lang=en)", 0, "href=\"/?lang=en\"", "a relative link");
	has("[top](#sign)", 0, "href=\"#sign\"", "a fragment link");
	has("<contact@example.org>", 0, "href=\"mailto:contact@example.org\"", "an email autolink");
	has("costs $16 billion, 14%", 0, "costs $16 billion, 14%", "$ and % are plain text");
	has("a line\nnext line", MARKDOWN_HARDBREAKS, "a line<br />\nnext line",
	    "an address keeps its lines");
	has("a line\nnext line", 0, "a line\nnext line", "a paragraph joins its lines");
	has("ការរិចរិល **ដិត៖** និង", 0, "<strong>ដិត៖</strong>", "Khmer with strong emphasis");

	/* What must never reach the page as markup. */
	lacks("<script>alert(1)</script>", "<script", "a raw <script> block is not markup");
	has("<script>alert(1)</script>", 0, "&lt;script&gt;alert(1)&lt;/script&gt;",
	    "... it is shown as text");
	lacks("x <img src=x onerror=alert(1)> y", "<img", "inline raw HTML is not markup");
	has("x <b>bold</b> y", 0, "x &lt;b&gt;bold&lt;/b&gt; y", "... it is shown as text");
	lacks("<div onclick=\"alert(1)\">x</div>", "<div", "a raw HTML block is not markup");
	lacks("<!-- a comment -->", "<!--", "an HTML comment is not markup");
	lacks("[x](javascript:alert(1))", "javascript:", "a javascript: link is dropped");
	has("[x](javascript:alert(1))", 0, "<p>x</p>", "... its text stays");
	lacks("[x](JaVaScRiPt:alert(1))", "javascript:", "javascript: in any case");
	lacks("[x](java&#x09;script:alert(1))", "script:", "javascript: with an encoded tab");
	lacks("[x](&#106;avascript:alert(1))", "javascript:", "javascript: with an encoded letter");
	lacks("[x](vbscript:msgbox)", "vbscript:", "a vbscript: link is dropped");
	lacks("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:", "a data: link is dropped");
	lacks("[x](data:image/png;base64,iVBORw0KGgo=)", "data:",
	      "a data:image link is dropped (cmark alone would keep it)");
	lacks("[x](file:///etc/passwd)", "file:", "a file: link is dropped");
	lacks("<javascript:alert(1)>", "href=\"javascript", "a javascript: autolink is dropped");
	lacks("[x][r]\n\n[r]: javascript:alert(1)", "javascript:",
	      "a javascript: reference link is dropped");
	lacks("![pixel](https://tracker.example/p.png)", "<img", "an image is not loaded");
	has("![pixel](https://tracker.example/p.png)", 0, "<p>pixel</p>", "... its description stays");
	lacks("[![a](x.png)](javascript:alert(1))", "<img", "an image in a bad link: neither stays");
	has("&lt;i&gt; &amp; &copy;", 0, "&lt;i&gt; &amp; ©", "entities are text");
	has("\"quoted\" 'single'", 0, "&quot;quoted&quot; 'single'", "quotes are escaped");

	ok(markdown_safe_url("https://example.org") && markdown_safe_url("HTTP://x") &&
		   markdown_safe_url("page.html") && markdown_safe_url("/a:b") &&
		   markdown_safe_url("?q=a:b") && markdown_safe_url(""),
	   "safe URLs: http(s), relative ones (a colon after / or ? is no scheme)");
	ok(!markdown_safe_url("javascript:x") && !markdown_safe_url(" javascript:x") &&
		   !markdown_safe_url("java\nscript:x") && !markdown_safe_url("data:x") &&
		   !markdown_safe_url("ftp://x") && !markdown_safe_url(NULL),
	   "unsafe URLs: other schemes, white space, NULL");

	/* Odd input never breaks it. */
	{
		struct buf deep = BUF_INIT, out = BUF_INIT;
		int i, rc;

		for (i = 0; i < 20000; i++)
			buf_putc(&deep, '>');
		buf_puts(&deep, " deep\n");
		for (i = 0; i < 5000; i++)
			buf_puts(&deep, "* [");
		rc = markdown_render(&out, deep.data, deep.len, 0);
		ok(rc == 0 && strstr(buf_cstr(&out), "deep") != NULL,
		   "20,000 nested quotes and 5,000 open brackets render");
		buf_free(&deep);
		buf_free(&out);
	}
	h = render("\xff\xfe bad \xc3", 0);
	ok(h != NULL && strstr(h, "\xef\xbf\xbd") != NULL, "invalid UTF-8 becomes U+FFFD");
	free(h);
	h = render("", 0);
	ok(h != NULL && h[0] == '\0', "empty input renders to nothing");
	free(h);
	ok(strncmp(markdown_version(), "0.", 2) == 0, "cmark's version is known (%s)",
	   markdown_version());
	return done_testing();
}
