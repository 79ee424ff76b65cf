/* SPDX-License-Identifier: MIT */
/*
 * Runs a fuzz harness over stored inputs (files, or directories of them:
 * its seed corpus and past crashes) without libFuzzer, so every build
 * replays them as tests. A harness's oracle aborts on a failure; the last
 * "input:" line printed names the input that failed.
 * Usage: replay_<harness> FILE|DIR...
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Larger than any input the fuzzers are allowed to grow (-max_len). */
#define REPLAY_MAX_INPUT (1 << 20)

static int run_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX_INPUT];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	printf("input: %s (%zu bytes)\n", path, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, n);
	return 1;
}

static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), count = 0;

	if (n < 0)
		return run_file(dir);
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			if (run_file(path) > 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		int n = run_dir(argv[i]);

		if (n < 0)
			return 1;
		count += n;
	}
	printf("replayed %d inputs\n", count);
	if (!count)
		fprintf(stderr, "replay: no inputs found; pass corpus files or directories\n");
	return count ? 0 : 1;
}
