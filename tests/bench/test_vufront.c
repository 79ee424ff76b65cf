/* SPDX-License-Identifier: MIT */
/*
 * vufront against real targets over real sockets: vmiod and
 * qemu-storage-daemon (the third-party check that it speaks the protocol
 * right), each serving a file with two queues; and against bad_target,
 * which answers wrongly on purpose, to check every wrong answer is caught
 * (on packed rings the test itself writes the wrong answers).
 *
 *   test_vufront BAD_TARGET_PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench/target.h"
#include "util/clock.h"
#include "vufront/vufront.h"

#define DISK_BYTES (64ull << 20)
#define SLOTS 8
#define MAX_IO (64u << 10)
#define TIMEOUT_NS (5 * NSEC_PER_SEC)

static const char *bad_target_path;

struct ctx {
	struct target t;
	char img[64];
};

static int start(void **state, enum target_kind kind)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char err[512] = "";
	int fd;

	snprintf(c->img, sizeof(c->img), "/tmp/vufront-test-XXXXXX");
	fd = mkstemp(c->img);
	if (fd < 0 || ftruncate(fd, (off_t)DISK_BYTES))
		return -1;
	close(fd);
	c->t = (struct target){ .kind = kind, .queues = 2, .ndisks = 1 };
	c->t.disks[0].file = c->img;
	if (target_start(&c->t, err, sizeof(err))) {
		fprintf(stderr, "cannot start %s: %s\n", target_name(kind), err);
		return -1;
	}
	*state = c;
	return 0;
}

static int start_vmiod(void **state)
{
	return start(state, TARGET_VMIOD);
}

static int start_qsd(void **state)
{
	return start(state, TARGET_QSD);
}

static int stop(void **state)
{
	struct ctx *c = *state;

	target_stop(&c->t);
	unlink(c->img);
	free(c);
	return 0;
}

static struct vufront *open_dev(void **state, const struct vufront_opts *o)
{
	struct ctx *c = *state;
	struct vufront *f = NULL;
	char err[512];
	int ret = vufront_connect(c->t.disks[0].socket, o, &f, err, sizeof(err));

	if (ret == -ENOTSUP && o->packed) {
		/* qemu-storage-daemon (libvhost-user) has split rings only. */
		fprintf(stderr, "# %s\n", err);
		skip();
	}
	if (ret)
		fail_msg("connect: %s", err);
	return f;
}

static void pattern(uint8_t *p, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = (seed + i) * 0x9e3779b97f4a7c15ull;

		memcpy(p + i, &v, 8);
	}
}

/* Runs SLOTS requests at once on q and checks each completes with OK. */
static void batch(struct vufront_queue *q, uint32_t type, uint64_t base,
		  bool fill, bool wait)
{
	struct vufront_completion done[SLOTS];
	uint64_t deadline = clock_now_ns() + TIMEOUT_NS;
	unsigned int got = 0;

	for (unsigned int s = 0; s < SLOTS; s++) {
		uint32_t len = 4096u << (s % 5); /* 4K..64K */

		if (fill)
			pattern(vufront_buf(q, s), len, base + s);
		else
			memset(vufront_buf(q, s), 0x5a, len);
		vufront_submit(q, s, type, (base + s * MAX_IO) / 512, len);
	}
	vufront_kick(q);
	while (got < SLOTS) {
		int n = vufront_reap(q, done, SLOTS);

		if (n < 0)
			fail_msg("reap: %s", vufront_last_error(q));
		for (int i = 0; i < n; i++)
			assert_int_equal(done[i].status, VIRTIO_BLK_S_OK);
		got += (unsigned int)n;
		assert_true(clock_now_ns() < deadline);
		if (!n && wait)
			vufront_wait(q, NSEC_PER_MSEC);
	}
}

static void check(struct vufront_queue *q, uint64_t base)
{
	uint8_t *expect = malloc(MAX_IO);

	for (unsigned int s = 0; s < SLOTS; s++) {
		uint32_t len = 4096u << (s % 5);

		pattern(expect, len, base + s);
		assert_memory_equal(vufront_buf(q, s), expect, len);
	}
	free(expect);
}

/* Writes then reads back SLOTS buffers on every queue. */
static void verify(void **state, struct vufront_opts o)
{
	struct vufront *f;

	o.queues = 2;
	o.max_inflight = SLOTS;
	o.max_io = MAX_IO;
	f = open_dev(state, &o);
	for (unsigned int i = 0; i < vufront_queues(f); i++) {
		struct vufront_queue *q = vufront_queue(f, i);
		uint64_t base = (uint64_t)i * SLOTS * MAX_IO + (o.gpa_base >> 20);

		batch(q, VIRTIO_BLK_T_OUT, base, true, o.want_irq);
		batch(q, VIRTIO_BLK_T_IN, base, false, o.want_irq);
		check(q, base);
		assert_int_equal(vufront_target_errors(q), 0);
	}
	vufront_close(f);
}

static void test_info(void **state)
{
	struct vufront_opts o = { .queues = 2 };
	struct vufront *f = open_dev(state, &o);
	const struct vufront_info *in = vufront_info(f);

	assert_int_equal(in->capacity, DISK_BYTES / 512);
	assert_true(in->num_queues >= 2);
	assert_true(in->features & (1ull << VIRTIO_F_VERSION_1));
	assert_true(in->config_len >= offsetof(struct virtio_blk_config, blk_size) + 4);
	assert_false(in->ro);
	fprintf(stderr, "# features offered %#llx accepted %#llx, protocol "
		"offered %#llx accepted %#llx, %u memory slots\n",
		(unsigned long long)in->offered_features,
		(unsigned long long)in->features,
		(unsigned long long)in->offered_protocol_features,
		(unsigned long long)in->protocol_features, in->max_mem_slots);
	vufront_close(f);
}

static void test_verify_irq(void **state)
{
	verify(state, (struct vufront_opts){ .want_irq = true });
}

static void test_verify_poll_no_event_idx(void **state)
{
	verify(state, (struct vufront_opts){ .no_event_idx = true });
}

/* Indirect tables, memory in three regions (buffers cross region
 * boundaries) at a guest-physical base above 4 GiB, ADD_MEM_REG if the
 * target offers CONFIGURE_MEM_SLOTS. */
static void test_verify_indirect_regions(void **state)
{
	verify(state, (struct vufront_opts){ .want_irq = true, .indirect = true,
					      .mem_regions = 3,
					      .gpa_base = 5ull << 30 });
}

static void test_verify_mem_table(void **state)
{
	verify(state, (struct vufront_opts){ .mem_table = true, .mem_regions = 2 });
}

/* Packed rings of 32 entries: the two batches wrap them, so both wrap
 * counters turn. */
static void test_verify_packed_irq(void **state)
{
	verify(state, (struct vufront_opts){ .packed = true, .want_irq = true,
					      .queue_size = 32 });
}

static void test_verify_packed_poll_no_event_idx(void **state)
{
	verify(state, (struct vufront_opts){ .packed = true, .queue_size = 32,
					      .no_event_idx = true });
}

static void test_verify_packed_irq_no_event_idx(void **state)
{
	verify(state, (struct vufront_opts){ .packed = true, .want_irq = true,
					      .no_event_idx = true,
					      .queue_size = 32 });
}

static void test_verify_packed_indirect_regions(void **state)
{
	verify(state, (struct vufront_opts){ .packed = true, .want_irq = true,
					      .indirect = true,
					      .mem_regions = 3,
					      .gpa_base = 5ull << 30 });
}

/* Many single requests on a small packed ring: positions run around it
 * many times, each turn with chains of two and three descriptors (or
 * one, through an indirect table). */
static void packed_laps(void **state, bool indirect)
{
	struct vufront_opts o = { .packed = true, .queue_size = 16,
				  .max_inflight = 2, .max_io = 4096,
				  .want_irq = true, .indirect = indirect };
	struct vufront *f = open_dev(state, &o);
	struct vufront_queue *q = vufront_queue(f, 0);

	for (unsigned int i = 0; i < 100; i++) {
		uint32_t type = i % 3 == 0 ? VIRTIO_BLK_T_FLUSH :
				i % 3 == 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;

		if (type == VIRTIO_BLK_T_FLUSH &&
		    !(vufront_info(f)->features & (1ull << VIRTIO_BLK_F_FLUSH)))
			type = VIRTIO_BLK_T_GET_ID;
		if (type == VIRTIO_BLK_T_OUT)
			pattern(vufront_buf(q, i % 2), 4096, i);
		assert_int_equal(vufront_io(q, i % 2, type, i / 3 * 8,
					    type == VIRTIO_BLK_T_FLUSH ? 0 :
					    type == VIRTIO_BLK_T_GET_ID ?
					    VIRTIO_BLK_ID_BYTES : 4096,
					    TIMEOUT_NS), VIRTIO_BLK_S_OK);
		if (type == VIRTIO_BLK_T_IN) {
			uint8_t expect[4096];

			pattern(expect, sizeof(expect), i - 1);
			assert_memory_equal(vufront_buf(q, 1), expect, 4096);
		}
	}
	assert_int_equal(vufront_target_errors(q), 0);
	vufront_close(f);
}

static void test_packed_laps(void **state)
{
	packed_laps(state, false);
}

static void test_packed_laps_indirect(void **state)
{
	packed_laps(state, true);
}

/* Completions taken only on calls, calls re-enabled after each batch:
 * a target that leaves one completion uncalled stalls this loop (the
 * wait times out) as it would stall a guest. */
static void irq_rounds(void **state, struct vufront_opts o)
{
	struct vufront_completion c[SLOTS];
	struct vufront *f;
	struct vufront_queue *q;

	o.queue_size = 16;
	o.max_inflight = 4;
	o.max_io = 4096;
	o.want_irq = true;
	f = open_dev(state, &o);
	q = vufront_queue(f, 0);
	for (unsigned int round = 0; round < 50; round++) {
		unsigned int n = 1 + round % 4, got = 0;
		uint64_t deadline = clock_now_ns() + TIMEOUT_NS;

		for (unsigned int s = 0; s < n; s++)
			vufront_submit(q, s, round % 2 ? VIRTIO_BLK_T_IN :
				       VIRTIO_BLK_T_OUT, (round * 4 + s) * 8, 4096);
		vufront_kick(q);
		while (got < n) {
			int ret = vufront_reap_irq(q, c, SLOTS);

			if (ret < 0)
				fail_msg("reap: %s", vufront_last_error(q));
			for (int i = 0; i < ret; i++)
				assert_int_equal(c[i].status, VIRTIO_BLK_S_OK);
			got += (unsigned int)ret;
			if (clock_now_ns() > deadline)
				fail_msg("round %u: %u of %u completions, %s",
					 round, got, n, vufront_used_pending(q) ?
					 "the others uncalled" : "the others "
					 "never came");
			if (got < n) {
				struct pollfd p = { vufront_call_fd(q), POLLIN, 0 };

				poll(&p, 1, 100);
			}
		}
		assert_false(vufront_used_pending(q));
		/* Every request made available came back used. */
		if (!o.packed)
			assert_int_equal(vufront_used_idx(q),
					 (uint16_t)vufront_ring_state(q));
		else
			assert_int_equal(vufront_ring_state(q) >> 16,
					 vufront_ring_state(q) & 0xffff);
	}
	assert_int_equal(vufront_target_errors(q), 0);
	vufront_close(f);
}

static void test_irq_split(void **state)
{
	irq_rounds(state, (struct vufront_opts){ 0 });
	irq_rounds(state, (struct vufront_opts){ .no_event_idx = true });
}

static void test_irq_packed(void **state)
{
	irq_rounds(state, (struct vufront_opts){ .packed = true });
	irq_rounds(state, (struct vufront_opts){ .packed = true,
						 .no_event_idx = true });
}

static void test_flush_get_id(void **state)
{
	struct vufront_opts o = { .max_inflight = 2, .max_io = 4096, .want_irq = true };
	struct vufront *f = open_dev(state, &o);
	struct vufront_queue *q = vufront_queue(f, 0);

	if (vufront_info(f)->features & (1ull << VIRTIO_BLK_F_FLUSH))
		assert_int_equal(vufront_io(q, 0, VIRTIO_BLK_T_FLUSH, 0, 0,
					    TIMEOUT_NS), VIRTIO_BLK_S_OK);
	assert_int_equal(vufront_io(q, 1, VIRTIO_BLK_T_GET_ID, 0,
				    VIRTIO_BLK_ID_BYTES, TIMEOUT_NS),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(vufront_target_errors(q), 0);
	vufront_close(f);
}

/* Waits for slot's completion (the only request in flight); its status. */
static int wait_slot(struct vufront_queue *q, unsigned int slot)
{
	uint64_t deadline = clock_now_ns() + TIMEOUT_NS;
	struct vufront_completion c;
	int n;

	while ((n = vufront_reap(q, &c, 1)) == 0 && clock_now_ns() < deadline)
		vufront_wait(q, NSEC_PER_MSEC);
	if (n < 0)
		fail_msg("%s", vufront_last_error(q));
	assert_int_equal(n, 1);
	assert_int_equal(c.slot, slot);
	return c.status;
}

static void test_write_zeroes_discard(void **state)
{
	struct vufront_opts o = { .max_inflight = 2, .max_io = 4096 };
	struct vufront *f = open_dev(state, &o);
	struct vufront_queue *q = vufront_queue(f, 0);
	uint64_t feat = vufront_info(f)->features;
	uint8_t zero[4096] = { 0 };

	if (feat & (1ull << VIRTIO_BLK_F_WRITE_ZEROES)) {
		pattern(vufront_buf(q, 0), 4096, 77);
		assert_int_equal(vufront_io(q, 0, VIRTIO_BLK_T_OUT, 64, 4096,
					    TIMEOUT_NS), 0);
		vufront_submit_range(q, 1, VIRTIO_BLK_T_WRITE_ZEROES, 64, 8, 0);
		vufront_kick(q);
		assert_int_equal(wait_slot(q, 1), VIRTIO_BLK_S_OK);
		assert_int_equal(vufront_io(q, 0, VIRTIO_BLK_T_IN, 64, 4096,
					    TIMEOUT_NS), 0);
		assert_memory_equal(vufront_buf(q, 0), zero, 4096);
	}
	if (feat & (1ull << VIRTIO_BLK_F_DISCARD)) {
		vufront_submit_range(q, 1, VIRTIO_BLK_T_DISCARD, 128, 8, 0);
		vufront_kick(q);
		assert_int_equal(wait_slot(q, 1), VIRTIO_BLK_S_OK);
	}
	assert_int_equal(vufront_target_errors(q), 0);
	vufront_close(f);
}

/* A target must refuse, not crash or succeed: unknown request types and
 * reads past the end get an error status. */
static void test_error_statuses(void **state)
{
	struct vufront_opts o = { .max_inflight = 1, .max_io = 4096 };
	struct vufront *f = open_dev(state, &o);
	struct vufront_queue *q = vufront_queue(f, 0);

	assert_int_equal(vufront_io(q, 0, 0x55, 0, 512, TIMEOUT_NS),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(vufront_io(q, 0, VIRTIO_BLK_T_IN, DISK_BYTES / 512,
				    4096, TIMEOUT_NS), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vufront_target_errors(q), 0);
	vufront_close(f);
}

/* Raw access reaches the target: a chain written by hand into the raw
 * descriptor area completes and is returned by vufront_raw_reap, and a
 * well-formed raw message (GET_FEATURES) gets its reply. */
static void test_raw_access(void **state)
{
	struct vufront_opts o = { .max_inflight = 1, .max_io = 4096, .want_irq = true };
	struct vufront *f = open_dev(state, &o);
	struct vufront_queue *q = vufront_queue(f, 0);
	struct vring_desc *d = vufront_desc(q);
	unsigned int h = vufront_raw_first(q);
	uint8_t *scratch = vufront_scratch(q, NULL);
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN, .sector = 8 };
	struct vring_used_elem e;
	struct vhost_user_msg m;
	uint64_t deadline = clock_now_ns() + TIMEOUT_NS;
	int n;

	memcpy(scratch, &hdr, sizeof(hdr));
	scratch[100] = 0xff;
	d[h] = (struct vring_desc){ vufront_gpa(f, scratch), 16, VRING_DESC_F_NEXT, (uint16_t)(h + 1) };
	d[h + 1] = (struct vring_desc){ vufront_gpa(f, scratch + 512), 512,
					VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)(h + 2) };
	d[h + 2] = (struct vring_desc){ vufront_gpa(f, scratch + 100), 1, VRING_DESC_F_WRITE, 0 };
	vufront_raw_avail(q, (uint16_t)h);
	vufront_kick_force(q);
	while ((n = vufront_raw_reap(q, &e, 1)) == 0 && clock_now_ns() < deadline)
		vufront_wait(q, NSEC_PER_MSEC);
	assert_int_equal(n, 1);
	assert_int_equal(e.id, h);
	assert_int_equal(scratch[100], VIRTIO_BLK_S_OK);
	assert_int_equal(vufront_target_errors(q), 0);

	assert_int_equal(vufront_send_msg(f, VHOST_USER_GET_FEATURES, 0, NULL, 0,
					  NULL, 0), 0);
	assert_int_equal(vufront_recv_msg(f, &m, 2000), 8);
	assert_int_equal(m.hdr.request, VHOST_USER_GET_FEATURES);
	assert_true(m.payload.u64 & (1ull << VIRTIO_F_VERSION_1));
	vufront_close(f);
}

/* Hostile descriptors through the raw API: a chain that loops, one that
 * points outside guest memory and one whose length wraps. The target may
 * fail them or drop the connection, but must neither crash nor hang: a
 * fresh connection afterwards reads and writes correctly. */
static void test_hostile_ring_survived(void **state)
{
	struct vufront_opts o = { .max_inflight = 1, .max_io = 4096, .want_irq = true };
	struct vufront *f = open_dev(state, &o);
	struct vufront_queue *q = vufront_queue(f, 0);
	struct vring_desc *d = vufront_desc(q);
	uint16_t h = (uint16_t)vufront_raw_first(q);
	uint8_t *scratch = vufront_scratch(q, NULL);
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN };
	uint64_t far = vufront_gpa(f, scratch) + (1ull << 40);

	memcpy(scratch, &hdr, sizeof(hdr));
	/* 1: header -> data -> back to header, forever. */
	d[h] = (struct vring_desc){ vufront_gpa(f, scratch), 16, VRING_DESC_F_NEXT, (uint16_t)(h + 1) };
	d[h + 1] = (struct vring_desc){ vufront_gpa(f, scratch + 512), 512,
					VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, h };
	/* 2: a data buffer a terabyte past guest memory. */
	d[h + 2] = (struct vring_desc){ vufront_gpa(f, scratch), 16, VRING_DESC_F_NEXT, (uint16_t)(h + 3) };
	d[h + 3] = (struct vring_desc){ far, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
					(uint16_t)(h + 4) };
	d[h + 4] = (struct vring_desc){ vufront_gpa(f, scratch + 100), 1, VRING_DESC_F_WRITE, 0 };
	/* 3: a length that wraps the address space. */
	d[h + 5] = (struct vring_desc){ vufront_gpa(f, scratch), 16, VRING_DESC_F_NEXT, (uint16_t)(h + 6) };
	d[h + 6] = (struct vring_desc){ vufront_gpa(f, scratch + 512), 0xffffffffu,
					VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)(h + 4) };
	vufront_raw_avail(q, h);
	vufront_raw_avail(q, (uint16_t)(h + 2));
	vufront_raw_avail(q, (uint16_t)(h + 5));
	vufront_kick_force(q);
	usleep(100000);
	vufront_close(f);
	test_verify_irq(state);
}

/* ---- a target that answers wrongly ---- */

static pid_t spawn_bad(const char *sock, const char *mode)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(bad_target_path, bad_target_path, sock, mode, "100", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(sock, F_OK); i++)
		usleep(10000);
	return pid;
}

/* Runs single reads until the frontend objects; returns the error text,
 * or NULL when 300 requests went through. */
static const char *run_against(const char *mode, char *msg, size_t len)
{
	char sock[64] = "/tmp/vufront-bad-XXXXXX", err[512];
	struct vufront_opts o = { .max_inflight = 1, .max_io = 4096, .want_irq = true };
	struct vufront *f;
	const char *ret = NULL;
	pid_t pid;

	assert_non_null(mkdtemp(sock));
	strcat(sock, "/s");
	pid = spawn_bad(sock, mode);
	if (vufront_connect(sock, &o, &f, err, sizeof(err)))
		fail_msg("connect to bad_target: %s", err);
	for (int i = 0; i < 300 && !ret; i++) {
		int st = vufront_io(vufront_queue(f, 0), 0, VIRTIO_BLK_T_IN,
				    (uint64_t)i * 8, 4096, TIMEOUT_NS);

		if (st == -EPROTO) {
			snprintf(msg, len, "%s", vufront_last_error(vufront_queue(f, 0)));
			ret = msg;
		} else {
			assert_int_equal(st, VIRTIO_BLK_S_OK);
		}
	}
	vufront_close(f);
	if (pid > 0)
		kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sock);
	*strrchr(sock, '/') = '\0';
	rmdir(sock);
	return ret;
}

static void expect_caught(const char *mode, const char *words)
{
	char msg[256];
	const char *got = run_against(mode, msg, sizeof(msg));

	if (!got)
		fail_msg("mode %s: 300 requests and no error detected", mode);
	if (!strstr(got, words))
		fail_msg("mode %s: expected '%s' in '%s'", mode, words, got);
}

static void test_bad_ok(void **state)
{
	char msg[256];

	assert_null(run_against("ok", msg, sizeof(msg)));
}

static void test_bad_len(void **state)
{
	expect_caught("len", "bad used length");
}

static void test_bad_id(void **state)
{
	expect_caught("id", "unknown or duplicate id");
}

/* A duplicate that lands after the slot was reused is indistinguishable
 * from that new request's completion, except that its status byte is
 * still unwritten: either message is right. */
static void test_bad_dup(void **state)
{
	char msg[256];
	const char *got = run_against("dup", msg, sizeof(msg));

	assert_non_null(got);
	if (!strstr(got, "unknown or duplicate id") &&
	    !strstr(got, "without writing its status"))
		fail_msg("mode dup: unexpected message '%s'", got);
}

static void test_bad_status(void **state)
{
	expect_caught("status", "without writing its status");
}

static void test_bad_idx(void **state)
{
	expect_caught("idx", "moved used->idx");
}

/* ---- packed rings answered wrongly: the test writes the used side ---- */

#define PACKED_USED ((1u << VRING_PACKED_DESC_F_AVAIL) | \
		     (1u << VRING_PACKED_DESC_F_USED))

/* A detached packed front-end with slot 0 (a 4K read: three ring
 * positions) and slot 1 (a flush: two) made available. */
static struct vufront *packed_two(void)
{
	struct vufront_opts o = { .packed = true, .queue_size = 16,
				  .max_inflight = 2, .max_io = 4096,
				  .want_irq = true };
	struct vufront *f;
	char err[256];

	assert_int_equal(vufront_detached(&o, false, &f, err, sizeof(err)), 0);
	vufront_submit(vufront_queue(f, 0), 0, VIRTIO_BLK_T_IN, 0, 4096);
	vufront_submit(vufront_queue(f, 0), 1, VIRTIO_BLK_T_FLUSH, 0, 0);
	return f;
}

/* Writes a used descriptor at pos as a device would (lap one). */
static void packed_use(struct vufront_queue *q, uint16_t pos, uint16_t id,
		       uint32_t len)
{
	struct vring_packed_desc *d = (struct vring_packed_desc *)vufront_desc(q);

	d[pos].id = id;
	d[pos].len = len;
	__atomic_store_n(&d[pos].flags, PACKED_USED, __ATOMIC_RELEASE);
}

static void expect_packed_error(struct vufront *f, const char *words)
{
	struct vufront_queue *q = vufront_queue(f, 0);
	struct vufront_completion c[2];
	int n;

	while ((n = vufront_reap(q, c, 2)) > 0)
		;
	assert_int_equal(n, -EPROTO);
	assert_int_equal(vufront_target_errors(q), 1);
	if (!strstr(vufront_last_error(q), words))
		fail_msg("'%s' does not say '%s'", vufront_last_error(q), words);
	vufront_close(f);
}

static void test_packed_good(void **state)
{
	struct vufront *f = packed_two();
	struct vufront_queue *q = vufront_queue(f, 0);
	uint8_t *meta = vufront_meta(q);
	struct vufront_completion c[2];

	(void)state;
	/* Out of order: the flush first, at the ring's first position. */
	meta[256 + 16] = VIRTIO_BLK_S_OK;
	packed_use(q, 0, 1, 1);
	meta[16] = VIRTIO_BLK_S_OK;
	packed_use(q, 2, 0, 4097);
	assert_int_equal(vufront_reap(q, c, 2), 2);
	assert_int_equal(c[0].slot, 1);
	assert_int_equal(c[1].slot, 0);
	assert_int_equal(c[1].used_len, 4097);
	assert_false(vufront_used_pending(q));
	assert_int_equal(vufront_ring_state(q), 0x80058005u);
	vufront_close(f);
}

static void test_packed_bad_id(void **state)
{
	struct vufront *f = packed_two();

	(void)state;
	packed_use(vufront_queue(f, 0), 0, 7, 1);
	expect_packed_error(f, "unknown or duplicate id");
}

static void test_packed_bad_dup(void **state)
{
	struct vufront *f = packed_two();
	struct vufront_queue *q = vufront_queue(f, 0);

	(void)state;
	((uint8_t *)vufront_meta(q))[256 + 16] = VIRTIO_BLK_S_OK;
	packed_use(q, 0, 1, 1);
	packed_use(q, 2, 1, 1);
	expect_packed_error(f, "unknown or duplicate id");
}

static void test_packed_bad_len(void **state)
{
	struct vufront *f = packed_two();
	struct vufront_queue *q = vufront_queue(f, 0);

	(void)state;
	((uint8_t *)vufront_meta(q))[16] = VIRTIO_BLK_S_OK;
	packed_use(q, 0, 0, 4098);
	expect_packed_error(f, "bad used length");
}

static void test_packed_bad_status(void **state)
{
	struct vufront *f = packed_two();

	(void)state;
	packed_use(vufront_queue(f, 0), 0, 0, 4097);
	expect_packed_error(f, "without writing its status byte");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_verify_irq),
		cmocka_unit_test(test_verify_poll_no_event_idx),
		cmocka_unit_test(test_verify_indirect_regions),
		cmocka_unit_test(test_verify_mem_table),
		cmocka_unit_test(test_verify_packed_irq),
		cmocka_unit_test(test_verify_packed_poll_no_event_idx),
		cmocka_unit_test(test_verify_packed_irq_no_event_idx),
		cmocka_unit_test(test_verify_packed_indirect_regions),
		cmocka_unit_test(test_packed_laps),
		cmocka_unit_test(test_packed_laps_indirect),
		cmocka_unit_test(test_irq_split),
		cmocka_unit_test(test_irq_packed),
		cmocka_unit_test(test_flush_get_id),
		cmocka_unit_test(test_write_zeroes_discard),
		cmocka_unit_test(test_error_statuses),
		cmocka_unit_test(test_raw_access),
		cmocka_unit_test(test_hostile_ring_survived),
	};
	const struct CMUnitTest bad[] = {
		cmocka_unit_test(test_bad_ok),
		cmocka_unit_test(test_bad_len),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_bad_dup),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_bad_idx),
	};
	/* bad_target has split rings only: packed answers are written by
	 * the test into a detached front-end's ring. */
	const struct CMUnitTest packed[] = {
		cmocka_unit_test(test_packed_good),
		cmocka_unit_test(test_packed_bad_id),
		cmocka_unit_test(test_packed_bad_dup),
		cmocka_unit_test(test_packed_bad_len),
		cmocka_unit_test(test_packed_bad_status),
	};
	int fails = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: test_vufront BAD_TARGET\n");
		return 2;
	}
	bad_target_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	fails += cmocka_run_group_tests_name("vufront-vmiod", real, start_vmiod, stop);
	fails += cmocka_run_group_tests_name("vufront-qsd", real, start_qsd, stop);
	fails += cmocka_run_group_tests_name("vufront-bad-target", bad, NULL, NULL);
	fails += cmocka_run_group_tests_name("vufront-packed-answers", packed,
					     NULL, NULL);
	return fails ? 1 : 0;
}
