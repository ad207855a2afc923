/* config.h -- command-line flags and PETITIOND_* environment variables. */
#ifndef PETITIOND_CONFIG_H
#define PETITIOND_CONFIG_H

#define CONFIG_DEFAULT_PORT 8080
#define CONFIG_DEFAULT_DB "./petition.db"
#define CONFIG_DEFAULT_GOAL 10000
#define CONFIG_DEFAULT_RATE_LIMIT 20   /* signatures per minute per client */
#define CONFIG_DEFAULT_MIN_FILL 2      /* seconds between page load and submit */
#define CONFIG_DEFAULT_PER_IP 128      /* connections per address (a phone opens ~6;
					* carrier-grade NAT puts many phones on one address) */
#define CONFIG_SUBNET_FACTOR 4        /* --per-subnet-limit default: this many addresses' worth */
#define CONFIG_MAX_GOAL 1000000000L
#define CONFIG_DEFAULT_RETENTION_DAYS 180 /* personal fields kept after closing */
#define CONFIG_RETENTION_NOTICE_DAYS 14   /* the default's notice before it first erases */
#define CONFIG_DEFAULT_PENDING_DAYS 14 /* unconfirmed signatures are kept this long */
#define CONFIG_DEFAULT_SESSION_IDLE 43200 /* seconds an admin session lasts unused: 12 h */
#define CONFIG_MAX_TRUSTED 16          /* CIDRs in --trust-proxy */
/* A proxy on the same machine (Caddy, nginx) connects over loopback; nobody
 * else can, so its X-Forwarded-For is believed unless told otherwise. */
#define CONFIG_DEFAULT_TRUST "127.0.0.0/8,::1/128"

struct config {
	unsigned port;
	const char *bind;        /* NULL: every address, IPv6 and IPv4 */
	const char *db;
	const char *admin_token; /* NULL: generate on first start */
	long goal;
	long rate_limit;         /* 0: off */
	long min_fill_time;      /* seconds; 0: off */
	const char *public_url;  /* "https://example.org" without trailing slash, or NULL */
	unsigned threads;        /* 0: one per core */
	long per_ip_limit;       /* open connections per client address; 0: off */
	long per_subnet_limit;   /* open connections per IPv4 /24 or IPv6 /48; 0: off */
	long max_connections;    /* open connections in all; 0: sized to the machine */
	const char *proxy_protocol; /* "CIDR[,CIDR...]" whose connections begin with a
				     * PROXY v1 header naming the client; NULL: none */
	const char *trust_proxy; /* "CIDR[,CIDR...]" whose X-Forwarded-For is believed ("": none) */
	const char *tls_cert;    /* PEM file: serve HTTPS directly */
	const char *tls_key;
	long hsts;               /* Strict-Transport-Security max-age; -1: automatic */
	const char *user;        /* --user: started as root, serve as this account */
	int allow_root;          /* PETITIOND_ALLOW_ROOT=1: serve as root without --user */
	int listen_fd;           /* a listening socket main made as root before becoming
				  * --user (a port below 1024), for the HTTP layer to
				  * serve on; -1: the HTTP layer binds cfg->port itself */
	const char *command;     /* NULL (serve), or a subcommand: "backup", "restore",
				  * "check", "healthcheck", "admin", "content",
				  * "export", "stats", "delete", "import" */
	const char *command_file;/* backup FILE, restore BACKUP; admin: what to do */
	const char *command_arg; /* a command's second argument (admin add NAME) */
	long admin_session_idle; /* seconds a signed-in admin session lasts unused */
	int force;               /* backup --force: replace an existing FILE */
	int dry_run;             /* content load --dry-run: check, say, change nothing */
	const char *url;         /* healthcheck --url (NULL: /healthz of --bind/--port) */
	/* numbers area: export, stats, delete (cli_numbers.c parses the values) */
	const char *format;      /* export --format csv|json (NULL: csv) */
	const char *since;       /* export --since YYYY-MM-DD (UTC day, inclusive) */
	const char *until;       /* export --until YYYY-MM-DD (UTC day, inclusive) */
	const char *country;     /* export --country CC */
	const char *source;      /* export --source, import --source: online|paper|event */
	int updates_only;        /* export --updates: only signers who want news */
	const char *confirmed_filter; /* export --confirmed 1|0 (NULL: all) */
	int json;                /* stats --json */
	const char *email;       /* delete --email ADDRESS */
	int add_valid;           /* import --add-valid: add the valid rows even when some are not */
	const char *metrics_bind;/* --metrics-bind ADDR:PORT: GET /metrics open there */
	/* email area: confirmation and withdrawal by mail (mail.c, outbox.c) */
	const char *smtp_url;    /* smtp://host[:587] (STARTTLS required) or smtps://host[:465];
				  * NULL: no mail */
	const char *smtp_password_file; /* the SMTP password, first line of this file */
	const char *smtp_ca_file;/* PEM CA bundle that signs the relay's certificate
				  * (NULL: the system's) */
	const char *mail_from;   /* "Name <address>" or "address" */
	int confirm;             /* --confirm required (1) | off (0) */
	long pending_days;       /* unconfirmed signatures are erased after this many days */
	/* sealed area */
	const char *seal_key;    /* --seal-key FILE.public: sealed mode; NULL: clear */
	const char *key_file;    /* unseal --key FILE.secret, seal --key FILE.public */
	long time_precision;     /* seconds signing times are rounded down to: 3600, 60, 1 */
	int wal_external;        /* --wal-checkpoint external: Litestream checkpoints */
	long retention_days;     /* personal fields erased this many days after the
				  * petition closes; -1: never (--retention-days off) */
	int retention_set;       /* --retention-days given (else the default, which
				  * never erases sooner than CONFIG_RETENTION_NOTICE_DAYS
				  * after a server first announced it) */
};

/* Fills cfg from defaults, then the environment, then argv (flags win).
 * argv[1] may name a subcommand (backup, restore, check, healthcheck); its
 * own arguments and flags follow it, with every server flag. On --help (of
 * the server or of a subcommand) or --version prints to stdout and exits 0;
 * on an unknown flag, a missing argument or a bad value prints one line
 * naming it to stderr and exits 2. */
void config_load(struct config *cfg, int argc, char **argv);

#endif
