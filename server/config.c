/* config.c -- command-line flags and PETITIOND_* environment variables. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PETITIOND_VERSION
#define PETITIOND_VERSION "0.1.0"
#endif

enum opt_kind { OPT_PORT, OPT_BIND, OPT_DB, OPT_TOKEN, OPT_GOAL, OPT_RATE, OPT_FILL,
		OPT_URL, OPT_THREADS, OPT_TRUST, OPT_CERT, OPT_KEY, OPT_HSTS, OPT_PERIP };

static const struct option_def {
	const char *flag;  /* "port" for --port and PETITIOND_PORT */
	enum opt_kind kind;
	const char *arg;
	const char *help;
} options[] = {
	{ "port", OPT_PORT, "N", "TCP port to listen on (default 8080)" },
	{ "bind", OPT_BIND, "ADDR", "IPv4 or IPv6 address to listen on (default: all)" },
	{ "db", OPT_DB, "PATH", "SQLite database file (default ./petition.db)" },
	{ "admin-token", OPT_TOKEN, "TOKEN", "admin secret, at least 20 characters (default: generated once, printed once)" },
	{ "goal", OPT_GOAL, "N", "signature goal shown on the page (default 10000)" },
	{ "rate-limit", OPT_RATE, "N", "signatures per minute from one client (default 20, 0 = off)" },
	{ "min-fill-time", OPT_FILL, "S", "seconds needed between loading and submitting the form (default 2, 0 = off)" },
	{ "public-url", OPT_URL, "URL", "public address of the petition, for share links (e.g. https://example.org)" },
	{ "threads", OPT_THREADS, "N", "HTTP worker threads (default: one per core)" },
	{ "per-ip-limit", OPT_PERIP, "N", "open connections allowed per client address (default 128, 0 = off; not applied behind --trust-proxy or on a loopback --bind)" },
	{ "trust-proxy", OPT_TRUST, "CIDR[,CIDR]", "reverse proxies whose X-Forwarded-For names the client (default: loopback, 127.0.0.0/8,::1; 'none' trusts nobody)" },
	{ "tls-cert", OPT_CERT, "FILE", "PEM certificate chain: serve HTTPS directly (with --tls-key)" },
	{ "tls-key", OPT_KEY, "FILE", "PEM private key for --tls-cert" },
	{ "hsts", OPT_HSTS, "SECONDS", "Strict-Transport-Security max-age (default: 31536000 with --tls-cert, else 0 = off; set it when the proxy serves HTTPS)" },
};
#define NOPTIONS (sizeof options / sizeof options[0])

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: petitiond [OPTION]...\n"
		   "       petitiond backup FILE [--db PATH]\n"
		   "Serve a petition page, take signatures into SQLite, export them as CSV.\n"
		   "'backup' copies the database safely while the server runs.\n\n");
	for (i = 0; i < NOPTIONS; i++) {
		char left[40];

		snprintf(left, sizeof left, "--%s %s", options[i].flag, options[i].arg);
		fprintf(f, "  %-24s %s\n", left, options[i].help);
	}
	fprintf(f, "  %-24s %s\n  %-24s %s\n\n", "--help", "show this help and exit",
		"--version", "show the version and exit");
	fprintf(f, "Every option can also be set as an environment variable: --admin-token as\n"
		   "PETITIOND_ADMIN_TOKEN, --port as PETITIOND_PORT, and so on. Flags win.\n");
}

static void bad(const char *flag, const char *why)
{
	fprintf(stderr, "petitiond: --%s: %s\n", flag, why);
	exit(2);
}

static long parse_long(const char *flag, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	if (s[0] == '\0' || s[0] == ' ' || s[0] == '+')
		bad(flag, "expected a whole number");
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0)
		bad(flag, "expected a whole number");
	if (v < lo || v > hi) {
		char msg[96];

		snprintf(msg, sizeof msg, "must be between %ld and %ld", lo, hi);
		bad(flag, msg);
	}
	return v;
}

static void apply(struct config *cfg, const struct option_def *o, const char *v)
{
	switch (o->kind) {
	case OPT_PORT:
		cfg->port = (unsigned)parse_long(o->flag, v, 1, 65535);
		break;
	case OPT_BIND: {
		unsigned char tmp[16];

		if (inet_pton(AF_INET, v, tmp) != 1 && inet_pton(AF_INET6, v, tmp) != 1)
			bad(o->flag, "expected an IPv4 or IPv6 address such as 127.0.0.1 or ::1");
		cfg->bind = v;
		break;
	}
	case OPT_DB:
		if (v[0] == '\0')
			bad(o->flag, "expected a file path");
		cfg->db = v;
		break;
	case OPT_TOKEN:
		if (strlen(v) < 20)
			bad(o->flag, "must be at least 20 characters long");
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				bad(o->flag, "must not contain spaces or control characters");
		cfg->admin_token = v;
		break;
	case OPT_GOAL:
		cfg->goal = parse_long(o->flag, v, 1, CONFIG_MAX_GOAL);
		break;
	case OPT_RATE:
		cfg->rate_limit = parse_long(o->flag, v, 0, 1000000);
		break;
	case OPT_FILL:
		cfg->min_fill_time = parse_long(o->flag, v, 0, 3600);
		break;
	case OPT_URL: {
		size_t n = strlen(v);

		if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) || n > 512 ||
		    strpbrk(v, " \"'<>\\") != NULL)
			bad(o->flag, "expected an http:// or https:// URL");
		cfg->public_url = v;
		break;
	}
	case OPT_THREADS:
		cfg->threads = (unsigned)parse_long(o->flag, v, 1, 256);
		break;
	case OPT_TRUST: {
		struct cidr tmp[CONFIG_MAX_TRUSTED];

		if (strcmp(v, "none") == 0) {
			cfg->trust_proxy = "";
			break;
		}
		if (config_parse_cidrs(v, tmp, CONFIG_MAX_TRUSTED) < 0)
			bad(o->flag, "expected addresses or CIDRs such as 127.0.0.1/32,::1/128");
		cfg->trust_proxy = v;
		break;
	}
	case OPT_CERT:
	case OPT_KEY:
		if (access(v, R_OK) != 0)
			bad(o->flag, "cannot read that file");
		if (o->kind == OPT_CERT)
			cfg->tls_cert = v;
		else
			cfg->tls_key = v;
		break;
	case OPT_PERIP:
		cfg->per_ip_limit = parse_long(o->flag, v, 0, 100000);
		break;
	case OPT_HSTS:
		cfg->hsts = parse_long(o->flag, v, 0, 63072000);
		break;
	}
}

void config_load(struct config *cfg, int argc, char **argv)
{
	size_t i;
	int k;

	memset(cfg, 0, sizeof *cfg);
	cfg->port = CONFIG_DEFAULT_PORT;
	cfg->db = CONFIG_DEFAULT_DB;
	cfg->goal = CONFIG_DEFAULT_GOAL;
	cfg->rate_limit = CONFIG_DEFAULT_RATE_LIMIT;
	cfg->min_fill_time = CONFIG_DEFAULT_MIN_FILL;
	cfg->hsts = -1;
	cfg->per_ip_limit = CONFIG_DEFAULT_PER_IP;
	cfg->trust_proxy = CONFIG_DEFAULT_TRUST;

	for (i = 0; i < NOPTIONS; i++) {
		char env[64], *p;
		const char *v;

		snprintf(env, sizeof env, "PETITIOND_%s", options[i].flag);
		for (p = env; *p; p++)
			*p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		v = getenv(env);
		if (v != NULL && v[0] != '\0')
			apply(cfg, &options[i], v);
	}

	for (k = 1; k < argc; k++) {
		const char *a = argv[k], *eq, *val;
		size_t n;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(a, "--version") == 0) {
			printf("petitiond %s\n", PETITIOND_VERSION);
			exit(0);
		}
		if (k == 1 && a[0] != '-') {
			cfg->command = a;
			if (strcmp(a, "backup") == 0) {
				if (k + 1 >= argc || argv[k + 1][0] == '-') {
					fprintf(stderr, "petitiond: backup: missing FILE "
							"(petitiond backup FILE [--db PATH])\n");
					exit(2);
				}
				cfg->backup_file = argv[++k];
			}
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "petitiond: unexpected argument '%s' (see --help)\n", a);
			exit(2);
		}
		a += 2;
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a) : strlen(a);
		for (i = 0; i < NOPTIONS; i++)
			if (strlen(options[i].flag) == n && strncmp(options[i].flag, a, n) == 0)
				break;
		if (i == NOPTIONS) {
			fprintf(stderr, "petitiond: unknown option --%.*s (see --help)\n", (int)n, a);
			exit(2);
		}
		if (eq) {
			val = eq + 1;
		} else {
			if (k + 1 >= argc)
				bad(options[i].flag, "missing value");
			val = argv[++k];
		}
		apply(cfg, &options[i], val);
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		bad(cfg->tls_cert ? "tls-key" : "tls-cert", "--tls-cert and --tls-key go together");
	if (cfg->hsts < 0)
		cfg->hsts = cfg->tls_cert ? 31536000 : 0;
}

int config_parse_cidrs(const char *s, struct cidr *out, int max)
{
	int n = 0;

	if (strcmp(s, "none") == 0)
		return 0;
	while (*s) {
		char item[64], *slash;
		size_t len = strcspn(s, ",");
		long bits;

		if (len == 0 || len >= sizeof item || n >= max)
			return -1;
		memcpy(item, s, len);
		item[len] = '\0';
		slash = strchr(item, '/');
		if (slash)
			*slash = '\0';
		memset(&out[n], 0, sizeof out[n]);
		if (inet_pton(AF_INET, item, out[n].addr) == 1) {
			out[n].family = AF_INET;
			out[n].bits = 32;
		} else if (inet_pton(AF_INET6, item, out[n].addr) == 1) {
			out[n].family = AF_INET6;
			out[n].bits = 128;
		} else {
			return -1;
		}
		if (slash) {
			char *end;

			bits = strtol(slash + 1, &end, 10);
			if (*end != '\0' || slash[1] == '\0' || bits < 0 || bits > (long)out[n].bits)
				return -1;
			out[n].bits = (unsigned)bits;
		}
		n++;
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

int cidr_match(const struct cidr *list, int n, int family, const unsigned char *addr)
{
	int i;

	for (i = 0; i < n; i++) {
		unsigned full = list[i].bits / 8, rest = list[i].bits % 8;

		if (list[i].family != family)
			continue;
		if (memcmp(list[i].addr, addr, full) != 0)
			continue;
		if (rest && ((list[i].addr[full] ^ addr[full]) & (0xff << (8 - rest))) != 0)
			continue;
		return 1;
	}
	return 0;
}
