/* SPDX-License-Identifier: MIT */
/*
 * Live migration as the back-end sees it, driven by a front-end that
 * speaks vhost-user over vmiod's real sockets: QEMU's messages, in QEMU's
 * order, with the dirty log checked page by page.
 *
 * Two vmiods share one image file: the source serves disk d, the
 * destination serves it with incoming=on (opened without the image's
 * locks, which the source holds).
 *  - Logging: with a log set but VHOST_F_LOG_ALL off, nothing is marked;
 *    with it on, every page a read filled, the status bytes' page and the
 *    used ring's page are marked, and a written (device-read) buffer's
 *    pages are not; a new log (SET_LOG_BASE again) takes the marks from
 *    then on; off again, nothing more is marked.
 *  - Cancel: the source stops its ring while logging (the switch-over
 *    begins), so the image is released; the ring starts again (QEMU
 *    restarts the device when a migration fails) and I/O goes on, the
 *    image locked again.
 *  - Hostile logs: one larger than its file and one the front-end
 *    truncates under a running queue each cost the front-end its
 *    connection, and vmiod serves the next one.
 *  - A log replaced under I/O, over and over: each answer waits for the
 *    requests in flight, marked in the old log; old logs are unmapped.
 *  - Addresses re-sent under I/O: QEMU sends a running ring's addresses
 *    again (SET_VRING_ADDR, log flag on or off) when logging starts and
 *    ends; on a slow disk, with requests in flight at every moment of the
 *    message, each completes exactly once with its data.
 *  - Hand-over: the destination's guest cannot run while the source holds
 *    the image (its queue stays stopped); once the source stopped its last
 *    ring while logging, the destination's queue starts, reads what the
 *    source wrote and writes; the source can no longer take the image back.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "util/clock.h"
#include "vmiod_proc.h"
#include "vufront/vufront.h"

#define PAGE 4096u
#define IO_BYTES (4 * PAGE)
#define TIMEOUT_NS (5 * NSEC_PER_SEC)
#define STALL_NS (NSEC_PER_SEC / 2)

static char dir[64], img[128], src_sock[128], dst_sock[128];
static pid_t src_pid, dst_pid;
/* A test's slow vmiod, stopped by the group's teardown if the test
 * failed before it could. */
static pid_t slow_pid;

static pid_t spawn(const char *disk, const char *sock)
{
	const char *args[] = { "--disk", disk, NULL };
	const char *socks[] = { sock, NULL };

	return vmiod_spawn(args, socks);
}

static int group_setup(void **state)
{
	char disk[400];

	(void)state;
	if (scratch_make("dlog", dir, sizeof(dir)))
		return -1;
	snprintf(img, sizeof(img), "%s/d.img", dir);
	snprintf(src_sock, sizeof(src_sock), "%s/src.sock", dir);
	snprintf(dst_sock, sizeof(dst_sock), "%s/dst.sock", dir);
	snprintf(disk, sizeof(disk), "id=d,path=%s,size=16M,socket=%s", img,
		 src_sock);
	src_pid = spawn(disk, src_sock);
	snprintf(disk, sizeof(disk), "id=d,path=%s,socket=%s,incoming=on", img,
		 dst_sock);
	dst_pid = src_pid > 0 ? spawn(disk, dst_sock) : -1;
	return src_pid > 0 && dst_pid > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int a = vmiod_stop(src_pid), b = vmiod_stop(dst_pid);

	(void)state;
	if (slow_pid > 0)
		vmiod_stop(slow_pid);
	scratch_remove(dir);
	return a == 0 && b == 0 ? 0 : -1;
}

static struct vufront *connect_to(const char *sock)
{
	struct vufront_opts o = { .queues = 1, .queue_size = 64,
				  .max_inflight = 8, .max_io = 64 << 10 };
	struct vufront *f = NULL;
	char err[256] = "";

	if (vufront_connect(sock, &o, &f, err, sizeof(err)))
		fail_msg("connect %s: %s", sock, err);
	return f;
}

/* A round trip: everything sent before has been handled. */
static void sync_with(struct vufront *f)
{
	struct vhost_user_msg m;

	assert_int_equal(vufront_send_msg(f, VHOST_USER_GET_FEATURES, 0, NULL,
					  0, NULL, 0), 0);
	assert_true(vufront_recv_msg(f, &m, 5000) >= 0);
	assert_int_equal(m.hdr.request, VHOST_USER_GET_FEATURES);
}

static void set_log_all(struct vufront *f, bool on)
{
	uint64_t feat = vufront_info(f)->features;

	if (on)
		feat |= 1ull << VHOST_F_LOG_ALL;
	assert_int_equal(vufront_send_msg(f, VHOST_USER_SET_FEATURES, 0, &feat,
					  8, NULL, 0), 0);
	sync_with(f);
}

/* A memfd log of len bytes (sealed or not), sent with SET_LOG_BASE
 * claiming size bytes; the fd is returned, the reply not awaited. */
static int send_raw_log(struct vufront *f, size_t len, uint64_t size,
			bool sealed)
{
	struct { uint64_t size, offset; } l = { size, 0 };
	int fd = memfd_create("test-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	if (sealed)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(vufront_send_msg(f, VHOST_USER_SET_LOG_BASE, 0, &l,
					  sizeof(l), &fd, 1), 0);
	return fd;
}

/* A sealed memfd log covering guest memory, sent with SET_LOG_BASE (QEMU
 * waits for the answer). Returns the mapping. */
static uint8_t *send_log(struct vufront *f, size_t *len)
{
	struct vhost_user_msg m;
	uint8_t *bits;
	int fd;

	*len = (vufront_mem_size(f) / PAGE + 7) / 8;
	fd = send_raw_log(f, *len, *len, true);
	bits = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(bits != MAP_FAILED);
	close(fd);
	assert_true(vufront_recv_msg(f, &m, 5000) >= 0);
	assert_int_equal(m.hdr.request, VHOST_USER_SET_LOG_BASE);
	return bits;
}

static bool marked(struct vufront *f, const uint8_t *bits, const void *p)
{
	uint64_t page = vufront_gpa(f, p) / PAGE;

	return bits[page / 8] & (1u << (page % 8));
}

static unsigned int count_marked(const uint8_t *bits, size_t len)
{
	unsigned int n = 0;

	for (size_t i = 0; i < len; i++)
		n += (unsigned int)__builtin_popcount(bits[i]);
	return n;
}

static void io_ok(struct vufront_queue *q, unsigned int slot, uint32_t type,
		  uint64_t sector)
{
	assert_int_equal(vufront_io(q, slot, type, sector, IO_BYTES, TIMEOUT_NS),
			 VIRTIO_BLK_S_OK);
}

static void fill(struct vufront_queue *q, unsigned int slot, uint8_t seed)
{
	uint8_t *b = vufront_buf(q, slot);

	for (unsigned int i = 0; i < IO_BYTES; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static void check_filled(struct vufront_queue *q, unsigned int slot,
			 uint8_t seed)
{
	const uint8_t *b = vufront_buf(q, slot);

	for (unsigned int i = 0; i < IO_BYTES; i++)
		if (b[i] != (uint8_t)(seed + i * 7))
			fail_msg("byte %u is 0x%02x, not what was written", i, b[i]);
}

/* GET_VRING_BASE: the ring stops (its I/O drained) and says where. */
static uint32_t stop_ring(struct vufront *f)
{
	struct vhost_user_vring_state st = { .index = 0 };
	struct vhost_user_msg m;

	assert_int_equal(vufront_send_msg(f, VHOST_USER_GET_VRING_BASE, 0, &st,
					  sizeof(st), NULL, 0), 0);
	assert_true(vufront_recv_msg(f, &m, 5000) >= 0);
	assert_int_equal(m.hdr.request, VHOST_USER_GET_VRING_BASE);
	return m.payload.state.num;
}

/* SET_VRING_BASE and SET_VRING_KICK: QEMU's way to start the ring again. */
static void start_ring(struct vufront *f, uint32_t base)
{
	struct vhost_user_vring_state st = { .index = 0, .num = base };
	uint64_t idx = 0;
	int kick = vufront_kick_fd(vufront_queue(f, 0));

	assert_int_equal(vufront_send_msg(f, VHOST_USER_SET_VRING_BASE, 0, &st,
					  sizeof(st), NULL, 0), 0);
	assert_int_equal(vufront_send_msg(f, VHOST_USER_SET_VRING_KICK, 0, &idx,
					  8, &kick, 1), 0);
	sync_with(f);
}

static void logging(void **state)
{
	struct vufront *f = connect_to(src_sock);
	struct vufront_queue *q = vufront_queue(f, 0);
	uint8_t *bits, *bits2;
	size_t len, len2;

	(void)state;
	assert_true(vufront_info(f)->offered_features & (1ull << VHOST_F_LOG_ALL));
	assert_true(vufront_info(f)->offered_protocol_features &
		    (1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD));
	bits = send_log(f, &len);
	fill(q, 0, 1);
	io_ok(q, 0, VIRTIO_BLK_T_OUT, 0);
	io_ok(q, 1, VIRTIO_BLK_T_IN, 0);
	assert_int_equal(count_marked(bits, len), 0);

	set_log_all(f, true);
	fill(q, 3, 9);
	io_ok(q, 3, VIRTIO_BLK_T_OUT, 64);
	io_ok(q, 2, VIRTIO_BLK_T_IN, 0);
	for (unsigned int p = 0; p < IO_BYTES / PAGE; p++)
		assert_true(marked(f, bits, (uint8_t *)vufront_buf(q, 2) + p * PAGE));
	assert_true(marked(f, bits, vufront_used(q)));
	assert_true(marked(f, bits, vufront_meta(q)));
	for (unsigned int p = 0; p < IO_BYTES / PAGE; p++)
		assert_false(marked(f, bits, (uint8_t *)vufront_buf(q, 3) + p * PAGE));
	check_filled(q, 2, 1);

	/* A new log: the old one is no longer written. */
	memset(bits, 0, len);
	bits2 = send_log(f, &len2);
	io_ok(q, 4, VIRTIO_BLK_T_IN, 64);
	check_filled(q, 4, 9);
	for (unsigned int p = 0; p < IO_BYTES / PAGE; p++)
		assert_true(marked(f, bits2, (uint8_t *)vufront_buf(q, 4) + p * PAGE));
	assert_int_equal(count_marked(bits, len), 0);

	set_log_all(f, false);
	memset(bits2, 0, len2);
	io_ok(q, 5, VIRTIO_BLK_T_IN, 0);
	assert_int_equal(count_marked(bits2, len2), 0);
	munmap(bits, len);
	munmap(bits2, len2);
	vufront_close(f);
}

/* After the front-end was dropped, vmiod serves a new one. */
static void served_after(void)
{
	struct vufront *f = connect_to(src_sock);

	io_ok(vufront_queue(f, 0), 0, VIRTIO_BLK_T_IN, 0);
	vufront_close(f);
}

static void hostile_logs(void **state)
{
	struct vufront *f = connect_to(src_sock);
	struct vufront_queue *q;
	size_t len = (vufront_mem_size(f) / PAGE + 7) / 8;
	struct vhost_user_msg m;
	int fd;

	(void)state;
	/* Larger than the file behind it. */
	close(send_raw_log(f, len, len + (1 << 20), true));
	assert_true(vufront_peer_closed(f, 5000));
	vufront_close(f);
	served_after();

	/* Truncated under a running queue while logging. */
	f = connect_to(src_sock);
	q = vufront_queue(f, 0);
	fd = send_raw_log(f, len, len, false);
	assert_true(vufront_recv_msg(f, &m, 5000) >= 0);
	set_log_all(f, true);
	assert_int_equal(ftruncate(fd, 0), 0);
	close(fd);
	vufront_submit(q, 0, VIRTIO_BLK_T_IN, 0, IO_BYTES);
	vufront_kick_force(q);
	assert_true(vufront_peer_closed(f, 5000));
	vufront_close(f);
	served_after();

}

static void cancelled_migration(void **state)
{
	struct vufront *f = connect_to(src_sock);
	struct vufront_queue *q = vufront_queue(f, 0);
	uint8_t *bits;
	uint32_t base;
	size_t len;

	(void)state;
	bits = send_log(f, &len);
	set_log_all(f, true);
	fill(q, 0, 3);
	io_ok(q, 0, VIRTIO_BLK_T_OUT, 128);
	base = stop_ring(f);
	/* The migration failed: QEMU starts the device again here. */
	start_ring(f, base);
	set_log_all(f, false);
	io_ok(q, 1, VIRTIO_BLK_T_IN, 128);
	check_filled(q, 1, 3);
	munmap(bits, len);
	vufront_close(f);
}

/* A write of slot's buffer, filled from seed, to the slot's own 64 KiB. */
static void submit_write(struct vufront_queue *q, unsigned int slot,
			 uint8_t seed)
{
	fill(q, slot, seed);
	vufront_submit(q, slot, VIRTIO_BLK_T_OUT, slot * 128, IO_BYTES);
}

static void reap_all(struct vufront_queue *q, unsigned int want)
{
	struct vufront_completion c[16];
	uint64_t deadline = clock_now_ns() + TIMEOUT_NS;
	unsigned int got = 0;
	int n;

	while (got < want) {
		n = vufront_reap(q, c, 16);
		if (n < 0)
			fail_msg("%s", vufront_last_error(q));
		for (int i = 0; i < n; i++)
			assert_int_equal(c[i].status, VIRTIO_BLK_S_OK);
		got += (unsigned int)n;
		if (!n && clock_now_ns() > deadline)
			fail_msg("%u of %u requests never completed", want - got,
				 want);
		if (!n)
			usleep(100);
	}
	/* A request completed twice would show up now. */
	usleep(2000);
	n = vufront_reap(q, c, 16);
	if (n)
		fail_msg("%s", n < 0 ? vufront_last_error(q) :
			 "a request completed twice");
}

/* A vmiod of its own serving a 4 MiB disk whose every request takes
 * delay_us (requests are in flight whenever a message arrives), a
 * front-end on it and a log in place. */
struct slow_disk {
	char sock[128], img[128];
	pid_t pid;
	struct vufront *f;
	struct vufront_queue *q;
	uint8_t *bits; /* the log */
	size_t len;
};

static void slow_open(struct slow_disk *d, unsigned int delay_us)
{
	char disk[400];

	snprintf(d->sock, sizeof(d->sock), "%s/slow.sock", dir);
	snprintf(d->img, sizeof(d->img), "%s/slow.img", dir);
	snprintf(disk, sizeof(disk), "id=s,path=%s,size=4M,socket=%s,"
		 "delay-us=%u", d->img, d->sock, delay_us);
	d->pid = spawn(disk, d->sock);
	assert_true(d->pid > 0);
	slow_pid = d->pid;
	d->f = connect_to(d->sock);
	d->q = vufront_queue(d->f, 0);
	d->bits = send_log(d->f, &d->len);
}

static void slow_close(struct slow_disk *d)
{
	munmap(d->bits, d->len);
	vufront_close(d->f);
	slow_pid = 0;
	assert_int_equal(vmiod_stop(d->pid), 0);
	unlink(d->img);
}

/* Mappings of the test's logs in vmiod (its /proc maps name them). */
static unsigned int logs_mapped(pid_t pid)
{
	char path[64], line[512];
	unsigned int n = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps))
		n += strstr(line, "memfd:test-log") != NULL;
	fclose(maps);
	return n;
}

/*
 * QEMU replaces the log while the rings run (guest memory grew during a
 * migration) and, as soon as vmiod answers, reads the old log one last
 * time and frees it. A read completed after that answer but marked in
 * the old log would never be sent again: so the answer waits for the
 * requests in flight, each marked in the log it completed under, and
 * later ones are marked in the new log. Replaced over and over, the old
 * logs are unmapped, not piled up.
 */
static void log_replaced_under_io(void **state)
{
	const unsigned int slots = 8, rounds = 30;
	struct vufront_completion c[16];
	unsigned int late_rounds = 0;
	struct slow_disk d;
	struct vufront *f;
	struct vufront_queue *q;
	uint8_t *bits;
	bool done[16];
	int n;

	(void)state;
	slow_open(&d, 50000);
	f = d.f;
	q = d.q;
	set_log_all(f, true);
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int s = 0; s < slots; s++)
			vufront_submit(q, s, VIRTIO_BLK_T_IN, s * 8, IO_BYTES);
		vufront_kick(q);
		/* Taken by the reactor, and 5 to 25 ms into their 50. */
		usleep(5000 + (r % 3) * 10000);
		bits = send_log(f, &d.len);
		/* QEMU's last look at the old log, right after the answer:
		 * what completed by then must be marked there. */
		memset(done, 0, sizeof(done));
		n = vufront_reap(q, c, 16);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			assert_int_equal(c[i].status, VIRTIO_BLK_S_OK);
			done[c[i].slot] = true;
			if (!marked(f, d.bits, vufront_buf(q, c[i].slot)))
				fail_msg("round %u: the read into slot %u completed "
					 "before the answer but is not in the old "
					 "log", r, c[i].slot);
		}
		late_rounds += n < (int)slots;
		/* The rest (a reactor slow to take them) go in the new log. */
		reap_all(q, slots - (unsigned int)n);
		for (unsigned int s = 0; s < slots; s++)
			if (!done[s] && !marked(f, bits, vufront_buf(q, s)))
				fail_msg("round %u: the read into slot %u completed "
					 "after the answer but is not in the new log",
					 r, s);
		munmap(d.bits, d.len);
		d.bits = bits;
		assert_true(logs_mapped(d.pid) <= 2);
	}
	/* Reads the reactor had not taken yet may rightly still wait at the
	 * answer; reads in flight may not. On a loaded machine a few rounds
	 * may find the reactor slow to take them; every round did when the
	 * answer did not wait. */
	print_message("reads not yet taken at the answer in %u of %u rounds\n",
		      late_rounds, rounds);
	if (late_rounds > rounds / 3)
		fail_msg("in %u of %u rounds vmiod answered SET_LOG_BASE with "
			 "reads still in flight", late_rounds, rounds);
	io_ok(q, 0, VIRTIO_BLK_T_IN, 0);
	assert_true(marked(f, d.bits, vufront_buf(q, 0)));
	slow_close(&d);
}

static void addresses_resent_under_io(void **state)
{
	const unsigned int slots = 8, rounds = 24;
	struct slow_disk d;
	struct vufront *f;
	struct vufront_queue *q;

	(void)state;
	slow_open(&d, 1500);
	f = d.f;
	q = d.q;
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int s = 0; s < slots; s++)
			submit_write(q, s, (uint8_t)(r * slots + s));
		vufront_kick(q);
		/* Early in the delay, late in it, or after it. */
		usleep((r % 4) * 600);
		if (r % 2 == 0)
			set_log_all(f, r % 4 == 0);
		assert_int_equal(vufront_set_ring_log(q, r % 4 == 0), 0);
		reap_all(q, slots);
	}
	for (unsigned int s = 0; s < slots; s++) {
		memset(vufront_buf(q, s), 0, IO_BYTES);
		io_ok(q, s, VIRTIO_BLK_T_IN, s * 128);
		check_filled(q, s, (uint8_t)((rounds - 1) * slots + s));
	}
	slow_close(&d);
}

static void handover(void **state)
{
	struct vufront *src = connect_to(src_sock), *dst;
	struct vufront_queue *sq = vufront_queue(src, 0), *dq;
	struct vufront_completion c;
	uint64_t until;
	uint32_t src_base;
	uint8_t *bits;
	size_t len;
	int n = 0;

	(void)state;
	fill(sq, 0, 5);
	io_ok(sq, 0, VIRTIO_BLK_T_OUT, 256);

	/* The destination's guest starts too early: its queue stays stopped
	 * while the source holds the image (no request is served). */
	dst = connect_to(dst_sock);
	dq = vufront_queue(dst, 0);
	vufront_submit(dq, 0, VIRTIO_BLK_T_IN, 256, IO_BYTES);
	vufront_kick_force(dq);
	until = clock_now_ns() + STALL_NS;
	while (clock_now_ns() < until && n == 0)
		n = vufront_reap(dq, &c, 1);
	assert_int_equal(n, 0);

	/* The source's switch-over: logging on, the ring stopped. */
	bits = send_log(src, &len);
	set_log_all(src, true);
	src_base = stop_ring(src);

	/* QEMU starts the device on the destination: the request waiting
	 * there is served, with the source's data. */
	start_ring(dst, 0);
	vufront_kick_force(dq);
	until = clock_now_ns() + TIMEOUT_NS;
	while (clock_now_ns() < until && n == 0)
		n = vufront_reap(dq, &c, 1);
	assert_int_equal(n, 1);
	assert_int_equal(c.status, VIRTIO_BLK_S_OK);
	check_filled(dq, 0, 5);
	fill(dq, 1, 11);
	io_ok(dq, 1, VIRTIO_BLK_T_OUT, 512);

	/* The source cannot take the image back while the destination runs. */
	start_ring(src, src_base);
	vufront_submit(sq, 1, VIRTIO_BLK_T_IN, 512, IO_BYTES);
	vufront_kick_force(sq);
	until = clock_now_ns() + STALL_NS;
	n = 0;
	while (clock_now_ns() < until && n == 0)
		n = vufront_reap(sq, &c, 1);
	assert_int_equal(n, 0);
	munmap(bits, len);
	vufront_close(src);
	vufront_close(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(logging),
		cmocka_unit_test(cancelled_migration),
		cmocka_unit_test(hostile_logs),
		cmocka_unit_test(log_replaced_under_io),
		cmocka_unit_test(addresses_resent_under_io),
		cmocka_unit_test(handover),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
