/* priv.h -- who the server runs as: refuse root, drop to --user. */
#ifndef PETITIOND_PRIV_H
#define PETITIOND_PRIV_H

#include <stddef.h>

#include "config.h"

/* Whether serving as the current user is allowed: not root; root with
 * --user (dropped to by priv_drop); root with PETITIOND_ALLOW_ROOT=1. Also
 * refuses --user naming someone else when not started as root. Returns 0,
 * or -1 with the reason in err. */
int priv_check(const struct config *cfg, char *err, size_t errlen);

/* 1 when start-up must bind as root and then priv_drop to cfg->user. */
int priv_needs_drop(const struct config *cfg);

/* A listening TCP socket on cfg's --bind and --port (all addresses, IPv6
 * and IPv4, without --bind), made while still root so a port below 1024
 * can be had. Returns the descriptor (close-on-exec), or -1 (err). */
int priv_listen(const struct config *cfg, char *err, size_t errlen);

/* Becomes user for good: its supplementary groups, group and user, real,
 * effective and saved; then checks each ID changed and that setuid(0)
 * fails. Main thread, before other threads start. Returns 0 or -1 (err). */
int priv_drop(const char *user, char *err, size_t errlen);

#endif
