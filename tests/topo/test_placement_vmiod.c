/* SPDX-License-Identifier: MIT */
/*
 * vmiod on a fake 2-node host (mknuma.sh; --sysfs-root): reactor 0 on
 * node 0, reactor 1 on node 1, an image on the node-1 disk and a null
 * disk. A front-end connects and does I/O; disk_info over the real RPC
 * socket must place the image's queues on reactor 1, show where the
 * guest memory is, and the log must warn that it sits on another node.
 * Then three virtio-scsi targets (which the RPC does not list, so the log
 * shows them): LUNs on the node-1 disk and a null LUN (request queues on
 * reactor 1), only a null LUN (both reactors), LUNs on nodes 1 and 0
 * (unknown, both reactors); vmio bench drives I/O on them.
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
#include <sys/syscall.h>
#include <unistd.h>
#include <jansson.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "disk_front.h"
#include "vmiod_proc.h"

static char dir[64], root[128], img[128], sock[128], nsock[128], rpc[128];
static char logpath[128], simg[128], simg0[128], simg2[128], ssock[128];
static char zsock[128];
static char xsock[128];
static pid_t vmiod;

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	char disk[512], null[512], mount[160], mount0[160];
	char scsi[512], scsi_null[512], scsi_mixed[512];
	int saved, logfd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmio-numa-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(img, sizeof(img), "%s/img/d.img", dir);
	snprintf(sock, sizeof(sock), "%s/d.sock", dir);
	snprintf(nsock, sizeof(nsock), "%s/z.sock", dir);
	snprintf(rpc, sizeof(rpc), "%s/rpc.sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/vmiod.log", dir);
	snprintf(simg, sizeof(simg), "%s/img/s.img", dir);
	snprintf(simg0, sizeof(simg0), "%s/img0/s0.img", dir);
	/* Its own image: two targets writing one would be refused. */
	snprintf(simg2, sizeof(simg2), "%s/img/s2.img", dir);
	snprintf(ssock, sizeof(ssock), "%s/s.sock", dir);
	snprintf(zsock, sizeof(zsock), "%s/sz.sock", dir);
	snprintf(xsock, sizeof(xsock), "%s/sx.sock", dir);
	/* Two nodes of one CPU each (this machine's CPUs 0 and 1); the
	 * image directory is "mounted" from node 1's NVMe disk, img0 from
	 * node 0's. */
	snprintf(mount, sizeof(mount), "%s/img:1", dir);
	snprintf(mount0, sizeof(mount0), "%s/img0:0", dir);
	if (sh("'%s/tests/topo/mknuma.sh' '%s' 2 1 '%s' '%s'", getenv("VMIO_SRC"),
	       root, mount, mount0) ||
	    sh("mkdir -p '%s/img' '%s/img0' && truncate -s 8M '%s' && "
	       "truncate -s 32M '%s' '%s' '%s'", dir, dir, img, simg, simg0,
	       simg2))
		return -1;
	snprintf(disk, sizeof(disk), "id=n,path=%s,socket=%s,queues=2,direct=off",
		 img, sock);
	snprintf(null, sizeof(null), "id=z,backend=null,size=64M,socket=%s,queues=2",
		 nsock);
	/* A null LUN has no device: the file LUN alone decides. */
	snprintf(scsi, sizeof(scsi), "id=s,socket=%s,queues=2,lun0=%s,"
		 "lun1=null:16M,direct=off", ssock, simg);
	snprintf(scsi_null, sizeof(scsi_null), "id=sz,socket=%s,queues=2,"
		 "lun0=null:64M", zsock);
	snprintf(scsi_mixed, sizeof(scsi_mixed), "id=sx,socket=%s,queues=2,"
		 "lun0=%s,lun1=%s,direct=off", xsock, simg2, simg0);
	{
		const char *args[] = { "--sysfs-root", root, "--cpus", "0,1",
				       "--rpc", rpc, "--disk", disk, "--disk", null,
				       "--scsi", scsi, "--scsi", scsi_null,
				       "--scsi", scsi_mixed, NULL };
		const char *socks[] = { sock, nsock, rpc, ssock, zsock, xsock,
					NULL };

		/* vmiod's log goes to a file the tests read. */
		logfd = open(logpath, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		saved = dup(2);
		dup2(logfd, 2);
		vmiod = vmiod_spawn(args, socks);
		dup2(saved, 2);
		close(saved);
		close(logfd);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	(void)state;
	sh("rm -rf '%s'", dir);
	return status == 0 ? 0 : -1;
}

/* method's result over the RPC socket, through the vmio CLI. */
static json_t *rpc_call(const char *method, const char *params)
{
	char cmd[1024];
	json_error_t e;
	json_t *j;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "VMIO_RPC='%s' '%s' rpc %s '%s'", rpc,
		 getenv("VMIO"), method, params);
	p = popen(cmd, "r");
	assert_non_null(p);
	j = json_loadf(p, 0, &e);
	pclose(p);
	if (!j)
		fail_msg("vmio rpc %s: not JSON: %s", method, e.text);
	return j;
}

static int int_at(json_t *a, size_t i)
{
	json_t *v = json_array_get(a, i);

	return json_is_integer(v) ? (int)json_integer_value(v) : -100;
}

/* vmiod's log so far, in buf. */
static void log_read(char *buf, size_t len)
{
	size_t n = 0;
	FILE *f = fopen(logpath, "re");

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

static bool log_has(const char *needle)
{
	static char buf[262144];

	log_read(buf, sizeof(buf));
	return strstr(buf, needle) != NULL;
}

/* The text after the first occurrence of prefix, to the end of its line
 * (into out); false when the log has no such line. */
static bool log_after(const char *prefix, char *out, size_t len)
{
	static char buf[262144];
	const char *p;

	log_read(buf, sizeof(buf));
	p = strstr(buf, prefix);
	if (!p)
		return false;
	p += strlen(prefix);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
	return true;
}

/* vmio bench on a scsi target's socket: exit status 0 or fail. */
static void bench_scsi(const char *socket, const char *extra)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' bench run --target 'socket:%s' "
		 "--device scsi --queues 2 --runtime 0.5 %s >/dev/null",
		 getenv("VMIO"), socket, extra);
	assert_int_equal(system(cmd), 0);
}

static void test_reactors_have_nodes(void **state)
{
	json_t *r = rpc_call("reactor_list", "{}");

	(void)state;
	assert_int_equal(json_array_size(r), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0),
							    "node")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1),
							    "node")), 1);
	json_decref(r);
	assert_true(log_has("reactor 1: cpu 1, NUMA node 1"));
}

static void test_disk_on_its_device_node(void **state)
{
	json_t *d, *p, *gm;
	struct vufront *c = disk_front(sock, 2);
	int status = -1, st;
	void *page;

	(void)state;
	assert_non_null(c);
	for (unsigned int q = 0; q < 2; q++) {
		memset(disk_front_buf(c, q, 0), 'x', 4096);
		st = disk_front_io(c, q, 0, VIRTIO_BLK_T_OUT, q * 8, 4096);
		assert_int_equal(st, VIRTIO_BLK_S_OK);
	}
	d = rpc_call("disk_info", "{\"id\":\"n\"}");
	p = json_object_get(d, "placement");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "device_node")), 1);
	assert_string_equal(json_string_value(json_object_get(p, "device")),
			    "nvme1n1");
	assert_string_equal(json_string_value(json_object_get(p, "rule")),
			    "device-local reactors");
	assert_int_equal(int_at(json_object_get(p, "queue_reactors"), 0), 1);
	assert_int_equal(int_at(json_object_get(p, "queue_reactors"), 1), 1);
	assert_int_equal(int_at(json_object_get(p, "reactor_nodes"), 0), 1);
	assert_int_equal(int_at(json_object_get(p, "reactor_nodes"), 1), 1);
	assert_true(json_is_false(json_object_get(p, "guest_hugepages")));
	/* The guest memory is real (a memfd): its node is this machine's. */
	page = disk_front_buf(c, 0, 0);
	assert_true(syscall(SYS_move_pages, 0, 1ul, &page, NULL, &status, 0) == 0);
	gm = json_object_get(p, "guest_mem_nodes");
	assert_true(json_is_array(gm));
	assert_int_equal(json_array_size(gm), 1);
	assert_int_equal(int_at(gm, 0), status);
	json_decref(d);
	assert_true(log_has("disk n: nvme1n1 on NUMA node 1: queues on reactors 1,1"));
	assert_true(log_has("disk n: guest memory 4 MiB in 1 region, not on hugepages"));
	/* Real node 0 against the fake node 1 of device and reactors. */
	if (status != 1)
		assert_true(log_has("disk n: device on NUMA node 1, its reactors on 1, "
				    "guest memory on 0: I/O crosses nodes"));
	vufront_close(c);
}

static void test_null_disk_spreads(void **state)
{
	json_t *d = rpc_call("disk_info", "{\"id\":\"z\"}"), *p, *nodes;

	(void)state;
	p = json_object_get(d, "placement");
	assert_true(json_is_null(json_object_get(p, "device_node")));
	assert_non_null(strstr(json_string_value(json_object_get(p,
					"device_node_why")), "null backend"));
	nodes = json_object_get(p, "reactor_nodes");
	/* Both nodes' reactors take a queue. */
	assert_int_equal(int_at(nodes, 0) + int_at(nodes, 1), 1);
	assert_true(json_is_null(json_object_get(p, "guest_mem_nodes")));
	json_decref(d);
	assert_true(log_has("disk z: NUMA node of its device unknown (null backend"));
}

/* vmio disk info prints the placement for a person. */
static void test_cli_shows_placement(void **state)
{
	char cmd[512], out[8192];
	size_t n;
	FILE *p;

	(void)state;
	snprintf(cmd, sizeof(cmd), "VMIO_RPC='%s' '%s' disk info n", rpc,
		 getenv("VMIO"));
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "device node        1 (nvme1n1)\n"));
	assert_non_null(strstr(out, "queue reactors     q0: reactor 1 (node 1), "
				    "q1: reactor 1 (node 1)\n"));
	assert_non_null(strstr(out, "placed on          device-local reactors\n"));
}

/* LUNs on the node-1 disk (and a null LUN, which does not count): the
 * request queues go to reactor 1; I/O from vmio bench (verified) runs
 * there, and the guest memory's node is learnt and judged. */
static void test_scsi_target_on_lun_node(void **state)
{
	char node[64], want[256];

	(void)state;
	assert_true(log_has("scsi target s: nvme1n1 on NUMA node 1: queues on "
			    "reactors 1,1 (node 1)\n"));
	bench_scsi(ssock, "--verify --runtime 1");
	assert_true(log_has("scsi s: request queue 2 started on reactor 1 "));
	assert_true(log_has("scsi s: request queue 3 started on reactor 1 "));
	assert_false(log_has("scsi s: request queue 2 started on reactor 0 "));
	assert_false(log_has("scsi s: request queue 3 started on reactor 0 "));
	assert_true(log_has("scsi target s: guest memory "));
	assert_true(log_has(" in 1 region, not on hugepages"));
	/* The bench's memory is real: its node is this machine's. */
	assert_true(log_after("scsi target s: guest memory on NUMA node ", node,
			      sizeof(node)));
	if (strcmp(node, "1")) {
		snprintf(want, sizeof(want), "scsi target s: device on NUMA "
			 "node 1, its reactors on 1, guest memory on %s: I/O "
			 "crosses nodes", node);
		assert_true(log_has(want));
	}
}

/* Only a null LUN: no device node, the queues spread over both nodes. */
static void test_scsi_null_target_spreads(void **state)
{
	char list[64];

	(void)state;
	assert_true(log_after("scsi target sz: NUMA node of its device unknown "
			      "(null backend, no device); queues on reactors ",
			      list, sizeof(list)));
	assert_true(!strcmp(list, "0,1 of every node") ||
		    !strcmp(list, "1,0 of every node"));
	bench_scsi(zsock, "");
	assert_true(log_has("scsi sz: request queue 2 started on reactor "));
	assert_true((log_has("scsi sz: request queue 2 started on reactor 0 ") &&
		     log_has("scsi sz: request queue 3 started on reactor 1 ")) ||
		    (log_has("scsi sz: request queue 2 started on reactor 1 ") &&
		     log_has("scsi sz: request queue 3 started on reactor 0 ")));
}

/* LUNs on nodes 1 and 0: unknown, with the reason, every reactor. */
static void test_scsi_luns_on_two_nodes(void **state)
{
	char list[64];

	(void)state;
	assert_true(log_after("scsi target sx: NUMA node of its device unknown "
			      "(LUN 0 is on node 1 (nvme1n1), LUN 1 on node 0 "
			      "(nvme0n1)); queues on reactors ", list,
			      sizeof(list)));
	assert_true(!strcmp(list, "0,1 of every node") ||
		    !strcmp(list, "1,0 of every node"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reactors_have_nodes),
		cmocka_unit_test(test_disk_on_its_device_node),
		cmocka_unit_test(test_null_disk_spreads),
		cmocka_unit_test(test_cli_shows_placement),
		cmocka_unit_test(test_scsi_target_on_lun_node),
		cmocka_unit_test(test_scsi_null_target_spreads),
		cmocka_unit_test(test_scsi_luns_on_two_nodes),
	};

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs CPUs 0 and 1 for two pinned reactors\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
