/* SPDX-License-Identifier: MIT */
/*
 * A front-end that shrinks the memory it shared. vmiod maps guest memory
 * (and the inflight region) from files the front-end keeps; truncating one
 * under a running queue made the next access of a reactor die of SIGBUS,
 * and every disk of every VM with it. vmiod serves two file-backed disks,
 * "a" (the hostile front-end's) and "b", and a control socket:
 *  - guest memory in an unsealed memfd, truncated to 0 under a running
 *    queue, then kicked: vmiod lives and drops a's front-end, b does
 *    verified I/O, the RPC answers, and a serves a new front-end;
 *  - only the data half truncated (rings and headers intact): I/O into
 *    it completes with IOERR (the kernel's EFAULT), never as a success,
 *    and the rest of a's memory is served on;
 *  - an unsealed inflight region truncated to 0: as the first;
 *  - guest memory sealed against shrinking (as QEMU's memfd backend
 *    seals it): ftruncate fails with EPERM and I/O goes on.
 * What a truncated front-end gets: its connection is closed. Its requests
 * in flight complete with IOERR where the kernel met the missing pages;
 * none is read from the zero pages that replace its memory in vmiod.
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
#include <sys/wait.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "rpc/rpc.h"
#include "vhost/inflight.h"
#include "vu_client.h"

#define DATA_OFF 0x200000 /* the upper half of guest memory */
#define LOW_DATA_OFF 0x140000
#define WAIT_MS 5000

static char dir[64], a_sock[128], b_sock[128], rpc_sock[128];
static pid_t vmiod;

static int group_setup(void **state)
{
	char a[256], b[256];

	snprintf(dir, sizeof(dir), "/tmp/vmio-hmem-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(a_sock, sizeof(a_sock), "%s/a.sock", dir);
	snprintf(b_sock, sizeof(b_sock), "%s/b.sock", dir);
	snprintf(rpc_sock, sizeof(rpc_sock), "%s/rpc.sock", dir);
	snprintf(a, sizeof(a), "id=a,path=%s/a.img,size=16M,socket=%s", dir,
		 a_sock);
	snprintf(b, sizeof(b), "id=b,path=%s/b.img,size=16M,socket=%s", dir,
		 b_sock);
	{
		const char *args[] = { "--disk", a, "--disk", b, "--rpc",
				       rpc_sock, NULL };
		const char *socks[] = { a_sock, b_sock, rpc_sock, NULL };

		vmiod = vc_spawn_vmiod(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	char path[160];
	int status = vc_stop_vmiod(vmiod);

	snprintf(path, sizeof(path), "%s/a.img", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.img", dir);
	unlink(path);
	unlink(a_sock);
	unlink(b_sock);
	unlink(rpc_sock);
	rmdir(dir);
	return status == 0 ? 0 : -1;
}

/* Writes 4K of a pattern at sector, reads it back into a cleared buffer
 * and compares: the disk really stored it. */
static void verified_io(struct vc *c, uint64_t data_off, uint64_t sector,
			uint8_t seed)
{
	uint8_t *data = vc_ptr(c, data_off);

	for (unsigned int i = 0; i < 4096; i++)
		data[i] = (uint8_t)(seed + i * 7);
	assert_int_equal(vc_blk_rw(c, 0, 0, VIRTIO_BLK_T_OUT, sector, data_off,
				   4096), VIRTIO_BLK_S_OK);
	memset(data, 0, 4096);
	assert_int_equal(vc_blk_rw(c, 0, 3, VIRTIO_BLK_T_IN, sector, data_off,
				   4096), VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(data[i], (uint8_t)(seed + i * 7));
}

/* vmiod is alive a moment after the attack (a process dying of a signal
 * closes its sockets before it can be reaped). */
static void assert_vmiod_alive(void)
{
	int status;

	for (int i = 0; i < 20; i++) {
		if (waitpid(vmiod, &status, WNOHANG) == vmiod) {
			if (WIFSIGNALED(status))
				printf("vmiod died of signal %d (%s)\n",
				       WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				printf("vmiod exited with status %d\n",
				       WEXITSTATUS(status));
			vmiod = -1;
			fail();
		}
		usleep(10000);
	}
}

/* Everybody else is served: vmiod lives, disk b does verified I/O and
 * the control socket answers. */
static void others_are_served(void)
{
	json_t *result = NULL;
	char err[256];
	struct vc b;
	int code;

	assert_vmiod_alive();
	assert_int_equal(vc_connect(&b, b_sock), 0);
	assert_int_equal(vc_setup(&b, 1), 0);
	verified_io(&b, DATA_OFF, 64, 0x5b);
	vc_close(&b);
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, WAIT_MS, &result,
				  &code, err, sizeof(err)), 0);
	json_decref(result);
}

/* Disk a serves a well-behaved front-end (the hostile one is gone). */
static void a_serves_anew(void)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, a_sock), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	verified_io(&c, DATA_OFF, 8, 0xa5);
	vc_close(&c);
}

static void test_truncated_guest_memory(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, a_sock), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	verified_io(&c, DATA_OFF, 0, 0x11);
	/* The memfd is not sealed: it shrinks under the running queue. From
	 * here on this client never touches its own mapping (SIGBUS). */
	assert_int_equal(ftruncate(c.memfd, 0), 0);
	vc_kick(&c, 0);
	assert_true(vc_closed_by_peer(&c, WAIT_MS));
	vc_close(&c);
	others_are_served();
	a_serves_anew();
}

static void test_truncated_data_fails_its_io(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, a_sock), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	verified_io(&c, DATA_OFF, 16, 0x22);
	/* Rings, headers and status bytes live below DATA_OFF. */
	assert_int_equal(ftruncate(c.memfd, DATA_OFF), 0);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_OUT, 16, DATA_OFF,
				   4096), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vc_blk_rw(&c, 0, 3, VIRTIO_BLK_T_IN, 16, DATA_OFF,
				   4096), VIRTIO_BLK_S_IOERR);
	/* The failed write stored nothing: the old data reads back. */
	verified_io(&c, LOW_DATA_OFF, 24, 0x33);
	memset(vc_ptr(&c, LOW_DATA_OFF), 0, 4096);
	assert_int_equal(vc_blk_rw(&c, 0, 6, VIRTIO_BLK_T_IN, 16, LOW_DATA_OFF,
				   4096), VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(((uint8_t *)vc_ptr(&c, LOW_DATA_OFF))[i],
				 (uint8_t)(0x22 + i * 7));
	vc_close(&c);
	others_are_served();
}

/* SET_INFLIGHT_FD with a region of our own, unsealed; waits for the ack. */
static int set_inflight(struct vc *c, int fd, uint64_t size)
{
	struct vhost_user_inflight in = { .mmap_size = size, .num_queues = 1,
					  .queue_size = VC_RING };
	struct vhost_user_msg m;
	int ret;

	ret = vc_send_raw(c, VHOST_USER_SET_INFLIGHT_FD,
			  VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK,
			  sizeof(in), &in, sizeof(in), &fd, 1);
	if (ret)
		return ret;
	ret = vc_recv(c, &m, WAIT_MS);
	if (ret != 8)
		return ret < 0 ? ret : -EPROTO;
	return m.payload.u64 ? -EIO : 0;
}

static void test_truncated_inflight_region(void **state)
{
	uint64_t size = inflight_queue_bytes(VC_RING);
	int fd = memfd_create("hostile-inflight", MFD_CLOEXEC);
	struct vc c;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(vc_connect(&c, a_sock), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	assert_int_equal(set_inflight(&c, fd, size), 0);
	verified_io(&c, DATA_OFF, 32, 0x44);
	/* The reactor writes the region for every request it pops. */
	assert_int_equal(ftruncate(fd, 0), 0);
	vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 32, DATA_OFF, 4096);
	assert_true(vc_closed_by_peer(&c, WAIT_MS));
	vc_close(&c);
	close(fd);
	others_are_served();
	a_serves_anew();
}

static void test_sealed_memory_cannot_shrink(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, a_sock), 0);
	c.seals = F_SEAL_SHRINK | F_SEAL_GROW;
	assert_int_equal(vc_setup(&c, 1), 0);
	verified_io(&c, DATA_OFF, 40, 0x55);
	assert_int_equal(ftruncate(c.memfd, 0), -1);
	assert_int_equal(errno, EPERM);
	vc_kick(&c, 0);
	verified_io(&c, DATA_OFF, 40, 0x66);
	assert_false(vc_closed_by_peer(&c, 100));
	vc_close(&c);
	others_are_served();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_guest_memory),
		cmocka_unit_test(test_truncated_data_fails_its_io),
		cmocka_unit_test(test_truncated_inflight_region),
		cmocka_unit_test(test_sealed_memory_cannot_shrink),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
