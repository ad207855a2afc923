/* http_addr.c -- who the client is: its address (the one a trusted proxy
 * names, or the one a PROXY protocol header carries), keyed into an opaque
 * identifier, and the per-address and per-subnet connection limits.
 *
 * Nothing here keeps or logs an address: clients are known by a keyed hash
 * (auth_client_hash, key drawn at every start), so neither memory nor logs
 * hold a table a brute-force search could turn back into addresses. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_int.h"

/* The bytes hashed to name a client or a network, each kind with its own
 * first byte so that no two kinds can give the same key:
 *   'a' IPv4 address (4 bytes)      'A' IPv6 /64 (8 bytes): one IPv6 host
 *                                       usually holds a whole /64
 *   'P' IPv6 address from a PROXY header, all 128 bits: Tor names each
 *       circuit by an address in fc00:dead:beef:4dad::/64
 *   'n' IPv4 /24 (3 bytes)          'N' IPv6 /48 (6 bytes) */
#define KEY_MAX (1 + HDR_ADDR_LEN)

static size_t client_key(int family, const unsigned char *a, int whole,
			 unsigned char out[KEY_MAX])
{
	if (family == AF_INET) {
		out[0] = 'a';
		memcpy(out + 1, a, 4);
		return 5;
	}
	out[0] = whole ? 'P' : 'A';
	memcpy(out + 1, a, whole ? 16 : 8);
	return whole ? 17 : 9;
}

static size_t net_key(int family, const unsigned char *a, unsigned char out[KEY_MAX])
{
	out[0] = family == AF_INET ? 'n' : 'N';
	memcpy(out + 1, a, family == AF_INET ? 3 : 6);
	return family == AF_INET ? 4 : 7;
}

static uint64_t keyed(const unsigned char *key, size_t n)
{
	uint64_t id = auth_client_hash(key, n);

	return id != 0 ? id : 1; /* 0 means "none" everywhere here */
}

static int is_loopback(int family, const unsigned char *a)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };

	return family == AF_INET ? a[0] == 127 : memcmp(a, v6_loopback, 16) == 0;
}

uint64_t http_client_id(struct http_req *r)
{
	struct http_server *srv = r->srv;
	struct http_conn *c = http_conn_of(r->conn);
	unsigned char addr[HDR_ADDR_LEN], xa[HDR_ADDR_LEN], key[KEY_MAX];
	const union MHD_ConnectionInfo *ci;
	int family, xf;

	if (c != NULL && c->client != 0)
		return c->client;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	family = hdr_sockaddr_ip(ci ? ci->client_addr : NULL, addr);
	if (family == 0)
		return 0;
	/* Behind a trusted proxy, the client is the right-most address in
	 * X-Forwarded-For that is not itself a trusted proxy. Anyone else's
	 * X-Forwarded-For is ignored: it is trivially spoofed. A connection
	 * whose address came from a PROXY header never gets here (c->client is
	 * set), so its X-Forwarded-For is never read either. */
	if (srv->ntrusted > 0 && hdr_cidr_match(srv->trusted, srv->ntrusted, family, addr) &&
	    (xf = hdr_xff_client(http_header(r, "X-Forwarded-For"), srv->trusted, srv->ntrusted,
				 xa)) != 0)
		return keyed(key, client_key(xf, xa, 0, key));
	return keyed(key, client_key(family, addr, 0, key));
}

void http_conn_identify(struct http_server *srv, struct http_conn *c, const struct sockaddr *sa,
			int proxied)
{
	const struct config *cfg = srv->cfg;
	unsigned char addr[HDR_ADDR_LEN], key[KEY_MAX];
	int family = hdr_sockaddr_ip(sa, addr);

	c->proxied = proxied;
	c->client = c->addr_slot = c->net_slot = 0;
	if (family == 0)
		return;
	/* A trusted proxy carries everyone: the client is named per request
	 * (X-Forwarded-For), and its connections count against no limit but
	 * the global one. */
	if (!proxied && srv->ntrusted > 0 &&
	    hdr_cidr_match(srv->trusted, srv->ntrusted, family, addr))
		return;
	c->client = keyed(key, client_key(family, addr, proxied, key));
	/* On a loopback --bind only local processes connect: proxies (Tor,
	 * Caddy), each carrying many people. A per-address limit on them would
	 * be a limit on everyone. */
	if (!proxied && srv->loopback_bind && is_loopback(family, addr))
		return;
	if (cfg->per_ip_limit > 0)
		c->addr_slot = c->client;
	/* Addresses from a PROXY header are not grouped into subnets: Tor puts
	 * every circuit in one /64. */
	if (!proxied && cfg->per_subnet_limit > 0)
		c->net_slot = keyed(key, net_key(family, addr, key));
}

/* Open connections per key (address or subnet), for the limits. Open
 * addressing on the keyed hash, sized for four keys per connection slot so
 * that it stays sparse; fails open: when the probe finds no room, a
 * connection is let in rather than refused. */
#define HTTP_SLOT_PROBE 16

struct http_slot {
	uint64_t id; /* keyed hash; free when count is 0 */
	unsigned count;
};

struct http_slots {
	pthread_mutex_t lock;
	unsigned per_addr, per_net; /* limits; 0: off */
	size_t mask;                /* slots - 1, a power of two */
	struct http_slot *slot;
};

int http_slots_init(struct http_server *srv)
{
	const struct config *cfg = srv->cfg;
	struct http_slots *s;
	size_t n = 1024;

	if (cfg->per_ip_limit <= 0 && cfg->per_subnet_limit <= 0)
		return 0;
	while (n < 4 * (size_t)srv->max_connections && n < ((size_t)1 << 30))
		n *= 2;
	s = calloc(1, sizeof *s);
	if (s == NULL || (s->slot = calloc(n, sizeof s->slot[0])) == NULL) {
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->per_addr = cfg->per_ip_limit > 0 ? (unsigned)cfg->per_ip_limit : 0;
	s->per_net = cfg->per_subnet_limit > 0 ? (unsigned)cfg->per_subnet_limit : 0;
	s->mask = n - 1;
	srv->slots = s;
	return 0;
}

void http_slots_free(struct http_server *srv)
{
	if (srv->slots == NULL)
		return;
	pthread_mutex_destroy(&srv->slots->lock);
	free(srv->slots->slot);
	free(srv->slots);
	srv->slots = NULL;
}

/* The slot of id, or (create) a free one claimed for it; NULL when there is
 * none within the probe. Under the lock. */
static struct http_slot *slot_find(struct http_slots *s, uint64_t id, int create)
{
	struct http_slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < HTTP_SLOT_PROBE; i++) {
		struct http_slot *c = &s->slot[(id + i) & s->mask];

		if (c->count > 0 && c->id == id)
			return c;
		if (c->count == 0 && free_slot == NULL)
			free_slot = c;
	}
	if (!create || free_slot == NULL)
		return NULL;
	free_slot->id = id;
	return free_slot;
}

int http_slots_take(struct http_server *srv, const struct http_conn *c)
{
	struct http_slots *s = srv->slots;
	struct http_slot *a = NULL, *n = NULL;
	int ok = 1;

	if (s == NULL || (c->addr_slot == 0 && c->net_slot == 0))
		return 1;
	pthread_mutex_lock(&s->lock);
	if (c->addr_slot != 0 && s->per_addr > 0) {
		a = slot_find(s, c->addr_slot, 1);
		if (a != NULL && a->count >= s->per_addr)
			ok = 0;
	}
	if (ok && c->net_slot != 0 && s->per_net > 0) {
		n = slot_find(s, c->net_slot, 1);
		if (n != NULL && n->count >= s->per_net)
			ok = 0;
	}
	if (ok) {
		if (a != NULL)
			a->count++;
		if (n != NULL)
			n->count++;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* Under the lock. */
static void slot_release(struct http_slots *s, uint64_t id)
{
	struct http_slot *e;

	if (id != 0 && (e = slot_find(s, id, 0)) != NULL)
		e->count--;
}

void http_slots_give(struct http_server *srv, const struct http_conn *c)
{
	struct http_slots *s = srv->slots;

	if (s == NULL || (c->addr_slot == 0 && c->net_slot == 0))
		return;
	pthread_mutex_lock(&s->lock);
	if (s->per_addr > 0)
		slot_release(s, c->addr_slot);
	if (s->per_net > 0)
		slot_release(s, c->net_slot);
	pthread_mutex_unlock(&s->lock);
}
