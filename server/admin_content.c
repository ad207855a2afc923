/* admin_content.c -- the campaign's texts and share image, run by the
 * organizers: /admin/content (the editor of one language, preview,
 * publish, history, publishing an old version again, withdrawing a
 * translation, uploading the share image) and the image itself at a path
 * with its hash in it.
 *
 * What the pages show is one snapshot (content.h) in the app's slot
 * (a->texts), handed to every render by app_env. Every
 * change is a writer task: it commits the new version with its audit line,
 * then, still in the writer thread (so two changes never race to install
 * their snapshots), builds the new snapshot from the database and swaps it
 * in, and bumps the pages' generation so the cached pages render again. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "assets.h"
#include "auth.h"
#include "clock.h"
#include "content.h"
#include "hdr.h"
#include "image.h"
#include "log.h"

#define CONTENT_IMAGE_MAX_AGE "public, max-age=31536000, immutable"
#define CONTENT_PP_BUFFER_BYTES 16384 /* libmicrohttpd's post processor buffer */
#define CONTENT_HASH_CHARS 16         /* hex digits of the image's SHA-256 in its path */

struct content_state {
	pthread_mutex_t lock;       /* image, image_path, image_etag */
	struct MHD_Response *image; /* the uploaded image's answer; NULL: none */
	char image_path[128];       /* its path, hash included */
	char image_etag[24];
	unsigned default_w, default_h; /* the embedded share image's size */
	struct view_content_paths paths;
};

/* Builds a snapshot from what the database says is published (the read
 * connection sees every commit) and installs it with the image's answer.
 * Writer thread (after a task's commit) or start-up. Returns 0 or -1. */
int admin_content_reload(struct app *a, char *err, size_t errlen)
{
	struct content_state *s = a->content;
	struct content_snap *n = content_snap_new();
	struct MHD_Response *img = NULL, *old_img;
	struct store_image im;
	char path[128] = "", etag[24] = "";
	int l, rc;

	if (n == NULL)
		goto oom;
	for (l = 0; l < LANG_COUNT; l++) {
		struct content_text t;
		struct store_content_meta m;

		rc = store_content_latest(a->st, lang_code((enum lang)l), &t, &m);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read the %s text", lang_code((enum lang)l));
			content_snap_unref(n);
			return -1;
		}
		if (rc == 0)
			continue;
		if (!m.withdrawn &&
		    content_snap_set(n, (enum lang)l, &t, m.id, m.at, m.admin) != 0) {
			content_text_free(&t);
			goto oom;
		}
		content_text_free(&t);
	}
	rc = store_image_get(a->st, &im);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the share image");
		content_snap_unref(n);
		return -1;
	}
	if (rc > 0) {
		const char *ext = strcmp(im.mime, "image/png") == 0 ? "png" : "jpg";

		snprintf(path, sizeof path, "%s%.*s.%s", routes_path(ROUTE_SHARE_IMAGE),
			 CONTENT_HASH_CHARS, im.sha256, ext);
		snprintf(etag, sizeof etag, "\"%.*s\"", CONTENT_HASH_CHARS, im.sha256);
		img = MHD_create_response_from_buffer(im.len, im.data, MHD_RESPMEM_MUST_FREE);
		if (img == NULL) {
			store_image_free(&im);
			goto oom;
		}
		im.data = NULL; /* the response owns it */
		http_add_security_headers(a->cfg, img, 0);
		MHD_add_response_header(img, MHD_HTTP_HEADER_CONTENT_TYPE, im.mime);
		MHD_add_response_header(img, MHD_HTTP_HEADER_CACHE_CONTROL, CONTENT_IMAGE_MAX_AGE);
		MHD_add_response_header(img, MHD_HTTP_HEADER_ETAG, etag);
		snprintf(n->og_path, sizeof n->og_path, "%s", path);
		n->og_width = im.width;
		n->og_height = im.height;
	} else {
		n->og_width = s->default_w;
		n->og_height = s->default_h;
	}
	snprintf(n->og_w, sizeof n->og_w, "%u", n->og_width);
	snprintf(n->og_h, sizeof n->og_h, "%u", n->og_height);
	content_slot_set(a->texts, n);
	pthread_mutex_lock(&s->lock);
	old_img = s->image;
	s->image = img;
	memcpy(s->image_path, path, sizeof path);
	memcpy(s->image_etag, etag, sizeof etag);
	pthread_mutex_unlock(&s->lock);
	if (old_img != NULL)
		MHD_destroy_response(old_img); /* answers in flight keep their own reference */
	return 0;
oom:
	content_snap_unref(n);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Start-up: the embedded default of every language without a version. */
static int seed(struct app *a, char *err, size_t errlen)
{
	struct store_content_pub pub[LANG_COUNT];
	struct content_text text[LANG_COUNT];
	size_t n = 0, i;
	int l, rc = 0;

	memset(text, 0, sizeof text);
	for (l = 0; l < LANG_COUNT; l++) {
		struct store_content_meta m;
		enum content_error e[CONTENT_NFIELDS];
		int too_long;

		rc = store_content_latest(a->st, lang_code((enum lang)l), NULL, &m);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read the texts from the database");
			goto out;
		}
		if (rc > 0)
			continue;
		if (content_default((enum lang)l, &text[n], err, errlen) != 0 ||
		    content_clean(&text[n], e, &too_long) != 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "the embedded %s text is not valid",
					 lang_code((enum lang)l));
			rc = -1;
			n++;
			goto out;
		}
		memset(&pub[n], 0, sizeof pub[n]);
		pub[n].lang = lang_code((enum lang)l);
		pub[n].text = &text[n];
		pub[n].note = "default";
		n++;
	}
	rc = 0;
	if (n > 0 && store_content_publish(a->st, pub, n, clock_now_ms() / 1000, "petitiond",
					   "content.seed", err, errlen) != 0)
		rc = -1;
	else if (n > 0)
		log_info("texts: the built-in text published for %zu language(s)", n);
out:
	for (i = 0; i < n; i++)
		content_text_free(&text[i]);
	return rc;
}

/* Renders every page of this file once in every language, so that a
 * broken template stops the start rather than an organizer's request.
 * Start-up (before the writer runs: the count is not asked). 0 or -1. */
static int render_check(struct app *a, char *err, size_t errlen)
{
	struct content_state *s = a->content;
	const struct content_snap *snap = content_slot_get(a->texts);
	struct store_content_meta m;
	struct view_env env;
	struct view_content v;
	struct buf b = BUF_INIT;
	int l, t, bad = 0;

	memset(&env, 0, sizeof env);
	env.cfg = a->cfg;
	env.st = a->st;
	env.path = s->paths.page;
	env.content = snap;
	memset(&m, 0, sizeof m);
	snprintf(m.lang, sizeof m.lang, "km");
	for (l = 0; l < LANG_COUNT; l++) {
		for (t = 0; t < LANG_COUNT; t++) {
			const struct content_lang *cl = content_for(snap, (enum lang)t, NULL);
			char *form;

			memset(&v, 0, sizeof v);
			v.paths = &s->paths;
			v.lang = (enum lang)t;
			v.text = cl ? &cl->text : NULL;
			v.image_error = "x";
			buf_reset(&b);
			bad |= view_content(&b, &env, (enum lang)l, &v) != 0;
			buf_reset(&b);
			bad |= view_content_withdraw(&b, &env, (enum lang)l, "owner", &s->paths,
						     (enum lang)t) != 0;
			form = view_content_preview_form((enum lang)l, &s->paths, (enum lang)t, v.text);
			bad |= form == NULL;
			free(form);
		}
		buf_reset(&b);
		bad |= view_content_version(&b, &env, (enum lang)l, "owner", &s->paths, &m,
					    snap ? &snap->lang[LANG_EN].text : NULL, 0) != 0;
		buf_reset(&b);
		bad |= view_content_version(&b, &env, (enum lang)l, "owner", &s->paths, NULL, NULL,
					    0) != 0;
	}
	buf_free(&b);
	if (bad)
		snprintf(err, errlen, "a template of /admin/content does not render (see above)");
	return bad ? -1 : 0;
}

int admin_content_init(struct app *a, char *err, size_t errlen)
{
	struct content_state *s = calloc(1, sizeof *s);
	const struct asset *og = asset_find("assets/og.png");
	struct image_info info;

	err[0] = '\0';
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	a->content = s;
	if ((a->texts = content_slot_new()) == NULL) {
		admin_content_free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->default_w = 1200;
	s->default_h = 630;
	if (og != NULL && image_probe(og->data, og->len, &info) == 0) {
		s->default_w = info.width;
		s->default_h = info.height;
	}
	s->paths.page = routes_path(ROUTE_CONTENT);
	s->paths.publish = routes_path(ROUTE_CONTENT_POST);
	s->paths.preview = routes_path(ROUTE_CONTENT_PREVIEW);
	s->paths.version = routes_path(ROUTE_CONTENT_VERSION);
	s->paths.revert = routes_path(ROUTE_CONTENT_REVERT);
	s->paths.withdraw = routes_path(ROUTE_CONTENT_WITHDRAW);
	s->paths.withdraw_post = routes_path(ROUTE_CONTENT_WITHDRAW_POST);
	s->paths.image = routes_path(ROUTE_CONTENT_IMAGE);
	s->paths.image_reset = routes_path(ROUTE_CONTENT_IMAGE_RESET);
	if (seed(a, err, errlen) != 0 || admin_content_reload(a, err, errlen) != 0 ||
	    render_check(a, err, errlen) != 0) {
		admin_content_free(a);
		return -1;
	}
	return 0;
}

void admin_content_free(struct app *a)
{
	struct content_state *s = a->content;

	/* The other threads that rendered have ended, releasing theirs. */
	content_slot_free(a->texts);
	a->texts = NULL;
	if (s == NULL)
		return;
	if (s->image != NULL)
		MHD_destroy_response(s->image);
	pthread_mutex_destroy(&s->lock);
	free(s);
	a->content = NULL;
}

/* ---- the image ----------------------------------------------------------- */

enum MHD_Result admin_content_share_image(struct http_req *r)
{
	struct app *a = r->app;
	struct content_state *s = a->content;
	enum MHD_Result ret;

	pthread_mutex_lock(&s->lock);
	if (s->image == NULL || strcmp(r->path, s->image_path) != 0) {
		pthread_mutex_unlock(&s->lock);
		return http_send_error(r, HTTP_NOT_FOUND);
	}
	if (hdr_etag_matches(http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), s->image_etag)) {
		char etag[sizeof s->image_etag];

		memcpy(etag, s->image_etag, sizeof etag);
		pthread_mutex_unlock(&s->lock);
		return http_not_modified(r, etag, NULL);
	}
	ret = MHD_queue_response(r->conn, HTTP_OK, s->image);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- pages ------------------------------------------------------------------ */

/* The text language of a request: ?text= (GET) or text_lang (a form). */
static int text_lang_of(const char *v, enum lang *out)
{
	*out = LANG_EN;
	return v == NULL || v[0] == '\0' ? 0 : lang_parse(v, out) ? 0 : -1;
}

/* The result messages a redirect may name (?msg=): never anything typed. */
static const char *message_of(enum lang lang, const char *key)
{
	static const char *const known[] = { "published", "unchanged", "reverted",
					     "withdrawn", "image_saved", "image_reset" };
	char k[48];
	size_t i;

	for (i = 0; key != NULL && i < sizeof known / sizeof known[0]; i++) {
		if (strcmp(key, known[i]) == 0) {
			snprintf(k, sizeof k, "content.msg.%s", known[i]);
			return view_message(lang, k);
		}
	}
	return NULL;
}

/* The editor of text_lang with the values of t (NULL: the published text,
 * or the last one before a withdrawal, or English's), errors err. */
static enum MHD_Result editor(struct http_req *r, unsigned status, enum lang text_lang,
			      const struct content_text *t, const enum content_error *err,
			      int too_large, const char *message, const char *image_error)
{
	struct app *a = r->app;
	struct view_content v;
	struct view_env env;
	struct content_text start;
	struct buf b = BUF_INIT;
	int rc;

	memset(&start, 0, sizeof start);
	app_env(a, &env, ROUTE_CONTENT);
	if (t == NULL) {
		const struct content_lang *cl = env.content ? &env.content->lang[text_lang] : NULL;
		struct store_content_meta m;

		if (cl != NULL && cl->has) {
			t = &cl->text;
		} else if (store_content_latest_text(a->st, lang_code(text_lang), &start, &m) > 0) {
			t = &start;
		} else {
			cl = content_for(env.content, LANG_EN, NULL);
			t = cl ? &cl->text : NULL;
		}
	}
	memset(&v, 0, sizeof v);
	v.who = r->who;
	v.paths = &a->content->paths;
	v.lang = text_lang;
	v.text = t;
	v.err = err;
	v.too_large = too_large;
	v.message = message;
	v.image_error = image_error;
	rc = view_content(&b, &env, r->lang, &v);
	content_text_free(&start);
	if (rc != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

enum MHD_Result admin_content_page(struct http_req *r)
{
	enum lang text_lang;

	if (text_lang_of(http_query(r, "text"), &text_lang) != 0)
		return http_send_error(r, HTTP_NOT_FOUND);
	return editor(r, HTTP_OK, text_lang, NULL, NULL, 0, message_of(r->lang, http_query(r, "msg")),
		      NULL);
}

/* ---- changes, through the writer ---------------------------------------- */

struct content_task {
	struct http_pending pending; /* first */
	struct app *a;
	int image;                   /* a share image change (else a text version) */
	char who[CONTENT_WHO_MAX];
	enum lang lang;
	const char *action;          /* the audit line's */
	const char *done;            /* the ?msg= of the redirect */
	struct content_text text;
	struct store_content_pub pub;
	char note[CONTENT_NOTE_MAX];
	struct store_image img;
	int img_set;                 /* img holds an image (else: back to the default) */
};

static void task_free(void *p)
{
	struct content_task *t = p;

	if (t == NULL)
		return;
	content_text_free(&t->text);
	store_image_free(&t->img);
	free(t);
}

/* Writer thread: the change and its audit line in one transaction, then
 * the snapshot the pages show. */
static int task_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct content_task *t = arg;
	int64_t now = clock_now_ms() / 1000;
	char rerr[256];

	if (t->image) {
		if (store_image_set(st, t->img_set ? &t->img : NULL, now, t->who, err, errlen) != 0)
			return -1;
	} else if (store_content_publish(st, &t->pub, 1, now, t->who, t->action, err, errlen) != 0) {
		return -1;
	}
	/* Committed. Should the reload fail (memory), the pages keep the
	 * previous text until the next change or restart: say so. */
	if (admin_content_reload(t->a, rerr, sizeof rerr) != 0)
		log_warn("texts: saved, but the pages still show the previous version: %s", rerr);
	app_changed(t->a);
	return 0;
}

static struct content_task *task_new(struct http_req *r)
{
	struct content_task *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->a = r->app;
	snprintf(t->who, sizeof t->who, "%s", r->who[0] ? r->who : "owner");
	r->state = t;
	r->state_free = task_free;
	return t;
}

static enum MHD_Result task_submit(struct http_req *r, struct content_task *t)
{
	struct app *a = r->app;

	t->pending.item.op = WRITER_TASK;
	t->pending.item.task = task_run;
	t->pending.item.task_arg = t;
	return http_submit(r, a->writer, &t->pending);
}

/* Called again once the writer has committed (or failed): POST, redirect,
 * GET -- a reload of the result page repeats nothing. */
static enum MHD_Result task_answer(struct http_req *r, struct content_task *t)
{
	struct buf loc = BUF_INIT;
	enum MHD_Result ret;

	if (atomic_load(&t->pending.status) != WRITER_OK)
		return http_send_unavailable(r);
	buf_printf(&loc, "%s?text=%s&msg=%s%s", routes_path(ROUTE_CONTENT), lang_code(t->lang),
		   t->done, t->image ? "#share-image" : "");
	if (loc.oom)
		return http_send_unavailable(r);
	ret = http_redirect(r, HTTP_SEE_OTHER, buf_cstr(&loc));
	buf_free(&loc);
	return ret;
}

/* Redirect to the editor with a message, nothing changed. */
static enum MHD_Result redirect_msg(struct http_req *r, enum lang lang, const char *msg)
{
	struct buf loc = BUF_INIT;
	enum MHD_Result ret;

	buf_printf(&loc, "%s?text=%s&msg=%s", routes_path(ROUTE_CONTENT), lang_code(lang), msg);
	if (loc.oom)
		return http_send_unavailable(r);
	ret = http_redirect(r, HTTP_SEE_OTHER, buf_cstr(&loc));
	buf_free(&loc);
	return ret;
}

/* Reads the editor's form (urlencoded) into *lang and *t (every field; a
 * missing one is ""). Returns 0; or an HTTP status to answer with. */
static unsigned read_draft(struct http_req *r, struct form_kvs *kvs, enum lang *lang,
			   struct content_text *t)
{
	const char *v;
	int f;

	memset(t, 0, sizeof *t);
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return HTTP_UNSUPPORTED_MEDIA_TYPE;
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, kvs) != 0)
		return HTTP_BAD_REQUEST;
	if (text_lang_of(form_get(kvs, "text_lang", NULL), lang) != 0)
		return HTTP_UNPROCESSABLE;
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		size_t n = 0;

		v = form_get(kvs, content_fields[f].name, &n);
		if (content_set(t, (enum content_field)f, v ? v : "", v ? n : 0) != 0) {
			content_text_free(t);
			return HTTP_SERVICE_UNAVAILABLE;
		}
	}
	return 0;
}

/* Reads and checks a draft. Returns 0 with *t clean; else it has answered
 * (*ret) with the editor showing the errors, or an error page. */
static int take_draft(struct http_req *r, enum lang *lang, struct content_text *t,
		      int *edit_only, enum MHD_Result *ret)
{
	struct form_kvs kvs;
	enum content_error err[CONTENT_NFIELDS];
	unsigned status;
	int nerr, too_long = 0;

	memset(&kvs, 0, sizeof kvs);
	status = read_draft(r, &kvs, lang, t);
	if (edit_only != NULL) {
		const char *e = status == 0 ? form_get(&kvs, "edit", NULL) : NULL;

		*edit_only = e != NULL && strcmp(e, "1") == 0;
	}
	form_kvs_free(&kvs);
	if (status != 0) {
		*ret = http_send_error(r, status);
		return -1;
	}
	nerr = content_clean(t, err, &too_long);
	if (nerr < 0) {
		content_text_free(t);
		*ret = http_send_unavailable(r);
		return -1;
	}
	if (nerr > 0 || (edit_only != NULL && *edit_only)) {
		/* Shown again with every value kept, the errors by their fields;
		 * 413 when a field is over its limit, 422 otherwise. */
		*ret = editor(r, nerr == 0 ? HTTP_OK : too_long ? HTTP_PAYLOAD_TOO_LARGE
								: HTTP_UNPROCESSABLE,
			      *lang, t, err, too_long, NULL, NULL);
		content_text_free(t);
		return -1;
	}
	return 0;
}

enum MHD_Result admin_content_publish(struct http_req *r)
{
	struct content_task *t = r->state;
	struct content_text draft;
	const struct content_snap *s;
	enum MHD_Result ret;
	enum lang lang;

	if (t != NULL)
		return task_answer(r, t);
	if (take_draft(r, &lang, &draft, NULL, &ret) != 0)
		return ret;
	/* The text already on the page: nothing to publish. */
	s = content_slot_get(((struct app *)r->app)->texts);
	if (s != NULL && s->lang[lang].has && content_text_diff(&s->lang[lang].text, &draft) == 0) {
		content_text_free(&draft);
		return redirect_msg(r, lang, "unchanged");
	}
	if ((t = task_new(r)) == NULL) {
		content_text_free(&draft);
		return http_send_unavailable(r);
	}
	t->lang = lang;
	t->text = draft;
	t->action = "content.publish";
	t->done = "published";
	t->pub.lang = lang_code(lang);
	t->pub.text = &t->text;
	t->pub.note = "";
	return task_submit(r, t);
}

enum MHD_Result admin_content_preview(struct http_req *r)
{
	struct app *a = r->app;
	struct content_text draft;
	struct content_snap *p;
	const struct content_snap *cur;
	struct view_env env;
	struct buf b = BUF_INIT;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	enum lang lang;
	int edit_only = 0, rc;

	if (take_draft(r, &lang, &draft, &edit_only, &ret) != 0)
		return ret;
	/* The page exactly as visitors would see it with this draft: the
	 * published snapshot's image, the draft as lang's text; marked as a
	 * preview (a banner, noindex) and answered only to this organizer,
	 * never cached. */
	cur = content_slot_get(a->texts);
	p = content_snap_new();
	if (p == NULL) {
		content_text_free(&draft);
		return http_send_unavailable(r);
	}
	p->preview = 1;
	p->preview_lang = lang;
	if (cur != NULL) {
		memcpy(p->og_path, cur->og_path, sizeof p->og_path);
		p->og_width = cur->og_width;
		p->og_height = cur->og_height;
		memcpy(p->og_w, cur->og_w, sizeof p->og_w);
		memcpy(p->og_h, cur->og_h, sizeof p->og_h);
	}
	p->preview_form = view_content_preview_form(lang, &a->content->paths, lang, &draft);
	if (p->preview_form == NULL ||
	    content_snap_set(p, lang, &draft, 0, clock_now_ms() / 1000, r->who) != 0) {
		content_text_free(&draft);
		content_snap_unref(p);
		return http_send_unavailable(r);
	}
	app_env(a, &env, ROUTE_INDEX);
	env.content = p;
	/* No form token: a signature sent from a preview is asked to be sent
	 * again (from the real page), never taken from here. */
	rc = view_index(&b, &env, lang, NULL, "", NULL);
	content_snap_unref(p);
	if (rc != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	resp = http_response_buf(r, "text/html; charset=utf-8", &b);
	if (resp != NULL)
		MHD_add_response_header(resp, "X-Robots-Tag", "noindex, nofollow");
	return http_queue(r, HTTP_OK, resp);
}

enum MHD_Result admin_content_version(struct http_req *r)
{
	struct app *a = r->app;
	const char *q = http_query(r, "id");
	struct content_text t;
	struct store_content_meta m;
	struct view_env env;
	struct buf b = BUF_INIT;
	char *end = NULL;
	long long id = q ? strtoll(q, &end, 10) : 0;
	int found = 0, current = 0, rc;

	memset(&t, 0, sizeof t);
	if (q != NULL && end != q && *end == '\0' && id > 0)
		found = store_content_version(a->st, id, &t, &m) > 0;
	app_env(a, &env, ROUTE_CONTENT_VERSION);
	if (found) {
		enum lang l;

		if (lang_parse(m.lang, &l) && env.content != NULL)
			current = env.content->lang[l].has ? env.content->lang[l].version == m.id
							   : m.withdrawn;
		/* The newest version is the one in force, withdrawn or not. */
		if (!current) {
			struct store_content_meta newest;

			current = store_content_latest(a->st, m.lang, NULL, &newest) > 0 &&
				  newest.id == m.id;
		}
	}
	rc = view_content_version(&b, &env, r->lang, r->who, &a->content->paths,
				  found ? &m : NULL, found ? &t : NULL, current);
	content_text_free(&t);
	if (rc != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, found ? HTTP_OK : HTTP_NOT_FOUND, "text/html; charset=utf-8", &b);
}

/* Reads one value of an urlencoded POST. Returns 0, or the status. */
static unsigned form_value(struct http_req *r, const char *key, char *out, size_t outlen)
{
	struct form_kvs kvs;
	const char *v;
	size_t n = 0;

	out[0] = '\0';
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return HTTP_UNSUPPORTED_MEDIA_TYPE;
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &kvs) != 0)
		return HTTP_BAD_REQUEST;
	v = form_get(&kvs, key, &n);
	if (v != NULL && n < outlen)
		snprintf(out, outlen, "%s", v);
	form_kvs_free(&kvs);
	return 0;
}

enum MHD_Result admin_content_revert(struct http_req *r)
{
	struct content_task *t = r->state;
	struct app *a = r->app;
	struct store_content_meta m, newest;
	char idv[24], *end = NULL;
	unsigned status;
	long long id;
	enum lang lang;

	if (t != NULL)
		return task_answer(r, t);
	if ((status = form_value(r, "id", idv, sizeof idv)) != 0)
		return http_send_error(r, status);
	id = strtoll(idv, &end, 10);
	if (end == idv || *end != '\0' || id <= 0)
		return http_send_error(r, HTTP_UNPROCESSABLE);
	if ((t = task_new(r)) == NULL)
		return http_send_unavailable(r);
	if (store_content_version(a->st, id, &t->text, &m) <= 0 || !lang_parse(m.lang, &lang))
		return http_send_error(r, HTTP_NOT_FOUND);
	/* Already the version in force: nothing to do. */
	if (store_content_latest(a->st, m.lang, NULL, &newest) > 0 && newest.id == m.id)
		return redirect_msg(r, lang, "unchanged");
	if (m.withdrawn && lang == LANG_EN)
		return http_send_error(r, HTTP_UNPROCESSABLE);
	t->lang = lang;
	t->action = "content.revert";
	t->done = "reverted";
	snprintf(t->note, sizeof t->note, "revert of #%lld", id);
	t->pub.lang = lang_code(lang);
	t->pub.text = &t->text;
	t->pub.withdrawn = m.withdrawn;
	t->pub.note = t->note;
	return task_submit(r, t);
}

enum MHD_Result admin_content_withdraw_page(struct http_req *r)
{
	struct app *a = r->app;
	struct view_env env;
	struct buf b = BUF_INIT;
	enum lang lang;

	if (text_lang_of(http_query(r, "text"), &lang) != 0)
		return http_send_error(r, HTTP_NOT_FOUND);
	app_env(a, &env, ROUTE_CONTENT_WITHDRAW);
	if (view_content_withdraw(&b, &env, r->lang, r->who, &a->content->paths, lang) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, HTTP_OK, "text/html; charset=utf-8", &b);
}

enum MHD_Result admin_content_withdraw(struct http_req *r)
{
	struct content_task *t = r->state;
	const struct content_snap *s;
	char lv[8];
	unsigned status;
	enum lang lang;

	if (t != NULL)
		return task_answer(r, t);
	if ((status = form_value(r, "text_lang", lv, sizeof lv)) != 0)
		return http_send_error(r, status);
	if (!lang_parse(lv, &lang) || lang == LANG_EN)
		return http_send_error(r, HTTP_UNPROCESSABLE);
	s = content_slot_get(((struct app *)r->app)->texts);
	if (s == NULL || !s->lang[lang].has)
		return redirect_msg(r, lang, "withdrawn"); /* already off the page */
	if ((t = task_new(r)) == NULL)
		return http_send_unavailable(r);
	t->lang = lang;
	t->action = "content.withdraw";
	t->done = "withdrawn";
	t->pub.lang = lang_code(lang);
	t->pub.text = &t->text;
	t->pub.withdrawn = 1;
	t->pub.note = "";
	return task_submit(r, t);
}

/* ---- the share image --------------------------------------------------------- */

struct upload {
	struct buf data;  /* the file's bytes, up to CONTENT_IMAGE_MAX_BYTES + 1 */
	int too_big;
	int files;        /* "image" parts seen */
	char text_lang[8];
};

static enum MHD_Result upload_part(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *filename, const char *content_type,
				   const char *transfer_encoding, const char *data, uint64_t off,
				   size_t size)
{
	struct upload *u = cls;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (key == NULL)
		return MHD_YES;
	if (strcmp(key, "image") == 0) {
		if (off == 0)
			u->files++;
		if (u->files > 1 || u->too_big)
			return MHD_YES;
		if (u->data.len + size > CONTENT_IMAGE_MAX_BYTES) {
			u->too_big = 1;
			buf_free(&u->data);
			return MHD_YES;
		}
		return buf_append(&u->data, data, size) == 0 ? MHD_YES : MHD_NO;
	}
	if (strcmp(key, "text_lang") == 0 && off + size < sizeof u->text_lang) {
		memcpy(u->text_lang + off, data, size);
		u->text_lang[off + size] = '\0';
	}
	return MHD_YES;
}

static int is_multipart(const char *ct)
{
	static const char mp[] = "multipart/form-data";

	return ct != NULL && strncasecmp(ct, mp, sizeof mp - 1) == 0 &&
	       (ct[sizeof mp - 1] == ';' || ct[sizeof mp - 1] == ' ' || ct[sizeof mp - 1] == '\0');
}

enum MHD_Result admin_content_image(struct http_req *r)
{
	struct content_task *t = r->state;
	struct upload u;
	struct MHD_PostProcessor *pp;
	struct image_info info;
	struct buf clean = BUF_INIT;
	enum lang lang = LANG_EN;
	int ok;

	if (t != NULL)
		return task_answer(r, t);
	if (!is_multipart(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	memset(&u, 0, sizeof u);
	/* The body is all here (the route takes up to HTTP_MAX_UPLOAD_BYTES):
	 * libmicrohttpd's post processor splits the parts. */
	pp = MHD_create_post_processor(r->conn, CONTENT_PP_BUFFER_BYTES, upload_part, &u);
	if (pp == NULL)
		return http_send_error(r, HTTP_BAD_REQUEST);
	ok = MHD_post_process(pp, r->body.data ? r->body.data : "", r->body.len) == MHD_YES;
	ok &= MHD_destroy_post_processor(pp) == MHD_YES;
	text_lang_of(u.text_lang, &lang);
	if (!ok && !u.too_big) {
		buf_free(&u.data);
		return http_send_error(r, HTTP_BAD_REQUEST);
	}
	if (u.too_big)
		return editor(r, HTTP_PAYLOAD_TOO_LARGE, lang, NULL, NULL, 0, NULL,
			      view_message(r->lang, "content.image.err.too_big"));
	if (u.data.len == 0)
		return editor(r, HTTP_UNPROCESSABLE, lang, NULL, NULL, 0, NULL,
			      view_message(r->lang, "content.image.err.missing"));
	if (image_probe((const unsigned char *)u.data.data, u.data.len, &info) != 0 ||
	    image_clean((const unsigned char *)u.data.data, u.data.len, info.type, &clean) != 0) {
		buf_free(&u.data);
		buf_free(&clean);
		return editor(r, HTTP_UNSUPPORTED_MEDIA_TYPE, lang, NULL, NULL, 0, NULL,
			      view_message(r->lang, "content.image.err.type"));
	}
	buf_free(&u.data);
	if (info.width < CONTENT_IMAGE_MIN_PX || info.height < CONTENT_IMAGE_MIN_PX ||
	    info.width > CONTENT_IMAGE_MAX_PX || info.height > CONTENT_IMAGE_MAX_PX) {
		buf_free(&clean);
		return editor(r, HTTP_UNPROCESSABLE, lang, NULL, NULL, 0, NULL,
			      view_message(r->lang, "content.image.err.size"));
	}
	if ((t = task_new(r)) == NULL) {
		buf_free(&clean);
		return http_send_unavailable(r);
	}
	t->image = 1;
	t->img_set = 1;
	t->lang = lang;
	t->done = "image_saved";
	snprintf(t->img.mime, sizeof t->img.mime, "%s", image_mime(info.type));
	t->img.width = info.width;
	t->img.height = info.height;
	auth_sha256_hex(t->img.sha256, clean.data, clean.len);
	t->img.data = (unsigned char *)buf_steal(&clean, &t->img.len);
	if (t->img.data == NULL)
		return http_send_unavailable(r);
	return task_submit(r, t);
}

enum MHD_Result admin_content_image_reset(struct http_req *r)
{
	struct content_task *t = r->state;
	const struct content_snap *s;

	if (t != NULL)
		return task_answer(r, t);
	s = content_slot_get(((struct app *)r->app)->texts);
	if (s == NULL || s->og_path[0] == '\0')
		return redirect_msg(r, LANG_EN, "image_reset"); /* the default already */
	if ((t = task_new(r)) == NULL)
		return http_send_unavailable(r);
	t->image = 1;
	t->img_set = 0;
	t->lang = LANG_EN;
	t->done = "image_reset";
	return task_submit(r, t);
}
