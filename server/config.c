/* config.c -- command-line flags and PETITIOND_* environment variables. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX_URL 512 /* bytes of --public-url */
#define CONFIG_STR2(x) #x
#define CONFIG_STR(x) CONFIG_STR2(x)

#include "auth.h"
#include "hdr.h"

#ifndef PETITIOND_VERSION
#error "PETITIOND_VERSION comes from meson's project version"
#endif

enum opt_kind { OPT_PORT, OPT_BIND, OPT_DB, OPT_TOKEN, OPT_GOAL, OPT_RATE, OPT_FILL,
		OPT_URL, OPT_THREADS, OPT_TRUST, OPT_CERT, OPT_KEY, OPT_HSTS, OPT_PERIP,
		OPT_PERNET, OPT_MAXCONN, OPT_PROXYPROTO,
		OPT_USER, OPT_SESSION_IDLE, OPT_METRICS_BIND, OPT_SMTP_URL, OPT_SMTP_PWFILE,
		OPT_SMTP_CA, OPT_MAIL_FROM, OPT_CONFIRM, OPT_PENDING_DAYS, OPT_SEAL_KEY,
		OPT_TIME_PRECISION, OPT_RETENTION, OPT_WAL_CKPT };

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
	{ "per-ip-limit", OPT_PERIP, "N", "open connections allowed per client address (default 128, 0 = off; not applied to trusted proxies, nor to loopback peers on a loopback --bind)" },
	{ "per-subnet-limit", OPT_PERNET, "N", "open connections allowed per IPv4 /24 or IPv6 /48 (default 4 x --per-ip-limit, 0 = off; exemptions as --per-ip-limit, and addresses from a PROXY header)" },
	{ "max-connections", OPT_MAXCONN, "N", "open connections in all (default: sized to the open-file limit and a quarter of memory)" },
	{ "proxy-protocol", OPT_PROXYPROTO, "CIDR[,CIDR]", "local proxies (Tor with HiddenServiceExportCircuitID haproxy) whose connections begin with a PROXY v1 header naming the client; its address counts for every limit (default: none)" },
	{ "trust-proxy", OPT_TRUST, "CIDR[,CIDR]", "reverse proxies whose X-Forwarded-For names the client (default: loopback, 127.0.0.0/8,::1; 'none' trusts nobody)" },
	{ "tls-cert", OPT_CERT, "FILE", "PEM certificate chain: serve HTTPS directly (with --tls-key)" },
	{ "tls-key", OPT_KEY, "FILE", "PEM private key for --tls-cert" },
	{ "hsts", OPT_HSTS, "SECONDS", "Strict-Transport-Security max-age (default: 31536000 with --tls-cert, else 0 = off; set it when the proxy serves HTTPS)" },
	{ "user", OPT_USER, "NAME", "started as root: bind the port, then serve as this user and its groups (petitiond refuses to serve as root without it, unless PETITIOND_ALLOW_ROOT=1)" },
	{ "metrics-bind", OPT_METRICS_BIND, "ADDR:PORT", "also answer GET /metrics (Prometheus) without credentials on this address, for a local Prometheus: 127.0.0.1:9464 or [::1]:9464 (default: none; /metrics on the main port always needs the admin token)" },
	{ "smtp-url", OPT_SMTP_URL, "URL", "mail relay for confirmation and withdrawal mail: smtps://USER:PASS@HOST:465 (TLS from the start) or smtp://USER:PASS@HOST:587 (STARTTLS, required); the password may come from --smtp-password-file (default: no mail)" },
	{ "smtp-password-file", OPT_SMTP_PWFILE, "FILE", "read the SMTP password from the first line of FILE (keeps it out of ps and unit files)" },
	{ "smtp-ca-file", OPT_SMTP_CA, "FILE", "PEM certificates that sign the mail relay's certificate (default: the system's; the certificate is always checked)" },
	{ "mail-from", OPT_MAIL_FROM, "ADDR", "sender of the mail: \"Name <address>\" or address (required with --smtp-url)" },
	{ "confirm", OPT_CONFIRM, "required|off", "required: a signature counts only once the signer confirms it from an email (needs --smtp-url, --mail-from and --public-url); off: counted at once (default)" },
	{ "pending-days", OPT_PENDING_DAYS, "N", "unconfirmed signatures are erased after N days (default 14)" },
	{ "seal-key", OPT_SEAL_KEY, "FILE", "sealed mode: store names, emails and comments only as sealed boxes for the public key FILE (petitiond keygen); the server cannot open them" },
	{ "time-precision", OPT_TIME_PRECISION, "hour|minute|second", "precision of the signing times kept (default hour)" },
	{ "retention-days", OPT_RETENTION, "N|off", "erase the signers' names, emails and comments N days after the petition closes; counts stay (default 180, as the UK Parliament's petitions; off: keep)" },
	{ "wal-checkpoint", OPT_WAL_CKPT, "auto|external", "auto: petitiond checkpoints the WAL itself (default); external: never, another program does (Litestream: see deploy/litestream.yml)" },
	{ "admin-session-idle", OPT_SESSION_IDLE, "SECONDS", "an organizer signed in at /admin/login is signed out after this long without using the organizers' pages (default 43200 = 12 hours)" },
};
#define NOPTIONS (sizeof options / sizeof options[0])

/* The subcommands. Each takes every server flag too (so `check` sees what
 * the server would), and exits 0 done, 1 failed, 2 bad usage. */
#define CMD_FILE 1u  /* one positional argument: command_file */
#define CMD_FORCE 2u /* --force */
#define CMD_URL 4u   /* --url URL */
#define CMD_ARG2 8u  /* a second positional argument: command_arg (with CMD_FILE) */
#define CMD_DRYRUN 16u /* --dry-run */
#define CMD_FILTERS 32u /* export: --format --since --until --country --updates --source */
#define CMD_JSON 64u    /* stats: --json */
#define CMD_EMAIL 128u  /* delete: --email ADDRESS */
#define CMD_SOURCE 256u   /* import: --source paper|event */
#define CMD_ADDVALID 512u /* import: --add-valid */
#define CMD_KEY 1024u     /* unseal, seal: --key FILE */

static const struct command_def {
	const char *name;
	const char *synopsis;
	const char *summary; /* one line for petitiond --help */
	const char *help;    /* petitiond NAME --help */
	unsigned flags;
} commands[] = {
	{ "backup", "FILE [--db PATH] [--force]",
	  "copy the database into FILE, safely while the server runs",
	  "Copies the database (--db, default ./petition.db) into FILE with SQLite's\n"
	  "online backup: safe while the server runs and takes signatures. The copy is\n"
	  "written beside FILE, checked (PRAGMA integrity_check), made private (0600) and\n"
	  "only then renamed to FILE. Prints what it read and wrote, with row counts.\n\n"
	  "Refuses an existing FILE unless --force. Always refuses FILE when it is the\n"
	  "database itself (same file, or the same path), one of its -wal/-shm/.lock\n"
	  "files, or a database a running petitiond uses.\n\n"
	  "  --force      replace FILE when it exists (never a database in use)\n",
	  CMD_FILE | CMD_FORCE },
	{ "restore", "BACKUP [--db PATH]",
	  "put a backup in place of the database (with the server stopped)",
	  "Puts the backup BACKUP in place of the database (--db, default ./petition.db).\n"
	  "Refuses while a petitiond uses the database: stop the server first. Copies the\n"
	  "backup beside the database and checks the copy (PRAGMA integrity_check, a\n"
	  "petitiond schema this version knows), moves the current database and its\n"
	  "-wal/-shm aside as DB.before-restore-TIMESTAMP (nothing is deleted), then\n"
	  "renames the checked copy into place, owned like the old database (or its\n"
	  "directory) with mode 0600. BACKUP itself is only read.\n",
	  CMD_FILE },
	{ "copy-to", "postgres://... [--db PATH]",
	  "move the petition from SQLite into an empty PostgreSQL database",
	  "Copies everything in the SQLite database (--db, default ./petition.db) into the\n"
	  "PostgreSQL database at the URL: signatures, counters, texts, settings, admin\n"
	  "accounts and sessions, the audit trail, the outbox. The URL's database must\n"
	  "exist and hold no petition yet (CREATE DATABASE petition OWNER ...); its schema\n"
	  "is made first. One transaction: every table's rows are counted on both sides\n"
	  "before COMMIT, and a failure leaves PostgreSQL as it was. The SQLite file is\n"
	  "only read (after bringing its schema to this version, as a start would).\n"
	  "Refuses while a petitiond serves from the file: stop it first, so that no\n"
	  "signature comes in after the copy. Then start the nodes with --db URL.\n"
	  "No password in the URL: give it in ~/.pgpass, PGPASSFILE or PGPASSWORD.\n",
	  CMD_FILE },
	{ "check", "[--db PATH]",
	  "check the configuration and the database, like nginx -t",
	  "Reads the flags and PETITIOND_* variables the server would, then checks the\n"
	  "database (--db): PRAGMA integrity_check, the schema version, the settings the\n"
	  "server keeps (admin accounts, form key), and whether a server uses it now.\n"
	  "Prints what it found. Exits 0 when a server started with these settings would\n"
	  "serve from this database, 1 otherwise. Only reads the database.\n",
	  0 },
	{ "healthcheck", "[--url URL]",
	  "ask a running server's /healthz: exit 0 when it answers 200",
	  "Asks GET /healthz of a running server over HTTP/1.1 (no curl needed: for\n"
	  "Docker's HEALTHCHECK and for monitoring). Prints one line; exits 0 on a 200\n"
	  "within 5 seconds, 1 otherwise.\n\n"
	  "  --url URL    http://HOST[:PORT]/PATH to ask (default: /healthz on --bind,\n"
	  "               or 127.0.0.1, and --port, as the server would listen)\n",
	  CMD_URL },
	{ "admin", "add NAME | list | revoke NAME | rotate NAME",
	  "organizers' accounts: add, list, revoke, new token",
	  "Manages the organizers' accounts in the database (--db), also while the\n"
	  "server runs (it sees every change at once, no restart):\n\n"
	  "  add NAME     a new account; prints its token, only this once (only its\n"
	  "               SHA-256 is stored). A revoked NAME comes back with a new token.\n"
	  "  list         every account: created, last sign-in, revoked\n"
	  "  revoke NAME  the account's token stops working and its sessions end\n"
	  "  rotate NAME  a new token, printed once; the old one stops working and the\n"
	  "               account's sessions end\n\n"
	  "NAME: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or a\n"
	  "digit. The account 'owner' is the one of --admin-token (set again at every\n"
	  "start when the server is given it) or of the token printed at the first\n"
	  "start. Every change is written to the audit trail (/admin/audit).\n",
	  CMD_FILE | CMD_ARG2 },
	{ "content", "dump DIR | load DIR [--dry-run]",
	  "write the published texts to DIR, or publish DIR's texts",
	  "The petition's texts as files, for organizers who keep them in git:\n"
	  "LANG.md (the body, Markdown) and LANG.json (the other fields) per language\n"
	  "(en, km) -- the same two files the built-in text is made of.\n\n"
	  "  dump DIR     writes the published text of every language into DIR (made\n"
	  "               if missing; existing files are replaced). Only reads the\n"
	  "               database: safe while the server runs.\n"
	  "  load DIR     reads every LANG.md and LANG.json in DIR, checks them all\n"
	  "               (nothing is published when one is wrong), and publishes each\n"
	  "               language that changed as a new version, kept in the history\n"
	  "               like one published from /admin/content and written to the\n"
	  "               audit trail as 'cli'. Needs the server stopped (its lock):\n"
	  "               or publish from /admin/content while it runs.\n\n"
	  "  --dry-run    load: check and say what would change, publish nothing (safe\n"
	  "               while the server runs)\n",
	  CMD_FILE | CMD_ARG2 | CMD_DRYRUN },
	{ "export", "[--format csv|json] [FILTER]...",
	  "write the signatures (CSV or JSON) to stdout, safely while the server runs",
	  "Writes the signatures to standard output, oldest first: the CSV of\n"
	  "/admin/export.csv (the same columns, UTF-8 with a byte order mark, CRLF) or a\n"
	  "JSON array of objects with the same keys. Streamed from one snapshot of the\n"
	  "database (--db), in constant memory; safe while the server runs and takes\n"
	  "signatures. The export is written to the audit trail as 'cli:USER'.\n\n"
	  "  --format csv|json  the output (default csv)\n"
	  "  --since YYYY-MM-DD signed on or after that day (UTC)\n"
	  "  --until YYYY-MM-DD signed on or before that day (UTC)\n"
	  "  --country CC       signers from that country (ISO 3166-1 code, e.g. KH)\n"
	  "  --updates          only signers who asked for news\n"
	  "  --source S         only signatures collected online, on paper or at an event\n"
	  "                     (online|paper|event)\n"
	  "  --confirmed 1|0    only signatures confirmed by mail (1) or still waiting (0)\n\n"
	  "Example: petitiond export --updates --format csv --db /var/lib/petitiond/petition.db > news.csv\n",
	  CMD_FILTERS },
	{ "stats", "[--json]",
	  "print the count, by country and by day",
	  "Prints the number of signatures, the count per country (largest first) and\n"
	  "per day (UTC) from the database (--db). Only reads: safe while the server\n"
	  "runs.\n\n"
	  "  --json       one JSON object instead of text:\n"
	  "               {\"count\": N, \"by_country\": {\"KH\": N, ...},\n"
	  "                \"by_day\": [{\"day\": \"YYYY-MM-DD\", \"count\": N}, ...]}\n",
	  CMD_JSON },
	{ "delete", "--email ADDRESS",
	  "erase the signature of an email address (a signer's request)",
	  "Erases the signature of ADDRESS (compared as the server does: trimmed,\n"
	  "letters lower-cased), like the dashboard's delete by email address: the row,\n"
	  "its words in the search index and its share of the counts, with an audit\n"
	  "line 'delete' naming the row number, never the person, as 'cli:USER'. Safe\n"
	  "while the server runs: it waits for the server's writes, and a running\n"
	  "server shows the new count within about a second.\n"
	  "Exits 0 when the signature was erased or no signature has that address\n"
	  "(it says which), 1 when the database could not be changed.\n\n"
	  "  --email ADDRESS  the address the signer used\n",
	  CMD_EMAIL },
	{ "import", "FILE.csv [--dry-run] [--add-valid] [--source paper|event]",
	  "add signatures collected on paper or at an event from a CSV file",
	  "Reads FILE.csv (the export's columns: name,email,country,comment,public,\n"
	  "updates, and optionally public_name and signed_at; UTF-8 with or without a\n"
	  "BOM; comma or semicolon separated; the first line names the columns), checks\n"
	  "every row like a signature sent with the form, and prints per line what\n"
	  "would be added, what is a duplicate (an email that signed already, or earlier\n"
	  "in the file: counted once) and what is invalid and why. Rows without an\n"
	  "email are allowed (a paper signer may have none). Then adds the new rows in\n"
	  "one transaction, with an audit line 'import' -- unless a row is invalid:\n"
	  "then nothing is written (fix the file, or give --add-valid). Safe while the\n"
	  "server runs (it waits for the server's writes).\n\n"
	  "  --dry-run          check and print what would happen, write nothing\n"
	  "  --add-valid        add the valid rows even when some are invalid\n"
	  "  --source S         paper (default) or event: stored with every row\n\n"
	  "Exits 0 when the rows were added (with --dry-run: when all are valid), 1\n"
	  "when nothing was written (an invalid row, an unreadable file, a database\n"
	  "error), 2 on bad usage.\n",
	  CMD_FILE | CMD_DRYRUN | CMD_SOURCE | CMD_ADDVALID },
	{ "mail-test", "ADDRESS",
	  "send a test message through the configured mail relay",
	  "Sends one short test message to ADDRESS through --smtp-url as --mail-from,\n"
	  "with the certificate checks the server makes, and prints what the relay\n"
	  "answered. Use it to check the mail settings before --confirm required.\n"
	  "Exits 0 when the relay accepted the message, 1 otherwise.\n",
	  CMD_FILE },
	{ "keygen", "OUT",
	  "make a key pair for sealed mode (on an organizer's own computer)",
	  "Writes a new key pair for sealed mode: OUT.public (give it to the server with\n"
	  "--seal-key) and OUT.secret (mode 0600: keep it off the server; only it opens\n"
	  "the sealed exports). Prints the key's fingerprint, to check that the server\n"
	  "uses the right one. Refuses to replace existing files.\n",
	  CMD_FILE },
	{ "unseal", "--key FILE.secret < export.csv > plain.csv",
	  "open a sealed export with the secret key (offline)",
	  "Reads a CSV export made in sealed mode on standard input and writes it to\n"
	  "standard output with the sealed cells (name, email, comment) opened with the\n"
	  "secret key FILE.secret. Needs no database. A wrong key or a damaged cell\n"
	  "stops it with an error and no output.\n\n"
	  "  --key FILE   the secret key (petitiond keygen)\n",
	  CMD_KEY },
	{ "seal", "--key FILE.public [--db PATH]",
	  "seal the names, emails and comments already in a database",
	  "Converts the database (--db) to sealed mode in place: every signature's\n"
	  "name, email and comment is replaced by a sealed box for FILE.public. Safe to\n"
	  "interrupt at any moment and run again (it resumes; no row is lost or\n"
	  "doubled). Then checkpoints and vacuums, so no clear text stays in the file.\n"
	  "Needs the server stopped; start it again with --seal-key FILE.public.\n\n"
	  "  --key FILE   the public key (petitiond keygen)\n",
	  CMD_KEY },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void command_usage(FILE *f, const struct command_def *c)
{
	fprintf(f, "Usage: petitiond %s %s [OPTION]...\n%s\n"
		   "Every server option (--db, --port, ... and PETITIOND_* variables) is read as\n"
		   "the server would read it. Exit status: 0 done, 1 failed, 2 bad usage.\n",
		c->name, c->synopsis, c->help);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: petitiond [OPTION]...\n"
		   "       petitiond COMMAND [ARGUMENT] [OPTION]...\n"
		   "Serve a petition page, take signatures into SQLite, export them as CSV.\n\n"
		   "Commands (petitiond COMMAND --help for each; exit 0 done, 1 failed, 2 bad usage):\n");
	for (i = 0; i < NCOMMANDS; i++) {
		char left[64];

		snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].synopsis);
		fprintf(f, "  %-36s %s\n", left, commands[i].summary);
	}
	fprintf(f, "\nOptions:\n");
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
		if (strlen(v) < AUTH_MIN_TOKEN_CHARS)
			bad(o->flag, "must be at least " CONFIG_STR(AUTH_MIN_TOKEN_CHARS)
				     " characters long");
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
		/* Normalised once here, so every link built from it (share links,
		 * og:url, the widget, the QR code) is base + path: no trailing
		 * slash (https://host/ would give https://host//), no query or
		 * fragment to land in the middle of a link. */
		static char url[CONFIG_MAX_URL + 1];
		size_t n = strlen(v), skip = strncmp(v, "https://", 8) == 0 ? 8 : 7;
		const char *p;

		if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) ||
		    n > CONFIG_MAX_URL || strpbrk(v, " \"'<>\\") != NULL)
			bad(o->flag, "expected an http:// or https:// URL");
		for (p = v; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				bad(o->flag, "must not contain control characters");
		if (strpbrk(v, "?#") != NULL)
			bad(o->flag, "must not have a query (?) or a fragment (#): give the "
				     "petition's address only, e.g. https://example.org");
		while (n > skip && v[n - 1] == '/')
			n--;
		if (n == skip || v[skip] == '/')
			bad(o->flag, "expected a host name after the scheme, e.g. https://example.org");
		memcpy(url, v, n);
		url[n] = '\0';
		cfg->public_url = url;
		break;
	}
	case OPT_THREADS:
		cfg->threads = (unsigned)parse_long(o->flag, v, 1, 256);
		break;
	case OPT_TRUST: {
		struct hdr_cidr tmp[CONFIG_MAX_TRUSTED];

		if (strcmp(v, "none") == 0) {
			cfg->trust_proxy = "";
			break;
		}
		if (hdr_cidr_parse(v, tmp, CONFIG_MAX_TRUSTED) < 0)
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
	case OPT_PERNET:
		cfg->per_subnet_limit = parse_long(o->flag, v, 0, 1000000);
		break;
	case OPT_MAXCONN:
		cfg->max_connections = parse_long(o->flag, v, 1, 10000000);
		break;
	case OPT_PROXYPROTO: {
		struct hdr_cidr tmp[CONFIG_MAX_TRUSTED];

		if (strcmp(v, "none") == 0) {
			cfg->proxy_protocol = NULL;
			break;
		}
		if (hdr_cidr_parse(v, tmp, CONFIG_MAX_TRUSTED) <= 0)
			bad(o->flag, "expected addresses or CIDRs such as 127.0.0.1/32");
		cfg->proxy_protocol = v;
		break;
	}
	case OPT_HSTS:
		cfg->hsts = parse_long(o->flag, v, 0, 63072000);
		break;
	case OPT_SESSION_IDLE:
		cfg->admin_session_idle = parse_long(o->flag, v, 1, 2592000);
		break;
	case OPT_METRICS_BIND: {
		const char *colon = strrchr(v, ':');
		char *end;
		long port;

		if (colon == NULL || colon == v || colon[1] == '\0')
			bad(o->flag, "expected ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
			bad(o->flag, "expected ADDR:PORT with a port from 1 to 65535");
		cfg->metrics_bind = v;
		break;
	}
	case OPT_SMTP_URL:
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
			bad(o->flag, "expected smtps://USER:PASS@HOST:465 or smtp://USER:PASS@HOST:587");
		if (strpbrk(v, " \t\r\n") != NULL)
			bad(o->flag, "must not contain spaces (percent-encode them: %20)");
		cfg->smtp_url = v;
		break;
	case OPT_SMTP_PWFILE:
	case OPT_SMTP_CA:
	case OPT_SEAL_KEY:
		if (access(v, R_OK) != 0)
			bad(o->flag, "cannot read that file");
		if (o->kind == OPT_SMTP_PWFILE)
			cfg->smtp_password_file = v;
		else if (o->kind == OPT_SMTP_CA)
			cfg->smtp_ca_file = v;
		else
			cfg->seal_key = v;
		break;
	case OPT_MAIL_FROM: {
		const char *at = strchr(v, '@');

		if (at == NULL || strpbrk(v, "\r\n") != NULL || strlen(v) > 300)
			bad(o->flag, "expected an address such as \"Petition <petition@example.org>\"");
		cfg->mail_from = v;
		break;
	}
	case OPT_CONFIRM:
		if (strcmp(v, "required") == 0)
			cfg->confirm = 1;
		else if (strcmp(v, "off") == 0)
			cfg->confirm = 0;
		else
			bad(o->flag, "expected required or off");
		break;
	case OPT_PENDING_DAYS:
		cfg->pending_days = parse_long(o->flag, v, 1, 365);
		break;
	case OPT_TIME_PRECISION:
		if (strcmp(v, "hour") == 0)
			cfg->time_precision = 3600;
		else if (strcmp(v, "minute") == 0)
			cfg->time_precision = 60;
		else if (strcmp(v, "second") == 0)
			cfg->time_precision = 1;
		else
			bad(o->flag, "expected hour, minute or second");
		break;
	case OPT_WAL_CKPT:
		if (strcmp(v, "auto") == 0)
			cfg->wal_external = 0;
		else if (strcmp(v, "external") == 0)
			cfg->wal_external = 1;
		else
			bad(o->flag, "expected auto or external");
		break;
	case OPT_RETENTION:
		cfg->retention_days = strcmp(v, "off") == 0 ? -1 : parse_long(o->flag, v, 0, 36500);
		cfg->retention_set = 1;
		break;
	case OPT_USER: {
		const struct passwd *pw = getpwnam(v);

		if (v[0] == '\0' || pw == NULL)
			bad(o->flag, "no such user (create one: useradd --system --no-create-home "
				     "--shell /usr/sbin/nologin NAME)");
		if (pw->pw_uid == 0)
			bad(o->flag, "names root; give an unprivileged user");
		cfg->user = v;
		break;
	}
	}
}

static const struct command_def *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* A flag that belongs to the subcommand cmd (--force, --url). Returns 1 when
 * a was one (consuming its value from argv), 0 when it is not cmd's. */
static int command_flag(struct config *cfg, const struct command_def *cmd, const char *a,
			int argc, char **argv, int *k)
{
	if (cmd == NULL)
		return 0;
	if ((cmd->flags & CMD_FORCE) && strcmp(a, "force") == 0) {
		cfg->force = 1;
		return 1;
	}
	if ((cmd->flags & CMD_DRYRUN) && strcmp(a, "dry-run") == 0) {
		cfg->dry_run = 1;
		return 1;
	}
	if ((cmd->flags & CMD_FILTERS) && strcmp(a, "updates") == 0) {
		cfg->updates_only = 1;
		return 1;
	}
	if ((cmd->flags & CMD_JSON) && strcmp(a, "json") == 0) {
		cfg->json = 1;
		return 1;
	}
	if ((cmd->flags & CMD_ADDVALID) && strcmp(a, "add-valid") == 0) {
		cfg->add_valid = 1;
		return 1;
	}
	if ((cmd->flags & CMD_SOURCE) &&
	    (strcmp(a, "source") == 0 || strncmp(a, "source=", 7) == 0)) {
		const char *v = a[6] == '=' ? a + 7 : NULL;

		if (v == NULL) {
			if (*k + 1 >= argc)
				bad("source", "missing value");
			v = argv[++*k];
		}
		if (strcmp(v, "paper") != 0 && strcmp(v, "event") != 0)
			bad("source", "expected paper or event");
		cfg->source = v;
		return 1;
	}
	if (cmd->flags & (CMD_FILTERS | CMD_EMAIL)) {
		static const char *const names[] = { "format", "since", "until", "country",
						     "source", "email", "confirmed" };
		const char **slots[] = { &cfg->format, &cfg->since, &cfg->until, &cfg->country,
					 &cfg->source, &cfg->email, &cfg->confirmed_filter };
		size_t j, n = strcspn(a, "=");

		for (j = 0; j < sizeof names / sizeof names[0]; j++) {
			if (strlen(names[j]) != n || strncmp(a, names[j], n) != 0)
				continue;
			if ((j == 5) != ((cmd->flags & CMD_EMAIL) != 0))
				return 0;
			if (a[n] == '=') {
				*slots[j] = a + n + 1;
			} else {
				if (*k + 1 >= argc)
					bad(names[j], "missing value");
				*slots[j] = argv[++*k];
			}
			return 1;
		}
	}
	if ((cmd->flags & CMD_KEY) && (strcmp(a, "key") == 0 || strncmp(a, "key=", 4) == 0)) {
		const char *v = a[3] == '=' ? a + 4 : NULL;

		if (v == NULL) {
			if (*k + 1 >= argc)
				bad("key", "missing value");
			v = argv[++*k];
		}
		if (access(v, R_OK) != 0)
			bad("key", "cannot read that file");
		cfg->key_file = v;
		return 1;
	}
	if ((cmd->flags & CMD_URL) && (strcmp(a, "url") == 0 || strncmp(a, "url=", 4) == 0)) {
		const char *v = a[3] == '=' ? a + 4 : NULL;

		if (v == NULL) {
			if (*k + 1 >= argc)
				bad("url", "missing value");
			v = argv[++*k];
		}
		if (strncmp(v, "http://", 7) != 0)
			bad("url", "expected an http:// URL such as http://127.0.0.1:8080/healthz");
		cfg->url = v;
		return 1;
	}
	return 0;
}

void config_load(struct config *cfg, int argc, char **argv)
{
	const struct command_def *cmd = NULL;
	const char *allow_root;
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
	cfg->per_subnet_limit = -1;
	cfg->trust_proxy = CONFIG_DEFAULT_TRUST;
	cfg->listen_fd = -1;
	cfg->admin_session_idle = CONFIG_DEFAULT_SESSION_IDLE;
	cfg->pending_days = CONFIG_DEFAULT_PENDING_DAYS;
	cfg->time_precision = 3600;
	cfg->retention_days = CONFIG_DEFAULT_RETENTION_DAYS;
	allow_root = getenv("PETITIOND_ALLOW_ROOT");
	cfg->allow_root = allow_root != NULL && strcmp(allow_root, "1") == 0;

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

	if (argc > 1 && argv[1][0] != '-') {
		cmd = find_command(argv[1]);
		if (cmd == NULL) {
			fprintf(stderr, "petitiond: unknown command '%s' (see --help)\n", argv[1]);
			exit(2);
		}
		cfg->command = cmd->name;
	}
	for (k = cmd ? 2 : 1; k < argc; k++) {
		const char *a = argv[k], *eq, *val;
		size_t n;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			if (cmd)
				command_usage(stdout, cmd);
			else
				usage(stdout);
			exit(0);
		}
		if (strcmp(a, "--version") == 0) {
			printf("petitiond %s\n", PETITIOND_VERSION);
			exit(0);
		}
		if (cmd && (cmd->flags & CMD_FILE) && a[0] != '-' && cfg->command_file == NULL) {
			if (a[0] == '\0') {
				fprintf(stderr, "petitiond: %s: FILE is empty\n", cmd->name);
				exit(2);
			}
			cfg->command_file = a;
			continue;
		}
		if (cmd && (cmd->flags & CMD_ARG2) && a[0] != '-' && cfg->command_arg == NULL) {
			cfg->command_arg = a;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "petitiond: unexpected argument '%s' (see petitiond%s%s --help)\n",
				a, cmd ? " " : "", cmd ? cmd->name : "");
			exit(2);
		}
		a += 2;
		if (command_flag(cfg, cmd, a, argc, argv, &k))
			continue;
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
	if (cmd && (cmd->flags & CMD_FILE) && cfg->command_file == NULL) {
		fprintf(stderr, "petitiond: %s: missing %s (petitiond %s %s)\n", cmd->name,
			strcmp(cmd->name, "restore") == 0 ? "BACKUP"
			: (cmd->flags & CMD_ARG2)	  ? "what to do"
							  : "FILE",
			cmd->name, cmd->synopsis);
		exit(2);
	}
	if (cmd && (cmd->flags & CMD_KEY) && cfg->key_file == NULL) {
		fprintf(stderr, "petitiond: %s: missing --key FILE (petitiond %s %s)\n", cmd->name,
			cmd->name, cmd->synopsis);
		exit(2);
	}
	if (cfg->smtp_url != NULL && cfg->mail_from == NULL)
		bad("mail-from", "--smtp-url needs --mail-from \"Name <address>\" (the sender of the mail)");
	if (cfg->confirm && cfg->smtp_url == NULL)
		bad("confirm", "required needs a mail relay: give --smtp-url and --mail-from "
			       "(or --confirm off to count signatures without confirming them)");
	if (cfg->confirm && cfg->public_url == NULL)
		bad("confirm", "required needs --public-url: the links in the mail are built from it");
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		bad(cfg->tls_cert ? "tls-key" : "tls-cert", "--tls-cert and --tls-key go together");
	if (cfg->hsts < 0)
		cfg->hsts = cfg->tls_cert ? 31536000 : 0;
	if (cfg->per_subnet_limit < 0)
		cfg->per_subnet_limit = cfg->per_ip_limit * CONFIG_SUBNET_FACTOR;
}
