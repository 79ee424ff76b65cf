/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as io_uring fixed buffers: which registered buffer holds a
 * request's data (regions in any order, 1 GiB pieces, edges), and the
 * registration of real memory with a real ring (slots in a row, freed and
 * reused, a full table refused).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "engine/fixed_mem.h"

#define GiB (1ull << 30)

static void test_lookup_finds_the_piece_holding_the_data(void **state)
{
	/* Two regions, sorted by our address: 2.5 GiB (slots 10, 11, 12)
	 * and 4 KiB (slot 3); no memory behind them, only arithmetic. */
	struct fixed_mem_range ranges[] = {
		{ .base = 0x100000000000, .len = 5 * GiB / 2, .first = 10 },
		{ .base = 0x200000000000, .len = 4096, .first = 3 },
	};
	struct fixed_mem fm = { .ranges = ranges, .nranges = 2, .first_slot = 3 };
	const uint8_t *a = (const uint8_t *)(uintptr_t)ranges[0].base;
	const uint8_t *b = (const uint8_t *)(uintptr_t)ranges[1].base;

	/* Slots come back as 1 + slot (0 means none). */
	assert_int_equal(fixed_mem_lookup(&fm, a, 4096), 11);
	assert_int_equal(fixed_mem_lookup(&fm, a + GiB - 4096, 4096), 11);
	assert_int_equal(fixed_mem_lookup(&fm, a + GiB, 4096), 12);
	assert_int_equal(fixed_mem_lookup(&fm, a + 2 * GiB + 4096, 65536), 13);
	assert_int_equal(fixed_mem_lookup(&fm, b, 4096), 4);
	/* Across a 1 GiB edge: no single buffer holds it. */
	assert_int_equal(fixed_mem_lookup(&fm, a + GiB - 512, 4096), 0);
	/* Past the end of a region, before the first, between, empty. */
	assert_int_equal(fixed_mem_lookup(&fm, a + 5 * GiB / 2 - 512, 4096), 0);
	assert_int_equal(fixed_mem_lookup(&fm, a - 4096, 4096), 0);
	assert_int_equal(fixed_mem_lookup(&fm, a + 3 * GiB, 4096), 0);
	assert_int_equal(fixed_mem_lookup(&fm, b + 1, 4096), 0);
	assert_int_equal(fixed_mem_lookup(&fm, b, 0), 0);
	/* Nothing registered. */
	fm.nranges = 0;
	assert_int_equal(fixed_mem_lookup(&fm, a, 4096), 0);
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void test_registration_with_a_real_ring(void **state)
{
	struct reactor *r;
	struct fixed_mem fm1, fm2, fm3;
	uint8_t *m1 = map(1 << 20), *m2 = map(1 << 16);
	/* Given out of address order: the lookup must still find both. */
	struct iovec regions[] = {
		{ .iov_base = m1 > m2 ? m1 : m2, .iov_len = m1 > m2 ? 1 << 20 : 1 << 16 },
		{ .iov_base = m1 > m2 ? m2 : m1, .iov_len = m1 > m2 ? 1 << 16 : 1 << 20 },
	};
	int ret;

	assert_int_equal(reactor_create(0, -1, 0, &r), 0);
	/* No table yet: refused, nothing registered, lookups find nothing. */
	assert_int_equal(fixed_mem_register(&fm1, r, regions, 2), -ENXIO);
	assert_int_equal(fixed_mem_lookup(&fm1, m1, 4096), 0);
	ret = reactor_set_fixed_buffers(r, true);
	if (ret) {
		reactor_destroy(r);
		skip(); /* a kernel before 5.19 */
	}
	assert_int_equal(fixed_mem_register(&fm1, r, regions, 2), 0);
	assert_int_equal(fm1.first_slot, 0);
	assert_int_equal(fm1.nslots, 2);
	assert_int_not_equal(fixed_mem_lookup(&fm1, m1 + 8192, 4096), 0);
	assert_int_not_equal(fixed_mem_lookup(&fm1, m2, 4096),
			     fixed_mem_lookup(&fm1, m1, 4096));
	/* A second registration takes the next slots... */
	assert_int_equal(fixed_mem_register(&fm2, r, regions, 1), 0);
	assert_int_equal(fm2.first_slot, 2);
	/* ...and a freed run is reused. */
	fixed_mem_unregister(&fm1, r);
	assert_int_equal(fm1.first_slot, -1);
	assert_int_equal(fixed_mem_lookup(&fm1, m1, 4096), 0);
	assert_int_equal(fixed_mem_register(&fm3, r, regions, 2), 0);
	assert_int_equal(fm3.first_slot, 0);
	fixed_mem_unregister(&fm2, r);
	fixed_mem_unregister(&fm3, r);
	/* No regions is an error, not an empty success. */
	assert_int_equal(fixed_mem_register(&fm1, r, regions, 0), -EINVAL);
	/* A full table: 4000 slots (one page registered again and again),
	 * then 100 more do not fit and nothing of them stays. */
	{
		struct iovec *many = calloc(4000, sizeof(*many));

		for (int i = 0; i < 4000; i++)
			many[i] = (struct iovec){ m2, 4096 };
		assert_int_equal(fixed_mem_register(&fm1, r, many, 4000), 0);
		assert_int_equal(fixed_mem_register(&fm2, r, many, 100), -ENOSPC);
		assert_int_equal(fm2.first_slot, -1);
		assert_int_equal(fixed_mem_register(&fm2, r, many, 96), 0);
		fixed_mem_unregister(&fm1, r);
		fixed_mem_unregister(&fm2, r);
		free(many);
	}
	reactor_destroy(r);
	munmap(m1, 1 << 20);
	munmap(m2, 1 << 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_finds_the_piece_holding_the_data),
		cmocka_unit_test(test_registration_with_a_real_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
