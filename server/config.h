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
#define CONFIG_MAX_GOAL 1000000000L
#define CONFIG_MAX_TRUSTED 16          /* CIDRs in --trust-proxy */
/* A proxy on the same machine (Caddy, nginx) connects over loopback; nobody
 * else can, so its X-Forwarded-For is believed unless told otherwise. */
#define CONFIG_DEFAULT_TRUST "127.0.0.0/8,::1/128"

/* A parsed --trust-proxy entry. */
struct cidr {
	int family;                    /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
};

/* Parses "10.0.0.0/8,::1" into out (up to max). Returns the count, or -1. */
int config_parse_cidrs(const char *s, struct cidr *out, int max);
/* 1 when the address (4 or 16 bytes of family) lies in one of the CIDRs. */
int cidr_match(const struct cidr *list, int n, int family, const unsigned char *addr);

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
	const char *trust_proxy; /* "CIDR[,CIDR...]" whose X-Forwarded-For is believed ("": none) */
	const char *tls_cert;    /* PEM file: serve HTTPS directly */
	const char *tls_key;
	long hsts;               /* Strict-Transport-Security max-age; -1: automatic */
	const char *command;     /* NULL (serve) or "backup" */
	const char *backup_file; /* petitiond backup FILE */
};

/* Fills cfg from defaults, then the environment, then argv (flags win).
 * On --help/--version prints to stdout and exits 0; on an unknown flag or a
 * bad value prints one line naming the flag to stderr and exits 2. */
void config_load(struct config *cfg, int argc, char **argv);

#endif
