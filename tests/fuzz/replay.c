/* replay.c -- a main() that replays a fuzz corpus through LLVMFuzzerTestOneInput.
 *
 * Linked into each fuzz target when it is built without libFuzzer (the meson
 * test build), so `meson test --suite fuzz` checks every corpus file against
 * the target's invariants. Arguments are files or directories; directories
 * are read recursively, entries in sorted (strcmp) order, names starting with
 * '.' skipped. Output is TAP: one "ok N - <target> <file>" line per file,
 * then the plan. A violated invariant aborts the process, which meson reports
 * as a failure of the whole test; an unreadable argument is "not ok". */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static const char *replay_target;
static int replay_count;
static int replay_failed;

static void replay_not_ok(const char *path, const char *why)
{
	replay_count++;
	replay_failed++;
	printf("not ok %d - %s %s: %s\n", replay_count, replay_target, path, why);
	fflush(stdout);
}

/*
 * Reads the whole file into an exactly-sized malloc'd buffer (so a sanitizer
 * build catches any read past the input) and runs the target on it.
 */
static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t cap = 0, len = 0, got;

	if (f == NULL) {
		replay_not_ok(path, strerror(errno));
		return;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nd = realloc(data, ncap);

			if (nd == NULL) {
				free(data);
				fclose(f);
				replay_not_ok(path, "out of memory");
				return;
			}
			data = nd;
			cap = ncap;
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		replay_not_ok(path, "read error");
		return;
	}
	fclose(f);

	/* Exactly len bytes (at least one, so malloc never returns NULL for 0). */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL) {
			free(data);
			replay_not_ok(path, "out of memory");
			return;
		}
		if (len)
			memcpy(exact, data, len);
		free(data);
		data = exact;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	replay_count++;
	printf("ok %d - %s %s\n", replay_count, replay_target, path);
	fflush(stdout);
}

static int replay_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int replay_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays path: a file, or every file under a directory. */
static void replay_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, i;

	if (stat(path, &st) != 0) {
		replay_not_ok(path, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	n = scandir(path, &names, replay_filter, replay_cmp);
	if (n < 0) {
		replay_not_ok(path, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
		char *child = malloc(len);

		if (child == NULL) {
			replay_not_ok(path, "out of memory");
		} else {
			snprintf(child, len, "%s/%s", path, names[i]->d_name);
			replay_path(child);
			free(child);
		}
		free(names[i]);
	}
	free(names);
}

/* "fuzz_form_replay" -> "form": the target's name for the TAP lines. */
static const char *replay_name(const char *argv0)
{
	static char name[64];
	const char *base = strrchr(argv0, '/');
	size_t n;

	base = base ? base + 1 : argv0;
	if (strncmp(base, "fuzz_", 5) == 0)
		base += 5;
	n = strcspn(base, "_.");
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, base, n);
	name[n] = '\0';
	return name;
}

int main(int argc, char **argv)
{
	int i;

	replay_target = replay_name(argc > 0 ? argv[0] : "fuzz");
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argc > 0 ? argv[0] : "replay");
		return 2;
	}
	for (i = 1; i < argc; i++)
		replay_path(argv[i]);
	if (replay_count == 0)
		replay_not_ok(argv[1], "no corpus files");
	printf("1..%d\n", replay_count);
	return replay_failed ? 1 : 0;
}
