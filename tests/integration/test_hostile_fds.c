/* SPDX-License-Identifier: MIT */
/*
 * A front-end that hands vmiod fds meant to block it. A vring's call fd
 * is written by the control thread (SET_VRING_CALL's first interrupt) and
 * by a reactor (every completion), its kick fd read by a reactor: a
 * blocking eventfd whose counter is full froze the control thread, and
 * with it every device and the RPC, for good. vmiod serves two file-backed
 * disks, "a" (the hostile front-end's) and "b", a null disk "c", and a
 * control socket:
 *  - a blocking call eventfd at 0xfffffffffffffffe: vmiod answers the next
 *    message at once, makes the fd non-blocking, a's I/O completes (the
 *    full counter is an interrupt already pending), b and the RPC serve;
 *  - a blocking kick eventfd is taken and made non-blocking;
 *  - a pipe, a regular file or a socket as a kick, call or err fd is
 *    refused (REPLY_ACK says so), the ring goes on with the fd it had,
 *    and a file given as call fd never grows;
 *  - a back-end request channel that is not a socket is refused; one that
 *    is a blocking socket the front-end never reads costs a resize at
 *    most a second (it froze the control thread once full).
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
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "rpc/rpc.h"
#include "disk_front.h"
#include "vmiod_proc.h"

#define ANSWER_MS 2000 /* "at once", on a loaded 2-core machine */

static char dir[64], a_sock[128], b_sock[128], c_sock[128], rpc_sock[128];
static pid_t vmiod;

static int group_setup(void **state)
{
	char a[256], b[256], c[256];

	if (scratch_make("hfds", dir, sizeof(dir)))
		return -1;
	snprintf(a_sock, sizeof(a_sock), "%s/a.sock", dir);
	snprintf(b_sock, sizeof(b_sock), "%s/b.sock", dir);
	snprintf(c_sock, sizeof(c_sock), "%s/c.sock", dir);
	snprintf(rpc_sock, sizeof(rpc_sock), "%s/rpc.sock", dir);
	snprintf(a, sizeof(a), "id=a,path=%s/a.img,size=16M,socket=%s", dir,
		 a_sock);
	snprintf(b, sizeof(b), "id=b,path=%s/b.img,size=16M,socket=%s", dir,
		 b_sock);
	snprintf(c, sizeof(c), "id=c,backend=null,size=64M,socket=%s", c_sock);
	{
		const char *args[] = { "--disk", a, "--disk", b, "--disk", c,
				       "--rpc", rpc_sock, NULL };
		const char *socks[] = { a_sock, b_sock, c_sock, rpc_sock, NULL };

		vmiod = vmiod_spawn(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	return scratch_remove(dir) == 0 && status == 0 ? 0 : -1;
}

static struct vufront *set_up(const char *sock)
{
	struct vufront *f = disk_front(sock, 1);

	assert_non_null(f);
	return f;
}

/* Writes 4K of a pattern at sector and reads it back into a cleared
 * buffer: the disk stored it and the ring runs. */
static void verified_io(struct vufront *c, uint64_t sector, uint8_t seed)
{
	uint8_t *data = disk_front_buf(c, 0, 0);

	for (unsigned int i = 0; i < 4096; i++)
		data[i] = (uint8_t)(seed + i * 13);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT, sector, 4096),
			 VIRTIO_BLK_S_OK);
	memset(data, 0, 4096);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, sector, 4096),
			 VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(data[i], (uint8_t)(seed + i * 13));
}

/* The connection answers a message within ANSWER_MS. */
static void answers(struct vufront *c)
{
	double t0 = now_ms();
	uint64_t n = 0;

	assert_int_equal(vufront_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &n), 0);
	assert_int_equal(n, 1);
	assert_true(now_ms() - t0 < ANSWER_MS);
}

/* vmiod lives, disk b does verified I/O and the RPC answers. */
static void others_are_served(void)
{
	json_t *result = NULL;
	struct vufront *b;
	char err[256];
	int code;

	assert_true(vmiod_alive(vmiod));
	b = set_up(b_sock);
	verified_io(b, 64, 0xb0);
	vufront_close(b);
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, ANSWER_MS,
				  &result, &code, err, sizeof(err)), 0);
	json_decref(result);
}

/* Sends req (payload and fd as given) asking for an ack; returns the
 * ack's status (0: taken) or a negative errno. */
static int fd_acked(struct vufront *c, uint32_t req, const void *payload,
		    uint32_t size, int fd)
{
	uint64_t status;
	int ret;

	ret = vufront_send_msg(c, req, VHOST_USER_NEED_REPLY_MASK, payload, size,
			       &fd, 1);
	ret = ret ?: vufront_recv_ack(c, req, ANSWER_MS, &status);
	return ret ? ret : (int)status;
}

/* A vring fd message for queue 0. */
static int vring_fd(struct vufront *c, uint32_t req, int fd)
{
	uint64_t u = 0;

	return fd_acked(c, req, &u, 8, fd);
}

static bool nonblocking(int fd)
{
	return fcntl(fd, F_GETFL) & O_NONBLOCK;
}

static void test_blocking_full_call_fd(void **state)
{
	uint64_t full = 0xfffffffffffffffeull, u = 0, v = 0;
	int efd = eventfd(0, EFD_CLOEXEC); /* blocking */
	struct vufront *c;

	assert_true(efd >= 0);
	assert_int_equal(write(efd, &full, 8), 8);
	c = set_up(a_sock);
	verified_io(c, 0, 0x10);
	/* Its first interrupt would block the writer until someone reads. */
	assert_int_equal(vufront_send_msg(c, VHOST_USER_SET_VRING_CALL, 0, &u, 8,
					  &efd, 1), 0);
	answers(c);
	assert_true(nonblocking(efd));
	/* Completions interrupt through the full counter too: each is
	 * already pending, none blocks the reactor. */
	verified_io(c, 8, 0x20);
	answers(c);
	assert_int_equal(read(efd, &v, 8), 8);
	assert_true(v == full);
	vufront_close(c);
	close(efd);
	others_are_served();
}

static void test_blocking_kick_fd_made_nonblocking(void **state)
{
	int efd = eventfd(0, EFD_CLOEXEC); /* blocking, empty */
	struct vufront *c;

	assert_true(efd >= 0);
	c = set_up(a_sock);
	assert_int_equal(vring_fd(c, VHOST_USER_SET_VRING_KICK, efd), 0);
	assert_true(nonblocking(efd));
	/* It is the ring's kick fd now: vufront's kicks must go to it, so
	 * its kick fd number is made to name efd's eventfd. */
	assert_int_equal(dup2(efd, vufront_kick_fd(vufront_queue(c, 0))),
			 vufront_kick_fd(vufront_queue(c, 0)));
	verified_io(c, 16, 0x30);
	vufront_close(c);
	close(efd);
	others_are_served();
}

static void test_other_fds_refused(void **state)
{
	static const uint32_t reqs[] = { VHOST_USER_SET_VRING_KICK,
					 VHOST_USER_SET_VRING_CALL,
					 VHOST_USER_SET_VRING_ERR };
	char path[160];
	int p[2], sv[2], file;
	struct stat st;
	struct vufront *c;

	snprintf(path, sizeof(path), "%s/call.file", dir);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(file >= 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c = set_up(a_sock);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(vring_fd(c, reqs[i], p[0]), 1);
		assert_int_equal(vring_fd(c, reqs[i], p[1]), 1);
		assert_int_equal(vring_fd(c, reqs[i], file), 1);
		assert_int_equal(vring_fd(c, reqs[i], sv[0]), 1);
	}
	/* The ring runs on with the eventfds it had. */
	verified_io(c, 24, 0x40);
	answers(c);
	assert_int_equal(fstat(file, &st), 0);
	assert_int_equal(st.st_size, 0);
	vufront_close(c);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(file);
	others_are_served();
}

static int set_backend_req_fd(struct vufront *c, int fd)
{
	return fd_acked(c, VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0, fd);
}

/* One disk_resize of c (to its own size: the front-end is told all the
 * same); returns how long it took in ms, or -1 when it got no answer. */
static double resize_c(void)
{
	json_t *params = json_pack("{s:s,s:s}", "id", "c", "size", "64M");
	json_t *result = NULL;
	double t0 = now_ms();
	char err[256];
	int code, ret;

	ret = rpc_call(rpc_sock, "disk_resize", params, 5000, &result, &code,
		       err, sizeof(err));
	json_decref(result);
	return ret ? -1 : now_ms() - t0;
}

static void test_backend_channel(void **state)
{
	int p[2], sv[2];
	double took = 0;
	struct vufront *c;
	int n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c = set_up(c_sock);
	/* Blocking, and never read: it fills up. */
	assert_int_equal(set_backend_req_fd(c, sv[1]), 0);
	for (n = 0; n < 5000 && took >= 0 && took < 500; n++)
		took = resize_c();
	printf("%d resizes until the channel was full; the last took %.0f ms\n",
	       n, took);
	assert_true(took >= 0 && took < 3000);
	took = resize_c();
	assert_true(took >= 0 && took < 3000);
	answers(c);
	/* Not a socket: refused, the channel stays as it was. */
	assert_int_equal(set_backend_req_fd(c, p[1]), 1);
	answers(c);
	vufront_close(c);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	others_are_served();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocking_full_call_fd),
		cmocka_unit_test(test_blocking_kick_fd_made_nonblocking),
		cmocka_unit_test(test_other_fds_refused),
		cmocka_unit_test(test_backend_channel),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
