/* cli.c -- the operator's subcommands: backup, restore, check, healthcheck,
 * admin.
 *
 * Each prints what it did (what it read, what it wrote, with row counts) so
 * that a mistake shows on the screen, and exits CLI_DONE, CLI_FAILED or
 * CLI_USAGE. The file work is the store's (store_backup, store_restore,
 * store_check); this file words it for a person. */
#include "cli.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli_content.h"
#include "cli_numbers.h"
#include "cli_import.h"
#include "cli_mail.h"
#include "mail.h"
#include "seal.h"
#include "cli_seal.h"
#include "auth.h"
#include "clock.h"
#include "priv.h"
#include "store.h"

#define CLI_HEALTH_TIMEOUT_MS 5000   /* healthcheck: connect, send and answer, in all */
#define CLI_HEALTH_ANSWER_BYTES 4096 /* what healthcheck reads of the answer */
#define CLI_ERR_BYTES 8192

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	const struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
	const struct group *gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "gid %u", (unsigned)gid);
	return buf;
}

/* " (the counter says N)" when the stored counter disagrees with the rows. */
static const char *counter_note(const struct store_copy_report *r, char *buf, size_t len)
{
	buf[0] = '\0';
	if (r->counter >= 0 && r->signatures >= 0 && r->counter != r->signatures)
		snprintf(buf, len, "; its counter says %lld", (long long)r->counter);
	return buf;
}

static int cmd_backup(const struct config *cfg)
{
	struct store_copy_report *r = malloc(sizeof *r);
	char err[CLI_ERR_BYTES], note[64], u[64], g[64];

	if (r == NULL) {
		fprintf(stderr, "petitiond backup: out of memory\n");
		return CLI_FAILED;
	}
	if (store_backup(cfg->db, cfg->command_file, cfg->force, r, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond backup: refused or failed, nothing written: %s\n", err);
		free(r);
		return CLI_FAILED;
	}
	printf("petitiond backup: read  %s: a snapshot of %lld signatures%s\n", r->src,
	       (long long)r->signatures, counter_note(r, note, sizeof note));
	if (r->replaced && r->replaced_signatures >= 0)
		printf("petitiond backup: replaced %s, which held %lld signatures (--force)\n",
		       r->dst, (long long)r->replaced_signatures);
	else if (r->replaced)
		printf("petitiond backup: replaced %s, which was not a petitiond database "
		       "(--force)\n", r->dst);
	printf("petitiond backup: wrote %s: %lld signatures, integrity_check ok, mode %04o, "
	       "owner %s:%s\n",
	       r->dst, (long long)r->signatures, r->mode, user_name(r->uid, u, sizeof u),
	       group_name(r->gid, g, sizeof g));
	free(r);
	return CLI_DONE;
}

static int cmd_restore(const struct config *cfg)
{
	struct store_copy_report *r = malloc(sizeof *r);
	char err[CLI_ERR_BYTES], note[64], u[64], g[64];
	int i;

	if (r == NULL) {
		fprintf(stderr, "petitiond restore: out of memory\n");
		return CLI_FAILED;
	}
	if (store_restore(cfg->command_file, cfg->db, r, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond restore: refused or failed, the database is as it was: "
			"%s\n", err);
		free(r);
		return CLI_FAILED;
	}
	printf("petitiond restore: checked %s: integrity_check ok, schema version %d, %lld "
	       "signatures%s\n",
	       r->src, r->schema, (long long)r->signatures, counter_note(r, note, sizeof note));
	if (r->naside == 0)
		printf("petitiond restore: there was no database at %s: nothing to move aside\n",
		       r->dst);
	for (i = 0; i < r->naside; i++)
		printf("petitiond restore: moved aside %s -> %s\n", r->aside[i][0], r->aside[i][1]);
	printf("petitiond restore: installed %s: %lld signatures, mode %04o, owner %s:%s\n",
	       r->dst, (long long)r->signatures, r->mode, user_name(r->uid, u, sizeof u),
	       group_name(r->gid, g, sizeof g));
	if (r->naside > 0)
		printf("petitiond restore: done. Start the server. Nothing was deleted: remove "
		       "the *.before-restore-* files once the restored database serves well.\n");
	else
		printf("petitiond restore: done. Start the server.\n");
	free(r);
	return CLI_DONE;
}

/* check: can --user write the database (or create it)? 1 yes, 0 no. */
static int user_can_write(const struct store_check_report *r, uid_t uid, gid_t gid)
{
	struct stat sb;
	char dir[sizeof r->path];
	char *slash;

	snprintf(dir, sizeof dir, "%s", r->path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (r->exists && stat(r->path, &sb) == 0 && sb.st_uid != uid)
		return 0;
	if (stat(dir, &sb) != 0)
		return 0;
	return sb.st_uid == uid || (sb.st_mode & 0002) || (sb.st_gid == gid && (sb.st_mode & 0020));
}

static int cmd_check(const struct config *cfg)
{
	struct store_check_report *r = malloc(sizeof *r);
	char err[CLI_ERR_BYTES], u[64];
	int rc, failed = 0, pg = store_is_shared(cfg->db);

	if (r == NULL) {
		fprintf(stderr, "petitiond check: out of memory\n");
		return CLI_FAILED;
	}
	printf("petitiond check: flags and PETITIOND_* variables: ok (port %u on %s, database "
	       "%s)\n",
	       cfg->port, cfg->bind ? cfg->bind : "all addresses", cfg->db);
	if (priv_check(cfg, err, sizeof err) != 0) {
		printf("petitiond check: FAILED: %s\n", err);
		failed = 1;
	} else if (priv_needs_drop(cfg)) {
		printf("petitiond check: runs as: root, binds the port, then serves as %s "
		       "(--user)\n", cfg->user);
	} else {
		printf("petitiond check: runs as: %s%s\n", user_name(geteuid(), u, sizeof u),
		       geteuid() == 0 ? " (PETITIOND_ALLOW_ROOT=1)" : "");
	}
	/* email area: the relay's settings as the server would read them
	 * (the password file too); nothing is sent (petitiond mail-test). */
	if (cfg->smtp_url != NULL) {
		struct mail_config mc;
		char relay[256];

		memset(&mc, 0, sizeof mc);
		if (mail_config_init(&mc, cfg, err, sizeof err) != 0) {
			printf("petitiond check: FAILED: mail: %s\n", err);
			failed = 1;
		} else {
			mail_relay_name(&mc, relay, sizeof relay);
			printf("petitiond check: mail: through %s as %s; confirmation %s%s "
			       "(petitiond mail-test ADDRESS sends a test)\n", relay, mc.from,
			       cfg->confirm ? "required" : "off",
			       cfg->public_url ? "" : " -- WARNING: no --public-url, no mail is sent");
		}
		mail_config_free(&mc);
	}
	/* sealed area: the key must be a public key. */
	if (cfg->seal_key != NULL) {
		struct seal_public pub;

		if (seal_init() != 0 || seal_load_public(cfg->seal_key, &pub, err, sizeof err) != 0) {
			printf("petitiond check: FAILED: --seal-key: %s\n", err);
			failed = 1;
		} else {
			printf("petitiond check: sealed mode: key %s\n", pub.fp);
		}
	}
	rc = store_check(cfg->db, r, err, sizeof err);
	if (rc < 0) {
		printf("petitiond check: FAILED: cannot check the database: %s\n", err);
		free(r);
		return CLI_FAILED;
	}
	if (pg && !r->exists && rc > 0) {
		/* Not reached: the reason comes below. */
	} else if (pg && !r->exists) {
		printf("petitiond check: database %s: reachable, no petitiond schema yet; the first "
		       "server to start makes it (and prints an admin token)\n", r->path);
	} else if (!r->exists) {
		printf("petitiond check: database %s: does not exist yet; the server creates it "
		       "(and prints an admin token) on its first start\n", r->path);
	} else {
		if (pg)
			printf("petitiond check: database %s: PostgreSQL\n", r->path);
		else
			printf("petitiond check: database %s: owner %s, mode %04o\n", r->path,
			       user_name(r->uid, u, sizeof u), r->mode);
		if (r->integrity[0] != '\0')
			printf("petitiond check: integrity_check: %s\n", r->integrity);
		printf("petitiond check: schema version %d (this petitiond knows up to %d%s)\n",
		       r->schema, r->schema_known,
		       r->schema < r->schema_known ? "; the server migrates it on start" : "");
		if (r->is_petitiond) {
			printf("petitiond check: signatures: %lld stored", (long long)r->signatures);
			if (r->counter != r->signatures)
				printf(" -- WARNING: the counter says %lld; the page would show "
				       "that", (long long)r->counter);
			printf("\n");
			if (r->has_admin_hash > 0)
				printf("petitiond check: admin accounts: %d active (petitiond admin "
				       "list)%s\n",
				       r->has_admin_hash,
				       cfg->admin_token ? "; --admin-token is the owner's" : "");
			else
				printf("petitiond check: admin accounts: %s\n",
				       cfg->admin_token ? "the owner's token is given by --admin-token"
							: "none yet: the server makes one on start "
							  "and prints it once");
			printf("petitiond check: form key: %s\n",
			       r->has_form_key ? "stored" : "none yet: the server makes one on start");
		}
	}
	if (r->in_use)
		printf("petitiond check: in use now by pid %ld (a server, or a restore): a second "
		       "server on it would refuse to start; this check only read it\n", r->pid);
	if (rc > 0) {
		printf("petitiond check: FAILED: %s\n", err);
		failed = 1;
	}
	if (priv_needs_drop(cfg) && !pg) {
		const struct passwd *pw = getpwnam(cfg->user);

		if (pw != NULL && !user_can_write(r, pw->pw_uid, pw->pw_gid)) {
			printf("petitiond check: FAILED: %s cannot write %s or create files beside "
			       "it: chown %s the database's directory and files\n",
			       cfg->user, r->path, cfg->user);
			failed = 1;
		}
	}
	free(r);
	if (failed) {
		printf("petitiond check: a server started with these settings would not serve\n");
		return CLI_FAILED;
	}
	printf("petitiond check: ok: a server started with these settings would serve\n");
	return CLI_DONE;
}

/* healthcheck: http://HOST[:PORT][/PATH] into its parts. Returns 0 or -1. */
static int parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
		     char *path, size_t pathlen)
{
	const char *p = url + strlen("http://"), *end;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - p - 1);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, p + 1, n);
		p = end + 1;
	} else {
		n = strcspn(p, ":/?#");
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, p, n);
		p += n;
	}
	host[n] = '\0';
	if (*p == ':') {
		long v;

		n = strspn(p + 1, "0123456789");
		v = n > 0 && n <= 5 ? strtol(p + 1, NULL, 10) : 0;
		if (v < 1 || v > 65535 || n >= portlen)
			return -1;
		memcpy(port, p + 1, n);
		port[n] = '\0';
		p += 1 + n;
	} else {
		snprintf(port, portlen, "80");
	}
	if (*p != '\0' && *p != '/' && *p != '?')
		return -1;
	/* The path as given, with a leading slash when it has none ("?x"). */
	if (*p == '/')
		n = (size_t)snprintf(path, pathlen, "%s", p);
	else
		n = (size_t)snprintf(path, pathlen, "%c%s", '/', p);
	if (n >= pathlen)
		return -1;
	if (strpbrk(path, " \r\n\t") != NULL)
		return -1;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { fd, events, 0 };
	long long left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return 1; /* let the read or write report it */
	}
}

/* One GET over a fresh connection, all within the deadline. Returns the
 * number of bytes of the answer in ans, or -1 with the reason in why. */
static long http_get(const char *host, const char *port, const char *path,
		     const char *hosthdr, char *ans, size_t anslen, long long deadline,
		     char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char req[2048];
	int fd = -1, rc, e = 0;
	size_t got = 0, sent = 0, reqlen;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			socklen_t sl = sizeof e;

			if (!wait_fd(fd, POLLOUT, deadline)) {
				e = ETIMEDOUT;
			} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0) {
				break;
			}
		} else {
			e = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, whylen, "cannot connect: %s",
			 e == ETIMEDOUT ? "no answer within 5 s" : strerror(e));
		return -1;
	}
	reqlen = (size_t)snprintf(req, sizeof req,
				  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: petitiond-healthcheck"
				  "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
				  path, hosthdr);
	while (sent < reqlen) {
		ssize_t n;

		if (!wait_fd(fd, POLLOUT, deadline)) {
			snprintf(why, whylen, "no answer within 5 s");
			goto fail;
		}
		n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, whylen, "sending: %s", strerror(errno));
			goto fail;
		}
		if (n > 0)
			sent += (size_t)n;
	}
	/* Read until the server closes (Connection: close) or the buffer is full. */
	while (got < anslen - 1) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline)) {
			if (got > 0)
				break;
			snprintf(why, whylen, "no answer within 5 s");
			goto fail;
		}
		n = recv(fd, ans + got, anslen - 1 - got, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (got > 0)
				break;
			snprintf(why, whylen, "reading: %s", strerror(errno));
			goto fail;
		}
		got += (size_t)n;
	}
	ans[got] = '\0';
	close(fd);
	return (long)got;
fail:
	close(fd);
	return -1;
}

static int cmd_healthcheck(const struct config *cfg)
{
	char host[256], port[8], path[1024], url[1400], hosthdr[300], why[512];
	char *ans = malloc(CLI_HEALTH_ANSWER_BYTES), *body, *eol;
	long long deadline = now_ms() + CLI_HEALTH_TIMEOUT_MS;
	long n;
	int status = 0, rc = CLI_FAILED;

	if (ans == NULL) {
		fprintf(stderr, "petitiond healthcheck: out of memory\n");
		return CLI_FAILED;
	}
	if (cfg->url != NULL) {
		if (parse_url(cfg->url, host, sizeof host, port, sizeof port, path, sizeof path) !=
		    0) {
			fprintf(stderr, "petitiond: --url: expected http://HOST[:PORT][/PATH]\n");
			free(ans);
			return CLI_USAGE;
		}
		snprintf(url, sizeof url, "%s", cfg->url);
	} else {
		if (cfg->tls_cert != NULL) {
			fprintf(stderr, "petitiond healthcheck: the server serves HTTPS itself "
				"(--tls-cert) and this check speaks plain HTTP; give --url of a "
				"plain-HTTP address, or check through the proxy\n");
			free(ans);
			return CLI_FAILED;
		}
		/* Where the server listens; "any address" is asked on loopback. */
		if (cfg->bind == NULL || strcmp(cfg->bind, "0.0.0.0") == 0)
			snprintf(host, sizeof host, "127.0.0.1");
		else if (strcmp(cfg->bind, "::") == 0)
			snprintf(host, sizeof host, "::1");
		else
			snprintf(host, sizeof host, "%s", cfg->bind);
		snprintf(port, sizeof port, "%u", cfg->port);
		snprintf(path, sizeof path, "%s", routes_path(ROUTE_HEALTHZ));
		snprintf(url, sizeof url, strchr(host, ':') ? "http://[%s]:%s%s" : "http://%s:%s%s",
			 host, port, path);
	}
	snprintf(hosthdr, sizeof hosthdr, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	n = http_get(host, port, path, hosthdr, ans, CLI_HEALTH_ANSWER_BYTES, deadline, why,
		     sizeof why);
	if (n < 0) {
		fprintf(stderr, "petitiond healthcheck: %s: unhealthy: %s\n", url, why);
		free(ans);
		return CLI_FAILED;
	}
	/* "HTTP/1.x NNN": the status is the three digits after the first space. */
	if (strlen(ans) >= 12 && strncmp(ans, "HTTP/1.", 7) == 0 && ans[8] == ' ' &&
	    strspn(ans + 9, "0123456789") >= 3)
		status = (ans[9] - '0') * 100 + (ans[10] - '0') * 10 + (ans[11] - '0');
	if (status == 0) {
		fprintf(stderr, "petitiond healthcheck: %s: unhealthy: not an HTTP answer\n", url);
		free(ans);
		return CLI_FAILED;
	}
	/* The first line of the body says why, when there is one. */
	body = strstr(ans, "\r\n\r\n");
	body = body ? body + 4 : ans + n;
	eol = body + strcspn(body, "\r\n");
	*eol = '\0';
	for (eol = body; *eol; eol++)
		if ((unsigned char)*eol < 0x20 || *eol == 0x7f)
			*eol = ' ';
	if (strlen(body) > 160)
		body[160] = '\0';
	if (status == 200) {
		printf("petitiond healthcheck: %s: healthy (200)\n", url);
		rc = CLI_DONE;
	} else {
		fprintf(stderr, "petitiond healthcheck: %s: unhealthy (%d)%s%s\n", url, status,
			*body ? ": " : "", body);
	}
	free(ans);
	return rc;
}

/* ---- admin: the organizers' accounts ------------------------------------ */

/* "2026-12-02 07:30 UTC", or what for 0. */
static void fmt_utc(char *out, size_t len, int64_t t, const char *none)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, len, "%s", none);
	else
		strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

struct admin_list {
	int n, active;
};

static void admin_row(void *ctx, const struct store_admin *a)
{
	struct admin_list *l = ctx;
	char created[32], last[32], revoked[48], when[32];

	fmt_utc(created, sizeof created, a->created_at, "-");
	fmt_utc(last, sizeof last, a->last_sign_in, "never");
	fmt_utc(when, sizeof when, a->revoked_at, "");
	if (a->revoked_at > 0)
		snprintf(revoked, sizeof revoked, "revoked %s", when);
	else
		snprintf(revoked, sizeof revoked, "active");
	if (l->n++ == 0)
		printf("%-32s  %-20s  %-20s  %s\n", "NAME", "CREATED", "LAST SIGN-IN", "STATUS");
	printf("%-32s  %-20s  %-20s  %s\n", a->name, created, last, revoked);
	l->active += a->revoked_at == 0;
}

static void admin_count(void *ctx, const struct store_admin *a)
{
	struct admin_list *l = ctx;

	l->n++;
	l->active += a->revoked_at == 0;
}

/* admin add NAME | list | revoke NAME | rotate NAME: on the database file,
 * while a server runs or not (store_admin_change_file). A new token is
 * printed on stdout once; only its SHA-256 goes to the database; the audit
 * trail names the command line and the system user ("cli:root"). */
static int cmd_admin(const struct config *cfg)
{
	const char *verb = cfg->command_file, *name = cfg->command_arg;
	char err[CLI_ERR_BYTES], who[80], u[64], token[2 * AUTH_TOKEN_BYTES + 1];
	char hash[AUTH_HASH_HEX + 1];
	unsigned char raw[AUTH_TOKEN_BYTES];
	struct admin_list l = { 0, 0 };
	enum store_admin_op op;
	int rc;

	if (strcmp(verb, "list") == 0) {
		if (name != NULL) {
			fprintf(stderr, "petitiond admin list: takes no NAME\n");
			return CLI_USAGE;
		}
		if (store_admin_list_file(cfg->db, admin_row, &l, err, sizeof err) != 0) {
			fprintf(stderr, "petitiond admin list: %s\n", err);
			return CLI_FAILED;
		}
		if (l.n == 0)
			printf("petitiond admin list: no accounts yet (the server makes '"
			       STORE_ADMIN_OWNER "' on its first start)\n");
		return CLI_DONE;
	}
	if (strcmp(verb, "add") == 0)
		op = STORE_ADMIN_ADD;
	else if (strcmp(verb, "revoke") == 0)
		op = STORE_ADMIN_REVOKE;
	else if (strcmp(verb, "rotate") == 0)
		op = STORE_ADMIN_ROTATE;
	else {
		fprintf(stderr, "petitiond admin: unknown action '%s' (add NAME, list, revoke NAME, "
			"rotate NAME)\n", verb);
		return CLI_USAGE;
	}
	if (name == NULL) {
		fprintf(stderr, "petitiond admin %s: missing NAME\n", verb);
		return CLI_USAGE;
	}
	if (!store_admin_name_ok(name)) {
		fprintf(stderr, "petitiond admin %s: '%s' is not a valid name: 1 to %d letters, "
			"digits, '.', '_' or '-', starting with a letter or a digit\n",
			verb, name, STORE_ADMIN_NAME_MAX);
		return CLI_USAGE;
	}
	token[0] = hash[0] = '\0';
	if (op != STORE_ADMIN_REVOKE) {
		if (auth_random(raw, sizeof raw) != 0) {
			fprintf(stderr, "petitiond admin %s: cannot read random bytes\n", verb);
			return CLI_FAILED;
		}
		auth_hex(token, raw, sizeof raw);
		memset(raw, 0, sizeof raw);
		auth_sha256_hex(hash, token, strlen(token));
	}
	snprintf(who, sizeof who, "cli:%s", user_name(geteuid(), u, sizeof u));
	rc = store_admin_change_file(cfg->db, op, clock_now_ms() / 1000, name,
				     op == STORE_ADMIN_REVOKE ? NULL : hash, who, err, sizeof err);
	switch (rc) {
	case STORE_ADMIN_OK:
		break;
	case STORE_ADMIN_EXISTS:
		fprintf(stderr, "petitiond admin add: an active organizer named '%s' exists "
			"already; nothing changed (a new token for it: petitiond admin rotate %s)\n",
			name, name);
		return CLI_FAILED;
	case STORE_ADMIN_NO_SUCH:
		fprintf(stderr, "petitiond admin %s: there is no organizer named '%s'; nothing "
			"changed (petitiond admin list shows them)\n", verb, name);
		return CLI_FAILED;
	case STORE_ADMIN_REVOKED:
		fprintf(stderr, op == STORE_ADMIN_REVOKE
				? "petitiond admin revoke: '%s' is revoked already; nothing changed\n"
				: "petitiond admin rotate: '%s' is revoked; nothing changed (petitiond "
				  "admin add %s gives it a new token)\n",
			name, name);
		return CLI_FAILED;
	case STORE_ADMIN_BAD_NAME:
		fprintf(stderr, "petitiond admin %s: '%s' is not a valid name\n", verb, name);
		return CLI_USAGE;
	default:
		fprintf(stderr, "petitiond admin %s: failed, nothing changed: %s\n", verb, err);
		return CLI_FAILED;
	}
	if (op == STORE_ADMIN_REVOKE) {
		printf("petitiond admin revoke: '%s' is revoked: their token no longer works and "
		       "their sessions ended (a running server refuses them at once)\n", name);
		if (store_admin_list_file(cfg->db, admin_count, &l, err, sizeof err) == 0 &&
		    l.active == 0)
			printf("petitiond admin revoke: no active account is left: nobody can "
			       "sign in until you run petitiond admin add NAME (or start the "
			       "server with --admin-token)\n");
		return CLI_DONE;
	}
	printf("petitiond admin %s: %s '%s'. The token, shown only this once (only its "
	       "SHA-256 is stored):\n\n    %s\n\n"
	       "Sign in with it at /admin/login, or send it as 'Authorization: Bearer TOKEN'.\n"
	       "A running server accepts it at once.%s\n",
	       verb, op == STORE_ADMIN_ADD ? "added the organizer" : "a new token for", name, token,
	       op == STORE_ADMIN_ROTATE ? " The old token no longer works and the sessions "
					  "signed in with it ended."
					: "");
	fflush(stdout);
	memset(token, 0, sizeof token);
	if (op == STORE_ADMIN_ROTATE && strcasecmp(name, STORE_ADMIN_OWNER) == 0)
		fprintf(stderr, "petitiond admin rotate: note: a server started with --admin-token "
			"(or PETITIOND_ADMIN_TOKEN) sets the token of '" STORE_ADMIN_OWNER "' back "
			"to that one at its next start: change or drop that setting too\n");
	return CLI_DONE;
}

static int cmd_copy_to(const struct config *cfg)
{
	struct store_pgcopy_report r;
	char err[CLI_ERR_BYTES];

	if (store_copy_to_pg(cfg->db, cfg->command_file, &r, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond copy-to: refused or failed, nothing written: %s\n", err);
		return CLI_FAILED;
	}
	printf("petitiond copy-to: read  %s\n", cfg->db);
	printf("petitiond copy-to: wrote %s: %lld signatures (count %lld), %lld rows in %d "
	       "tables, each counted on both sides\n",
	       cfg->command_file, (long long)r.signatures, (long long)r.counter,
	       (long long)r.rows, r.tables);
	printf("petitiond copy-to: start the nodes with --db %s; keep %s as a backup\n",
	       cfg->command_file, cfg->db);
	return CLI_DONE;
}

int cli_run(const struct config *cfg)
{
	if (strcmp(cfg->command, "backup") == 0)
		return cmd_backup(cfg);
	if (strcmp(cfg->command, "restore") == 0)
		return cmd_restore(cfg);
	if (strcmp(cfg->command, "check") == 0)
		return cmd_check(cfg);
	if (strcmp(cfg->command, "copy-to") == 0)
		return cmd_copy_to(cfg);
	if (strcmp(cfg->command, "healthcheck") == 0)
		return cmd_healthcheck(cfg);
	if (strcmp(cfg->command, "admin") == 0)
		return cmd_admin(cfg);
	if (strcmp(cfg->command, "content") == 0)
		return cli_content(cfg);
	if (strcmp(cfg->command, "export") == 0)
		return cli_export(cfg);
	if (strcmp(cfg->command, "stats") == 0)
		return cli_stats(cfg);
	if (strcmp(cfg->command, "delete") == 0)
		return cli_delete(cfg);
	if (strcmp(cfg->command, "import") == 0)
		return cli_import(cfg);
	if (strcmp(cfg->command, "mail-test") == 0)
		return cli_mail_test(cfg);
	if (strcmp(cfg->command, "keygen") == 0)
		return cli_keygen(cfg);
	if (strcmp(cfg->command, "unseal") == 0)
		return cli_unseal(cfg);
	if (strcmp(cfg->command, "seal") == 0)
		return cli_seal(cfg);
	fprintf(stderr, "petitiond: unknown command '%s' (see --help)\n", cfg->command);
	return CLI_USAGE;
}
