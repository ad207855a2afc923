/* main.c -- petitiond: start-up, signals, orderly shutdown.
 *
 * Start: umask 077 → flags (a subcommand goes to cli.c) → root? bind, then
 * become --user → strings → database (locked, checked, migrated) → secrets
 * (one transaction) → writer → pages → HTTP. Stop (SIGINT/SIGTERM): stop
 * accepting, refuse new signatures, commit and answer everything queued, let
 * answers go out, close the database. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "i18n.h"
#include "log.h"
#include "mail.h"
#include "outbox.h"
#include "sync.h"
#include "priv.h"
#include "seal.h"
#include "store.h"
#include "view.h"
#include "writer.h"

/* First-start setup, done in one transaction (setup_secrets): the admin
 * token's hash and the form key are read, or made and stored, together. */
struct setup {
	const struct config *cfg;
	char token[2 * AUTH_TOKEN_BYTES + 1]; /* a new admin token to print, or "" */
};

/* Sets up the account "owner": its token is --admin-token's when given
 * (set at every start, re-enabled if it was revoked); else the one stored;
 * else, on the first start, a new one (put in s->token, printed once the
 * transaction has committed). Only SHA-256 hashes are written to the
 * database. Other accounts are the `petitiond admin` commands' and the
 * /admin/admins page's. Returns 0 or -1. */
static int setup_admin(struct store *st, struct setup *s)
{
	char hash[AUTH_HASH_HEX + 1], err[256];
	unsigned char raw[AUTH_TOKEN_BYTES];
	int64_t now = clock_now_ms() / 1000;
	int rc;

	if (s->cfg->admin_token != NULL) {
		auth_sha256_hex(hash, s->cfg->admin_token, strlen(s->cfg->admin_token));
		rc = store_admin_owner_set(st, now, hash, "--admin-token", err, sizeof err);
		if (rc == 2)
			log_warn("admin: the account '" STORE_ADMIN_OWNER "' was revoked; "
				 "--admin-token enables it again");
		else if (rc == 1)
			log_info("admin: the account '" STORE_ADMIN_OWNER "' now has the token of "
				 "--admin-token; its sessions signed in with another one ended");
		return rc < 0 ? -1 : 0;
	}
	rc = store_admin_owner_exists(st);
	if (rc != 0) {
		if (rc > 0)
			log_info("admin: the token of the account '" STORE_ADMIN_OWNER "' was set on "
				 "the first start (only its hash is stored); `petitiond admin rotate "
				 STORE_ADMIN_OWNER "` makes a new one");
		return rc < 0 ? -1 : 0;
	}
	if (auth_random(raw, sizeof raw) != 0)
		fatal("cannot read random bytes for the admin token");
	auth_hex(s->token, raw, sizeof raw);
	auth_sha256_hex(hash, s->token, strlen(s->token));
	memset(raw, 0, sizeof raw);
	return store_admin_owner_set(st, now, hash, "first start", err, sizeof err) < 0 ? -1 : 0;
}

/* The key that signs form tokens, kept in the database so pages served
 * before a restart still work after it. Returns 0 or -1. */
static int setup_form_key(struct store *st)
{
	unsigned char key[32];
	char hex[65], *stored = store_get_setting(st, "form_key");
	size_t i;

	if (stored != NULL && strlen(stored) == 64 && strspn(stored, "0123456789abcdef") == 64) {
		for (i = 0; i < 32; i++) {
			char pair[3] = { stored[2 * i], stored[2 * i + 1], '\0' };

			key[i] = (unsigned char)strtoul(pair, NULL, 16);
		}
	} else {
		if (auth_random(key, sizeof key) != 0)
			fatal("cannot read random bytes for the form key");
		auth_hex(hex, key, sizeof key);
		if (store_set_setting(st, "form_key", hex) != 0) {
			free(stored);
			return -1;
		}
	}
	free(stored);
	auth_set_form_key(key, sizeof key);
	return 0;
}

static int setup_secrets(struct store *st, void *ctx)
{
	return setup_admin(st, ctx) != 0 || setup_form_key(st) != 0 ? -1 : 0;
}

/* Reads or makes the secrets in one transaction (two servers racing on a new
 * database could otherwise each print a token; the database lock already
 * keeps a second one out), then prints a new admin token once. */
static void setup(struct store *st, const struct config *cfg)
{
	struct setup s;
	char err[512];

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	if (store_transaction(st, setup_secrets, &s, err, sizeof err) != 0)
		fatal("cannot store the admin token's hash and the form key: %s", err);
	if (s.token[0] != '\0') {
		printf("\n  Admin token of the account '" STORE_ADMIN_OWNER "' (shown only this "
		       "once, keep it safe):\n\n    %s\n\n"
		       "  Sign in with it at /admin/login, use it as the password at /admin\n"
		       "  (any user name), or as 'Authorization: Bearer TOKEN'. Only its hash\n"
		       "  is stored. More organizers: petitiond admin add NAME.\n\n",
		       s.token);
		fflush(stdout);
	}
	memset(&s, 0, sizeof s);
}

/* Started as root: bind the port (only when it takes root: below 1024), then
 * become --user for good, before the database is opened, so that every file
 * the server makes belongs to that user. */
static void drop_privileges(struct config *cfg)
{
	char err[512];

	if (priv_check(cfg, err, sizeof err) != 0)
		fatal("%s", err);
	if (geteuid() == 0 && cfg->user == NULL)
		log_warn("serving as root (PETITIOND_ALLOW_ROOT=1): a flaw in petitiond would "
			 "own the machine; use --user NAME outside a local trial");
	if (!priv_needs_drop(cfg))
		return;
	if (cfg->port < 1024 && (cfg->listen_fd = priv_listen(cfg, err, sizeof err)) < 0)
		fatal("%s", err);
	if (priv_drop(cfg->user, err, sizeof err) != 0)
		fatal("%s", err);
	log_info("serving as user %s (uid %u)", cfg->user, (unsigned)getuid());
}

/* sealed area: a sealed database needs --seal-key, and the key it was
 * sealed for; a new (empty) database is sealed at its first start with
 * --seal-key; one with clear signatures must be converted first with
 * `petitiond seal` (server stopped), which also scrubs the file. */
static void setup_seal(struct app *a, const struct config *cfg, struct seal_public *pub)
{
	char fp[SEAL_FP_MAX] = "", err[512];
	int state = store_seal_state(a->st, fp, a->seal_hash_key);

	if (state < 0)
		fatal("sealed mode: the database's seal settings cannot be read or are damaged");
	if (store_seal_unfinished(a->st) == 1)
		fatal("a `petitiond seal` of this database was interrupted: run it again "
		      "(petitiond seal --key FILE.public --db %s) before starting the server",
		      cfg->db);
	if (cfg->seal_key == NULL) {
		if (state == 1)
			fatal("this database is sealed (key %s): start the server with --seal-key "
			      "FILE.public (the same public key)", fp);
		return;
	}
	if (seal_init() != 0)
		fatal("sealed mode: libsodium could not be initialised");
	if (seal_load_public(cfg->seal_key, pub, err, sizeof err) != 0)
		fatal("--seal-key: %s", err);
	if (state == 1 && strcmp(fp, pub->fp) != 0)
		fatal("--seal-key: this database is sealed for the key %s, not for %s (the "
		      "secret key of the other one would be needed to open new rows)", fp, pub->fp);
	if (state == 0) {
		struct store_seal_totals tot;
		int64_t held = store_counter(a->st, "signatures") + store_counter(a->st, "pending");

		if (held > 0)
			fatal("--seal-key: the database holds %lld signature(s) in clear; convert it "
			      "first with the server stopped: petitiond seal --key %s --db %s",
			      (long long)held, cfg->seal_key, cfg->db);
		if (store_seal_convert(a->st, pub, clock_now_ms() / 1000, NULL, NULL, &tot, err,
				       sizeof err) != 0 ||
		    store_seal_state(a->st, fp, a->seal_hash_key) != 1)
			fatal("sealed mode: cannot set up the new database: %s", err);
		log_info("sealed mode: the new database is sealed for the key %s", pub->fp);
	}
	a->seal = pub;
	log_info("sealed mode: names, emails and comments are stored only as sealed boxes for "
		 "the key %s; the server cannot open them", pub->fp);
}

/* --retention-days left at its default erases nothing until
 * CONFIG_RETENTION_NOTICE_DAYS after the first start that announced it
 * (kept as 'retention.announced_at'): a petition closed long ago that
 * upgrades keeps its data for the notice period, shown on the dashboard. */
static int announce_retention(struct store *st, void *ctx)
{
	int64_t *at = ctx;
	char *v = store_get_setting(st, "retention.announced_at");
	char now[24];

	if (v != NULL) {
		*at = strtoll(v, NULL, 10);
		free(v);
		return 0;
	}
	*at = clock_now_ms() / 1000;
	snprintf(now, sizeof now, "%lld", (long long)*at);
	return store_set_setting(st, "retention.announced_at", now) == 0 ? 0 : -1;
}

static void setup_retention(struct app *a, const struct config *cfg)
{
	int64_t at = 0;
	char err[512];

	if (cfg->retention_days < 0 || cfg->retention_set)
		return;
	if (store_transaction(a->st, announce_retention, &at, err, sizeof err) != 0)
		fatal("retention: %s", err);
	a->retention_not_before = at + (int64_t)CONFIG_RETENTION_NOTICE_DAYS * 86400;
}

/* When signing closed, or will by the deadline (0: open, no deadline): for
 * --retention-days (the outbox thread asks). */
static int64_t closed_at(void *ctx)
{
	const struct lifecycle *l = app_life(ctx);

	return l != NULL ? life_closed_time(&l->set) : 0;
}

/* Releases what start-up built, in the reverse order. */
static void app_free(struct app *a)
{
	moderation_free(a);
	admin_free(a);
	sign_free(a);
	static_free(a);
	page_free(a);
	view_free();
	admin_life_free(a);
	admin_content_free(a);
	ratelimit_free(a->ratelimit);
	ratelimit_free(a->mail_ratelimit);
	outbox_free(a->outbox);
	writer_free(a->writer);
	store_close(a->st);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct app app;
	struct mail_config mail_cfg;
	static struct seal_public seal_pub;
	struct http_hooks hooks;
	struct http_server *srv;
	struct sync *sync;
	sigset_t sigs;
	char err[512];
	int sig;

	/* Every file made from here on (database, WAL, lock, backups) is the
	 * owner's alone. */
	umask(077);
	config_load(&cfg, argc, argv);
	if (cfg.command != NULL)
		return cli_run(&cfg);
	/* Block the stop signals in every thread; main waits for them below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	drop_privileges(&cfg);

	memset(&app, 0, sizeof app);
	app.cfg = &cfg;
	/* email area: the relay's settings, checked (and the password file
	 * read) before anything starts; libcurl set up before any thread. */
	memset(&mail_cfg, 0, sizeof mail_cfg);
	if (mail_global_init() != 0)
		fatal("cannot set up libcurl");
	if (cfg.smtp_url != NULL) {
		char relay[256];

		if (mail_config_init(&mail_cfg, &cfg, err, sizeof err) != 0)
			fatal("mail: %s", err);
		mail_relay_name(&mail_cfg, relay, sizeof relay);
		if (cfg.public_url == NULL)
			log_warn("mail: --smtp-url without --public-url: no mail can be sent (the "
				 "links in it are built from --public-url)");
		else
			log_info("mail: through %s as %s; confirmation %s", relay, cfg.mail_from,
				 cfg.confirm ? "required" : "off");
	}
	if (auth_client_key_init() != 0)
		fatal("cannot read random bytes for the client key");
	if (i18n_init(err, sizeof err) != 0)
		fatal("strings: %s", err);
	if (store_open(&app.st, cfg.db, err, sizeof err) != 0)
		fatal("database: %s", err);
	if (cfg.wal_external) {
		store_set_external_checkpoints(app.st, 1);
		log_info("database: WAL checkpoints left to another program (--wal-checkpoint "
			 "external): make sure one runs (Litestream), or the WAL grows without bound");
	}
	setup(app.st, &cfg);
	setup_seal(&app, &cfg, &seal_pub);
	setup_retention(&app, &cfg);
	/* The lifecycle settings (status, deadline, goal, time zone): read before
	 * the writer starts, published before any page renders. */
	if (admin_life_init(&app, err, sizeof err) != 0)
		fatal("lifecycle settings: %s", err);
	/* The campaign's texts: the built-in ones seeded where a language has
	 * none, then loaded, before the writer starts and any page renders. */
	if (admin_content_init(&app, err, sizeof err) != 0)
		fatal("texts: %s", err);
	if ((app.ratelimit = ratelimit_new(cfg.rate_limit)) == NULL ||
	    (app.mail_ratelimit = ratelimit_new(APP_MAIL_PER_MIN)) == NULL)
		fatal("out of memory");
	/* email area: messages a stopped server was sending are not sent again
	 * (at most once: outbox.h). */
	{
		int64_t unsure = 0;

		if (store_outbox_reconcile(app.st, &unsure, err, sizeof err) != 0)
			fatal("outbox: %s", err);
		if (unsure > 0)
			log_warn("outbox: %lld message(s) were being sent when the server stopped; "
				 "they are not sent again (their signers can ask for a new one)",
				 (long long)unsure);
	}
	if ((app.writer = writer_start(app.st)) == NULL)
		fatal("cannot start the writer thread");
	{
		struct outbox_config oc;

		memset(&oc, 0, sizeof oc);
		oc.st = app.st;
		oc.writer = app.writer;
		oc.mail = cfg.smtp_url ? &mail_cfg : NULL;
		oc.texts = app.texts;
		oc.public_url = cfg.public_url;
		oc.pending_days = cfg.pending_days;
		oc.retention_days = cfg.retention_days;
		oc.retention_not_before = app.retention_not_before;
		oc.closed_at = closed_at;
		oc.closed_ctx = &app;
		if ((app.outbox = outbox_start(&oc, err, sizeof err)) == NULL)
			fatal("%s", err);
	}
	/* PostgreSQL: other nodes' changes reach this one's pages. */
	if ((sync = sync_start(&app, err, sizeof err)) == NULL && err[0] != '\0')
		fatal("%s", err);
	if (view_init(err, sizeof err) != 0 || page_init(&app, err, sizeof err) != 0 ||
	    static_init(&app, err, sizeof err) != 0)
		fatal("pages: %s", err);
	if (sign_init(&app) != 0 || admin_init(&app) != 0 || moderation_init(&app) != 0)
		fatal("out of memory");

	memset(&hooks, 0, sizeof hooks);
	hooks.app = &app;
	hooks.routes = app_routes;
	hooks.nroutes = ROUTE_COUNT;
	hooks.render_error = page_render_error;
	hooks.admin_gate = admin_gate;
	if (metrics_init(&app, err, sizeof err) != 0)
		fatal("metrics: %s", err);
	if ((srv = http_start(&cfg, &hooks)) == NULL)
		fatal("cannot start the HTTP server");

	if (cfg.bind && strchr(cfg.bind, ':'))
		printf("petitiond: serving http://[%s]:%u/ (database %s, %lld signatures)\n",
		       cfg.bind, cfg.port, cfg.db, (long long)writer_count(app.writer));
	else
		printf("petitiond: serving http://%s:%u/ (database %s, %lld signatures)\n",
		       cfg.bind ? cfg.bind : "localhost", cfg.port, cfg.db,
		       (long long)writer_count(app.writer));
	fflush(stdout);

	do {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGINT && sig != SIGTERM);

	log_info("stopping: finishing queued signatures");
	http_quiesce(srv);
	admin_stop(&app);
	/* The listener and the sender first: they hand the writer tasks. */
	sync_stop(sync);
	outbox_stop(app.outbox);
	writer_stop(app.writer);
	sync_free(sync);
	http_stop(srv);
	metrics_stop(&app);
	app_free(&app);
	mail_config_free(&mail_cfg);
	mail_global_cleanup();
	log_info("stopped");
	return 0;
}
