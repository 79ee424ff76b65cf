/* SPDX-License-Identifier: MIT */
/*
 * A guest's I/O on a vmiod disk, over its real vhost-user socket (vufront,
 * virtio-blk or, with --scsi LUN, virtio-scsi), for the RBD tests: each
 * command runs in order on one connection and says what it saw.
 *
 *   rbd_io [--scsi LUN] SOCK CMD [CMD...]
 *   rbd_io --file FILE read OFF LEN SEED [...]   checks a file (an image
 *                                                 `rbd export` wrote)
 *     write OFF LEN SEED   writes a pattern (SEED, byte offset) at OFF
 *     read OFF LEN SEED    reads and checks it (SEED 0: zeroes)
 *     discard OFF LEN      DISCARD (scsi: UNMAP)
 *     zeroes OFF LEN       WRITE_ZEROES (scsi: UNMAP, which reads as zeroes)
 *     flush
 *     capacity             prints "capacity BYTES"
 *     load SECONDS QD      4K writes at QD over the first 64 MiB for
 *                          SECONDS; prints "load ok N errors M
 *                          first_error_s T stuck K" and stops early
 *                          once errors kept coming for 2 s
 * OFF and LEN in bytes (K, M suffixes), multiples of 4096. Exits 1 at the
 * first check that fails, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vufront/vufront.h"
#include "vufront/vufront_scsi.h"

#define TIMEOUT_NS (120ull * 1000000000ull)
#define MAX_IO (1u << 20)

static struct vufront *f;
static struct vufront_queue *q;
static int scsi_lun = -1;
static int file_fd = -1;      /* --file: check this file instead */
static uint8_t file_buf[MAX_IO];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'G' || *end == 'g')
		v <<= 30;
	else if (*end) {
		fprintf(stderr, "rbd_io: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static uint8_t pattern(unsigned int seed, uint64_t byte)
{
	uint64_t x = (byte / 8 + 1) * 0x9e3779b97f4a7c15ull ^ seed * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 31;
	return seed ? (uint8_t)(x >> (8 * (byte % 8))) : 0;
}

/* One request on slot 0; returns true when it succeeded. */
static bool blk_req(uint32_t type, uint64_t off, uint32_t len)
{
	int st = vufront_io(q, 0, type, off / 512, len, TIMEOUT_NS);

	if (st < 0) {
		fprintf(stderr, "rbd_io: request failed: %s (%s)\n", strerror(-st),
			vufront_last_error(q));
		exit(1);
	}
	return st == VIRTIO_BLK_S_OK;
}

static bool scsi_req(uint32_t type, uint64_t off, uint32_t len)
{
	struct vufront_scsi_completion c;
	uint32_t bs = vufront_info(f)->blk_size;
	int ret;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		vufront_scsi_submit_rw(q, 0, (uint16_t)scsi_lun,
				       type == VIRTIO_BLK_T_OUT, off / bs, len / bs,
				       len);
		break;
	case VIRTIO_BLK_T_FLUSH:
		vufront_scsi_submit_sync(q, 0, (uint16_t)scsi_lun);
		break;
	default:
		vufront_scsi_submit_unmap(q, 0, (uint16_t)scsi_lun, off / bs,
					  len / bs);
	}
	vufront_kick(q);
	for (double end = now_s() + 120;;) {
		ret = vufront_scsi_reap(q, &c, 1);
		if (ret < 0) {
			fprintf(stderr, "rbd_io: %s\n", vufront_last_error(q));
			exit(1);
		}
		if (ret == 1)
			return vufront_scsi_good(&c);
		if (now_s() > end) {
			fprintf(stderr, "rbd_io: a scsi command timed out\n");
			exit(1);
		}
		vufront_wait(q, 100000000);
	}
}

static bool req(uint32_t type, uint64_t off, uint32_t len)
{
	return scsi_lun >= 0 ? scsi_req(type, off, len) : blk_req(type, off, len);
}

static void check(bool ok, const char *what, uint64_t off)
{
	if (!ok) {
		fprintf(stderr, "rbd_io: %s at byte %llu failed\n", what,
			(unsigned long long)off);
		exit(1);
	}
}

static void do_rw(bool write, uint64_t off, uint64_t len, unsigned int seed)
{
	uint8_t *buf = file_fd >= 0 ? file_buf : vufront_buf(q, 0);

	for (uint64_t done = 0; done < len;) {
		uint32_t n = len - done > MAX_IO ? MAX_IO : (uint32_t)(len - done);
		uint64_t at = off + done;

		if (write) {
			for (uint32_t i = 0; i < n; i++)
				buf[i] = pattern(seed, at + i);
			check(req(VIRTIO_BLK_T_OUT, at, n), "write", at);
		} else if (file_fd >= 0) {
			check(pread(file_fd, buf, n, (off_t)at) == (ssize_t)n,
			      "reading the file", at);
		} else {
			memset(buf, 0xee, n);
			check(req(VIRTIO_BLK_T_IN, at, n), "read", at);
			for (uint32_t i = 0; i < n; i++)
				if (buf[i] != pattern(seed, at + i)) {
					fprintf(stderr, "rbd_io: byte %llu is 0x%02x, "
						"expected 0x%02x\n",
						(unsigned long long)(at + i), buf[i],
						pattern(seed, at + i));
					exit(1);
				}
		}
		done += n;
	}
	printf("%s %llu %llu ok\n", write ? "write" : "read",
	       (unsigned long long)off, (unsigned long long)len);
}

static void do_range(uint32_t type, uint64_t off, uint64_t len)
{
	uint8_t *buf = vufront_buf(q, 0);
	struct virtio_blk_discard_write_zeroes seg = {
		.sector = off / 512, .num_sectors = (uint32_t)(len / 512),
		.flags = type == VIRTIO_BLK_T_WRITE_ZEROES
			 ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0,
	};

	if (scsi_lun >= 0) {
		check(scsi_req(type, off, (uint32_t)len), "unmap", off);
	} else {
		memcpy(buf, &seg, sizeof(seg));
		check(blk_req(type, 0, sizeof(seg)), "discard/zeroes", off);
	}
	printf("%s %llu %llu ok\n", type == VIRTIO_BLK_T_DISCARD ? "discard"
								 : "zeroes",
	       (unsigned long long)off, (unsigned long long)len);
}

/* Writes until the deadline, or until errors kept coming for 2 s (the
 * cluster is gone and every request fails: that is what a test waits
 * for). A request that never completes shows up as stuck. */
static void do_load(double seconds, unsigned int qd)
{
	struct vufront_completion c[64];
	double start = now_s(), first_err = 0;
	unsigned long ok = 0, errors = 0, inflight = 0;
	unsigned int next = 0;

	if (scsi_lun >= 0 || qd == 0 || qd > 32 || qd > vufront_slots(q)) {
		fprintf(stderr, "rbd_io: load works on virtio-blk, QD 1-32\n");
		exit(2);
	}
	for (unsigned int s = 0; s < qd; s++) {
		memset(vufront_buf(q, s), 0x5a, 4096);
		vufront_submit(q, s, VIRTIO_BLK_T_OUT, (next++ % 16384) * 8, 4096);
		inflight++;
	}
	vufront_kick(q);
	while (inflight) {
		double t = now_s() - start;
		bool more = t < seconds && !(first_err && t - first_err > 2);
		int n = vufront_reap(q, c, 64);

		if (n < 0) {
			fprintf(stderr, "rbd_io: %s\n", vufront_last_error(q));
			exit(1);
		}
		for (int i = 0; i < n; i++) {
			inflight--;
			if (c[i].status == VIRTIO_BLK_S_OK) {
				ok++;
			} else {
				errors++;
				if (!first_err)
					first_err = now_s() - start;
			}
			if (more) {
				vufront_submit(q, c[i].slot, VIRTIO_BLK_T_OUT,
					       (next++ % 16384) * 8, 4096);
				inflight++;
			}
		}
		if (n)
			vufront_kick(q);
		else if (now_s() - start > seconds + 300)
			break; /* requests the target never answers */
		else
			vufront_wait(q, 100000000);
	}
	printf("load ok %lu errors %lu first_error_s %.1f stuck %lu\n", ok, errors,
	       first_err, inflight);
}

int main(int argc, char **argv)
{
	struct vufront_opts o = { .queues = 1, .want_irq = true, .max_io = MAX_IO,
				  .queue_size = 128 };
	char err[256];
	int i = 1, ret;

	if (argc > 2 && !strcmp(argv[1], "--scsi")) {
		scsi_lun = (int)num(argv[2]);
		i = 3;
	}
	if (argc > 3 && !strcmp(argv[1], "--file")) {
		file_fd = open(argv[2], O_RDONLY);
		if (file_fd < 0) {
			perror(argv[2]);
			return 1;
		}
		for (i = 3; i + 3 < argc + 0 && !strcmp(argv[i], "read"); i += 4)
			do_rw(false, num(argv[i + 1]), num(argv[i + 2]),
			      (unsigned int)num(argv[i + 3]));
		if (i != argc)
			goto usage;
		return 0;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: rbd_io [--scsi LUN] SOCK CMD...\n");
		return 2;
	}
	ret = scsi_lun >= 0
		? vufront_scsi_connect(argv[i], &o, (uint16_t)scsi_lun, &f, err,
				       sizeof(err))
		: vufront_connect(argv[i], &o, &f, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rbd_io: %s\n", err);
		return 1;
	}
	q = scsi_lun >= 0 ? vufront_scsi_queue(f, 0) : vufront_queue(f, 0);
	for (i++; i < argc;) {
		const char *cmd = argv[i++];

		if (!strcmp(cmd, "write") || !strcmp(cmd, "read")) {
			if (argc - i < 3)
				goto usage;
			do_rw(cmd[0] == 'w', num(argv[i]), num(argv[i + 1]),
			      (unsigned int)num(argv[i + 2]));
			i += 3;
		} else if (!strcmp(cmd, "discard") || !strcmp(cmd, "zeroes")) {
			if (argc - i < 2)
				goto usage;
			do_range(cmd[0] == 'd' ? VIRTIO_BLK_T_DISCARD
					       : VIRTIO_BLK_T_WRITE_ZEROES,
				 num(argv[i]), num(argv[i + 1]));
			i += 2;
		} else if (!strcmp(cmd, "flush")) {
			check(req(VIRTIO_BLK_T_FLUSH, 0, 0), "flush", 0);
			printf("flush ok\n");
		} else if (!strcmp(cmd, "capacity")) {
			printf("capacity %llu\n", (unsigned long long)
			       (vufront_info(f)->capacity * 512));
		} else if (!strcmp(cmd, "load")) {
			if (argc - i < 2)
				goto usage;
			do_load((double)num(argv[i]), (unsigned int)num(argv[i + 1]));
			i += 2;
		} else {
			goto usage;
		}
		fflush(stdout);
	}
	vufront_close(f);
	return 0;
usage:
	fprintf(stderr, "rbd_io: bad command near '%s'\n", argv[i - 1]);
	return 2;
}
