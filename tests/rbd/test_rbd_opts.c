/* SPDX-License-Identifier: MIT */
/*
 * RBD configuration without a cluster: the --disk and --scsi keys for RBD
 * images (src/vmiod/devcfg.c), their JSON form both ways (disk_add,
 * config save), the pool/namespace/image spec of a LUN, and the sentences
 * each failure is explained with (bdev_rbd_explain).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bdev/bdev_rbd.h"
#include "devcfg.h"

static void test_disk_keys(void **s)
{
	struct disk_config d;
	char err[256];

	assert_int_equal(disk_config_from_opts(
		"id=vm1,backend=rbd,pool=rbd,image=vm1,socket=/run/vm1.sock,"
		"namespace=tenant-a,conf=/etc/ceph/c\\,1.conf,user=vmio,"
		"rbd-timeout=30,size=20G,queues=2", &d, err, sizeof(err)), 0);
	assert_int_equal(d.backend, DISK_BACKEND_RBD);
	assert_string_equal(d.pool, "rbd");
	assert_string_equal(d.image, "vm1");
	assert_string_equal(d.ns, "tenant-a");
	assert_string_equal(d.rbd.conf, "/etc/ceph/c,1.conf");
	assert_string_equal(d.rbd.user, "vmio");
	assert_int_equal(d.rbd.timeout_s, 30);
	assert_true(d.size == 20ull << 30);
	assert_null(d.path);
	disk_config_free(&d);

	/* The defaults: no conf (librados searches), admin, no timeout. */
	assert_int_equal(disk_config_from_opts(
		"id=a,backend=rbd,pool=p,image=i,socket=/s", &d, err,
		sizeof(err)), 0);
	assert_null(d.rbd.conf);
	assert_null(d.rbd.user);
	assert_null(d.ns);
	assert_int_equal(d.rbd.timeout_s, 0);
	disk_config_free(&d);
}

static void disk_refused(const char *s, const char *why)
{
	struct disk_config d;
	char err[256] = "";

	assert_int_equal(disk_config_from_opts(s, &d, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s': expected '%s' in '%s'", s, why, err);
}

static void test_disk_refusals(void **s)
{
	disk_refused("id=a,backend=rbd,socket=/s,image=i", "needs pool=POOL");
	disk_refused("id=a,backend=rbd,socket=/s,pool=p", "and image=IMAGE");
	disk_refused("id=a,backend=rbd,socket=/s,pool=p,image=i,path=/x",
		     "backend=rbd takes no path");
	disk_refused("id=a,socket=/s,path=/x,pool=p", "are for backend=rbd");
	disk_refused("id=a,socket=/s,path=/x,rbd-timeout=5", "are for backend=rbd");
	disk_refused("id=a,backend=null,size=1G,socket=/s,conf=/c",
		     "are for backend=rbd");
	disk_refused("id=a,backend=rbd,socket=/s,pool=p/q,image=i", "pool=p/q");
	disk_refused("id=a,backend=rbd,socket=/s,pool=p,image=i@snap",
		     "image=i@snap");
	disk_refused("id=a,backend=rbd,socket=/s,pool=p,image=i,rbd-timeout=x",
		     "rbd-timeout");
	disk_refused("id=a,backend=ceph,socket=/s", "backend");
}

static void test_disk_json(void **s)
{
	struct disk_config d, back;
	char err[256];
	json_t *j;

	assert_int_equal(disk_config_from_opts(
		"id=vm1,backend=rbd,pool=rbd,image=vm1,socket=/s,conf=/c.conf,"
		"rbd-timeout=9", &d, err, sizeof(err)), 0);
	j = disk_config_to_json(&d);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "backend")), "rbd");
	assert_string_equal(json_string_value(json_object_get(j, "pool")), "rbd");
	assert_int_equal(json_integer_value(json_object_get(j, "rbd-timeout")), 9);
	assert_null(json_object_get(j, "path"));
	assert_null(json_object_get(j, "user")); /* unset: left out */
	assert_int_equal(disk_config_from_json(j, &back, err, sizeof(err)), 0);
	assert_string_equal(back.image, "vm1");
	assert_string_equal(back.rbd.conf, "/c.conf");
	assert_int_equal(back.rbd.timeout_s, 9);
	json_decref(j);
	disk_config_free(&back);
	disk_config_free(&d);
}

static void test_scsi_luns(void **s)
{
	struct scsi_config c, copy;
	char err[256];
	json_t *j, *luns;

	assert_int_equal(scsi_config_from_opts(
		"id=s0,socket=/s,lun0=/a.img,lun1=rbd:rbd/vm1,"
		"lun2=rbd:rbd/ns1/vm2,conf=/c.conf,user=u,rbd-timeout=7",
		&c, err, sizeof(err)), 0);
	assert_int_equal(c.nluns, 3);
	assert_string_equal(c.luns[0].path, "/a.img");
	assert_null(c.luns[0].rbd);
	assert_null(c.luns[1].path);
	assert_string_equal(c.luns[1].rbd, "rbd/vm1");
	assert_string_equal(c.luns[2].rbd, "rbd/ns1/vm2");
	assert_string_equal(c.rbd.conf, "/c.conf");
	assert_int_equal(c.rbd.timeout_s, 7);
	assert_int_equal(scsi_config_copy(&copy, &c), 0);
	assert_string_equal(copy.luns[2].rbd, "rbd/ns1/vm2");
	scsi_config_free(&copy);

	j = scsi_config_to_json(&c);
	luns = json_object_get(j, "luns");
	assert_string_equal(json_string_value(json_object_get(json_array_get(luns, 1),
							      "rbd")), "rbd/vm1");
	scsi_config_free(&c);
	assert_int_equal(scsi_config_from_json(j, &c, err, sizeof(err)), 0);
	assert_string_equal(c.luns[2].rbd, "rbd/ns1/vm2");
	assert_string_equal(c.rbd.user, "u");
	scsi_config_free(&c);
	json_decref(j);

	assert_int_not_equal(scsi_config_from_opts("id=s,socket=/s,lun0=rbd:vm1",
						   &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "rbd:POOL/IMAGE"));
	assert_int_not_equal(scsi_config_from_opts("id=s,socket=/s,lun0=rbd:a/b/c/d",
						   &c, err, sizeof(err)), 0);
	assert_int_not_equal(scsi_config_from_opts("id=s,socket=/s,lun0=rbd:a//c",
						   &c, err, sizeof(err)), 0);
	j = json_pack("{s:s,s:s,s:[{s:i,s:s,s:s}]}", "id", "s", "socket", "/s",
		      "luns", "lun", 0, "rbd", "p/i", "path", "/x");
	assert_int_not_equal(scsi_config_from_json(j, &c, err, sizeof(err)), 0);
	json_decref(j);
}

static void test_spec(void **s)
{
	const char *pool, *ns, *image;
	char buf[64];
	struct bdev_rbd_opts o = { .pool = "p", .image = "i" };

	assert_int_equal(bdev_rbd_parse_spec("p/i", buf, sizeof(buf), &pool, &ns,
					     &image), 0);
	assert_string_equal(pool, "p");
	assert_null(ns);
	assert_string_equal(image, "i");
	assert_int_equal(bdev_rbd_parse_spec("p/n/i", buf, sizeof(buf), &pool, &ns,
					     &image), 0);
	assert_string_equal(ns, "n");
	assert_int_equal(bdev_rbd_parse_spec("p", buf, sizeof(buf), &pool, &ns,
					     &image), -EINVAL);
	assert_int_equal(bdev_rbd_parse_spec("/i", buf, sizeof(buf), &pool, &ns,
					     &image), -EINVAL);
	assert_int_equal(bdev_rbd_parse_spec("p/i@s", buf, sizeof(buf), &pool,
					     &ns, &image), -EINVAL);
	assert_int_equal(bdev_rbd_parse_spec("p/a/b/c", buf, sizeof(buf), &pool,
					     &ns, &image), -EINVAL);
	assert_int_equal(bdev_rbd_name(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "p/i");
	o.ns = "n";
	assert_int_equal(bdev_rbd_name(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "p/n/i");
	assert_int_equal(bdev_rbd_name(&o, buf, 4), -ENAMETOOLONG);
}

static void explains(enum bdev_rbd_stage st, int err,
		     const struct bdev_rbd_opts *o, const char *want)
{
	char buf[512];

	bdev_rbd_explain(st, err, o, buf, sizeof(buf));
	if (!strstr(buf, want))
		fail_msg("stage %d, %d: expected '%s' in '%s'", st, err, want, buf);
}

static void test_explain(void **s)
{
	struct bdev_rbd_opts o = { .pool = "rbd", .image = "vm1",
				   .conf = "/etc/ceph/ceph.conf" };
	struct bdev_rbd_opts d = { .pool = "rbd", .image = "vm1", .ns = "t",
				   .user = "vmio" };
	char tiny[16];

	explains(RBD_STAGE_OPEN, -ENOENT, &o, "image rbd/vm1 does not exist");
	explains(RBD_STAGE_OPEN, -ENOENT, &o, "give size=");
	explains(RBD_STAGE_OPEN, -ENOENT, &d, "image rbd/t/vm1 does not exist");
	explains(RBD_STAGE_CONNECT, -ETIMEDOUT, &o,
		 "cannot connect to the cluster (/etc/ceph/ceph.conf, user "
		 "client.admin): Connection timed out; check that mon_host");
	explains(RBD_STAGE_CONNECT, -EACCES, &d, "the default ceph.conf, user "
		 "client.vmio");
	explains(RBD_STAGE_CONNECT, -EACCES, &d, "ceph.client.vmio.keyring");
	explains(RBD_STAGE_CONF, -ENOENT, &o, "cannot read the Ceph configuration "
		 "/etc/ceph/ceph.conf: No such file");
	explains(RBD_STAGE_POOL, -ENOENT, &o, "pool rbd does not exist");
	explains(RBD_STAGE_POOL, -ENOENT, &d, "pool rbd or its namespace t");
	explains(RBD_STAGE_OPEN, -EPERM, &d, "give client.vmio the caps mon "
		 "'profile rbd' osd 'profile rbd pool=rbd'");
	explains(RBD_STAGE_IO, -ETIMEDOUT, &o, "did not answer within rbd-timeout");
	explains(RBD_STAGE_IO, -ESHUTDOWN, &o, "blocklisted");
	explains(RBD_STAGE_RESIZE, -EROFS, &o, "cannot resize image rbd/vm1");
	explains(RBD_STAGE_CREATE, -EEXIST, &o, "cannot create image rbd/vm1");
	/* Cut short, never past the buffer. */
	bdev_rbd_explain(RBD_STAGE_OPEN, -EPERM, &d, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_keys),
		cmocka_unit_test(test_disk_refusals),
		cmocka_unit_test(test_disk_json),
		cmocka_unit_test(test_scsi_luns),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
