/* faultfs.c -- an LD_PRELOAD shim that makes the disk fail on demand.
 *
 * For the fault tests only: never linked into petitiond. While the file named
 * by FAULTFS_FLAG exists, every write and sync on a file whose path contains
 * FAULTFS_MATCH fails. The flag file's first byte picks the error:
 * 'F' (or empty) ENOSPC "disk full", 'I' EIO "I/O error", 'S' only the syncs
 * fail with EIO. Removing the file heals the disk. SQLite reaches these calls
 * through its own table of system calls, which the dynamic linker resolves to
 * the shim, so the real SQLite code paths for a full or failing disk run. */
/* Both pwrite and pwrite64 are interposed: each must keep its own name. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Returns the errno to fail with for fd, or 0 to let the call through. */
static int fault_for(int fd, int is_sync)
{
	const char *flag = getenv("FAULTFS_FLAG"), *match = getenv("FAULTFS_MATCH");
	char link[64], path[4096];
	ssize_t n;
	int f;
	char mode = 'F';

	if (flag == NULL || match == NULL)
		return 0;
	f = open(flag, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	if (read(f, &mode, 1) != 1)
		mode = 'F';
	close(f);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	if (strstr(path, match) == NULL)
		return 0;
	if (mode == 'S')
		return is_sync ? EIO : 0;
	return mode == 'I' ? EIO : ENOSPC;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*fsync_fn)(int);
typedef int (*ftruncate_fn)(int, off_t);

/* The real function, looked up once; atomic, since any thread may be the
 * first to call it (ThreadSanitizer checks the server with this shim on). */
#define REAL(name, type) \
	static _Atomic(type) real_##name##_p; \
	type real_##name = atomic_load_explicit(&real_##name##_p, memory_order_acquire); \
	if (real_##name == NULL) { \
		real_##name = (type)dlsym(RTLD_NEXT, #name); \
		atomic_store_explicit(&real_##name##_p, real_##name, memory_order_release); \
	}

ssize_t write(int fd, const void *buf, size_t n)
{
	int e;
	REAL(write, write_fn);
	if (fd > 2 && (e = fault_for(fd, 0)) != 0) {
		errno = e;
		return -1;
	}
	return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int e;
	REAL(pwrite, pwrite_fn);
	if ((e = fault_for(fd, 0)) != 0) {
		errno = e;
		return -1;
	}
	return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	int e;
	REAL(pwrite64, pwrite64_fn);
	if ((e = fault_for(fd, 0)) != 0) {
		errno = e;
		return -1;
	}
	return real_pwrite64(fd, buf, n, off);
}

int fsync(int fd)
{
	int e;
	REAL(fsync, fsync_fn);
	if ((e = fault_for(fd, 1)) != 0) {
		errno = e;
		return -1;
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	int e;
	REAL(fdatasync, fsync_fn);
	if ((e = fault_for(fd, 1)) != 0) {
		errno = e;
		return -1;
	}
	return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
	int e;
	REAL(ftruncate, ftruncate_fn);
	if ((e = fault_for(fd, 0)) != 0) {
		errno = e;
		return -1;
	}
	return real_ftruncate(fd, len);
}
