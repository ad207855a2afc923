/* markdown.c -- the organizers' Markdown, rendered safely with cmark.
 *
 * The tree cmark parses is walked once with its iterator (no recursion: a
 * deeply nested input cannot exhaust the stack); the nodes to change are
 * collected and changed after the walk, since cmark allows changing a tree
 * only where the iterator is not. */
#include "markdown.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What to do to a collected node. */
enum fix { FIX_UNWRAP, FIX_HTML_INLINE, FIX_HTML_BLOCK, FIX_HEADING };

struct fixes {
	struct fixup {
		cmark_node *node;
		enum fix what;
	} *v;
	size_t n, cap;
	int oom;
};

static void add_fix(struct fixes *f, cmark_node *node, enum fix what)
{
	if (f->oom)
		return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct fixup *v = cap > f->cap ? realloc(f->v, cap * sizeof *v) : NULL;

		if (v == NULL) {
			f->oom = 1;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].node = node;
	f->v[f->n].what = what;
	f->n++;
}

int markdown_safe_url(const char *url)
{
	static const char *const schemes[] = { "http", "https", "mailto", "tel" };
	const char *p;
	size_t n, i;

	if (url == NULL)
		return 0;
	/* Browsers drop tabs and newlines inside a URL and leading spaces and
	 * control characters: "java\tscript:" would run. None is needed. */
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	/* A scheme is letters, digits, + - . before the first ':' that comes
	 * before any '/', '?' or '#'. Without one the link is relative: this
	 * site's, which is fine. */
	n = strcspn(url, ":/?#");
	if (url[n] != ':')
		return 1;
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strlen(schemes[i]) == n && strncasecmp(url, schemes[i], n) == 0)
			return 1;
	return 0;
}

/* Moves node's children before it, then removes it: the text of a link or
 * an image stays, the link or image goes. */
static void unwrap(cmark_node *node)
{
	cmark_node *child;

	while ((child = cmark_node_first_child(node)) != NULL) {
		cmark_node_unlink(child);
		cmark_node_insert_before(node, child);
	}
	cmark_node_unlink(node);
	cmark_node_free(node);
}

/* Replaces a raw HTML node by the same characters as text (inline), or by
 * a paragraph of them (block). Returns 0 or -1. */
static int html_as_text(cmark_node *node, int block)
{
	const char *lit = cmark_node_get_literal(node);
	cmark_node *text = cmark_node_new(CMARK_NODE_TEXT), *para = NULL;
	char *copy = NULL;

	if (text == NULL)
		return -1;
	if (block) {
		size_t n = lit ? strlen(lit) : 0;

		/* A block ends with its newline; the paragraph does not need it. */
		copy = malloc(n + 1);
		para = cmark_node_new(CMARK_NODE_PARAGRAPH);
		if (copy == NULL || para == NULL)
			goto fail;
		memcpy(copy, lit ? lit : "", n);
		while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
			n--;
		copy[n] = '\0';
		if (!cmark_node_set_literal(text, copy) || !cmark_node_append_child(para, text))
			goto fail;
		text = NULL;
		if (!cmark_node_insert_before(node, para))
			goto fail;
		free(copy);
	} else {
		if (!cmark_node_set_literal(text, lit ? lit : "") ||
		    !cmark_node_insert_before(node, text))
			goto fail;
	}
	cmark_node_unlink(node);
	cmark_node_free(node);
	return 0;
fail:
	free(copy);
	if (text != NULL)
		cmark_node_free(text);
	if (para != NULL)
		cmark_node_free(para);
	return -1;
}

/* Finds what must change (see markdown.h) and changes it. Returns 0 or -1. */
static int sanitize(cmark_node *root)
{
	struct fixes f = { NULL, 0, 0, 0 };
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	size_t i;
	int rc = 0;

	if (it == NULL)
		return -1;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_LINK:
			if (!markdown_safe_url(cmark_node_get_url(n)))
				add_fix(&f, n, FIX_UNWRAP);
			break;
		case CMARK_NODE_IMAGE:
			add_fix(&f, n, FIX_UNWRAP);
			break;
		case CMARK_NODE_HTML_INLINE:
			add_fix(&f, n, FIX_HTML_INLINE);
			break;
		case CMARK_NODE_HTML_BLOCK:
			add_fix(&f, n, FIX_HTML_BLOCK);
			break;
		case CMARK_NODE_HEADING:
			if (cmark_node_get_heading_level(n) < 2)
				add_fix(&f, n, FIX_HEADING);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	if (f.oom)
		rc = -1;
	/* Only the node being fixed is freed, after its children were moved
	 * out, so every collected node is still alive when its turn comes. */
	for (i = 0; rc == 0 && i < f.n; i++) {
		cmark_node *n = f.v[i].node;

		switch (f.v[i].what) {
		case FIX_UNWRAP:
			unwrap(n);
			break;
		case FIX_HTML_INLINE:
		case FIX_HTML_BLOCK:
			rc = html_as_text(n, f.v[i].what == FIX_HTML_BLOCK);
			break;
		case FIX_HEADING:
			cmark_node_set_heading_level(n, 2);
			break;
		}
	}
	free(f.v);
	return rc;
}

int markdown_render(struct buf *out, const char *md, size_t len, unsigned flags)
{
	/* CMARK_OPT_UNSAFE is never set: cmark's safe mode stays on. */
	int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
	cmark_node *doc;
	char *html;
	int rc;

	if (flags & MARKDOWN_HARDBREAKS)
		opts |= CMARK_OPT_HARDBREAKS;
	doc = cmark_parse_document(md ? md : "", md ? len : 0, opts);
	if (doc == NULL)
		return -1;
	if (sanitize(doc) != 0) {
		cmark_node_free(doc);
		return -1;
	}
	html = cmark_render_html(doc, opts);
	cmark_node_free(doc);
	if (html == NULL)
		return -1;
	rc = buf_puts(out, html);
	free(html);
	return rc;
}

const char *markdown_version(void)
{
	return cmark_version_string();
}
