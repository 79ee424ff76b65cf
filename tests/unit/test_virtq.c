/* SPDX-License-Identifier: MIT */
/* Split-ring walking: well-formed chains map to the right host iovecs, and
 * every hostile ring or chain is refused without touching memory outside
 * the guest's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_guest.h"

#define D(off) (FG_GPA + FG_DATA_OFF + (off))

static struct iovec iov[64];

static int setup(void **state)
{
	static struct fake_guest g;

	fg_init(&g);
	*state = &g;
	return 0;
}

static int teardown(void **state)
{
	fg_destroy(*state);
	return 0;
}

static struct virtq_chain chain(void)
{
	struct virtq_chain c = { .iov = iov, .max_iov = 64 };

	return c;
}

static void test_empty_ring_pops_nothing(void **state)
{
	struct fake_guest *g = *state;
	struct virtq_chain c = chain();

	assert_int_equal(virtq_pop(&g->vq, &c), 0);
	assert_false(virtq_has_work(&g->vq));
}

static void test_three_descriptor_request(void **state)
{
	struct fake_guest *g = *state;
	struct virtq_chain c = chain();

	fg_set_desc(g, 0, D(0), 16, VRING_DESC_F_NEXT, 1);
	fg_set_desc(g, 1, D(0x1000), 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	fg_set_desc(g, 2, D(0x3000), 1, VRING_DESC_F_WRITE, 0);
	fg_make_avail(g, 0);
	assert_true(virtq_has_work(&g->vq));
	assert_int_equal(virtq_pop(&g->vq, &c), 1);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.head, 0);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.n_in, 2);
	assert_ptr_equal(iov[0].iov_base, fg_ptr(g, D(0)));
	assert_int_equal(iov[0].iov_len, 16);
	assert_ptr_equal(iov[1].iov_base, fg_ptr(g, D(0x1000)));
	assert_int_equal(iov[1].iov_len, 4096);
	assert_ptr_equal(iov[2].iov_base, fg_ptr(g, D(0x3000)));
}

static void pop_expect_error(struct fake_guest *g, uint16_t head, int err)
{
	struct virtq_chain c = chain();

	fg_make_avail(g, head);
	assert_int_equal(virtq_pop(&g->vq, &c), 1);
	assert_int_equal(c.head, head);
	assert_int_equal(c.error, err);
	assert_false(g->vq.broken);
}

static void test_loop_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 3, D(0), 16, VRING_DESC_F_NEXT, 4);
	fg_set_desc(g, 4, D(16), 16, VRING_DESC_F_NEXT, 3);
	pop_expect_error(g, 3, -ELOOP);
}

static void test_self_loop_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 5, D(0), 16, VRING_DESC_F_NEXT, 5);
	pop_expect_error(g, 5, -ELOOP);
}

static void test_next_past_table_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 0, D(0), 16, VRING_DESC_F_NEXT, FG_RING_SIZE);
	pop_expect_error(g, 0, -EINVAL);
}

static void test_address_outside_memory_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 0, 0x1000, 16, 0, 0); /* below the only region */
	pop_expect_error(g, 0, -EFAULT);
	fg_set_desc(g, 0, FG_GPA + FG_MEM_SIZE, 1, 0, 0); /* just past it */
	pop_expect_error(g, 0, -EFAULT);
}

static void test_buffer_running_past_region_end_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 0, FG_GPA + FG_MEM_SIZE - 8, 16, 0, 0);
	pop_expect_error(g, 0, -EFAULT);
}

static void test_address_overflow_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 0, UINT64_MAX - 4, 16, 0, 0);
	pop_expect_error(g, 0, -EFAULT);
}

static void test_readable_after_writable_is_refused(void **state)
{
	struct fake_guest *g = *state;

	fg_set_desc(g, 0, D(0), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	fg_set_desc(g, 1, D(16), 16, 0, 0);
	pop_expect_error(g, 0, -EINVAL);
}

static void test_too_many_iovecs_is_refused(void **state)
{
	struct fake_guest *g = *state;
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };

	fg_set_desc(g, 0, D(0), 16, VRING_DESC_F_NEXT, 1);
	fg_set_desc(g, 1, D(16), 16, VRING_DESC_F_NEXT, 2);
	fg_set_desc(g, 2, D(32), 1, VRING_DESC_F_WRITE, 0);
	fg_make_avail(g, 0);
	assert_int_equal(virtq_pop(&g->vq, &c), 1);
	assert_int_equal(c.error, -E2BIG);
}

static void set_indirect(struct fake_guest *g, uint64_t table_gpa, uint16_t i,
			 uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *t = fg_ptr(g, table_gpa);

	t[i] = (struct vring_desc){ addr, len, flags, next };
}

static void test_indirect_table(void **state)
{
	struct fake_guest *g = *state;
	struct virtq_chain c = chain();
	uint64_t table = D(0x8000);

	g->vq.indirect = true;
	set_indirect(g, table, 0, D(0), 16, VRING_DESC_F_NEXT, 1);
	set_indirect(g, table, 1, D(0x1000), 512, VRING_DESC_F_NEXT, 2);
	set_indirect(g, table, 2, D(0x2000), 1, VRING_DESC_F_WRITE, 0);
	fg_set_desc(g, 7, table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	fg_make_avail(g, 7);
	assert_int_equal(virtq_pop(&g->vq, &c), 1);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.head, 7);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(c.n_in, 1);
	assert_ptr_equal(iov[1].iov_base, fg_ptr(g, D(0x1000)));
}

static void test_indirect_hostile(void **state)
{
	struct fake_guest *g = *state;
	uint64_t table = D(0x8000);

	/* Not negotiated. */
	g->vq.indirect = false;
	fg_set_desc(g, 1, table, 16, VRING_DESC_F_INDIRECT, 0);
	set_indirect(g, table, 0, D(0), 16, 0, 0);
	pop_expect_error(g, 1, -EINVAL);
	g->vq.indirect = true;
	/* Length not a whole number of descriptors, and zero. */
	fg_set_desc(g, 1, table, 20, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -EINVAL);
	fg_set_desc(g, 1, table, 0, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -EINVAL);
	/* INDIRECT together with NEXT. */
	fg_set_desc(g, 1, table, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
	pop_expect_error(g, 1, -EINVAL);
	/* An indirect table inside an indirect table. */
	set_indirect(g, table, 0, D(0x9000), 16, VRING_DESC_F_INDIRECT, 0);
	fg_set_desc(g, 1, table, 16, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -EINVAL);
	/* A loop inside the table. */
	set_indirect(g, table, 0, D(0), 16, VRING_DESC_F_NEXT, 1);
	set_indirect(g, table, 1, D(0), 16, VRING_DESC_F_NEXT, 0);
	fg_set_desc(g, 1, table, 32, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -ELOOP);
	/* next past the table's end. */
	set_indirect(g, table, 0, D(0), 16, VRING_DESC_F_NEXT, 5);
	fg_set_desc(g, 1, table, 32, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -EINVAL);
	/* The table itself outside guest memory, or absurdly long. */
	fg_set_desc(g, 1, FG_GPA + FG_MEM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -EFAULT);
	fg_set_desc(g, 1, table, (VIRTQ_MAX_INDIRECT + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	pop_expect_error(g, 1, -EINVAL);
}

static void test_avail_index_jump_breaks_queue(void **state)
{
	struct fake_guest *g = *state;
	struct vring_avail *a = fg_ptr(g, FG_GPA + FG_AVAIL_OFF);
	struct virtq_chain c = chain();

	a->idx = FG_RING_SIZE + 1;
	assert_int_equal(virtq_pop(&g->vq, &c), -EIO);
	assert_true(g->vq.broken);
	/* Stays stopped even if the index looks sane again. */
	a->idx = 1;
	assert_int_equal(virtq_pop(&g->vq, &c), -EIO);
}

static void test_head_past_table_breaks_queue(void **state)
{
	struct fake_guest *g = *state;
	struct virtq_chain c = chain();

	fg_make_avail(g, FG_RING_SIZE);
	assert_int_equal(virtq_pop(&g->vq, &c), -EIO);
	assert_true(g->vq.broken);
}

static void test_used_ring_and_event_idx(void **state)
{
	struct fake_guest *g = *state;
	struct vring_used *u = fg_ptr(g, FG_GPA + FG_USED_OFF);
	struct vring_avail *a = fg_ptr(g, FG_GPA + FG_AVAIL_OFF);
	uint16_t *used_event = &a->ring[FG_RING_SIZE];

	g->vq.event_idx = true;
	virtq_push(&g->vq, 3, 513);
	assert_int_equal(u->idx, 0); /* not visible before publish */
	virtq_publish(&g->vq);
	assert_int_equal(u->idx, 1);
	assert_int_equal(u->ring[0].id, 3);
	assert_int_equal(u->ring[0].len, 513);
	/* First completion always notifies. */
	assert_true(virtq_should_notify(&g->vq));
	/* The driver wants to hear only once used passes index 5. */
	*used_event = 5;
	virtq_push(&g->vq, 4, 1);
	virtq_publish(&g->vq);
	assert_false(virtq_should_notify(&g->vq));
	for (int i = 0; i < 4; i++)
		virtq_push(&g->vq, 4, 1);
	virtq_publish(&g->vq);
	assert_true(virtq_should_notify(&g->vq));
}

static void test_no_interrupt_flag_without_event_idx(void **state)
{
	struct fake_guest *g = *state;
	struct vring_avail *a = fg_ptr(g, FG_GPA + FG_AVAIL_OFF);

	virtq_push(&g->vq, 0, 1);
	virtq_publish(&g->vq);
	a->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(virtq_should_notify(&g->vq));
	a->flags = 0;
	assert_true(virtq_should_notify(&g->vq));
}

static void test_kick_suppression(void **state)
{
	struct fake_guest *g = *state;
	struct vring_used *u = fg_ptr(g, FG_GPA + FG_USED_OFF);
	uint16_t *avail_event = (uint16_t *)&u->ring[FG_RING_SIZE];

	virtq_kicks_disable(&g->vq);
	assert_true(u->flags & VRING_USED_F_NO_NOTIFY);
	virtq_kicks_enable(&g->vq);
	assert_false(u->flags & VRING_USED_F_NO_NOTIFY);
	g->vq.event_idx = true;
	g->vq.last_avail_idx = 9;
	virtq_kicks_enable(&g->vq);
	assert_int_equal(*avail_event, 9);
}

static void test_map_rejects_bad_rings(void **state)
{
	struct fake_guest *g = *state;
	struct virtq vq = { 0 };

	/* Not a power of two, misaligned, outside memory. */
	assert_int_equal(virtq_map(&vq, &g->tg.mem, 12, FG_QVA, FG_QVA + 0x1000,
				   FG_QVA + 0x2000), -EINVAL);
	assert_int_equal(virtq_map(&vq, &g->tg.mem, 16, FG_QVA + 8, FG_QVA + 0x1000,
				   FG_QVA + 0x2000), -EINVAL);
	assert_int_equal(virtq_map(&vq, &g->tg.mem, 16, FG_QVA, FG_QVA + 0x1000,
				   FG_QVA + FG_MEM_SIZE - 8), -EFAULT);
	assert_int_equal(virtq_map(&vq, &g->tg.mem, 16, 0x1000, FG_QVA + 0x1000,
				   FG_QVA + 0x2000), -EFAULT);
	/* A ring too large for the memory behind it. */
	assert_int_equal(virtq_map(&vq, &g->tg.mem, 32768, FG_QVA + 0xc0000,
				   FG_QVA + 0x1000, FG_QVA + 0x2000), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_empty_ring_pops_nothing),
		T(test_three_descriptor_request),
		T(test_loop_is_refused),
		T(test_self_loop_is_refused),
		T(test_next_past_table_is_refused),
		T(test_address_outside_memory_is_refused),
		T(test_buffer_running_past_region_end_is_refused),
		T(test_address_overflow_is_refused),
		T(test_readable_after_writable_is_refused),
		T(test_too_many_iovecs_is_refused),
		T(test_indirect_table),
		T(test_indirect_hostile),
		T(test_avail_index_jump_breaks_queue),
		T(test_head_past_table_breaks_queue),
		T(test_used_ring_and_event_idx),
		T(test_no_interrupt_flag_without_event_idx),
		T(test_kick_suppression),
		T(test_map_rejects_bad_rings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
