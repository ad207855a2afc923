/* fsync_delay.c -- LD_PRELOAD shim: a slow disk's sync on a fast machine.
 *
 * Every fsync() and fdatasync() sleeps FSYNC_DELAY_US microseconds (default
 * 5000: a cheap VPS's disk) before doing the real call, in the calling thread
 * only, so a server that syncs once per batch pays it once per batch. With
 * FSYNC_DELAY_REPORT set, the number of syncs delayed is printed to stderr at
 * exit (proof the shim was in the path).
 *   cc -O2 -shared -fPIC -o fsync_delay.so fsync_delay.c -ldl
 *   LD_PRELOAD=./fsync_delay.so FSYNC_DELAY_US=5000 petitiond ... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_ulong calls;

static void slow_disk(void)
{
	const char *e = getenv("FSYNC_DELAY_US");
	long us = e ? atol(e) : 5000;
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	atomic_fetch_add(&calls, 1);
	while (us > 0 && nanosleep(&ts, &ts) != 0)
		;
}

int fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	slow_disk();
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	slow_disk();
	return real(fd);
}

__attribute__((destructor)) static void report(void)
{
	if (getenv("FSYNC_DELAY_REPORT") != NULL)
		fprintf(stderr, "fsync_delay: %lu syncs delayed\n", atomic_load(&calls));
}
