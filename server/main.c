/* main.c -- petitiond: start-up, signals, orderly shutdown.
 *
 * Start: flags → strings → database (migrated) → secrets → writer → pages →
 * HTTP. Stop (SIGINT/SIGTERM): stop accepting, refuse new signatures, commit
 * and answer everything queued, let answers go out, close the database. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "ratelimit.h"
#include "store.h"
#include "writer.h"

const struct asset *asset_find(const char *name)
{
	size_t i;

	for (i = 0; i < assets_count; i++)
		if (strcmp(assets[i].name, name) == 0)
			return &assets[i];
	return NULL;
}

/* Sets up the admin token: the flag's, the stored hash, or a new one printed
 * once. Only the SHA-256 of a generated token is written to the database. */
static void setup_admin(struct store *st, const struct config *cfg)
{
	char hash[AUTH_HASH_HEX + 1], *stored;
	unsigned char raw[AUTH_TOKEN_BYTES];
	char token[2 * AUTH_TOKEN_BYTES + 1];

	if (cfg->admin_token != NULL) {
		auth_sha256_hex(hash, cfg->admin_token, strlen(cfg->admin_token));
		auth_set_admin_hash(hash);
		return;
	}
	stored = store_get_setting(st, "admin_token_sha256");
	if (stored != NULL && strlen(stored) == AUTH_HASH_HEX) {
		auth_set_admin_hash(stored);
		free(stored);
		log_info("admin token: set on first start (only its hash is stored); "
			 "pass --admin-token to use another");
		return;
	}
	free(stored);
	if (auth_random(raw, sizeof raw) != 0)
		fatal("cannot read random bytes for the admin token");
	auth_hex(token, raw, sizeof raw);
	auth_sha256_hex(hash, token, strlen(token));
	if (store_set_setting(st, "admin_token_sha256", hash) != 0)
		fatal("cannot store the admin token's hash");
	auth_set_admin_hash(hash);
	printf("\n  Admin token (shown only this once, keep it safe):\n\n    %s\n\n"
	       "  Use it as the password at /admin (any user name), or as\n"
	       "  'Authorization: Bearer TOKEN'. Only its hash is stored.\n\n",
	       token);
	fflush(stdout);
	memset(token, 0, sizeof token);
}

/* The key that signs form tokens, kept in the database so pages served
 * before a restart still work after it. */
static void setup_form_key(struct store *st)
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
		if (store_set_setting(st, "form_key", hex) != 0)
			fatal("cannot store the form key");
	}
	free(stored);
	auth_set_form_key(key, sizeof key);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct store *st;
	sigset_t sigs;
	char err[512];
	int sig;

	config_load(&cfg, argc, argv);
	if (cfg.command != NULL) {
		if (strcmp(cfg.command, "backup") == 0 && cfg.backup_file != NULL) {
			if (store_backup(cfg.db, cfg.backup_file, err, sizeof err) != 0) {
				fprintf(stderr, "petitiond: backup failed: %s\n", err);
				return 1;
			}
			printf("petitiond: backed up %s to %s (integrity ok)\n", cfg.db,
			       cfg.backup_file);
			return 0;
		}
		fprintf(stderr, "petitiond: unknown command '%s' (see --help)\n", cfg.command);
		return 2;
	}
	/* Block the stop signals in every thread; main waits for them below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (i18n_init(err, sizeof err) != 0)
		fatal("strings: %s", err);
	if (store_open(&st, cfg.db, err, sizeof err) != 0)
		fatal("database: %s", err);
	setup_admin(st, &cfg);
	setup_form_key(st);
	if (ratelimit_init(cfg.rate_limit) != 0)
		fatal("out of memory");
	if (writer_start(st) != 0)
		fatal("cannot start the writer thread");
	api_set_store(st);
	admin_set_store(st);
	http_set_config(&cfg);
	if (page_init(st, err, sizeof err) != 0)
		fatal("pages: %s", err);
	if (sign_init() != 0)
		fatal("out of memory");
	if (http_start(&cfg) != 0)
		fatal("cannot start the HTTP server");

	if (cfg.bind && strchr(cfg.bind, ':'))
		printf("petitiond: serving http://[%s]:%u/ (database %s, %lld signatures)\n",
		       cfg.bind, cfg.port, cfg.db, (long long)writer_count());
	else
		printf("petitiond: serving http://%s:%u/ (database %s, %lld signatures)\n",
		       cfg.bind ? cfg.bind : "localhost", cfg.port, cfg.db,
		       (long long)writer_count());
	fflush(stdout);

	do {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGINT && sig != SIGTERM);

	log_info("stopping: finishing queued signatures");
	http_quiesce();
	sign_shutdown();
	writer_stop();
	http_stop();
	page_free();
	sign_cleanup();
	store_close(st);
	log_info("stopped");
	return 0;
}
