/* SPDX-License-Identifier: MIT */
/* Guest memory table: translation stays exact and fast with the full 509
 * regions, ranges crossing region boundaries split correctly, and bad
 * regions are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vhost/guest_mem.h"

static struct guest_mem mem;
static int memfd;

static int setup(void **state)
{
	guest_mem_init(&mem);
	memfd = memfd_create("gm", MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, 1 << 22), 0);
	return 0;
}

static int teardown(void **state)
{
	guest_mem_clear(&mem);
	close(memfd);
	return 0;
}

static int add(uint64_t gpa, uint64_t size, uint64_t off)
{
	int fd = dup(memfd);
	int ret = guest_mem_add(&mem, gpa, size, 0x10000000 + gpa, off, fd);

	if (ret)
		close(fd);
	return ret;
}

static void test_translate_inside_and_outside(void **state)
{
	uint8_t *p;

	assert_int_equal(add(0x100000, 0x10000, 0), 0);
	p = guest_mem_gpa_to_hva(&mem, 0x100000, 16);
	assert_non_null(p);
	assert_ptr_equal(guest_mem_gpa_to_hva(&mem, 0x100010, 16), p + 0x10);
	assert_null(guest_mem_gpa_to_hva(&mem, 0xfffff, 1));
	assert_null(guest_mem_gpa_to_hva(&mem, 0x10ffff, 2));
	assert_non_null(guest_mem_gpa_to_hva(&mem, 0x10ffff, 1));
	assert_null(guest_mem_gpa_to_hva(&mem, 0x110000, 1));
	assert_null(guest_mem_gpa_to_hva(&mem, UINT64_MAX, 1));
	assert_ptr_equal(guest_mem_qva_to_hva(&mem, 0x10100000, 4), p);
	assert_null(guest_mem_qva_to_hva(&mem, 0x10100000, 0x10001));
}

static void test_overlaps_and_bad_sizes_refused(void **state)
{
	assert_int_equal(add(0x100000, 0x10000, 0), 0);
	assert_int_equal(add(0x108000, 0x10000, 0), -EINVAL);
	assert_int_equal(add(0xf8000, 0x10000, 0), -EINVAL);
	assert_int_equal(add(0x200000, 0, 0), -EINVAL);
	assert_int_equal(add(UINT64_MAX - 0xfff, 0x2000, 0), -EINVAL);
	assert_int_equal(mem.nregions, 1);
}

static void test_range_across_adjacent_regions(void **state)
{
	struct iovec iov[4];
	unsigned int n = 0;

	/* Two regions adjacent in guest-physical space but mapped from
	 * different file offsets: host addresses are not contiguous. */
	assert_int_equal(add(0x100000, 0x1000, 0x1000), 0);
	assert_int_equal(add(0x101000, 0x1000, 0x3000), 0);
	assert_int_equal(guest_mem_gpa_to_iov(&mem, 0x100800, 0x1000, iov, &n, 4), 0);
	assert_int_equal(n, 2);
	assert_int_equal(iov[0].iov_len, 0x800);
	assert_int_equal(iov[1].iov_len, 0x800);
	assert_ptr_equal(iov[1].iov_base, guest_mem_gpa_to_hva(&mem, 0x101000, 1));
	/* Running off the end of the second region. */
	n = 0;
	assert_int_equal(guest_mem_gpa_to_iov(&mem, 0x101800, 0x1000, iov, &n, 4),
			 -EFAULT);
	/* Not enough room for the pieces. */
	n = 0;
	assert_int_equal(guest_mem_gpa_to_iov(&mem, 0x100800, 0x1000, iov, &n, 1),
			 -E2BIG);
}

static void test_full_table_of_509_regions(void **state)
{
	/* 509 regions of one page each, with holes between them, added in a
	 * scrambled order: lookups must still find every one. */
	unsigned int order[GUEST_MEM_MAX_REGIONS];

	for (unsigned int i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
		order[i] = (i * 211) % GUEST_MEM_MAX_REGIONS;
	for (unsigned int i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
		assert_int_equal(add(0x100000ull * (order[i] + 1), 0x1000,
				     0x1000ull * (order[i] % 1000)), 0);
	assert_int_equal(mem.nregions, GUEST_MEM_MAX_REGIONS);
	assert_int_equal(add(0x100000ull * 600, 0x1000, 0), -ENOSPC);
	for (unsigned int i = 1; i <= GUEST_MEM_MAX_REGIONS; i++) {
		uint64_t gpa = 0x100000ull * i;
		const struct guest_mem_region *r = guest_mem_find(&mem, gpa + 5);

		assert_non_null(r);
		assert_int_equal(r->gpa, gpa);
		assert_null(guest_mem_gpa_to_hva(&mem, gpa + 0x1000, 1));
		assert_null(guest_mem_gpa_to_hva(&mem, gpa - 1, 1));
	}
	/* Removing one leaves a hole where it was and nowhere else. */
	assert_int_equal(guest_mem_remove(&mem, 0x100000ull * 7, 0x1000), 0);
	assert_null(guest_mem_find(&mem, 0x100000ull * 7));
	assert_non_null(guest_mem_find(&mem, 0x100000ull * 8));
	assert_int_equal(guest_mem_remove(&mem, 0x100000ull * 7, 0x1000), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translate_inside_and_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlaps_and_bad_sizes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_across_adjacent_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_table_of_509_regions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
