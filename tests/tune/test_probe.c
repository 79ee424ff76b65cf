/* SPDX-License-Identifier: MIT */
/* Host probes on the fixture trees, qcow2 headers, XML edits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tune/dom.h"
#include "tune/host.h"
#include "tune/image.h"
#include "tune/report.h"
#include "topo/sysfs.h"
#include "tune/xml_edit.h"

static char tmp[64], good[4096], bad[4096];

/* The fixture trees are generated into a temp dir for this run. */
static int setup(void **state)
{
	const char *src = getenv("VMIO_SRC");
	char cmd[8192];

	(void)state;
	if (!src)
		return -1;
	snprintf(tmp, sizeof(tmp), "/tmp/vmio-tune-hosts-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s/tests/tune/mkhosts.sh' '%s' > /dev/null",
		 src, tmp);
	if (system(cmd) != 0)
		return -1;
	snprintf(good, sizeof(good), "%s/good", tmp);
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_bracketed(void **state)
{
	char out[32];

	(void)state;
	assert_string_equal(topo_sysfs_bracketed("none [mq-deadline] kyber", out,
					    sizeof(out)), "mq-deadline");
	assert_string_equal(topo_sysfs_bracketed("[none] bfq", out, sizeof(out)),
			    "none");
	assert_string_equal(topo_sysfs_bracketed("none", out, sizeof(out)), "none");
	assert_string_equal(topo_sysfs_bracketed("[broken", out, sizeof(out)),
			    "broken");
}

static void test_topology(void **state)
{
	struct topo t;
	struct cpuset pins, nodes;

	(void)state;
	assert_int_equal(topo_probe(good, &t), 0);
	assert_int_equal(t.nnodes, 2);
	assert_int_equal(t.ncpus, 16);
	cpuset_parse(&pins, "6-9");
	topo_nodes_of(&t, &pins, &nodes);
	assert_int_equal(cpuset_count(&nodes), 2);
	assert_int_equal(topo_probe("/nonexistent", &t), -ENOENT);
	assert_false(t.known);
}

static int leaves(const char *root, const char *path, char *joined)
{
	char names[8][64], why[256];
	int n = topo_bdev_leaves(root, path, names, 8, why, sizeof(why));

	joined[0] = '\0';
	for (int i = 0; i < n; i++)
		sprintf(joined + strlen(joined), "%s%s", i ? "," : "", names[i]);
	return n;
}

static void test_leaves(void **state)
{
	char j[512];

	(void)state;
	assert_int_equal(leaves(good, "/var/lib/libvirt/images/x.raw", j), 1);
	assert_string_equal(j, "nvme0n1");	/* partition -> disk */
	assert_int_equal(leaves(good, "/srv/lvm/x.raw", j), 1);
	assert_string_equal(j, "nvme1n1");	/* dm-0 -> slave partition */
	assert_int_equal(leaves(good, "/srv/ssd/x.raw", j), 2);
	assert_string_equal(j, "sdb,sdc");	/* md0 -> two disks */
	assert_int_equal(leaves(good, "/dev/mapper/vg0-data", j), 1);
	assert_string_equal(j, "nvme1n1");	/* /dev symlink -> dm-0 */
	assert_int_equal(leaves(good, "/dev/nvme0n1p2", j), 1);
	assert_string_equal(j, "nvme0n1");
	assert_true(leaves(good, "/srv/overlay/x.raw", j) < 0);
	assert_true(leaves(good, "/dev/nosuch", j) < 0);
	assert_true(leaves("/nonexistent", "/x.raw", j) < 0);
}

static void test_bdev_info(void **state)
{
	struct topo_bdev b;

	(void)state;
	assert_int_equal(topo_bdev_info(bad, "nvme1n1", &b), 0);
	assert_true(b.nvme);
	assert_int_equal(b.numa, 1);
	assert_int_equal(b.nr_hwq, 4);
	assert_int_equal(topo_bdev_info(bad, "sda", &b), 0);
	assert_int_equal(b.rotational, 1);
	assert_string_equal(b.sched, "none");
	assert_int_equal(b.numa, 0);
	assert_true(topo_bdev_info(bad, "nosuch", &b) < 0);
}

static void test_nic(void **state)
{
	char ports[4][64];
	struct host_nic n;

	(void)state;
	assert_int_equal(host_nic_lowers(bad, "br0", ports, 4), 1);
	assert_string_equal(ports[0], "eth0");
	assert_int_equal(host_nic_info(bad, "eth0", &n), 0);
	assert_int_equal(n.numa, 1);
	assert_int_equal(n.rxq, 1);
	assert_int_equal(n.sriov_total, 8);
	assert_string_equal(n.pci, "0000:80:03.0");
}

static void test_image_not_qcow2(void **state)
{
	struct image_info ii;
	char path[64] = "/tmp/vmio-tune-img-XXXXXX";
	int fd = mkstemp(path), depth;
	char why[256];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "QFI", 3), 3);	/* truncated header */
	close(fd);
	assert_int_equal(image_probe("/", path, &ii), 0);
	assert_false(ii.qcow2);
	assert_int_equal(image_chain_depth("/", path, &depth, why, sizeof(why)),
			 0);
	assert_int_equal(depth, 0);
	unlink(path);
	assert_true(image_probe("/", path, &ii) < 0);
}

static const char *xml =
	"<domain type='kvm'>\n"
	"  <name>e</name>\n"
	"  <devices>\n"
	"    <disk type='file'>\n"
	"      <target dev='hda'/>\n"
	"      <address type='drive'/>\n"
	"    </disk>\n"
	"  </devices>\n"
	"</domain>\n";

static void test_edit(void **state)
{
	struct tune_report r;
	struct tune_finding *f;
	struct tune_dom *d;
	char err[256], bus[16];
	xmlNodePtr disk;
	xmlChar *out;
	int len;

	(void)state;
	assert_int_equal(dom_parse(xml, "e.xml", "e.xml", &d, err, sizeof(err)),
			 0);
	disk = dom_node(d, NULL, "/domain/devices/disk");
	assert_string_equal(dom_disk_bus_raw(disk, bus, sizeof(bus)), "ide");
	assert_true(dom_disk_is_virtio(disk));	/* D01 will convert it */
	report_init(&r);
	f = report_add(&r, "T01", "test", TUNE_WARN, d, "x");
	edit_set_attr(f, disk, "driver", "cache", "none");
	edit_set_attr(f, d->root, "cputune/iothreadpin[@iothread='2']",
		      "cpuset", "0");
	edit_del_node(f, dom_child(disk, "address"));
	edit_del_node(f, dom_child(disk, "address"));	/* twice: harmless */
	edit_set_text(f, d->root, "iothreads", "1");
	assert_int_equal(xml_edit_apply(d, &r), 5);
	xmlDocDumpMemory(d->doc, &out, &len);
	assert_non_null(strstr((char *)out,
			       "      <target dev=\"hda\"/>\n      <driver cache=\"none\"/>\n    </disk>"));
	assert_non_null(strstr((char *)out,
			       "  <cputune>\n    <iothreadpin iothread=\"2\" cpuset=\"0\"/>\n  </cputune>\n"));
	assert_non_null(strstr((char *)out, "  <iothreads>1</iothreads>\n</domain>"));
	assert_null(strstr((char *)out, "address"));
	xmlFree(out);
	report_free(&r);
	dom_free(d);
}

static void test_parse_errors(void **state)
{
	struct tune_dom *d;
	char err[256];

	(void)state;
	assert_true(dom_parse("<domain><name>x</domain>", "m.xml", "m", &d,
			      err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "m.xml line 1:"));
	assert_true(dom_parse("<pool/>", "p.xml", "p", &d, err,
			      sizeof(err)) < 0);
	assert_non_null(strstr(err, "root element is <pool>"));
	assert_int_equal(dom_scaled_kib("2", "GiB"), 2 * 1024 * 1024);
	assert_int_equal(dom_scaled_kib("1048576", NULL), 1048576);
	assert_int_equal(dom_scaled_kib("1", "G"), 1024 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bracketed),
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_leaves),
		cmocka_unit_test(test_bdev_info),
		cmocka_unit_test(test_nic),
		cmocka_unit_test(test_image_not_qcow2),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
