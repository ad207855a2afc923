/* view_mail.c -- the pages of the email area: confirming a signature
 * (/confirm) and withdrawing one (/withdraw). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "countries.h"
#include "view.h"
#include "view_int.h"

static void states(struct view_ctx *c, enum view_mail_state s)
{
	view_set(c, "state_ask", s == VIEW_MAIL_ASK ? "1" : "");
	view_set(c, "state_code", s == VIEW_MAIL_CODE ? "1" : "");
	view_set(c, "state_done", s == VIEW_MAIL_DONE ? "1" : "");
	view_set(c, "state_already", s == VIEW_MAIL_ALREADY ? "1" : "");
	view_set(c, "state_bad", s == VIEW_MAIL_BAD ? "1" : "");
	view_set(c, "state_sent", s == VIEW_MAIL_SENT ? "1" : "");
	view_set(c, "state_request", s == VIEW_MAIL_REQUEST ? "1" : "");
}

int view_confirm(struct buf *out, const struct view_env *env, enum lang lang,
		 const struct view_mail *v)
{
	struct view_ctx c;
	struct view_share share = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	int rc;

	view_base(&c, env, lang);
	/* Confirmed: the share links right here (the thanks page of this mode
	 * asks to check the inbox). */
	view_set(&c, "share_block", "");
	if (v->state == VIEW_MAIL_DONE && env->cfg->public_url != NULL) {
		char page[600];

		snprintf(page, sizeof page, "%s/", env->cfg->public_url);
		if (view_share(&share, &c, env, lang, page) != 0) {
			view_share_free(&share);
			return -1;
		}
	}
	states(&c, v->state);
	view_set(&c, "token", v->token ? v->token : "");
	/* The code form beside the button, and alone at /confirm; the
	 * address form when a link did not work. */
	view_set(&c, "show_code",
		 v->state == VIEW_MAIL_ASK || v->state == VIEW_MAIL_CODE || v->state == VIEW_MAIL_BAD
			 ? "1"
			 : "");
	view_set(&c, "show_resend", v->state == VIEW_MAIL_BAD || v->email_error ? "1" : "");
	view_set(&c, "email_error", v->email_error ? view_message(lang, v->email_error) : "");
	rc = view_render(out, "assets/confirm.html", "confirm.title", &c);
	view_share_free(&share);
	return rc;
}

int view_withdraw(struct buf *out, const struct view_env *env, enum lang lang,
		  const struct view_mail *v)
{
	struct view_ctx c;
	const struct country *co = v->country ? country_find(v->country, strlen(v->country)) : NULL;
	char day[16] = "";

	view_base(&c, env, lang);
	states(&c, v->state);
	view_set(&c, "token", v->token ? v->token : "");
	/* In sealed mode the stored name is a box the server cannot open. */
	view_set(&c, "sig_name", !v->name			       ? ""
				 : strncmp(v->name, "sealed:", 7) == 0 ? view_message(lang, "withdraw.sealed")
								       : v->name);
	view_set(&c, "sig_country", co ? (lang == LANG_KM ? co->km : co->en) : "");
	if (v->signed_at > 0) {
		time_t t = (time_t)v->signed_at;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
	}
	view_set(&c, "sig_date", day);
	view_set(&c, "sig_pending", v->pending ? "1" : "");
	view_set(&c, "show_request",
		 v->state == VIEW_MAIL_BAD || v->state == VIEW_MAIL_REQUEST ? "1" : "");
	view_set(&c, "email_error", v->email_error ? view_message(lang, v->email_error) : "");
	return view_render(out, "assets/withdraw.html", "withdraw.title", &c);
}
