/* content.c -- the campaign's texts: fields, checks, the files of a dump
 * and the embedded defaults, snapshots. */
#include "content.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "assets.h"
#include "form.h"
#include "markdown.h"

const struct content_field_def content_fields[CONTENT_NFIELDS] = {
	[CONTENT_TITLE] = { "title", CONTENT_KIND_LINE, CONTENT_LINE_MAX_CHARS, 0, 1 },
	[CONTENT_PETITIONERS] = { "petitioners", CONTENT_KIND_LINE, CONTENT_LINE_MAX_CHARS, 0, 0 },
	[CONTENT_RECIPIENTS] = { "recipients", CONTENT_KIND_LINE, CONTENT_LINE_MAX_CHARS, 0, 0 },
	[CONTENT_BODY] = { "body", CONTENT_KIND_MARKDOWN, CONTENT_BODY_MAX_BYTES, 1, 0 },
	[CONTENT_CLOSING] = { "closing", CONTENT_KIND_MARKDOWN, CONTENT_BLOCK_MAX_CHARS, 0, 0 },
	[CONTENT_CONTACT] = { "contact", CONTENT_KIND_ADDRESS, CONTENT_BLOCK_MAX_CHARS, 0, 0 },
	[CONTENT_ORG] = { "organization", CONTENT_KIND_LINE, CONTENT_LINE_MAX_CHARS, 0, 0 },
	[CONTENT_EMAIL] = { "contact_email", CONTENT_KIND_EMAIL, CONTENT_EMAIL_MAX_BYTES, 1, 0 },
	[CONTENT_SHARE] = { "share_text", CONTENT_KIND_LINE, CONTENT_LINE_MAX_CHARS, 0, 0 },
	[CONTENT_THANKS] = { "thanks_text", CONTENT_KIND_LINE, CONTENT_LINE_MAX_CHARS, 0, 0 },
	/* The mail (email area): plain text, kept as typed (line by line);
	 * empty: the built-in sentence of the language. */
	[CONTENT_MAIL_SUBJECT] = { "mail_subject", CONTENT_KIND_LINE, 120, 0, 0 },
	[CONTENT_MAIL_CONFIRM] = { "mail_confirm", CONTENT_KIND_ADDRESS, CONTENT_BLOCK_MAX_CHARS, 0, 0 },
	[CONTENT_MAIL_WITHDRAW] = { "mail_withdraw", CONTENT_KIND_ADDRESS, CONTENT_BLOCK_MAX_CHARS, 0, 0 },
};

void content_text_free(struct content_text *t)
{
	int f;

	if (t == NULL)
		return;
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		free(t->f[f]);
		t->f[f] = NULL;
	}
}

const char *content_get(const struct content_text *t, enum content_field f)
{
	return t != NULL && (unsigned)f < CONTENT_NFIELDS && t->f[f] != NULL ? t->f[f] : "";
}

int content_set(struct content_text *t, enum content_field f, const char *s, size_t n)
{
	char *copy;

	if ((unsigned)f >= CONTENT_NFIELDS || n == SIZE_MAX || (copy = malloc(n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(copy, s, n);
	copy[n] = '\0';
	/* A NUL inside would silently cut the text short: it becomes U+0001,
	 * a control character content_clean refuses. */
	while (n > 0 && (s = memchr(copy, '\0', n)) != NULL)
		*(char *)s = '\x01';
	free(t->f[f]);
	t->f[f] = copy;
	return 0;
}

int content_text_copy(struct content_text *dst, const struct content_text *src)
{
	struct content_text tmp;
	int f;

	memset(&tmp, 0, sizeof tmp);
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		const char *s = content_get(src, (enum content_field)f);

		if (content_set(&tmp, (enum content_field)f, s, strlen(s)) != 0) {
			content_text_free(&tmp);
			return -1;
		}
	}
	*dst = tmp;
	return 0;
}

unsigned content_text_diff(const struct content_text *a, const struct content_text *b)
{
	unsigned mask = 0;
	int f;

	for (f = 0; f < CONTENT_NFIELDS; f++)
		if (strcmp(content_get(a, (enum content_field)f), content_get(b, (enum content_field)f)) != 0)
			mask |= 1u << f;
	return mask;
}

const char *content_error_key(enum content_error e)
{
	switch (e) {
	case CONTENT_ERR_REQUIRED:
		return "content.err.required";
	case CONTENT_ERR_TOO_LONG:
		return "content.err.too_long";
	case CONTENT_ERR_ENCODING:
		return "content.err.encoding";
	case CONTENT_ERR_CONTROL:
		return "content.err.control";
	case CONTENT_ERR_EMAIL:
		return "content.err.email";
	case CONTENT_OK:
		break;
	}
	return "";
}

/* The WHATWG "valid e-mail address", as the signature form accepts it:
 * local@label(.label)*, ASCII only. */
static int email_ok(const char *s)
{
	static const char local_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789.!#$%&'*+/=?^_`{|}~-";
	const char *at = strchr(s, '@'), *p;
	size_t label = 0;

	if (at == NULL || at == s || strspn(s, local_chars) != (size_t)(at - s))
		return 0;
	for (p = at + 1;; p++) {
		char c = *p;

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return 0;
			if (c == '\0')
				return 1;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)))
			return 0;
		label++;
	}
}

/* Line ends to LF, in place. */
static void unify_newlines(char *s)
{
	char *in = s, *out = s;

	while (*in) {
		if (in[0] == '\r') {
			*out++ = '\n';
			in += in[1] == '\n' ? 2 : 1;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

/* A control character (C0 but the allowed ones, DEL, C1) in valid UTF-8 s. */
static int has_control(const char *s, int multiline)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t')))
			return 1;
		if (*p == 0x7f)
			return 1;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* U+0080..U+009F */
			return 1;
	}
	return 0;
}

/* Trims Unicode white space at the start (when both) and the end. */
static void trim(char *s, int both)
{
	size_t n = strlen(s), start = 0;

	for (;;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		size_t j = n;

		if (n == 0)
			break;
		/* The last code point starts at the last non-continuation byte. */
		while (j > 0 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
			j--;
		if (j == 0)
			break;
		j--;
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + j, (utf8proc_ssize_t)(n - j), &cp);
		if (k <= 0 || !(utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS || cp == '\n' ||
				cp == '\t' || cp == '\r'))
			break;
		n = j;
	}
	s[n] = '\0';
	while (both && start < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + start,
						      (utf8proc_ssize_t)(n - start), &cp);

		if (k <= 0 || !(utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS || cp == '\n' ||
				cp == '\t' || cp == '\r'))
			break;
		start += (size_t)k;
	}
	if (start > 0)
		memmove(s, s + start, n - start + 1);
}

int content_clean(struct content_text *t, enum content_error err[CONTENT_NFIELDS], int *too_long)
{
	int f, nerr = 0;

	*too_long = 0;
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		const struct content_field_def *d = &content_fields[f];
		char *s;
		size_t len, size;

		err[f] = CONTENT_OK;
		if (t->f[f] == NULL && content_set(t, (enum content_field)f, "", 0) != 0)
			return -1;
		s = t->f[f];
		len = strlen(s);
		if (!utf8_valid(s, len)) {
			err[f] = CONTENT_ERR_ENCODING;
			nerr++;
			continue;
		}
		unify_newlines(s);
		{
			utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)s);

			if (nfc == NULL)
				return -1;
			free(t->f[f]);
			t->f[f] = s = (char *)nfc;
		}
		trim(s, d->kind == CONTENT_KIND_LINE || d->kind == CONTENT_KIND_EMAIL);
		len = strlen(s);
		size = d->max_bytes ? len : utf8_graphemes(s, len);
		if (d->required && len == 0)
			err[f] = CONTENT_ERR_REQUIRED;
		else if (size > d->max)
			err[f] = CONTENT_ERR_TOO_LONG;
		else if (has_control(s, d->kind == CONTENT_KIND_MARKDOWN ||
					d->kind == CONTENT_KIND_ADDRESS))
			err[f] = CONTENT_ERR_CONTROL;
		else if (d->kind == CONTENT_KIND_EMAIL && len > 0 && !email_ok(s))
			err[f] = CONTENT_ERR_EMAIL;
		if (err[f] != CONTENT_OK)
			nerr++;
		if (err[f] == CONTENT_ERR_TOO_LONG)
			*too_long = 1;
	}
	return nerr;
}

int content_from_files(const char *json, size_t jlen, const char *md, size_t mdlen,
		       struct content_text *out, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, jlen), *it;
	struct content_text t;

	memset(&t, 0, sizeof t);
	memset(out, 0, sizeof *out);
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "the JSON file is not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(it, root)
	{
		int f;

		for (f = 0; f < CONTENT_NFIELDS; f++)
			if (f != CONTENT_BODY && it->string != NULL &&
			    strcmp(it->string, content_fields[f].name) == 0)
				break;
		if (f == CONTENT_NFIELDS) {
			snprintf(err, errlen, "unknown field \"%.60s\" in the JSON file (the body "
				 "is the .md file)", it->string ? it->string : "");
			goto fail;
		}
		if (!cJSON_IsString(it) || it->valuestring == NULL) {
			snprintf(err, errlen, "field \"%s\" in the JSON file is not a string",
				 content_fields[f].name);
			goto fail;
		}
		if (t.f[f] != NULL) {
			snprintf(err, errlen, "field \"%s\" appears twice in the JSON file",
				 content_fields[f].name);
			goto fail;
		}
		if (content_set(&t, (enum content_field)f, it->valuestring,
				strlen(it->valuestring)) != 0)
			goto oom;
	}
	if (content_set(&t, CONTENT_BODY, md ? md : "", md ? mdlen : 0) != 0)
		goto oom;
	cJSON_Delete(root);
	*out = t;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	cJSON_Delete(root);
	content_text_free(&t);
	return -1;
}

char *content_to_json(const struct content_text *t)
{
	struct buf b = BUF_INIT;
	int f, first = 1;

	/* One field a line, tab-indented, "key": "value" -- what a person
	 * would write, and what diffs well in git. cJSON escapes each value
	 * (quotes, backslashes, control characters; UTF-8 stays as it is). */
	buf_puts(&b, "{\n");
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		cJSON *v;
		char *s;

		if (f == CONTENT_BODY)
			continue;
		v = cJSON_CreateString(content_get(t, (enum content_field)f));
		s = v ? cJSON_PrintUnformatted(v) : NULL;
		cJSON_Delete(v);
		if (s == NULL) {
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "%s\t\"%s\": %s", first ? "" : ",\n", content_fields[f].name, s);
		cJSON_free(s);
		first = 0;
	}
	buf_puts(&b, "\n}\n");
	return b.oom ? (buf_free(&b), NULL) : buf_steal(&b, NULL);
}

int content_default(enum lang lang, struct content_text *out, char *err, size_t errlen)
{
	char jname[48], mname[48];
	const struct asset *j, *m;

	snprintf(jname, sizeof jname, "assets/content/%s.json", lang_code(lang));
	snprintf(mname, sizeof mname, "assets/content/%s.md", lang_code(lang));
	j = asset_find(jname);
	m = asset_find(mname);
	if (j == NULL || m == NULL) {
		snprintf(err, errlen, "%s or %s is missing from the binary", jname, mname);
		return -1;
	}
	return content_from_files((const char *)j->data, j->len, (const char *)m->data, m->len,
				  out, err, errlen);
}

struct content_snap *content_snap_new(void)
{
	struct content_snap *s = calloc(1, sizeof *s);

	if (s != NULL)
		atomic_init(&s->refs, 1);
	return s;
}

void content_snap_ref(struct content_snap *s)
{
	if (s != NULL)
		atomic_fetch_add(&s->refs, 1);
}

static void lang_free(struct content_lang *l)
{
	int f;

	content_text_free(&l->text);
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		free(l->html[f]);
		l->html[f] = NULL;
	}
}

void content_snap_unref(struct content_snap *s)
{
	int l;

	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (l = 0; l < LANG_COUNT; l++)
		lang_free(&s->lang[l]);
	free(s->preview_form);
	free(s);
}

int content_snap_set(struct content_snap *s, enum lang lang, struct content_text *t,
		     int64_t version, int64_t at, const char *who)
{
	struct content_lang n;
	int f;

	if ((unsigned)lang >= LANG_COUNT)
		return -1;
	memset(&n, 0, sizeof n);
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		enum content_kind k = content_fields[f].kind;
		const char *src = content_get(t, (enum content_field)f);
		struct buf b = BUF_INIT;

		if (k != CONTENT_KIND_MARKDOWN && k != CONTENT_KIND_ADDRESS)
			continue;
		if (markdown_render(&b, src, strlen(src),
				    k == CONTENT_KIND_ADDRESS ? MARKDOWN_HARDBREAKS : 0) != 0 ||
		    buf_cstr(&b) == NULL) {
			buf_free(&b);
			lang_free(&n);
			return -1;
		}
		n.html[f] = buf_steal(&b, NULL);
		if (n.html[f] == NULL && (n.html[f] = calloc(1, 1)) == NULL) {
			lang_free(&n);
			return -1;
		}
	}
	n.has = 1;
	n.version = version;
	n.at = at;
	snprintf(n.who, sizeof n.who, "%s", who ? who : "");
	n.text = *t;
	memset(t, 0, sizeof *t);
	lang_free(&s->lang[lang]);
	s->lang[lang] = n;
	return 0;
}

const struct content_lang *content_for(const struct content_snap *s, enum lang lang,
				       int *fallback)
{
	if (fallback != NULL)
		*fallback = 0;
	if (s == NULL)
		return NULL;
	if ((unsigned)lang < LANG_COUNT && s->lang[lang].has)
		return &s->lang[lang];
	if (fallback != NULL)
		*fallback = lang != LANG_EN;
	return s->lang[LANG_EN].has ? &s->lang[LANG_EN] : NULL;
}

struct content_slot {
	pthread_mutex_t lock;
	struct content_snap *cur; /* one reference is the slot's */
	pthread_key_t held;       /* per thread: the snapshot last handed to it */
};

/* A thread's held snapshot is released when the thread ends. */
static void held_release(void *p)
{
	content_snap_unref(p);
}

struct content_slot *content_slot_new(void)
{
	struct content_slot *slot = calloc(1, sizeof *slot);

	if (slot == NULL)
		return NULL;
	if (pthread_key_create(&slot->held, held_release) != 0) {
		free(slot);
		return NULL;
	}
	pthread_mutex_init(&slot->lock, NULL);
	return slot;
}

void content_slot_free(struct content_slot *slot)
{
	if (slot == NULL)
		return;
	content_snap_unref(pthread_getspecific(slot->held));
	pthread_setspecific(slot->held, NULL);
	pthread_key_delete(slot->held);
	content_snap_unref(slot->cur);
	pthread_mutex_destroy(&slot->lock);
	free(slot);
}

void content_slot_set(struct content_slot *slot, struct content_snap *s)
{
	struct content_snap *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->cur;
	slot->cur = s;
	pthread_mutex_unlock(&slot->lock);
	content_snap_unref(old); /* freed once no thread holds it either */
}

const struct content_snap *content_slot_get(struct content_slot *slot)
{
	struct content_snap *held, *cur;

	if (slot == NULL)
		return NULL;
	held = pthread_getspecific(slot->held);
	pthread_mutex_lock(&slot->lock);
	cur = slot->cur;
	if (cur != held)
		content_snap_ref(cur);
	pthread_mutex_unlock(&slot->lock);
	if (cur != held) {
		pthread_setspecific(slot->held, cur);
		content_snap_unref(held);
	}
	return cur;
}
