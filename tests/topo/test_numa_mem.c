/* SPDX-License-Identifier: MIT */
/* Where memory lives: guest memory regions learn their node without
 * allocating pages the guest never touched, and reactor pools come back
 * zeroed, usable and on the node asked for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <numa.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/numa_alloc.h"
#include "vhost/guest_mem.h"

#define MIB (1ull << 20)

static int node_of(void *p)
{
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1ul, &p, NULL, &status, 0) < 0)
		return -errno;
	return status;
}

static void test_touched_memory_is_located(void **state)
{
	struct guest_mem_summary s;
	struct guest_mem mem;
	int fd = memfd_create("guest", MFD_CLOEXEC);
	uint8_t *guest;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * MIB), 0);
	/* The "guest" writes its first MiB before vmiod maps the region. */
	guest = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(guest != MAP_FAILED);
	memset(guest, 1, MIB);
	guest_mem_init(&mem);
	assert_int_equal(guest_mem_add(&mem, 0, 4 * MIB, 0x7000000, 0, dup(fd)), 0);
	assert_false(mem.regions[0].hugepages);
	assert_int_equal(mem.regions[0].page_size, (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(mem.regions[0].sampled, 64);
	/* A quarter of the samples fall in the written MiB. */
	assert_int_equal(mem.regions[0].located, 16);
	guest_mem_summary(&mem, &s);
	assert_int_equal(s.nregions, 1);
	assert_int_equal(s.bytes, 4 * MIB);
	assert_true(s.nodes_known);
	assert_true(s.nodes & (1ull << node_of(guest)));
	assert_int_equal(s.huge_page_size, 0);
	guest_mem_clear(&mem);
	munmap(guest, 4 * MIB);
	close(fd);
}

static void test_untouched_memory_is_not_allocated(void **state)
{
	struct guest_mem_summary s;
	struct guest_mem mem;
	int fd = memfd_create("guest", MFD_CLOEXEC);
	unsigned int gen;
	struct stat st;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 * MIB), 0);
	guest_mem_init(&mem);
	gen = mem.gen;
	assert_int_equal(guest_mem_add(&mem, 0, 8 * MIB, 0, 0, dup(fd)), 0);
	assert_int_not_equal(mem.gen, gen);
	assert_int_equal(mem.regions[0].located, 0);
	/* Sampling must not have faulted in (allocated) guest pages. */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	guest_mem_summary(&mem, &s);
	assert_false(s.nodes_known);
	assert_int_equal(s.nodes, 0);
	/* Once I/O has touched a page through our mapping, a re-locate
	 * finds it. */
	mem.regions[0].hva[0] = 1;
	guest_mem_locate(&mem);
	assert_int_equal(mem.regions[0].located, 1);
	guest_mem_summary(&mem, &s);
	assert_true(s.nodes_known);
	gen = mem.gen;
	assert_int_equal(guest_mem_remove(&mem, 0, 8 * MIB), 0);
	assert_int_not_equal(mem.gen, gen);
	close(fd);
}

static void test_pool_on_node(void **state)
{
	uint8_t *p;
	int node = numa_available() < 0 ? -1 : 0;

	(void)state;
	p = numa_pool_calloc(1000, 264, node);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 64, 0);
	for (size_t i = 0; i < 1000 * 264; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0xab, 1000 * 264);
	if (node >= 0)
		assert_int_equal(node_of(p), node);
	numa_pool_free(p);
	numa_pool_free(NULL);
	/* Overflow is refused, not wrapped. */
	assert_null(numa_pool_calloc(SIZE_MAX / 2, 4, -1));
	/* Small pools never take a hugepage. */
	p = numa_pool_calloc(1, 64, node);
	assert_non_null(p);
	assert_false(numa_pool_is_huge(p));
	numa_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touched_memory_is_located),
		cmocka_unit_test(test_untouched_memory_is_not_allocated),
		cmocka_unit_test(test_pool_on_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
