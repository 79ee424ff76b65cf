/* SPDX-License-Identifier: MIT */
/* Sockets handed in (util/listen_fds.h, util/unix_listen.h): systemd's
 * LISTEN_* variables read for this process only and then unset, names
 * found, each descriptor serving one listener at a time and free again
 * once it is closed, its file never removed; fd:N parsed strictly. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/listen_fds.h"
#include "util/log.h"
#include "util/unix_listen.h"

static char dir[] = "/tmp/vmio-listen-fds.XXXXXX";
static char paths[3][128];
static char abstract[64]; /* per process: runs may overlap */

/* A listening unix socket bound to path (abstract: a name after a
 * leading NUL), moved to descriptor at. */
static void listen_at(const char *path, bool is_abstract, int at)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path + is_abstract, sizeof(sa.sun_path) - 1, "%s", path);
	if (is_abstract)
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(listen(fd, 4), 0);
	if (fd != at) {
		assert_int_equal(dup2(fd, at), at);
		close(fd);
	}
}

/* Descriptors 3, 4, 5 as systemd hands them in to this process, plus a
 * fourth (6) that is only inherited. */
static int setup(void **state)
{
	char pid[32];

	assert_non_null(mkdtemp(dir));
	/* Whatever sits at 3..7 now (the test runner's) is not ours. */
	for (int i = 0; i < 3; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/s%d.sock", dir, i);
		listen_at(paths[i], false, 3 + i);
	}
	snprintf(abstract, sizeof(abstract), "vmio-listen-fds-%d", (int)getpid());
	listen_at(abstract, true, 6);
	close(7);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "3", 1);
	setenv("LISTEN_FDNAMES", "rpc:vm1:spare", 1);
	listen_fds_init();
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < 3; i++)
		unlink(paths[i]);
	rmdir(dir);
	return 0;
}

static void test_env_is_read_then_unset(void **state)
{
	assert_null(getenv("LISTEN_PID"));
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));
	assert_string_equal(listen_fds_name(3), "rpc");
	assert_string_equal(listen_fds_name(4), "vm1");
	assert_string_equal(listen_fds_name(5), "spare");
	assert_null(listen_fds_name(6)); /* inherited, not from systemd */
	/* Like sd_listen_fds: systemd's descriptors are close-on-exec now. */
	for (int fd = 3; fd <= 5; fd++)
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void test_parse(void **state)
{
	int fd = -1;

	assert_int_equal(listen_fds_parse("fd:3", &fd), 1);
	assert_int_equal(fd, 3);
	assert_int_equal(listen_fds_parse("/run/vmio/vm1.sock", &fd), 0);
	assert_int_equal(listen_fds_parse("systemd", &fd), 0);
	assert_int_equal(listen_fds_parse("fd:", &fd), -EINVAL);
	assert_int_equal(listen_fds_parse("fd:3x", &fd), -EINVAL);
	assert_int_equal(listen_fds_parse("fd:-1", &fd), -EINVAL);
	assert_int_equal(listen_fds_parse("fd:99999999999", &fd), -EINVAL);
	assert_true(listen_fds_is_systemd("systemd"));
	assert_false(listen_fds_is_systemd("./systemd"));
	assert_true(listen_fds_same_socket("fd:3", "fd:3"));
	assert_false(listen_fds_same_socket("fd:3", "fd:4"));
	assert_false(listen_fds_same_socket("systemd", "systemd"));
	assert_true(listen_fds_same_socket("/a.sock", "/a.sock"));
}

static void test_named_one_user_at_a_time(void **state)
{
	struct unix_listen_opts o = { .sd_name = "vm1", .who = "vm1" };
	struct unix_listen_opts other = { .sd_name = "vm2", .who = "vm2" };
	struct unix_listener a, b;
	struct stat st;

	assert_int_equal(unix_listen(&a, "systemd", &o), 0);
	assert_true(a.fd > 6);
	assert_int_equal(a.handed, 4);
	assert_string_equal(a.bound, paths[1]);
	assert_true(fcntl(a.fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(a.fd, F_GETFD) & FD_CLOEXEC);
	/* The same socket by number: taken already. */
	assert_int_equal(unix_listen(&b, "fd:4", &o), -EBUSY);
	assert_int_equal(unix_listen(&b, "systemd", &other), -ENOENT);
	unix_listener_close(&a);
	assert_int_equal(stat(paths[1], &st), 0); /* its file stays */
	assert_int_equal(fcntl(4, F_GETFD) >= 0, 1); /* and the original */
	assert_int_equal(unix_listen(&b, "fd:4", &o), 0);
	unix_listener_close(&b);
}

static void test_fd_and_refusals(void **state)
{
	struct unix_listen_opts o = { .who = "t" };
	struct unix_listener l;
	int fd;

	/* An inherited socket that is not systemd's, abstract. */
	assert_int_equal(unix_listen(&l, "fd:6", &o), 0);
	assert_non_null(l.bound);
	assert_int_equal(l.bound[0], '@');
	assert_string_equal(l.bound + 1, abstract);
	unix_listener_close(&l);
	/* Not open at start (opened since: still refused). */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 7), 7);
	assert_int_equal(unix_listen(&l, "fd:7", &o), -EBADF);
	assert_int_equal(unix_listen(&l, "fd:1", &o), -EBADF);
	assert_int_equal(unix_listen(&l, "systemd", &o), -EINVAL); /* no name */
	close(7);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_is_read_then_unset),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_named_one_user_at_a_time),
		cmocka_unit_test(test_fd_and_refusals),
	};

	log_init("test_listen_fds", LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
