/* SPDX-License-Identifier: MIT */
/* Inflight tracking: what one back-end leaves in the shared region lets
 * the next one resubmit exactly the requests that never completed, oldest
 * first, and never one whose completion the driver already saw. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_guest.h"

static struct inflight_queue *region;

static int setup(void **state)
{
	static struct fake_guest g;

	fg_init(&g);
	region = calloc(1, inflight_queue_bytes(FG_RING_SIZE));
	*state = &g;
	return 0;
}

static int teardown(void **state)
{
	struct fake_guest *g = *state;

	virtq_inflight_detach(&g->vq);
	fg_destroy(g);
	free(region);
	return 0;
}

/* A simple one-descriptor chain per head so pops succeed. */
static void make_heads_available(struct fake_guest *g, const uint16_t *heads,
				 unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		fg_set_desc(g, heads[i], FG_GPA + FG_DATA_OFF, 16, 0, 0);
		fg_make_avail(g, heads[i]);
	}
}

/* What a restarted back-end does: a fresh virtq on the same rings. */
static void restart(struct fake_guest *g)
{
	struct vring_used *u = fg_ptr(g, FG_GPA + FG_USED_OFF);

	virtq_inflight_detach(&g->vq);
	memset(&g->vq, 0, sizeof(g->vq));
	assert_int_equal(virtq_map(&g->vq, &g->tg.mem, FG_RING_SIZE, FG_QVA + FG_DESC_OFF,
				   FG_QVA + FG_AVAIL_OFF, FG_QVA + FG_USED_OFF), 0);
	g->vq.used_idx = u->idx;
	assert_int_equal(virtq_inflight_attach(&g->vq, region), 0);
}

static void test_pop_marks_and_publish_clears(void **state)
{
	struct fake_guest *g = *state;
	const uint16_t heads[] = { 2, 5 };
	uint16_t h;

	restart(g);
	assert_int_equal(region->version, INFLIGHT_VERSION);
	make_heads_available(g, heads, 2);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(region->desc[2].inflight, 1);
	assert_int_equal(region->desc[5].inflight, 1);
	assert_true(region->desc[2].counter < region->desc[5].counter);
	virtq_push(&g->vq, 5, 1);
	/* Not visible yet: still in flight. */
	assert_int_equal(region->desc[5].inflight, 1);
	virtq_publish(&g->vq);
	assert_int_equal(region->desc[5].inflight, 0);
	assert_int_equal(region->desc[2].inflight, 1);
	assert_int_equal(region->used_idx, 1);
	assert_int_equal(region->last_batch_head, 5);
}

static void test_restart_resubmits_in_pop_order(void **state)
{
	struct fake_guest *g = *state;
	const uint16_t heads[] = { 6, 1, 4, 3 };
	uint16_t h;

	restart(g);
	make_heads_available(g, heads, 4);
	/* The first back-end pops 6, 1, 4 and completes only 1. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	virtq_push(&g->vq, 1, 1);
	virtq_publish(&g->vq);
	/* It dies. The next one resubmits 6 then 4, then goes on with 3. */
	restart(g);
	assert_int_equal(g->vq.last_avail_idx, 3);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(h, 6);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(h, 4);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(h, 3);
	assert_int_equal(virtq_next_head(&g->vq, &h), 0);
}

static void test_death_between_publish_and_clear(void **state)
{
	struct fake_guest *g = *state;
	struct vring_used *u = fg_ptr(g, FG_GPA + FG_USED_OFF);
	const uint16_t heads[] = { 7, 8 };
	uint16_t h;

	restart(g);
	make_heads_available(g, heads, 2);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	/* Head 8's completion reached the driver, but the back-end died
	 * before it cleared the flag. */
	u->ring[u->idx % FG_RING_SIZE].id = 8;
	u->ring[u->idx % FG_RING_SIZE].len = 1;
	u->idx++;
	restart(g);
	assert_int_equal(region->desc[8].inflight, 0);
	assert_int_equal(g->vq.nresubmit, 1);
	assert_int_equal(virtq_next_head(&g->vq, &h), 1);
	assert_int_equal(h, 7);
	assert_int_equal(virtq_next_head(&g->vq, &h), 0);
}

static void test_region_of_other_ring_size_is_reset(void **state)
{
	struct fake_guest *g = *state;

	region->version = INFLIGHT_VERSION;
	region->desc_num = FG_RING_SIZE * 2;
	region->desc[3].inflight = 1;
	restart(g);
	assert_int_equal(g->vq.nresubmit, 0);
	assert_int_equal(region->desc_num, FG_RING_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pop_marks_and_publish_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_resubmits_in_pop_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_death_between_publish_and_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_of_other_ring_size_is_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
