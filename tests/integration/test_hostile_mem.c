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
 *  - only the memory from a data buffer up truncated (rings, headers
 *    and a lower buffer intact): I/O into it completes with IOERR (the
 *    kernel's EFAULT), never as a success, and the rest of a's memory
 *    is served on;
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
#include "disk_front.h"
#include "vmiod_proc.h"

/* Slots whose buffers lie low and high in guest memory: the memory is
 * cut between them (everything but the high buffers stays). */
#define LOW_SLOT 0
#define HIGH_SLOT 1
#define WAIT_MS 5000

static char dir[64], a_sock[128], b_sock[128], rpc_sock[128];
static pid_t vmiod;

static int group_setup(void **state)
{
	char a[256], b[256];

	if (scratch_make("hmem", dir, sizeof(dir)))
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

		vmiod = vmiod_spawn(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	return scratch_remove(dir) == 0 && status == 0 ? 0 : -1;
}

static struct vufront *set_up(const char *sock, const struct vufront_opts *o)
{
	struct vufront *f = disk_front_with(sock, o);

	assert_non_null(f);
	return f;
}

/* Writes 4K of a pattern at sector from slot's buffer, reads it back
 * into the cleared buffer and compares: the disk really stored it. */
static void verified_io(struct vufront *c, unsigned int slot, uint64_t sector,
			uint8_t seed)
{
	uint8_t *data = disk_front_buf(c, 0, slot);

	for (unsigned int i = 0; i < 4096; i++)
		data[i] = (uint8_t)(seed + i * 7);
	assert_int_equal(disk_front_io(c, 0, slot, VIRTIO_BLK_T_OUT, sector,
				       4096), VIRTIO_BLK_S_OK);
	memset(data, 0, 4096);
	assert_int_equal(disk_front_io(c, 0, slot, VIRTIO_BLK_T_IN, sector,
				       4096), VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(data[i], (uint8_t)(seed + i * 7));
}

/* Where guest memory's memfd is cut to keep all but the high buffers. */
static off_t high_data_off(struct vufront *c)
{
	return (off_t)(vufront_gpa(c, disk_front_buf(c, 0, HIGH_SLOT)) -
		       DISK_FRONT_GPA);
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
	struct vufront_opts o = disk_front_opts(1);
	json_t *result = NULL;
	struct vufront *b;
	char err[256];
	int code;

	assert_vmiod_alive();
	b = set_up(b_sock, &o);
	verified_io(b, HIGH_SLOT, 64, 0x5b);
	vufront_close(b);
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, WAIT_MS, &result,
				  &code, err, sizeof(err)), 0);
	json_decref(result);
}

/* Disk a serves a well-behaved front-end (the hostile one is gone). */
static void a_serves_anew(void)
{
	struct vufront_opts o = disk_front_opts(1);
	struct vufront *c = set_up(a_sock, &o);

	verified_io(c, HIGH_SLOT, 8, 0xa5);
	vufront_close(c);
}

static void test_truncated_guest_memory(void **state)
{
	struct vufront_opts o = disk_front_opts(1);
	struct vufront *c = set_up(a_sock, &o);

	verified_io(c, HIGH_SLOT, 0, 0x11);
	/* The memfd is not sealed: it shrinks under the running queue. From
	 * here on this client never touches its own mapping (SIGBUS). */
	assert_int_equal(ftruncate(vufront_memfd(c, 0), 0), 0);
	vufront_kick_force(vufront_queue(c, 0));
	assert_true(vufront_peer_closed(c, WAIT_MS));
	vufront_close(c);
	others_are_served();
	a_serves_anew();
}

static void test_truncated_data_fails_its_io(void **state)
{
	struct vufront_opts o = disk_front_opts(1);
	struct vufront *c = set_up(a_sock, &o);
	uint8_t *low = disk_front_buf(c, 0, LOW_SLOT);

	verified_io(c, HIGH_SLOT, 16, 0x22);
	/* Rings, headers, status bytes and the low buffer live below. */
	assert_int_equal(ftruncate(vufront_memfd(c, 0), high_data_off(c)), 0);
	assert_int_equal(disk_front_io(c, 0, HIGH_SLOT, VIRTIO_BLK_T_OUT, 16,
				       4096), VIRTIO_BLK_S_IOERR);
	assert_int_equal(disk_front_io(c, 0, HIGH_SLOT, VIRTIO_BLK_T_IN, 16,
				       4096), VIRTIO_BLK_S_IOERR);
	/* The failed write stored nothing: the old data reads back. */
	verified_io(c, LOW_SLOT, 24, 0x33);
	memset(low, 0, 4096);
	assert_int_equal(disk_front_io(c, 0, LOW_SLOT, VIRTIO_BLK_T_IN, 16,
				       4096), VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(low[i], (uint8_t)(0x22 + i * 7));
	vufront_close(c);
	others_are_served();
}

/* SET_INFLIGHT_FD with a region of our own, unsealed; waits for the ack. */
static int set_inflight(struct vufront *c, int fd, uint64_t size)
{
	struct vhost_user_inflight in = { .mmap_size = size, .num_queues = 1,
					  .queue_size = DISK_FRONT_RING };
	uint64_t status;
	int ret;

	ret = vufront_send_msg(c, VHOST_USER_SET_INFLIGHT_FD,
			       VHOST_USER_NEED_REPLY_MASK, &in, sizeof(in), &fd, 1);
	ret = ret ?: vufront_recv_ack(c, VHOST_USER_SET_INFLIGHT_FD, WAIT_MS,
				      &status);
	if (ret)
		return ret;
	return status ? -EIO : 0;
}

static void test_truncated_inflight_region(void **state)
{
	uint64_t size = inflight_queue_bytes(DISK_FRONT_RING);
	int fd = memfd_create("hostile-inflight", MFD_CLOEXEC);
	struct vufront_opts o = disk_front_opts(1);
	struct vufront *c;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	c = set_up(a_sock, &o);
	assert_int_equal(set_inflight(c, fd, size), 0);
	verified_io(c, HIGH_SLOT, 32, 0x44);
	/* The reactor writes the region for every request it pops. */
	assert_int_equal(ftruncate(fd, 0), 0);
	disk_front_io(c, 0, HIGH_SLOT, VIRTIO_BLK_T_IN, 32, 4096);
	assert_true(vufront_peer_closed(c, WAIT_MS));
	vufront_close(c);
	close(fd);
	others_are_served();
	a_serves_anew();
}

static void test_sealed_memory_cannot_shrink(void **state)
{
	struct vufront_opts o = disk_front_opts(1);
	struct vufront *c;

	o.mem_seals = F_SEAL_SHRINK | F_SEAL_GROW;
	c = set_up(a_sock, &o);
	verified_io(c, HIGH_SLOT, 40, 0x55);
	assert_int_equal(ftruncate(vufront_memfd(c, 0), 0), -1);
	assert_int_equal(errno, EPERM);
	vufront_kick_force(vufront_queue(c, 0));
	verified_io(c, HIGH_SLOT, 40, 0x66);
	assert_false(vufront_peer_closed(c, 100));
	vufront_close(c);
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
