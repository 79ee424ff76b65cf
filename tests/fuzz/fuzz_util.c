/* SPDX-License-Identifier: MIT */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void fuzz_fail(const char *file, int line, const char *what)
{
	/* Straight to fd 2: stdio's stderr may be pointed at /dev/null. */
	dprintf(2, "%s:%d: fuzz oracle failed: %s\n", file, line, what);
	abort();
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

void fuzz_bytes(struct fuzz_in *in, void *dst, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memcpy(dst, in->p, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->p += n;
	in->left -= n;
}

int fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

int fuzz_count_maps(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

void fuzz_quiet_log(void)
{
	FILE *null;

	log_init("fuzz", LOG_ERROR);
	if (getenv("VMIO_FUZZ_VERBOSE")) {
		log_set_level(LOG_DEBUG);
		return;
	}
	/* vmio logs through stdio's stderr, sanitizers and libFuzzer write
	 * to fd 2: silence only the former (every hostile input is logged as
	 * an error, which would slow the fuzzer to a crawl). */
	null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
}
