/* SPDX-License-Identifier: MIT */
/* The --scsi option parser (src/vmiod/devcfg.c): what it accepts, and what
 * it refuses with a reason a person can act on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devcfg.h"

static void test_full(void **s)
{
	struct scsi_config c;
	char why[256];

	assert_int_equal(scsi_config_from_opts("id=s0,socket=/tmp/s.sock,queues=4,"
					       "lun2=/b.img,lun0=/a.img,lun1=null:1G,"
					       "ro=on,direct=off,blk-size=4096",
					       &c, why, sizeof(why)), 0);
	assert_string_equal(c.id, "s0");
	assert_string_equal(c.socket, "/tmp/s.sock");
	assert_int_equal(c.queues, 4);
	assert_true(c.ro);
	assert_false(c.direct);
	assert_int_equal(c.blk_size, 4096);
	assert_int_equal(c.nluns, 3);
	/* Sorted by LUN number. */
	assert_int_equal(c.luns[0].lun, 0);
	assert_string_equal(c.luns[0].path, "/a.img");
	assert_int_equal(c.luns[1].lun, 1);
	assert_null(c.luns[1].path);
	assert_true(c.luns[1].null_size == 1ull << 30);
	assert_int_equal(c.luns[2].lun, 2);
	scsi_config_free(&c);
}

static void test_defaults(void **s)
{
	struct scsi_config c;
	char why[256];

	assert_int_equal(scsi_config_from_opts("id=a,socket=b,lun0=/x", &c, why,
					       sizeof(why)), 0);
	assert_int_equal(c.queues, 1);
	assert_true(c.direct);
	assert_false(c.ro);
	assert_int_equal(c.blk_size, 0);
	scsi_config_free(&c);
}

static void refused(const char *s)
{
	struct scsi_config c;
	char why[256] = "";

	assert_int_not_equal(scsi_config_from_opts(s, &c, why, sizeof(why)), 0);
	assert_true(strlen(why) > 10);
}

static void test_refused(void **s)
{
	refused("socket=b,lun0=/x");                 /* no id */
	refused("id=a,lun0=/x");                     /* no socket */
	refused("id=a,socket=b");                    /* no LUN */
	refused("id=a,socket=b,lun0=");              /* empty file */
	refused("id=a,socket=b,lun256=/x");          /* out of range */
	refused("id=a,socket=b,lun00=/x,lunx=/y");   /* unknown keys */
	refused("id=a,socket=b,lun0=/x,lun0=/y");    /* twice */
	refused("id=a,socket=b,lun0=/x,queues=0");
	refused("id=a,socket=b,lun0=/x,queues=63");
	refused("id=a,socket=b,lun0=/x,ro=maybe");
	refused("id=a,socket=b,lun0=/x,blk-size=1024");
	refused("id=a,socket=b,lun0=null:12");       /* too small */
	refused("id=a,socket=b,lun0=/x,colour=red");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
