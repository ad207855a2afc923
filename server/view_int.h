/* view_int.h -- what the view files share: the key/value context a
 * template is rendered with. Nothing outside view*.c includes it. */
#ifndef PETITIOND_VIEW_INT_H
#define PETITIOND_VIEW_INT_H

#include "view.h"

#define VIEW_MAX_KEYS 128

struct view_ctx {
	enum lang lang;
	struct view_kv {
		const char *k;
		const char *v;
		size_t len;
	} kv[VIEW_MAX_KEYS];
	size_t n;
	char count[32], count_raw[24], goal[32], goal_raw[24], percent[24];
};

/* Sets (or replaces) key k; v is borrowed and must outlive the render. */
void view_set(struct view_ctx *c, const char *k, const char *v);
/* Computes the versioned asset URLs. Start-up only (view_init). */
void view_urls_init(void);
/* Fills the keys every page has. */
void view_base(struct view_ctx *c, const struct view_env *env, enum lang lang);
/* Renders body template name into the layout, titled by title_key.
 * Appends to out. Returns 0 or -1 (logged). */
int view_render(struct buf *out, const char *name, const char *title_key, struct view_ctx *c);
/* The organizers' navigation (assets/admin_nav.html), rendered into nav
 * (which must outlive the render of the page) and set as "admin_nav" for
 * the page's {{{admin_nav}}}. current: "dashboard", "content",
 * "signatures", "settings", "admins", "audit" or "paper"; who: the signed-in
 * organizer (may be NULL). Returns 0 or -1. */
int view_admin_nav(struct view_ctx *c, struct buf *nav, const char *current, const char *who);
/* The countries' indexes in display order for lang (Cambodia first, then by
 * name without case or accents), built by view_init; NULL before it. */
const size_t *view_country_order(enum lang lang);
/* Renders template name on its own (no layout). */
int view_render_alone(struct buf *out, const char *name, struct view_ctx *c);
/* The share links of a page (assets/share.html) into c as {{{share_block}}}
 * (and share_url, share_text), for page_url in lang; the strings live in sh
 * until view_share_free, after c rendered. view_pages.c. 0 or -1. */
struct view_share {
	struct buf url, share_url, share_text, block;
};
int view_share(struct view_share *sh, struct view_ctx *c, const struct view_env *env,
	       enum lang lang, const char *page_url);
void view_share_free(struct view_share *sh);

/* view_lifecycle.c (lifecycle): sets the keys of the signer's pages about
 * the lifecycle, from env->life at this moment: life_open, life_paused,
 * life_closed ("1" or ""), life_status ("open", ...), life_heading,
 * life_message (HTML), life_deadline and life_closed_on (text or ""),
 * goal_reached and goal_next (text or ""). Call after view_base. */
void view_life_keys(struct view_ctx *c, const struct view_env *env, enum lang lang);

#endif
