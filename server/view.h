/* view.h -- pages rendered from the embedded templates: the petition, the
 * thanks page, the widget, error pages (view.c, view_pages.c) and the
 * dashboard (view_admin.c).
 *
 * Views take buffers and data and return bytes; they know nothing of HTTP
 * (no libmicrohttpd) and nothing of the handlers that call them. */
#ifndef PETITIOND_VIEW_H
#define PETITIOND_VIEW_H

#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "content.h"
#include "form.h"
#include "import.h"
#include "i18n.h"
#include "lifecycle.h"
#include "store.h"

/* Recent public signers shown on the page. */
#define VIEW_RECENT_SIGNERS 10

/* What every page shows, handed in by the caller. */
struct view_env {
	const struct config *cfg;
	struct store *st;  /* read side (recent signers, daily figures); may be NULL */
	int64_t count;     /* signatures */
	const char *path;  /* this page's path, for the language switch */
	/* content: the published texts (content.h); NULL shows none. Held for
	 * the caller by app_env (admin_content.c) for as long as it renders. */
	const struct content_snap *content;
	/* lifecycle: status, deadline, goal, milestone, time zone, messages
	 * (lifecycle.h); NULL: open, the goal of cfg. Valid for the request. */
	const struct lifecycle *life;
	/* Countries with at least 5 signatures, for "from N countries" on the
	 * petition page (never a country with fewer); 0: the line is not shown.
	 * Set by the caller that renders the petition page. */
	long countries;
};

/* Start-up: versioned asset URLs, the country lists. Returns 0, or -1 with
 * a message in err. view_free releases them. Main thread. */
int view_init(char *err, size_t errlen);
void view_free(void);

/* The petition page. sig NULL: the empty form; else the form re-shown with
 * its values kept and errors by field. token: the anti-bot form token ("" for
 * none). notice: the i18n key of a sentence shown at the top of the form
 * (VIEW_NOTICE_RESUBMIT), or NULL. The list of recent signers shows each
 * one's chosen public name and country, nothing derived from their name.
 * Appends to out. Returns 0 or -1. Any thread. */
int view_index(struct buf *out, const struct view_env *env, enum lang lang,
	       const struct form_sig *sig, const char *token, const char *notice);
/* "Please press Sign again": the form token was stale, from the future, too
 * fast or missing, so nothing was stored yet. */
#define VIEW_NOTICE_RESUBMIT "form.resubmit"
/* Appends the localized message for field f's error in sig to out, with
 * the refused character and its position filled in (form_error_text).
 * Returns 0 or -1 (out of memory). Any thread. */
int view_field_error(struct buf *out, enum lang lang, const struct form_sig *sig,
		     enum form_field f);
/* The thanks page, its share links pointing at page_url (the petition's
 * address, "https://host/"). */
int view_thanks(struct buf *out, const struct view_env *env, enum lang lang,
		const char *page_url);
/* The frameable widget (a whole document of its own). */
int view_embed(struct buf *out, const struct view_env *env, enum lang lang);
/* A status page (404, 405, 413...). */
int view_error(struct buf *out, const struct view_env *env, enum lang lang, unsigned status);

/* What the dashboard shows beyond the env. */
struct view_admin {
	uint64_t bots_refused; /* submissions answered as success but dropped */
	const char *message;   /* a result to show (plain text), or NULL */
	const char *who;       /* the signed-in organizer's account name, or NULL */
	const char *seal_fp;   /* sealed mode: the public key's fingerprint; NULL: clear */
	const char *retention; /* --retention-days: when the personal fields go (plain
				* text), or NULL */
};
int view_admin(struct buf *out, const struct view_env *env, enum lang lang,
	       const struct view_admin *a);

/* A localized message for a key (e.g. "err.required"); the key itself when
 * unknown. */
const char *view_message(enum lang lang, const char *key);
/* The message for a field's error: "err.<field>.<code>" when the strings
 * have one (e.g. "err.email.invalid"), else the generic "err.<code>". */
const char *view_error_message(enum lang lang, enum form_field f, enum form_error e);
/* "12,345" */
void view_format_count(char *out, size_t outlen, int64_t n);

/* view_lifecycle.c (lifecycle): the settings page /admin/settings. The
 * values shown in the form are the current ones, or those posted when
 * the page is shown again with errors. Every string is plain text (escaped
 * when written) and may be NULL for "". */
struct view_settings {
	const char *who;         /* the signed-in organizer */
	const char *done_key;    /* i18n key of the result of the last change, or NULL */
	int confirm_close;       /* show the step that confirms closing */
	const char *msg[LIFE_NMSG][LANG_COUNT]; /* the messages in the boxes */
	const char *closes_at;   /* datetime-local value in the zone */
	const char *goal, *milestone, *timezone;
	/* i18n keys of errors by field, or NULL */
	const char *e_msg[LIFE_NMSG][LANG_COUNT];
	const char *e_closes_at, *e_goal, *e_milestone, *e_timezone;
};
/* Fills s with the current values of env->life (strings point into the
 * snapshot or into bufs, which must outlive s; bufs[3] are written). */
void view_settings_current(struct view_settings *s, const struct view_env *env,
			   char bufs[3][40]);
int view_settings(struct buf *out, const struct view_env *env, enum lang lang,
		  const struct view_settings *s);

/* view_admins.c: the admins area's pages. */
/* The sign-in form (also the body of every 401 of the organizers' pages). */
struct view_login {
	const char *next;   /* the organizers' page to go to once signed in */
	const char *notice; /* message key of a sentence above the form, or NULL */
	const char *error;  /* message key of the error at the token field, or NULL */
	long idle_s;        /* how long a session lasts unused */
};
int view_login(struct buf *out, const struct view_env *env, enum lang lang,
	       const struct view_login *l);
/* The organizers' accounts (read through env->st) and what may be done with
 * them. */
struct view_admins {
	const char *who;        /* the signed-in organizer */
	int owner;              /* who is the account "owner": manages every account */
	const char *message;    /* message key of a result, or NULL */
	const char *error;      /* message key of an error, or NULL */
	const char *add_name;   /* the add form's name, shown again, or NULL */
	const char *token_name; /* a new token to show (only this once) and whose */
	const char *token;
	const char *confirm;    /* "revoke" or "rotate": the confirmation step for */
	const char *confirm_name;
};
int view_admins(struct buf *out, const struct view_env *env, enum lang lang,
		const struct view_admins *v);
/* The audit trail, newest first, VIEW_AUDIT_PAGE lines with id < before (0:
 * from the newest). */
#define VIEW_AUDIT_PAGE 50
int view_audit(struct buf *out, const struct view_env *env, enum lang lang, const char *who,
	       int64_t before);


/* view_moderation.c (moderation): /admin/signatures and the confirmation
 * before a deletion. The routes' paths come from the handler (a view knows
 * no route). */
#define VIEW_SIGS_PAGE 50 /* signatures per page */
struct view_sigs {
	const char *who;
	/* What the organizer asked for, shown again in the form and carried
	 * by every link and action of the page. */
	const char *q;          /* the search text ("" none) */
	const char *country;    /* "KH" or "" */
	enum store_sig_view view;
	int64_t before, after;  /* the page: keyset bounds (0: none) */
	/* What to list: built by the handler from the above (search_parse);
	 * NULL when the search text was refused (error says why). */
	const struct store_sig_filter *filter;
	int searching;          /* a name, email or country search */
	const char *message;    /* a result to show (plain text), or NULL */
	const char *error;      /* an error to show (plain text), or NULL */
	int64_t unindexed;      /* newest rows not yet searchable */
	int64_t undecided;      /* old public rows without a public name, undecided */
	int64_t count_limit;    /* the two were counted up to this ("10,000+") */
	const char *list_path, *hide_path, *show_path, *keep_path, *delete_path;
};
/* The list page. Reads the rows (store_sig_list). Returns 0 or -1. */
int view_sigs(struct buf *out, const struct view_env *env, enum lang lang,
	      const struct view_sigs *v);
/* Appends the query string that carries q, country, view, before and after
 * ("q=...&country=KH"; "" when all are empty) to out. Returns 0 or -1. */
int view_sigs_state(struct buf *out, const char *q, const char *country, enum store_sig_view view,
		    int64_t before, int64_t after);
/* The confirmation before deleting row (NULL: not found: says so).
 * delete_path: where the form posts the row's id, with the list's state
 * (q ... after: the page to go back to, as in struct view_sigs). */
struct view_sig_delete {
	const char *who;
	const struct store_sig_row *row;
	const char *missing;    /* with row NULL: the message (plain text) */
	const char *q, *country;
	enum store_sig_view view;
	int64_t before, after;
	const char *list_path, *delete_path;
};
int view_sig_delete(struct buf *out, const struct view_env *env, enum lang lang,
		    const struct view_sig_delete *v);

/* view_content.c (content): /admin/content -- the editor of the texts in
 * one language, its history, the share image -- and the pages to look at a
 * version (and publish it again) and to withdraw a translation. The routes'
 * paths come from the handler (a view knows no route). */
struct view_content_paths {
	const char *page, *publish, *preview, *version, *revert, *withdraw, *withdraw_post,
		*image, *image_reset;
};
struct view_content {
	const char *who;                   /* the signed-in organizer */
	const struct view_content_paths *paths;
	enum lang lang;                    /* the language being edited */
	const struct content_text *text;   /* the values in the form: a draft shown again,
					    * or the published text (NULL: empty) */
	const enum content_error *err;     /* per field (CONTENT_NFIELDS), or NULL */
	int too_large;                     /* the draft was refused for its size */
	const char *message;               /* a result to show (plain text), or NULL */
	const char *image_error;           /* why an upload was refused (plain text), or NULL */
};
/* The editor. Reads the history through env->st; the published state and
 * the image from env->content. Returns 0 or -1. */
int view_content(struct buf *out, const struct view_env *env, enum lang lang,
		 const struct view_content *v);
/* One version (m, t: NULL when there is no such version), with the form
 * that publishes it again unless it is the one on the page (current). */
int view_content_version(struct buf *out, const struct view_env *env, enum lang lang,
			 const char *who, const struct view_content_paths *paths,
			 const struct store_content_meta *m, const struct content_text *t,
			 int current);
/* The confirmation before withdrawing the translation of text_lang. */
int view_content_withdraw(struct buf *out, const struct view_env *env, enum lang lang,
			  const char *who, const struct view_content_paths *paths,
			  enum lang text_lang);
/* The form in a preview's banner: the draft t of text_lang as hidden
 * fields, a button that publishes it and one that goes back to editing it.
 * Returns malloc'd HTML, or NULL. */
char *view_content_preview_form(enum lang lang, const struct view_content_paths *paths,
				enum lang text_lang, const struct content_text *t);

/* view_paper.c (paper): /admin/import and /admin/print. */
struct view_import {
	const char *who;                /* the signed-in organizer */
	const struct import_set *set;   /* a check's rows, each with its result
					 * (added: would be added); NULL: the form only */
	const char *error;              /* the file could not be read (import.h's words) */
	const char *error_key;          /* or an i18n message saying what is wrong */
	const char *csv;                /* the text checked, carried to the confirm form */
	const char *source;             /* "paper" or "event" */
	int64_t would_add, duplicates, no_email;
	int refused;                    /* an import was asked with invalid rows: nothing added */
	int done;                       /* an import went through: its numbers */
	long long done_added, done_duplicates, done_skipped;
};
/* The import page: the upload form, a check's per-line report and its
 * confirm buttons, or what an import did. Returns 0 or -1. */
int view_import(struct buf *out, const struct view_env *env, enum lang lang,
		const struct view_import *v);
/* The printable signature sheet (A4) in lang: the title, the summary, the
 * QR code (qr_svg: an inline SVG, trusted) to url, the privacy notice and
 * VIEW_PRINT_LINES numbered lines in the import's columns. A page of its
 * own, without the site's header. Returns 0 or -1. */
#define VIEW_PRINT_LINES 20
int view_print(struct buf *out, const struct view_env *env, enum lang lang, const char *qr_svg,
	       const char *url);

/* view_mail.c (email area): /confirm and /withdraw. */
enum view_mail_state {
	VIEW_MAIL_ASK,      /* a valid-looking link: the button that acts (POST) */
	VIEW_MAIL_CODE,     /* /confirm without a link: the code form */
	VIEW_MAIL_DONE,     /* confirmed / withdrawn now */
	VIEW_MAIL_ALREADY,  /* confirmed before */
	VIEW_MAIL_BAD,      /* unknown, used or expired: ask for a new one */
	VIEW_MAIL_SENT,     /* "if this address signed, a message is on its way" */
	VIEW_MAIL_REQUEST   /* /withdraw without a link: ask for one by address */
};
struct view_mail {
	enum view_mail_state state;
	const char *token;        /* ASK: the link's token, put back in the form */
	const char *email_error;  /* i18n key of the address field's error, or NULL */
	/* /withdraw, ASK: what would be removed */
	const char *name, *country;
	int64_t signed_at;
	int pending;
};
int view_confirm(struct buf *out, const struct view_env *env, enum lang lang,
		 const struct view_mail *v);
int view_withdraw(struct buf *out, const struct view_env *env, enum lang lang,
		  const struct view_mail *v);

#endif
