/* SPDX-License-Identifier: MIT */
/*
 * vufront's virtio-scsi side over real sockets: against vmiod --scsi
 * (two request queues, three LUNs on files of different sizes, one of
 * them numbered 200) and against bad_target --scsi, which answers
 * wrongly on purpose.
 *
 *   test_vufront_scsi VMIOD BAD_TARGET
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/clock.h"
#include "vufront/vufront_scsi.h"

#define SLOTS 8
#define MAX_IO (64u << 10)
#define TIMEOUT_NS (5 * NSEC_PER_SEC)

static const char *vmiod_path, *bad_target_path;

/* The LUNs served, each on its own file. */
static const struct {
	uint16_t lun;
	uint64_t bytes;
} luns[] = { { 0, 64ull << 20 }, { 3, 32ull << 20 }, { 200, 16ull << 20 } };
#define NLUNS (sizeof(luns) / sizeof(luns[0]))

struct ctx {
	char dir[64], sock[96], log[96], img[NLUNS][96];
	pid_t pid;
};

static struct ctx ctx;

static bool accepts(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int start_vmiod(void **state)
{
	char arg[1024];
	int n, fd;

	(void)state;
	snprintf(ctx.dir, sizeof(ctx.dir), "/tmp/vufront-scsi-XXXXXX");
	if (!mkdtemp(ctx.dir))
		return -1;
	snprintf(ctx.sock, sizeof(ctx.sock), "%s/s.sock", ctx.dir);
	snprintf(ctx.log, sizeof(ctx.log), "%s/vmiod.log", ctx.dir);
	n = snprintf(arg, sizeof(arg), "id=t0,socket=%s,queues=2", ctx.sock);
	for (unsigned int i = 0; i < NLUNS; i++) {
		snprintf(ctx.img[i], sizeof(ctx.img[i]), "%s/lun%u.img", ctx.dir,
			 luns[i].lun);
		fd = open(ctx.img[i], O_RDWR | O_CREAT, 0644);
		if (fd < 0 || ftruncate(fd, (off_t)luns[i].bytes))
			return -1;
		close(fd);
		n += snprintf(arg + n, sizeof(arg) - (size_t)n, ",lun%u=%s",
			      luns[i].lun, ctx.img[i]);
	}
	ctx.pid = fork();
	if (ctx.pid == 0) {
		fd = open(ctx.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(vmiod_path, vmiod_path, "-q", "--scsi", arg, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !accepts(ctx.sock); i++) {
		if (waitpid(ctx.pid, NULL, WNOHANG) == ctx.pid) {
			fprintf(stderr, "vmiod --scsi %s exited; see %s\n", arg, ctx.log);
			return -1;
		}
		usleep(10000);
	}
	return 0;
}

static int stop_vmiod(void **state)
{
	char cmd[128];

	(void)state;
	if (ctx.pid > 0) /* never kill(0) or kill(-1): our group, everyone */
		kill(ctx.pid, SIGTERM);
	waitpid(ctx.pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", ctx.dir);
	return system(cmd) ? -1 : 0;
}

static struct vufront *open_lun_opts(uint16_t lun, struct vufront_opts o)
{
	struct vufront *f = NULL;
	char err[512];

	if (vufront_scsi_connect(ctx.sock, &o, lun, &f, err, sizeof(err)))
		fail_msg("connect to LUN %u: %s", lun, err);
	return f;
}

static struct vufront *open_lun(uint16_t lun, unsigned int queues)
{
	struct vufront_opts o = { .queues = queues, .max_inflight = SLOTS,
				  .max_io = MAX_IO, .want_irq = true };

	return open_lun_opts(lun, o);
}

static void pattern(uint8_t *p, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = (seed + i) * 0x9e3779b97f4a7c15ull ^ seed << 7;

		memcpy(p + i, &v, 8);
	}
}

/* Waits for count completions on q; each must be GOOD. */
static void collect(struct vufront_queue *q, unsigned int count)
{
	struct vufront_scsi_completion c[SLOTS];
	uint64_t deadline = clock_now_ns() + TIMEOUT_NS;
	unsigned int got = 0;

	while (got < count) {
		int n = vufront_scsi_reap(q, c, SLOTS);

		if (n < 0)
			fail_msg("reap: %s", vufront_last_error(q));
		for (int i = 0; i < n; i++)
			if (!vufront_scsi_good(&c[i]))
				fail_msg("slot %u: response %u status 0x%x key 0x%x "
					 "asc 0x%x", c[i].slot, c[i].response,
					 c[i].status, c[i].sense_key, c[i].asc);
		got += (unsigned int)n;
		assert_true(clock_now_ns() < deadline);
		if (!n)
			vufront_wait(q, NSEC_PER_MSEC);
	}
}

/* Writes SLOTS buffers of 4K..64K at once on queue qi of lun, reads them
 * back on the other queue, compares in memory and in the host file. */
static void verify_lun(struct vufront *f, unsigned int li, unsigned int qi)
{
	const struct vufront_info *in = vufront_info(f);
	struct vufront_queue *wq = vufront_scsi_queue(f, qi);
	struct vufront_queue *rq = vufront_scsi_queue(f, 1 - qi);
	uint32_t bs = in->blk_size;
	uint64_t base = (uint64_t)(qi + 1) * SLOTS * MAX_IO;
	uint8_t *expect = malloc(MAX_IO), *file = malloc(MAX_IO);
	int fd = open(ctx.img[li], O_RDONLY);

	assert_true(fd >= 0);
	for (unsigned int s = 0; s < SLOTS; s++) {
		uint32_t len = 4096u << (s % 5);
		uint64_t off = base + (uint64_t)s * MAX_IO;

		pattern(vufront_buf(wq, s), len, off + luns[li].lun);
		vufront_scsi_submit_rw(wq, s, luns[li].lun, true, off / bs,
				       len / bs, len);
	}
	vufront_kick(wq);
	collect(wq, SLOTS);
	for (unsigned int s = 0; s < SLOTS; s++) {
		uint32_t len = 4096u << (s % 5);
		uint64_t off = base + (uint64_t)s * MAX_IO;

		memset(vufront_buf(rq, s), 0x5a, len);
		vufront_scsi_submit_rw(rq, s, luns[li].lun, false, off / bs,
				       len / bs, len);
	}
	vufront_kick(rq);
	collect(rq, SLOTS);
	for (unsigned int s = 0; s < SLOTS; s++) {
		uint32_t len = 4096u << (s % 5);
		uint64_t off = base + (uint64_t)s * MAX_IO;

		pattern(expect, len, off + luns[li].lun);
		assert_memory_equal(vufront_buf(rq, s), expect, len);
		assert_int_equal(pread(fd, file, len, (off_t)off), (ssize_t)len);
		assert_memory_equal(file, expect, len);
	}
	assert_int_equal(vufront_target_errors(wq), 0);
	assert_int_equal(vufront_target_errors(rq), 0);
	close(fd);
	free(expect);
	free(file);
}

static void test_config_and_probe(void **state)
{
	struct vufront *f = open_lun(3, 2);
	const struct virtio_scsi_config *c = vufront_scsi_config(f);
	const struct vufront_info *in = vufront_info(f);
	struct vufront_scsi_lun l;
	char err[256];

	(void)state;
	assert_true(vufront_is_scsi(f));
	assert_int_equal(vufront_queues(f), 4); /* control, event, 2 requests */
	assert_non_null(vufront_scsi_queue(f, 1));
	assert_null(vufront_scsi_queue(f, 2));
	assert_int_equal(c->num_queues, 2);
	assert_int_equal(c->sense_size, 96);
	assert_int_equal(c->cdb_size, 32);
	assert_true(c->seg_max > 0);
	assert_true(in->features & (1ull << VIRTIO_SCSI_F_HOTPLUG));
	assert_false(in->features & (1ull << VIRTIO_SCSI_F_INOUT));
	/* 4K blocks where O_DIRECT works, 512 where it does not (tmpfs);
	 * LUN 3 is 32 MiB either way. */
	assert_true(in->blk_size == 4096 || in->blk_size == 512);
	assert_int_equal(in->capacity * 512, 32ull << 20);
	assert_int_equal(vufront_scsi_probe(f, 200, &l, err, sizeof(err)), 0);
	assert_int_equal(l.nblocks * l.block_size, 16ull << 20);
	assert_string_equal(l.vendor, "VMIO");
	assert_true(l.thin);
	/* A LUN nobody serves. */
	assert_int_equal(vufront_scsi_probe(f, 5, &l, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "LUN 5"));
	vufront_close(f);
}

/* Every LUN through one connection and both request queues. */
static void test_verify_luns_queues(void **state)
{
	struct vufront *f = open_lun(0, 2);

	(void)state;
	for (unsigned int i = 0; i < NLUNS; i++) {
		verify_lun(f, i, 0);
		verify_lun(f, i, 1);
	}
	vufront_close(f);
}

/* Indirect descriptors, no EVENT_IDX, guest memory in 3 regions. */
static void test_verify_indirect_regions(void **state)
{
	struct vufront_opts o = { .queues = 2, .max_inflight = SLOTS,
				  .max_io = MAX_IO, .want_irq = true,
				  .indirect = true, .no_event_idx = true,
				  .mem_regions = 3, .gpa_base = 1ull << 32 };
	struct vufront *f = open_lun_opts(3, o);

	(void)state;
	assert_true(vufront_info(f)->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	verify_lun(f, 1, 0);
	vufront_close(f);
}

/* Packed rings on every vring, small enough that a LUN's writes and
 * reads run around them, with and without EVENT_IDX and indirect. */
static void test_verify_packed(void **state)
{
	struct vufront_opts o = { .queues = 2, .max_inflight = SLOTS,
				  .max_io = MAX_IO, .want_irq = true,
				  .packed = true, .queue_size = 32 };
	struct vufront *f = open_lun_opts(0, o);

	(void)state;
	assert_true(vufront_info(f)->features & (1ull << VIRTIO_F_RING_PACKED));
	for (unsigned int i = 0; i < NLUNS; i++) {
		verify_lun(f, i, 0);
		verify_lun(f, i, 1);
	}
	vufront_close(f);
}

static void test_verify_packed_indirect_no_event_idx(void **state)
{
	struct vufront_opts o = { .queues = 2, .max_inflight = SLOTS,
				  .max_io = MAX_IO, .want_irq = true,
				  .packed = true, .queue_size = 32,
				  .indirect = true, .no_event_idx = true,
				  .mem_regions = 3, .gpa_base = 1ull << 32 };
	struct vufront *f = open_lun_opts(3, o);

	(void)state;
	for (unsigned int r = 0; r < 3; r++)
		verify_lun(f, 1, r % 2);
	vufront_close(f);
}

static void expect_lba_out_of_range(struct vufront_queue *q, uint16_t lun,
				    uint64_t lba, uint32_t nblocks, uint32_t bs)
{
	struct vufront_scsi_completion c;
	uint8_t cdb[16] = { 0x88 };

	for (int i = 0; i < 8; i++)
		cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		cdb[10 + i] = (uint8_t)(nblocks >> (24 - 8 * i));
	assert_int_equal(vufront_scsi_cmd(q, 0, lun, cdb, sizeof(cdb),
					  VUFRONT_SCSI_FROM_DEV, nblocks * bs,
					  TIMEOUT_NS, &c), 0);
	assert_false(vufront_scsi_good(&c));
	assert_int_equal(c.response, VIRTIO_SCSI_S_OK);
	assert_int_equal(c.status, VUFRONT_SCSI_CHECK_CONDITION);
	assert_int_equal(c.sense_key, VUFRONT_SCSI_KEY_ILLEGAL_REQUEST);
	assert_int_equal(c.asc, VUFRONT_SCSI_ASC_LBA_OUT_OF_RANGE);
	assert_true(c.sense_len >= 14);
}

static void test_read_past_capacity(void **state)
{
	struct vufront *f = open_lun(0, 1);
	struct vufront_queue *q = vufront_scsi_queue(f, 0);
	uint32_t bs = vufront_info(f)->blk_size;
	uint64_t nblocks = vufront_info(f)->capacity * 512 / bs;

	(void)state;
	expect_lba_out_of_range(q, 0, nblocks, 1, bs);     /* just past */
	expect_lba_out_of_range(q, 0, nblocks - 1, 2, bs); /* straddling */
	expect_lba_out_of_range(q, 0, ~0ull - 1, 4, bs);   /* wrapping */
	/* The last block itself is fine, and the queue still works. */
	vufront_scsi_submit_rw(q, 1, 0, false, nblocks - 1, 1, bs);
	vufront_kick(q);
	collect(q, 1);
	assert_int_equal(vufront_target_errors(q), 0);
	vufront_close(f);
}

static uint64_t allocated(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* SYNCHRONIZE CACHE succeeds; UNMAP gives the blocks back to the host
 * file system and they read as zeroes. */
static void test_sync_unmap(void **state)
{
	struct vufront *f = open_lun(3, 1);
	struct vufront_queue *q = vufront_scsi_queue(f, 0);
	uint32_t bs = vufront_info(f)->blk_size;
	uint8_t zero[MAX_IO] = { 0 };
	uint64_t before;

	(void)state;
	for (unsigned int s = 0; s < SLOTS; s++) {
		pattern(vufront_buf(q, s), MAX_IO, s);
		vufront_scsi_submit_rw(q, s, 3, true, (uint64_t)s * MAX_IO / bs,
				       MAX_IO / bs, MAX_IO);
	}
	vufront_kick(q);
	collect(q, SLOTS);
	vufront_scsi_submit_sync(q, 0, 3);
	vufront_kick(q);
	collect(q, 1);
	before = allocated(ctx.img[1]);
	assert_true(before >= SLOTS * MAX_IO);
	vufront_scsi_submit_unmap(q, 0, 3, 0, SLOTS * MAX_IO / bs);
	vufront_kick(q);
	collect(q, 1);
	assert_true(allocated(ctx.img[1]) + SLOTS * MAX_IO <= before);
	vufront_scsi_submit_rw(q, 0, 3, false, 0, MAX_IO / bs, MAX_IO);
	vufront_kick(q);
	collect(q, 1);
	assert_memory_equal(vufront_buf(q, 0), zero, MAX_IO);
	vufront_close(f);
}

/* ---- a target that answers wrongly ---- */

static pid_t spawn_bad(const char *sock, const char *mode)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(bad_target_path, bad_target_path, "--scsi", sock, mode, "100",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(sock, F_OK); i++)
		usleep(10000);
	return pid;
}

/* Runs single reads until the frontend objects; returns the error text,
 * or NULL when 300 requests went through GOOD. */
static const char *run_against(const char *mode, char *msg, size_t len)
{
	char sock[64] = "/tmp/vufront-bad-XXXXXX", err[512];
	struct vufront_opts o = { .max_inflight = 1, .max_io = 4096, .want_irq = true };
	struct vufront_scsi_completion c;
	struct vufront_queue *q;
	struct vufront *f;
	const char *ret = NULL;
	pid_t pid;

	assert_non_null(mkdtemp(sock));
	strcat(sock, "/s");
	pid = spawn_bad(sock, mode);
	if (vufront_scsi_connect(sock, &o, 0, &f, err, sizeof(err)))
		fail_msg("connect to bad_target --scsi %s: %s", mode, err);
	assert_int_equal(vufront_info(f)->blk_size, 512);
	q = vufront_scsi_queue(f, 0);
	for (int i = 0; i < 300 && !ret; i++) {
		uint8_t cdb[16] = { 0x88, [9] = (uint8_t)i, [13] = 8 };
		int st = vufront_scsi_cmd(q, 0, 0, cdb, sizeof(cdb),
					  VUFRONT_SCSI_FROM_DEV, 4096, TIMEOUT_NS, &c);

		if (st == -EPROTO) {
			snprintf(msg, len, "%s", vufront_last_error(q));
			ret = msg;
		} else {
			assert_int_equal(st, 0);
			assert_true(vufront_scsi_good(&c));
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

	(void)state;
	assert_null(run_against("ok", msg, sizeof(msg)));
}

static void test_bad_len(void **state)
{
	(void)state;
	expect_caught("len", "bad used length");
}

static void test_bad_id(void **state)
{
	(void)state;
	expect_caught("id", "unknown or duplicate id");
}

static void test_bad_dup(void **state)
{
	char msg[256];
	const char *got = run_against("dup", msg, sizeof(msg));

	(void)state;
	assert_non_null(got);
	if (!strstr(got, "unknown or duplicate id") &&
	    !strstr(got, "without writing its response"))
		fail_msg("mode dup: unexpected message '%s'", got);
}

static void test_bad_response_unwritten(void **state)
{
	(void)state;
	expect_caught("status", "without writing its response");
}

static void test_bad_response_code(void **state)
{
	(void)state;
	expect_caught("response", "does not define");
}

static void test_bad_sense_len(void **state)
{
	(void)state;
	expect_caught("sense", "bad sense length");
}

static void test_bad_resid(void **state)
{
	(void)state;
	expect_caught("resid", "bad residual");
}

static void test_bad_idx(void **state)
{
	(void)state;
	expect_caught("idx", "moved used->idx");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_config_and_probe),
		cmocka_unit_test(test_verify_luns_queues),
		cmocka_unit_test(test_verify_indirect_regions),
		cmocka_unit_test(test_verify_packed),
		cmocka_unit_test(test_verify_packed_indirect_no_event_idx),
		cmocka_unit_test(test_read_past_capacity),
		cmocka_unit_test(test_sync_unmap),
	};
	const struct CMUnitTest bad[] = {
		cmocka_unit_test(test_bad_ok),
		cmocka_unit_test(test_bad_len),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_bad_dup),
		cmocka_unit_test(test_bad_response_unwritten),
		cmocka_unit_test(test_bad_response_code),
		cmocka_unit_test(test_bad_sense_len),
		cmocka_unit_test(test_bad_resid),
		cmocka_unit_test(test_bad_idx),
	};
	int fails = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: test_vufront_scsi VMIOD BAD_TARGET\n");
		return 2;
	}
	vmiod_path = argv[1];
	bad_target_path = argv[2];
	signal(SIGPIPE, SIG_IGN);
	fails += cmocka_run_group_tests_name("vufront-scsi-vmiod", real,
					     start_vmiod, stop_vmiod);
	fails += cmocka_run_group_tests_name("vufront-scsi-bad-target", bad,
					     NULL, NULL);
	return fails ? 1 : 0;
}
