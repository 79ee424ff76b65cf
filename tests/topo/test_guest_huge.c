/* SPDX-License-Identifier: MIT */
/* Guest memory from a hugetlbfs fd is reported as hugepages, with its
 * page size, and vmiod's own large pools take hugepages when there are
 * some. Needs free 2M hugepages: as root it reserves a few (and gives
 * them back); otherwise it skips (exit 77) saying why. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/numa_alloc.h"
#include "vhost/guest_mem.h"

#define HUGE (2ul << 20)
#define NR_PATH "/proc/sys/vm/nr_hugepages"

static long saved = -1;
static int failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                          \
			failures++;                                        \
		}                                                          \
	} while (0)

static long read_nr(void)
{
	FILE *f = fopen(NR_PATH, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_nr(long v)
{
	FILE *f = fopen(NR_PATH, "we");
	int ok;

	if (!f)
		return -errno;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static void restore(void)
{
	if (saved >= 0)
		write_nr(saved);
}

/* A hugetlbfs memfd of len bytes, reserving pages as root if needed. */
static int huge_memfd(size_t len)
{
	int fd = memfd_create("guest-huge", MFD_CLOEXEC | MFD_HUGETLB);
	void *probe;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) == 0) {
		/* Shared hugetlb mappings reserve at mmap: this says whether
		 * the pool can back it. */
		probe = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (probe != MAP_FAILED) {
			munmap(probe, len);
			return fd;
		}
	}
	close(fd);
	return -ENOMEM;
}

int main(void)
{
	struct guest_mem_summary s;
	struct guest_mem *mem;
	uint8_t *pool;
	int fd;

	fd = huge_memfd(2 * HUGE);
	if (fd < 0 && geteuid() == 0 && (saved = read_nr()) >= 0) {
		atexit(restore);
		if (write_nr(saved + 4) == 0)
			fd = huge_memfd(2 * HUGE);
	}
	if (fd < 0) {
		printf("SKIP: no free 2M hugepages (%s: %ld) and %s\n", NR_PATH,
		       read_nr(), geteuid() == 0 ? "reserving some failed" :
		       "not root to reserve some");
		return 77;
	}
	mem = malloc(sizeof(*mem));
	if (!mem)
		return 1;
	guest_mem_init(mem);
	CHECK(guest_mem_add(mem, 0, 2 * HUGE, 0x7f0000000000, 0, fd) == 0);
	CHECK(mem->regions[0].hugepages);
	CHECK(mem->regions[0].page_size == HUGE);
	CHECK(mem->regions[0].huge_aligned);
	guest_mem_summary(mem, &s);
	CHECK(s.huge_page_size == HUGE);
	CHECK(s.huge_aligned);
	/* Not touched by the guest: no hugepage was taken to learn a node. */
	CHECK(mem->regions[0].located == 0);
	mem->regions[0].hva[0] = 1;
	guest_mem_locate(mem);
	CHECK(mem->regions[0].located == 1);
	guest_mem_clear(mem);
	free(mem);

	/* A pool of a few MiB (256 request slots) takes hugepages. */
	pool = numa_pool_calloc(256, 4096, 0);
	CHECK(pool != NULL);
	CHECK(numa_pool_is_huge(pool));
	if (pool)
		CHECK(pool[256 * 4096 - 1] == 0);
	numa_pool_free(pool);
	printf("%s: hugetlbfs guest memory reported as %lu kB pages\n",
	       failures ? "FAIL" : "ok", HUGE >> 10);
	return failures ? 1 : 0;
}
