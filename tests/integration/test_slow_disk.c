/* SPDX-License-Identifier: MIT */
/*
 * One slow disk stalls nobody else. vmiod serves two disks: "slow", whose
 * backend holds every request SLOW_MS, and "fast". With a request in
 * flight on slow, its front-end asks for the ring's base (GET_VRING_BASE,
 * which must wait for that request): meanwhile a front-end connects to
 * fast, negotiates and does I/O, and the control socket answers, each
 * within FAST_MS; the held message is answered once the request is done,
 * with the base that covers it. Removing the slow disk with a request in
 * flight answers at once too, and the disk goes when the request is done.
 * On a control thread that waits for drains, every step here took
 * SLOW_MS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "rpc/rpc.h"
#include "vu_client.h"

#define SLOW_MS 3000
#define FAST_MS 1000 /* generous: a loaded 2-core machine, sanitizers */
#define DATA_OFF 0x200000

static char dir[64], slow_sock[128], fast_sock[128], rpc_sock[128];
static pid_t vmiod;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int group_setup(void **state)
{
	char slow[256], fast[256];

	snprintf(dir, sizeof(dir), "/tmp/vmio-slow-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(slow_sock, sizeof(slow_sock), "%s/slow.sock", dir);
	snprintf(fast_sock, sizeof(fast_sock), "%s/fast.sock", dir);
	snprintf(rpc_sock, sizeof(rpc_sock), "%s/rpc.sock", dir);
	snprintf(slow, sizeof(slow), "id=slow,backend=null,size=64M,socket=%s,"
		 "delay-us=%d", slow_sock, SLOW_MS * 1000);
	snprintf(fast, sizeof(fast), "id=fast,backend=null,size=64M,socket=%s",
		 fast_sock);
	{
		const char *args[] = { "--disk", slow, "--disk", fast, "--rpc",
				       rpc_sock, "-q", NULL };
		const char *socks[] = { slow_sock, fast_sock, rpc_sock, NULL };

		vmiod = vc_spawn_vmiod(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vc_stop_vmiod(vmiod);

	unlink(slow_sock);
	unlink(fast_sock);
	unlink(rpc_sock);
	rmdir(dir);
	return status == 0 ? 0 : -1;
}

/* A read of 4K at sector 0 on queue 0, not waited for. */
static void post_read(struct vc *c)
{
	vc_desc(c, 0, 0, vc_gpa(DATA_OFF), 16, VRING_DESC_F_NEXT, 1);
	vc_desc(c, 0, 1, vc_gpa(DATA_OFF + 0x1000), 4096,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	vc_desc(c, 0, 2, vc_gpa(DATA_OFF + 0x3000), 1, VRING_DESC_F_WRITE, 0);
	memset(vc_ptr(c, DATA_OFF), 0, 16); /* type IN, sector 0 */
	vc_avail(c, 0, 0);
}

/* The fast disk and the control socket answer within FAST_MS. */
static void others_are_served(void)
{
	double t0 = now_ms();
	json_t *result = NULL;
	char err[256];
	struct vc f;
	int code;

	assert_int_equal(vc_connect(&f, fast_sock), 0);
	assert_int_equal(vc_setup(&f, 1), 0);
	assert_int_equal(vc_blk_rw(&f, 0, 0, VIRTIO_BLK_T_IN, 8, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	vc_close(&f);
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, FAST_MS, &result,
				  &code, err, sizeof(err)), 0);
	json_decref(result);
	printf("fast disk connected, did I/O, and the RPC answered in %.0f ms\n",
	       now_ms() - t0);
	assert_true(now_ms() - t0 < FAST_MS);
}

static void test_held_message_blocks_nobody(void **state)
{
	struct vhost_user_vring_state s = { 0, 0 };
	struct vhost_user_msg m;
	uint32_t id, len;
	double t0;
	struct vc c;

	assert_int_equal(vc_connect(&c, slow_sock), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	post_read(&c);
	usleep(200000); /* the request reaches the slow backend */
	t0 = now_ms();
	assert_int_equal(vc_send(&c, VHOST_USER_GET_VRING_BASE, &s, sizeof(s),
				 NULL, 0), 0);
	others_are_served();
	/* The held message is answered once the request is done. */
	assert_int_equal(vc_recv(&c, &m, SLOW_MS * 3), (int)sizeof(s));
	printf("GET_VRING_BASE answered after %.0f ms with base %u\n",
	       now_ms() - t0, m.payload.state.num);
	assert_true(now_ms() - t0 > SLOW_MS / 2);
	assert_int_equal(m.payload.state.num, 1);
	assert_int_equal(vc_wait_used(&c, 0, &id, &len, 100), 1);
	assert_int_equal(id, 0);
	vc_close(&c);
}

static void test_remove_answers_at_once(void **state)
{
	json_t *params, *result = NULL, *disks;
	char err[256];
	double t0;
	struct vc c;
	int code;

	assert_int_equal(vc_connect(&c, slow_sock), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	post_read(&c);
	usleep(200000);
	t0 = now_ms();
	params = json_pack("{s:s}", "id", "slow");
	assert_int_equal(rpc_call(rpc_sock, "disk_remove", params, FAST_MS,
				  &result, &code, err, sizeof(err)), 0);
	printf("disk_remove answered in %.0f ms: %s\n", now_ms() - t0,
	       json_is_true(json_object_get(result, "removed")) ?
		       "removed" : "draining");
	assert_true(now_ms() - t0 < FAST_MS);
	assert_false(json_is_true(json_object_get(result, "removed")));
	json_decref(result);
	/* Gone from the list at once; its front-end was dropped. */
	assert_true(vc_closed_by_peer(&c, FAST_MS));
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, FAST_MS, &result,
				  &code, err, sizeof(err)), 0);
	disks = json_object_get(result, "disks");
	if (!disks)
		disks = result;
	assert_int_equal(json_array_size(disks), 1);
	json_decref(result);
	others_are_served();
	/* Once the request is done, the socket goes with the disk. */
	for (int i = 0; i < SLOW_MS * 3 / 100 && access(slow_sock, F_OK) == 0; i++)
		usleep(100000);
	assert_int_not_equal(access(slow_sock, F_OK), 0);
	vc_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_message_blocks_nobody),
		cmocka_unit_test(test_remove_answers_at_once),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
