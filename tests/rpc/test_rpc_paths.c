/* SPDX-License-Identifier: MIT */
/* The image-dir allowlist against .., symlinks and prefix tricks, on a
 * real directory tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rpc_paths.h"

static char root[64];

static void at(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", root, rel);
}

static void touch(const char *rel)
{
	char p[PATH_MAX];

	at(p, rel);
	close(open(p, O_CREAT | O_WRONLY, 0600));
}

static void link_to(const char *target, const char *rel)
{
	char p[PATH_MAX];

	at(p, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	char p[PATH_MAX];

	snprintf(root, sizeof(root), "/tmp/rpc-paths.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	at(p, "images");
	mkdir(p, 0700);
	at(p, "images/sub");
	mkdir(p, 0700);
	at(p, "images2");
	mkdir(p, 0700);
	touch("images/a.img");
	touch("images2/b.img");
	touch("secret");
	link_to("/etc", "images/etc");
	link_to("../secret", "images/up.img");
	link_to("a.img", "images/alias.img");
	link_to("nowhere", "images/dangling.img");
	link_to("images", "images-link");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

/* Checks rel (under root) against images/; returns the result code. */
static int check(const char *rel, char *real)
{
	char dir[PATH_MAX], p[PATH_MAX], err[512] = "";
	char *dirs[] = { dir };
	int ret;

	at(dir, "images");
	if (rel[0] == '/')
		snprintf(p, sizeof(p), "%s", rel);
	else
		at(p, rel);
	ret = rpc_path_check(p, dirs, 1, real, PATH_MAX, err, sizeof(err));
	if (ret)
		assert_true(err[0]); /* every refusal says why */
	if (ret == -EACCES)
		assert_non_null(strstr(err, "outside the allowed directory"));
	return ret;
}

static void test_inside(void **state)
{
	char real[PATH_MAX], want[PATH_MAX];

	assert_int_equal(check("images/a.img", real), 0);
	at(want, "images/a.img");
	assert_string_equal(real, want);
	/* Not there yet: its directory decides, the name is kept. */
	assert_int_equal(check("images/sub/new.img", real), 0);
	at(want, "images/sub/new.img");
	assert_string_equal(real, want);
	/* A link that stays inside resolves to its target. */
	assert_int_equal(check("images/alias.img", real), 0);
	at(want, "images/a.img");
	assert_string_equal(real, want);
	/* .. that comes back in is fine; so is a path via a linked parent. */
	assert_int_equal(check("images/sub/../a.img", real), 0);
	assert_int_equal(check("images-link/new.img", real), 0);
	at(want, "images/new.img");
	assert_string_equal(real, want);
}

static void test_outside(void **state)
{
	char real[PATH_MAX];

	assert_int_equal(check("images/../secret", real), -EACCES);
	assert_int_equal(check("images/../new.img", real), -EACCES);
	assert_int_equal(check("images/up.img", real), -EACCES);
	assert_int_equal(check("images/etc/passwd", real), -EACCES);
	assert_int_equal(check("images/etc/new.img", real), -EACCES);
	assert_int_equal(check("images2/b.img", real), -EACCES); /* prefix */
	assert_int_equal(check("/tmp/x.img", real), -EACCES);
	assert_int_equal(check("images", real), -EACCES);  /* the dir itself */
	assert_int_equal(check("images/", real), -EACCES);
	assert_int_equal(check("images/sub/..", real), -EACCES);
}

static void test_refusals_with_reasons(void **state)
{
	char real[PATH_MAX], err[512], p[PATH_MAX];

	/* Creating through a dangling link would create its target. */
	assert_int_equal(check("images/dangling.img", real), -ELOOP);
	assert_int_equal(check("images/nodir/x.img", real), -ENOENT);
	/* No --image-dir: no image may be opened. */
	at(p, "images/a.img");
	assert_int_equal(rpc_path_check(p, NULL, 0, real, sizeof(real), err,
					 sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "--image-dir"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inside),
		cmocka_unit_test(test_outside),
		cmocka_unit_test(test_refusals_with_reasons),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
