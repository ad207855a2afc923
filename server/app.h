/* app.h -- the application context and the handlers.
 *
 * main builds one struct app and hands it to the HTTP layer, which gives it
 * to every request as r->app: the handlers find the configuration, the
 * store, the writer and their own state there, never in globals. Each
 * handler file keeps its state behind an opaque pointer set up by its
 * *_init and released by its *_free. Handlers run on libmicrohttpd's worker
 * threads. */
#ifndef PETITIOND_APP_H
#define PETITIOND_APP_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "http.h"
#include "ratelimit.h"
#include "routes.h"
#include "store.h"
#include "view.h"
#include "writer.h"

struct page_cache;
struct statics;
struct sign_answers;
struct admin_guard;
struct content_state;
struct life_slot;
struct moderation;
struct seal_public;

struct app {
	const struct config *cfg;
	struct store *st;
	struct writer *writer;
	struct ratelimit *ratelimit;
	struct page_cache *pages;      /* page.c */
	struct statics *statics;       /* static.c */
	struct sign_answers *sign;     /* sign.c */
	struct admin_guard *guard;     /* admin.c */
	struct content_state *content; /* admin_content.c */
	struct content_slot *texts;    /* content.h: the published texts (admin_content.c sets) */
	struct life_slot *life;        /* admin_lifecycle.c: status, deadline, goal, zone */
	struct moderation *moderation; /* admin_moderation.c: the search indexer */
	_Atomic uint64_t bots_refused; /* submissions answered as success, dropped */
	/* Bumped by app_changed() whenever what the pages show changes other
	 * than the count (content, lifecycle, goal, moderation): cached pages
	 * re-render when it moved. */
	_Atomic uint64_t generation;
	struct metrics *metrics;       /* metrics.c: the --metrics-bind daemon, start figures */
	struct outbox *outbox;         /* outbox.c: the sender thread (NULL: none) */
	struct ratelimit *mail_ratelimit; /* messages a client's requests may queue a minute */
	/* sealed area: --seal-key's public key (NULL: clear mode) and the key
	 * of the duplicate key's hash, kept in the database (store_seal_state). */
	const struct seal_public *seal;
	unsigned char seal_hash_key[32];
	/* --retention-days: never erased before this (Unix seconds): the
	 * default's notice period (config.h), 0 with the flag given. */
	int64_t retention_not_before;
};

/* The duplicate key of an address already normalised (form_email_norm):
 * itself in clear mode, its keyed hash in sealed mode (seal_email_hash).
 * out: at least FORM_EMAIL_MAX_BYTES + 1 bytes. Any thread. */
void app_email_key(const struct app *a, const char *norm, char *out, size_t outlen);
/* Seals n signatures in place for the public key k (name, email, comment
 * as sealed boxes; the duplicate key as the keyed hash with hash_key; a
 * paper row without an email keeps none): the new strings live in out,
 * until app_sealed_free. Returns 0 or -1 (out of memory). Any thread. */
struct app_sealed {
	struct buf *bufs;  /* 3 per signature */
	char (*keys)[67];  /* SEAL_HASH_MAX per signature */
	size_t n;
};
int app_seal_sigs(const struct seal_public *k, const unsigned char *hash_key,
		  struct store_sig *sigs, size_t n, struct app_sealed *out);
void app_sealed_free(struct app_sealed *s);

/* email area: a client whose requests (signing, asking for a link) queued
 * more than APP_MAIL_PER_MIN messages within a minute has the next ones
 * wait APP_MAIL_DEFER_S in the outbox: a flood queues mail for later, it
 * does not slow the signers, nor does it crowd out others' mail. */
#define APP_MAIL_PER_MIN 5
#define APP_MAIL_DEFER_S 600
/* app.c: when a message asked for by client may leave (Unix seconds). */
int64_t app_mail_at(struct app *a, uint64_t client, int64_t now_ms);

/* Call after a change that public pages show (from any thread, typically
 * a handler once its writer task committed). */
static inline void app_changed(struct app *a)
{
	atomic_fetch_add(&a->generation, 1);
}

/* routes.c: the dispatch table, built from ROUTES() in routes.h (main hands
 * it to the HTTP layer; handlers never read it). */
extern const struct http_route app_routes[ROUTE_COUNT];

/* app.c: the path of a route (the one place it is written is routes.h), its ROUTE_F_* flags, and the view_env of a page at route id
 * (configuration, store, count). */
const char *routes_path(enum route_id id);
unsigned routes_flags(enum route_id id);
void app_env(struct app *a, struct view_env *env, enum route_id id);
/* The route a request was routed to. */
#define app_route_of(r) ((enum route_id)(r)->route_index)

/* page.c: the cached pages and the error pages. */
int page_init(struct app *a, char *err, size_t errlen);
void page_free(struct app *a);
int page_render_error(void *app, struct buf *out, enum lang lang, unsigned status);
enum MHD_Result page_index(struct http_req *r);
enum MHD_Result page_thanks(struct http_req *r);
enum MHD_Result page_embed(struct http_req *r);

/* static.c: embedded files and the QR code. */
int static_init(struct app *a, char *err, size_t errlen);
void static_free(struct app *a);
enum MHD_Result static_file(struct http_req *r);
enum MHD_Result static_qr(struct http_req *r);

/* sign.c: POST /sign. */
int sign_init(struct app *a);
void sign_free(struct app *a);
enum MHD_Result sign_post(struct http_req *r);

/* confirm.c (email area): confirming and withdrawing a signature. */
enum MHD_Result confirm_page(struct http_req *r);
enum MHD_Result confirm_post(struct http_req *r);
enum MHD_Result withdraw_page(struct http_req *r);
enum MHD_Result withdraw_post(struct http_req *r);

/* api.c: JSON for scripts and the health check. */
enum MHD_Result api_stats(struct http_req *r);
enum MHD_Result api_healthz(struct http_req *r);

/* admin.c: the organizers' area. admin_gate is the HTTP layer's hook for
 * every ROUTE_F_ADMIN route. */
int admin_init(struct app *a);
/* Answers every slowed 401 at once and slows no more: before http_stop (a
 * suspended connection must be resumed before the daemon stops). Main thread. */
void admin_stop(struct app *a);
void admin_free(struct app *a);
int admin_gate(struct http_req *r, enum MHD_Result *ret);
enum MHD_Result admin_page(struct http_req *r);

/* export.c: the CSV export, streamed. */
enum MHD_Result admin_export(struct http_req *r);
/* numbers area: the same as JSON (an array of objects), same filters. */
enum MHD_Result admin_export_json(struct http_req *r);

/* admins area (admin.c, admin_admins.c): sign-in and sign-out, the
 * organizers' accounts, the audit trail. */
enum MHD_Result admin_login_page(struct http_req *r);
enum MHD_Result admin_login_post(struct http_req *r);
enum MHD_Result admin_logout(struct http_req *r);
enum MHD_Result admin_admins_page(struct http_req *r);
enum MHD_Result admin_admins_post(struct http_req *r);
enum MHD_Result admin_audit_page(struct http_req *r);
/* admin.c, for the organizers' pages (after the gate, r->who set): whether
 * r->who is the account "owner"; the hash of the request's session id ("":
 * none, signed in with a token); a new token kept (in memory, never in a
 * URL or a log) until the one GET that shows it to who: put returns 0 (a
 * random handle for the result page's URL in handle) or -1; take returns 1
 * (name and token copied, and forgotten) or 0 (none, expired, someone
 * else's). Any worker thread. */
int admin_is_owner(const struct http_req *r);
void admin_session_hash(struct http_req *r, char out[65]);
int admin_flash_put(struct app *a, const char *who, const char *name, const char *token,
		    char handle[33]);
int admin_flash_take(struct app *a, const char *handle, const char *who, char *name,
		     size_t namelen, char *token, size_t tokenlen);
/* An audit line on its own, for an action that writes nothing else (an
 * export): a small writer task with r's connection suspended. Fill nothing:
 * admin_audit_submit copies r->who, action and detail (never a signer's
 * personal data) into p, which lives in the handler's r->state; when the
 * handler is called again, the line is stored iff
 * atomic_load(&p->pending.status) == WRITER_OK. Returns MHD_YES. */
struct admin_audit_pending {
	struct http_pending pending; /* first */
	int64_t at;
	char who[64], action[32], detail[160];
};
enum MHD_Result admin_audit_submit(struct http_req *r, struct admin_audit_pending *p,
				   const char *action, const char *detail);

/* admin_content.c (content): the campaign's texts and share image --
 * /admin/content (editor, preview, publish, history, revert, withdraw a
 * translation, upload the image) and the image itself. */
/* Seeds the embedded default text of every language the database has none
 * of, loads the published texts and the image. Start-up, before the writer
 * starts. Returns 0, or -1 with the reason in err. */
int admin_content_init(struct app *a, char *err, size_t errlen);
/* Reads the published texts and the share image again and installs them
 * (after a change: this node's, or another node's). Writer thread or
 * start-up. 0 or -1 (err). */
int admin_content_reload(struct app *a, char *err, size_t errlen);
void admin_content_free(struct app *a);
enum MHD_Result admin_content_page(struct http_req *r);
enum MHD_Result admin_content_publish(struct http_req *r);
enum MHD_Result admin_content_preview(struct http_req *r);
enum MHD_Result admin_content_version(struct http_req *r);
enum MHD_Result admin_content_revert(struct http_req *r);
enum MHD_Result admin_content_withdraw_page(struct http_req *r);
enum MHD_Result admin_content_withdraw(struct http_req *r);
enum MHD_Result admin_content_image(struct http_req *r);
enum MHD_Result admin_content_image_reset(struct http_req *r);
enum MHD_Result admin_content_share_image(struct http_req *r);

/* admin_lifecycle.c (lifecycle): open, paused, closed; the deadline, goal,
 * milestone, time zone and messages -- /admin/settings. admin_life_init
 * loads the settings and publishes the first snapshot (start-up, before
 * the writer starts; returns 0, or -1 with the reason in err). */
int admin_life_init(struct app *a, char *err, size_t errlen);
/* Reads the lifecycle settings again and publishes them (another node
 * changed them). Writer thread (a task). 0 or -1 (err). */
int admin_life_reload(struct app *a, char *err, size_t errlen);
void admin_life_free(struct app *a);
enum MHD_Result admin_settings(struct http_req *r);
enum MHD_Result admin_settings_post(struct http_req *r);
/* The current lifecycle snapshot (lifecycle.h), valid for this request;
 * NULL before admin_life_init (then: open, the goal of --goal). Any thread. */
static inline const struct lifecycle *app_life(struct app *a)
{
	return life_slot_get(a->life);
}


/* admin_moderation.c (moderation): /admin/signatures -- browse, search,
 * hide / show again, keep anonymous, delete with a confirmation page; and
 * POST /admin/delete (the dashboard's delete by email address), which
 * shares the deletion's code path. moderation_init after the writer starts
 * (returns 0, or -1 out of memory); moderation_free after writer_stop. */
int moderation_init(struct app *a);
void moderation_free(struct app *a);
enum MHD_Result moderation_list(struct http_req *r);
enum MHD_Result moderation_delete_confirm(struct http_req *r);
enum MHD_Result moderation_delete(struct http_req *r);
enum MHD_Result moderation_act(struct http_req *r);
enum MHD_Result moderation_delete_email(struct http_req *r);

/* api_charts.c (charts): the public numbers of the aggregates. A country
 * with fewer than API_COUNTRY_MIN signatures is never named anywhere
 * public: folded into "other", not counted by api_countries_shown. */
#define API_COUNTRY_MIN 5
/* Adds "by_country" (ISO code -> count, the rest as "other") and
 * "updated_at" (ISO 8601 UTC: when these were read) to /api/stats's
 * object. Any thread; reads at most once a second. */
struct cJSON;
void api_stats_numbers(struct app *a, struct cJSON *root);
/* How many countries have at least API_COUNTRY_MIN signatures (the page's
 * "from N countries"). Any thread. */
long api_countries_shown(struct app *a);
/* GET /api/history?interval=hour|day: {"interval", "updated_at", "starts":
 * [ISO 8601 UTC interval starts], "counts": [signatures]} for the last 7
 * days by hour, or since the first signature by UTC day. Cacheable. */
enum MHD_Result api_history(struct http_req *r);

/* admin_paper.c (paper): signatures collected on paper or at events.
 * GET /admin/import (the form), POST /admin/import (check the rows, then
 * add them: a writer task), GET /admin/print (the A4 signature sheet). */
enum MHD_Result admin_import_page(struct http_req *r);
enum MHD_Result admin_import_post(struct http_req *r);
enum MHD_Result admin_print(struct http_req *r);

/* metrics.c (numbers): GET /metrics in the Prometheus text format (admin
 * auth), and the same without credentials on --metrics-bind ADDR:PORT (a
 * second small libmicrohttpd daemon, for a local Prometheus). metrics_init
 * runs at start-up once the writer runs, before the HTTP server starts;
 * metrics_stop once the HTTP server has stopped, before the writer is freed. Returns 0, or -1 with the reason in
 * err (--metrics-bind cannot be bound). */
int metrics_init(struct app *a, char *err, size_t errlen);
void metrics_stop(struct app *a);
enum MHD_Result metrics_get(struct http_req *r);

#endif
