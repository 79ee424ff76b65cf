/* SPDX-License-Identifier: MIT */
/*
 * The backend interface as a device model uses it (bdev.h only): a
 * request slot with the backend's context after its bdev_io, channels
 * opened and closed through bdev calls, guest memory offered as a
 * bdev_mem, and the completion contract: the callback never runs inside
 * submit, always on a later reactor pass. Driven on this thread with a
 * reactor that is never started (reactor_poll_once).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "bdev/bdev.h"
#include "util/clock.h"

#define SLOTS 4

/* A device model's request slot: its own fields, then the bdev_io last,
 * then the backend's context. */
struct req {
	int done;
	int status;
	bool in_submit;
	bool cb_in_submit;
	struct bdev_io io;
};

static struct reactor *r;
static unsigned char *slots;
static size_t slot_size;

static struct req *slot(unsigned int i)
{
	return (struct req *)(slots + i * slot_size);
}

static void on_done(struct bdev_io *io, int status)
{
	struct req *q = (struct req *)((char *)io - offsetof(struct req, io));

	q->cb_in_submit |= q->in_submit;
	q->done++;
	q->status = status;
}

static void alloc_slots(const struct bdev *b)
{
	slot_size = bdev_io_slot_size(offsetof(struct req, io),
				      bdev_io_ctx_size(b));
	assert_true(slot_size % BDEV_IO_CTX_ALIGN == 0);
	slots = calloc(SLOTS, slot_size);
	assert_non_null(slots);
}

static void submit(struct bdev_channel *ch, unsigned int i, enum bdev_op op,
		   uint64_t off, struct iovec *iov, unsigned int iovcnt,
		   uint64_t len)
{
	struct req *q = slot(i);

	memset(q, 0, offsetof(struct req, io) + sizeof(q->io));
	q->io.op = op;
	q->io.offset = off;
	q->io.len = len;
	q->io.iov = iov;
	q->io.iovcnt = iovcnt;
	q->io.cb = on_done;
	q->in_submit = true;
	bdev_submit(ch, &q->io);
	q->in_submit = false;
}

/* Steps the reactor until slot i completed; fails after 30 s. */
static void wait_done(unsigned int i)
{
	uint64_t end = clock_now_ns() + 30 * NSEC_PER_SEC;

	while (!slot(i)->done && clock_now_ns() < end)
		reactor_poll_once(r);
	assert_int_equal(slot(i)->done, 1);
	assert_false(slot(i)->cb_in_submit);
}

static int setup(void **state)
{
	return reactor_create(0, -1, 0, &r);
}

static int teardown(void **state)
{
	reactor_destroy(r);
	free(slots);
	slots = NULL;
	return 0;
}

static void test_null_completes_next_pass(void **state)
{
	struct bdev *b;
	struct bdev_channel *ch;

	assert_int_equal(bdev_null_open(1 << 20, &b), 0);
	alloc_slots(b);
	assert_int_equal(bdev_channel_open(b, r, NULL, &ch), 0);
	submit(ch, 0, BDEV_OP_FLUSH, 0, NULL, 0, 0);
	assert_int_equal(slot(0)->done, 0);
	assert_int_equal(ch->inflight, 1);
	reactor_poll_once(r);
	assert_int_equal(slot(0)->done, 1);
	assert_int_equal(slot(0)->status, 0);
	assert_int_equal(ch->inflight, 0);
	bdev_channel_close(ch);
	bdev_destroy(b);
}

/* A backend that fails every request in submit, the way a backend finds
 * bad arguments or a closed connection before anything is queued. */
static int fail_open(struct bdev *b, struct reactor *re, struct bdev_mem *m,
		     struct bdev_channel **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void fail_close(struct bdev_channel *ch)
{
	free(ch);
}

static void retry_then_fail(struct bdev_io *io)
{
	bdev_io_complete_later(io, -EIO);
}

static void fail_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	/* Put off twice: work deferred while deferred work runs waits for
	 * the pass after. */
	if (io->op == BDEV_OP_FLUSH)
		bdev_io_later(io, retry_then_fail);
	else
		bdev_io_complete_later(io, -EROFS);
}

static const struct bdev_ops fail_ops = {
	.name = "fail",
	.channel_open = fail_open,
	.channel_close = fail_close,
	.submit = fail_submit,
};

static void test_errors_in_submit_complete_later(void **state)
{
	struct bdev b = { .ops = &fail_ops, .size = 1 << 20 };
	struct bdev_channel *ch;

	alloc_slots(&b);
	assert_int_equal(bdev_channel_open(&b, r, NULL, &ch), 0);
	submit(ch, 0, BDEV_OP_WRITE_ZEROES, 0, NULL, 0, 4096);
	submit(ch, 1, BDEV_OP_FLUSH, 0, NULL, 0, 0);
	assert_int_equal(slot(0)->done + slot(1)->done, 0);
	assert_int_equal(reactor_poll_once(r) > 0, 1);
	assert_int_equal(slot(0)->done, 1);
	assert_int_equal(slot(0)->status, -EROFS);
	assert_int_equal(slot(1)->done, 0);
	reactor_poll_once(r);
	assert_int_equal(slot(1)->done, 1);
	assert_int_equal(slot(1)->status, -EIO);
	assert_false(slot(0)->cb_in_submit || slot(1)->cb_in_submit);
	assert_int_equal(ch->inflight, 0);
	/* Nothing left: the pass does no work. */
	assert_int_equal(reactor_poll_once(r), 0);
	bdev_channel_close(ch);
}

static struct bdev *open_file(char *path, uint64_t size)
{
	struct bdev_open_opts o = { .path = path, .size = size, .direct = false };
	struct bdev *b;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(bdev_uring_open(&o, &b), 0);
	return b;
}

/* Two requests in flight at once, each with its own context; data lands
 * where it should; zeroes and discards read back as zeroes. */
static void run_file_io(struct bdev *b, struct bdev_mem *mem, void *buf)
{
	unsigned char *a = buf, *c = (unsigned char *)buf + 8192;
	struct iovec wa = { a, 4096 }, wb[2] = { { c, 1024 }, { c + 1024, 3072 } };
	struct iovec ra = { a + 4096, 4096 };
	struct bdev_channel *ch;

	assert_int_equal(bdev_channel_open(b, r, mem, &ch), 0);
	memset(a, 0xaa, 4096);
	memset(c, 0xcc, 4096);
	submit(ch, 0, BDEV_OP_WRITE, 0, &wa, 1, 4096);
	submit(ch, 1, BDEV_OP_WRITE, 8192, wb, 2, 4096);
	assert_int_equal(slot(0)->done + slot(1)->done, 0);
	wait_done(0);
	wait_done(1);
	assert_int_equal(slot(0)->status, 0);
	assert_int_equal(slot(1)->status, 0);
	assert_false(slot(1)->io.registered); /* two pieces: plain writev */

	submit(ch, 2, BDEV_OP_READ, 8192, &ra, 1, 4096);
	wait_done(2);
	assert_int_equal(slot(2)->status, 0);
	assert_int_equal(memcmp(a + 4096, c, 4096), 0);

	submit(ch, 3, BDEV_OP_WRITE_ZEROES, 0, NULL, 0, 4096);
	wait_done(3);
	ra.iov_base = a + 4096;
	submit(ch, 2, BDEV_OP_READ, 0, &ra, 1, 4096);
	wait_done(2);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(a[4096 + i], 0);
	submit(ch, 3, BDEV_OP_FLUSH, 0, NULL, 0, 0);
	wait_done(3);
	assert_int_equal(slot(3)->status, 0);
	assert_int_equal(ch->inflight, 0);
	bdev_channel_close(ch);
}

static void test_uring_file(void **state)
{
	char path[] = "/tmp/vmio-test-bdev-XXXXXX";
	struct bdev *b = open_file(path, 1 << 20);
	void *buf = aligned_alloc(4096, 16384);

	alloc_slots(b);
	assert_true(bdev_io_ctx_size(b) > 0);
	assert_true(bdev_io_ctx_size(b) <= BDEV_IO_CTX_MAX);
	run_file_io(b, NULL, buf);
	assert_false(slot(0)->io.registered); /* no memory offered */
	assert_int_equal(bdev_resize(b, 2 << 20), 0);
	assert_int_equal(b->size, 2 << 20);
	assert_int_equal(bdev_resize(b, 1 << 20), -EINVAL);
	bdev_destroy(b);
	unlink(path);
	free(buf);
}

/* The delay wrapper keeps its own part of the context after its inner
 * backend's, and holds completions for at least its delay. */
static void test_delay_on_uring(void **state)
{
	char path[] = "/tmp/vmio-test-bdev-XXXXXX";
	struct bdev *inner = open_file(path, 1 << 20), *b;
	void *buf = aligned_alloc(4096, 16384);

	assert_int_equal(bdev_delay_wrap(inner, 1000000, &b), 0);
	assert_true(bdev_io_ctx_size(b) > bdev_io_ctx_size(inner));
	alloc_slots(b);
	run_file_io(b, NULL, buf);
	bdev_destroy(b);
	unlink(path);
	free(buf);
}

/* Guest memory offered to a channel: a one-piece transfer inside it goes
 * through the registered buffers, one outside does not. */
static void test_registered_memory(void **state)
{
	char path[] = "/tmp/vmio-test-bdev-XXXXXX";
	size_t len = 1 << 20;
	unsigned char *guest = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *outside = aligned_alloc(4096, 16384);
	struct iovec region = { guest, len };
	struct bdev *b;
	struct bdev_mem *mem;
	struct bdev_channel *ch;
	struct iovec io = { outside, 4096 };

	assert_true(guest != MAP_FAILED);
	if (reactor_set_fixed_buffers(r, true)) {
		skip(); /* a kernel without sparse buffer tables */
		return;
	}
	b = open_file(path, 1 << 20);
	alloc_slots(b);
	mem = bdev_mem_create(r, &region, 1, "test");
	assert_non_null(mem);
	run_file_io(b, mem, guest);
	assert_true(slot(0)->io.registered);
	assert_true(slot(2)->io.registered);

	assert_int_equal(bdev_channel_open(b, r, mem, &ch), 0);
	submit(ch, 0, BDEV_OP_READ, 0, &io, 1, 4096);
	wait_done(0);
	assert_int_equal(slot(0)->status, 0);
	assert_false(slot(0)->io.registered);
	bdev_channel_close(ch);
	bdev_mem_destroy(mem);
	bdev_destroy(b);
	unlink(path);
	munmap(guest, len);
	free(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_completes_next_pass,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_in_submit_complete_later,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_uring_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delay_on_uring, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_registered_memory, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
