/* priv.c -- who the server runs as: refuse root, drop to --user.
 *
 * Started as root, petitiond binds its port and then becomes --user (its
 * groups, its group, its user: initgroups, setgid, setuid) before it opens
 * the database, so the database, its WAL and the lock file belong to that
 * user and a flaw in request handling cannot write outside what it owns.
 * Main thread, start-up only, before any other thread exists. */
#include "priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PRIV_LISTEN_BACKLOG 1024

int priv_check(const struct config *cfg, char *err, size_t errlen)
{
	const struct passwd *pw;

	if (geteuid() != 0) {
		/* Not root: --user can only say who we already are. */
		if (cfg->user == NULL)
			return 0;
		pw = getpwnam(cfg->user);
		if (pw != NULL && pw->pw_uid == geteuid())
			return 0;
		snprintf(err, errlen, "--user %s: petitiond runs as uid %u already and only root "
			 "can change user; start it as root, or leave --user out",
			 cfg->user, (unsigned)geteuid());
		return -1;
	}
	if (cfg->user != NULL || cfg->allow_root)
		return 0;
	snprintf(err, errlen,
		 "refusing to serve as root: pass --user NAME (an account made for it, e.g. "
		 "`useradd --system --no-create-home --shell /usr/sbin/nologin petitiond`, "
		 "owning the database's directory); petitiond binds the port as root, then "
		 "serves as that user. To serve as root anyway (a throwaway trial), set "
		 "PETITIOND_ALLOW_ROOT=1");
	return -1;
}

int priv_needs_drop(const struct config *cfg)
{
	return geteuid() == 0 && cfg->user != NULL;
}

int priv_listen(const struct config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, on = 1, off = 0, v6 = 1;

	memset(&ss, 0, sizeof ss);
	if (cfg->bind != NULL && inet_pton(AF_INET, cfg->bind, &s4->sin_addr) == 1) {
		v6 = 0;
	} else if (cfg->bind != NULL && inet_pton(AF_INET6, cfg->bind, &s6->sin6_addr) != 1) {
		snprintf(err, errlen, "--bind %s is not an IP address", cfg->bind);
		return -1;
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && v6 && cfg->bind == NULL) {
		/* No IPv6 on this host: every IPv4 address. */
		v6 = 0;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->port);
		/* Without --bind: IPv6 and IPv4 on one socket, as the HTTP layer does. */
		if (cfg->bind == NULL)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
		len = sizeof *s6;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)cfg->port);
		if (cfg->bind == NULL)
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof *s4;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, PRIV_LISTEN_BACKLOG) != 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s",
			 cfg->bind ? cfg->bind : "all addresses", cfg->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int priv_drop(const char *user, char *err, size_t errlen)
{
	const struct passwd *pw = getpwnam(user);
	uid_t uid;
	gid_t gid;

	if (pw == NULL) {
		snprintf(err, errlen, "--user %s: no such user", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		snprintf(err, errlen, "--user %s is root", user);
		return -1;
	}
	/* Groups first (they need root), then the group, then the user, each
	 * for the real, effective and saved IDs. */
	if (initgroups(user, gid) != 0) {
		snprintf(err, errlen, "--user %s: initgroups: %s", user, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		snprintf(err, errlen, "--user %s: setresgid(%u): %s", user, (unsigned)gid,
			 strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "--user %s: setresuid(%u): %s", user, (unsigned)uid,
			 strerror(errno));
		return -1;
	}
	/* Trust, but verify: every ID is the user's, and root cannot be had back. */
	{
		uid_t r, e, s;
		gid_t rg, eg, sg;

		if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid ||
		    getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid) {
			snprintf(err, errlen, "--user %s: the user or group IDs did not all change",
				 user);
			return -1;
		}
		if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
			snprintf(err, errlen, "--user %s: root could be regained after the drop",
				 user);
			return -1;
		}
	}
	return 0;
}
