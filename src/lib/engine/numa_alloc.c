/* SPDX-License-Identifier: MIT */
#include "engine/numa_alloc.h"

#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/reactor_uring.h"

/* A header in front of the caller's memory says how to unmap it; one
 * cache line, so the objects after it stay line-aligned. */
struct pool_hdr {
	size_t map_len;
	bool huge;
	char pad[64 - sizeof(size_t) - sizeof(bool)];
};

#define HUGE_2M (2ul << 20)

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/* MPOL_PREFERRED, not BIND: a full node gives pages elsewhere rather
 * than an allocation failure (or, with hugepages, a SIGBUS). */
static void prefer_node(void *base, size_t len, int node)
{
	unsigned long mask[16] = { 0 };

	if (node < 0 || numa_available() < 0 || node > numa_max_node() ||
	    node >= (int)(sizeof(mask) * 8))
		return;
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
	mbind(base, len, MPOL_PREFERRED, mask, sizeof(mask) * 8, 0);
}

void *numa_pool_calloc(size_t n, size_t size, int node)
{
	struct pool_hdr *h;
	size_t len, page = (size_t)sysconf(_SC_PAGESIZE);
	bool huge = true;
	void *base;

	if (size && n > (SIZE_MAX - sizeof(*h) - HUGE_2M) / size)
		return NULL;
	len = sizeof(*h) + n * size;
	/* Hugepages only pay for pools of a large page or more; smaller
	 * ones would waste most of a 2M page. A private MAP_HUGETLB mapping
	 * reserves its pages at mmap, so touching them cannot fail later. */
	base = MAP_FAILED;
	if (len >= HUGE_2M / 2)
		base = mmap(NULL, round_up(len, HUGE_2M), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (base == MAP_FAILED) {
		huge = false;
		len = round_up(len, page);
		base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			return NULL;
	} else {
		len = round_up(len, HUGE_2M);
	}
	/* Before the first touch: pages are placed when first faulted. */
	prefer_node(base, len, node);
	/* Fault everything in now (anonymous memory is zero already), so
	 * the hot path never takes a page fault and placement is settled. */
	for (size_t off = 0; off < len; off += huge ? HUGE_2M : page)
		((volatile char *)base)[off] = 0;
	h = base;
	h->map_len = len;
	h->huge = huge;
	return h + 1;
}

void numa_pool_free(void *p)
{
	struct pool_hdr *h;

	if (!p)
		return;
	h = (struct pool_hdr *)p - 1;
	munmap(h, h->map_len);
}

bool numa_pool_is_huge(const void *p)
{
	return p && ((const struct pool_hdr *)p - 1)->huge;
}

int numa_node_of_reactor(const struct reactor *r)
{
	int cpu = reactor_cpu(r);

	if (cpu < 0 || numa_available() < 0)
		return -1;
	return numa_node_of_cpu(cpu);
}

int numa_node_of_reactor_ring(struct reactor *r)
{
	struct io_uring *ring = reactor_uring(r);
	/* The SQE array: written on every submission. */
	void *page = (void *)((uintptr_t)ring->sq.sqes &
			      ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1));
	int status = -1;

	if (numa_available() < 0 ||
	    move_pages(0, 1, &page, NULL, &status, 0) != 0 || status < 0)
		return -1;
	return status;
}
