/* SPDX-License-Identifier: MIT */
/*
 * Faults from below: a backend error becomes VIRTIO_BLK_S_IOERR for that
 * request alone, never a success, and loses nothing already written.
 *  - ENOSPC: the image lives on a 2 MiB tmpfs; writes that need more
 *    space fail, earlier data stays intact, other requests keep working.
 *  - a truncated image: reads past the new end fail instead of returning
 *    a short success.
 * Needs root (to mount the tmpfs); skipped otherwise.
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
#include <sys/mount.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "disk_front.h"
#include "vmiod_proc.h"

static char dir[64], img[128], sock[128];
static pid_t vmiod;

static int group_setup(void **state)
{
	char disk[512];

	snprintf(dir, sizeof(dir), "/tmp/vmio-faults-XXXXXX");
	if (!mkdtemp(dir) || mount("vmio-test", dir, "tmpfs", 0, "size=2m"))
		return -1;
	snprintf(img, sizeof(img), "%s/d.img", dir);
	snprintf(sock, sizeof(sock), "%s/d.sock", dir);
	/* 8 MiB sparse on 2 MiB of space; tmpfs has no O_DIRECT. */
	snprintf(disk, sizeof(disk), "id=f,path=%s,socket=%s,size=8M,direct=off",
		 img, sock);
	{
		const char *args[] = { "--disk", disk, "-q", NULL };
		const char *socks[] = { sock, NULL };

		vmiod = vmiod_spawn(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	umount(dir);
	rmdir(dir);
	return status == 0 ? 0 : -1;
}

static void test_enospc_fails_only_the_request(void **state)
{
	struct vufront *c = disk_front(sock, 1);
	int st = VIRTIO_BLK_S_OK;
	unsigned int mib;
	uint8_t *data;

	assert_non_null(c);
	data = disk_front_buf(c, 0, 0);
	/* The first MiB holds a known pattern. */
	for (unsigned int i = 0; i < 16; i++) {
		memset(data, 'a' + i, 65536);
		assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT, i * 128,
					       65536), VIRTIO_BLK_S_OK);
	}
	/* Fill on until the file system is full: that write must fail. */
	memset(data, 'z', 65536);
	for (mib = 1; mib < 8 && st == VIRTIO_BLK_S_OK; mib++)
		for (unsigned int i = 0; i < 16 && st == VIRTIO_BLK_S_OK; i++)
			st = disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT,
					   mib * 2048 + i * 128, 65536);
	assert_int_equal(st, VIRTIO_BLK_S_IOERR);
	/* Earlier data is intact and still readable. */
	for (unsigned int i = 0; i < 16; i++) {
		memset(data, 0, 65536);
		assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, i * 128,
					       65536), VIRTIO_BLK_S_OK);
		assert_int_equal(data[0], 'a' + i);
		assert_int_equal(data[65535], 'a' + i);
	}
	/* Overwriting already allocated blocks still works. */
	memset(data, 'q', 4096);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT, 0, 4096),
			 VIRTIO_BLK_S_OK);
	vufront_close(c);
}

static void test_truncated_image_fails_reads_past_its_end(void **state)
{
	struct vufront *c = disk_front(sock, 1);

	assert_non_null(c);
	/* Someone truncates the image under vmiod to 1 MiB. */
	assert_int_equal(truncate(img, 1 << 20), 0);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 4096),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 4096, 4096),
			 VIRTIO_BLK_S_IOERR);
	/* A read straddling the new end is not a short success either. */
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 2040, 8192),
			 VIRTIO_BLK_S_IOERR);
	vufront_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enospc_fails_only_the_request),
		cmocka_unit_test(test_truncated_image_fails_reads_past_its_end),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: mounting the test tmpfs needs root\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
