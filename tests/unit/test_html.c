/* test_html.c -- unit tests for html.c: entity escaping and URL encoding. */
#include <string.h>

#include "buf.h"
#include "html.h"
#include "tap.h"

static void check_escape(const char *in, size_t n, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	ok(html_escape(&b, in, n) == 0, "html_escape returns 0: %s", what);
	is_mem(b.data ? b.data : "", b.len, want, strlen(want), "escape %s", what);
	buf_free(&b);
}

static void check_url(const char *in, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	ok(url_encode(&b, in, strlen(in)) == 0, "url_encode returns 0: %s", what);
	is_mem(b.data ? b.data : "", b.len, want, strlen(want), "url %s", what);
	buf_free(&b);
}

int main(void)
{
	struct buf b = BUF_INIT;

	check_escape("", 0, "", "empty string");
	check_escape("plain text", 10, "plain text", "text without specials");
	check_escape("<script>alert('x')</script>", 27,
		     "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "a script tag");
	check_escape("a & b \"c\"", 9, "a &amp; b &quot;c&quot;", "ampersand and double quotes");
	check_escape("&amp;", 5, "&amp;amp;", "an entity is escaped again");
	check_escape("x\0y", 3, "xy", "NUL bytes are dropped");
	check_escape("\" onmouseover=\"x", 16, "&quot; onmouseover=&quot;x", "attribute breakout");
	check_escape("សុខ ដារ៉ា & café", strlen("សុខ ដារ៉ា & café"), "សុខ ដារ៉ា &amp; café",
		     "UTF-8 text is kept");
	check_escape("<<>>", 4, "&lt;&lt;&gt;&gt;", "consecutive specials");

	/* Appending keeps what the buffer held. */
	buf_puts(&b, "pre:");
	html_escape(&b, "<", 1);
	is_str(buf_cstr(&b), "pre:&lt;", "html_escape appends");
	buf_free(&b);

	check_url("abcXYZ019-._~", "abcXYZ019-._~", "unreserved kept");
	check_url("a b&c=d", "a%20b%26c%3Dd", "space, & and =");
	check_url("/?#[]@!$'()*+,;%", "%2F%3F%23%5B%5D%40%21%24%27%28%29%2A%2B%2C%3B%25",
		  "reserved characters");
	check_url("ថៃ", "%E1%9E%90%E1%9F%83", "UTF-8 bytes upper-case hex");
	check_url("https://example.org/", "https%3A%2F%2Fexample.org%2F", "a whole URL");
	return done_testing();
}
