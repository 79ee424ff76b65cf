/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC socket server on a real unix socket, driven by a small
 * event loop on its own thread (as vmiod's control loop drives it):
 * framing, back-pressure, idle and busy clients, size caps, socket files.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "rpc/rpc.h"
#include "util/clock.h"
#include "util/log.h"

struct watch {
	int fd;
	void (*fn)(void *arg, unsigned int ev);
	void *arg;
};

struct loop {
	int epfd, stopfd;
	struct watch w;
	pthread_t th;
	struct rpc_server *s;
	char path[108];
	char dir[64];
};

static int l_watch(void *lp, int fd, void (*fn)(void *, unsigned int), void *arg)
{
	struct loop *l = lp;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->w };

	l->w = (struct watch){ fd, fn, arg };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void l_unwatch(void *lp, int fd)
{
	struct loop *l = lp;

	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void *l_run(void *arg)
{
	struct loop *l = arg;

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(l->epfd, evs, 8, 1000);

		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			if (!w)
				return NULL;
			w->fn(w->arg, evs[i].events);
		}
	}
}

static char big[65536];

static int m_echo(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = p ? json_incref(p) : NULL;
	return 0;
}

static int m_big(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_string(big);
	return 0;
}

static const struct rpc_method methods[] = {
	{ "echo", m_echo, "" },
	{ "big", m_big, "" },
	{ NULL, NULL, NULL },
};

static void loop_start(struct loop *l, const struct rpc_server_opts *o)
{
	struct rpc_hooks hooks = { l_watch, l_unwatch, l };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	snprintf(l->dir, sizeof(l->dir), "/tmp/rpc-test.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->path, sizeof(l->path), "%s/rpc.sock", l->dir);
	l->epfd = epoll_create1(0);
	l->stopfd = eventfd(0, 0);
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev);
	assert_int_equal(rpc_server_create(l->path, methods, NULL, &hooks, o, &l->s), 0);
	assert_int_equal(pthread_create(&l->th, NULL, l_run, l), 0);
}

static void loop_stop(struct loop *l)
{
	uint64_t one = 1;

	assert_int_equal(write(l->stopfd, &one, sizeof(one)), sizeof(one));
	pthread_join(l->th, NULL);
	rpc_server_destroy(l->s);
	close(l->stopfd);
	close(l->epfd);
	assert_int_equal(access(l->path, F_OK), -1); /* the socket file is gone */
	rmdir(l->dir);
}

static int cli(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void cli_send(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* One line (without the newline) into buf; -1 on EOF, -2 on timeout. */
static int cli_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -2;
		n = recv(fd, buf + got, 1, 0);
		if (n <= 0)
			return -1;
		if (buf[got] == '\n') {
			buf[got] = '\0';
			return (int)got;
		}
		got++;
	}
	return (int)got;
}

static long id_of(const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	long id;

	assert_non_null(j);
	id = (long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	return id;
}

#define REQ(id) "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{},\"id\":" #id "}"

static void test_framing(void **state)
{
	struct loop l;
	char line[4096];
	int fd;

	loop_start(&l, NULL);
	fd = cli(l.path);
	/* Three requests in one write, a fourth split across two with CRLF,
	 * blank lines between: answered in order. */
	cli_send(fd, REQ(1) "\n" REQ(2) "\n\n" REQ(3) "\n{\"jsonrpc\":\"2.0\",");
	usleep(50000);
	cli_send(fd, "\"method\":\"echo\",\"id\":4}\r\n");
	for (long i = 1; i <= 4; i++) {
		assert_true(cli_line(fd, line, sizeof(line), 2000) > 0);
		assert_int_equal(id_of(line), i);
	}
	/* A last request without a newline, then end of input: answered,
	 * then the server closes. */
	cli_send(fd, REQ(5));
	shutdown(fd, SHUT_WR);
	assert_true(cli_line(fd, line, sizeof(line), 2000) > 0);
	assert_int_equal(id_of(line), 5);
	assert_int_equal(cli_line(fd, line, sizeof(line), 2000), -1);
	close(fd);
	loop_stop(&l);
}

static void test_oversized_line(void **state)
{
	struct rpc_server_opts o = { .max_request = 1024 };
	char junk[3000], line[4096];
	struct loop l;
	int fd, other;

	loop_start(&l, &o);
	other = cli(l.path);
	fd = cli(l.path);
	memset(junk, 'a', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	(void)!send(fd, junk, strlen(junk), MSG_NOSIGNAL);
	assert_true(cli_line(fd, line, sizeof(line), 2000) > 0);
	assert_non_null(strstr(line, "larger than 1024 bytes"));
	assert_int_equal(cli_line(fd, line, sizeof(line), 2000), -1);
	/* A request just under the cap is fine, and the neighbour unharmed. */
	cli_send(other, REQ(9) "\n");
	assert_true(cli_line(other, line, sizeof(line), 2000) > 0);
	assert_int_equal(id_of(line), 9);
	close(fd);
	close(other);
	loop_stop(&l);
}

static void test_idle_client_dropped(void **state)
{
	struct rpc_server_opts o = { .idle_ms = 200 };
	uint64_t t0 = clock_now_ns();
	char line[256];
	struct loop l;
	int fd;

	loop_start(&l, &o);
	fd = cli(l.path);
	/* Half a request, then silence: dropped at the timeout. */
	cli_send(fd, "{\"jsonrpc\":");
	assert_int_equal(cli_line(fd, line, sizeof(line), 3000), -1);
	assert_true(clock_now_ns() - t0 >= 200 * NSEC_PER_MSEC);
	close(fd);
	loop_stop(&l);
}

/* A client trickling a request a byte at a time keeps itself from the
 * idle timeout but not from the request deadline: it gets the reason,
 * then EOF, and the slot is free again. */
static void test_trickle_refused(void **state)
{
	struct rpc_server_opts o = { .idle_ms = 60000, .request_ms = 300 };
	uint64_t t0 = clock_now_ns();
	char line[512];
	struct loop l;
	int fd, got = -2;

	loop_start(&l, &o);
	fd = cli(l.path);
	for (int i = 0; i < 100 && got == -2; i++) {
		(void)!send(fd, "{", 1, MSG_NOSIGNAL);
		got = cli_line(fd, line, sizeof(line), 50);
	}
	assert_true(got > 0);
	assert_non_null(strstr(line, "not received whole in time"));
	assert_true(clock_now_ns() - t0 >= 300 * NSEC_PER_MSEC);
	assert_int_equal(cli_line(fd, line, sizeof(line), 3000), -1);
	close(fd);
	loop_stop(&l);
}

/* A client that goes on sending far past the cap still reads the
 * reason (no reset from closing with unread input). */
static void test_oversized_stream_reads_reason(void **state)
{
	struct rpc_server_opts o = { .max_request = 4096 };
	static char junk[1 << 20];
	char line[512];
	struct loop l;
	size_t sent = 0;
	int fd;

	memset(junk, 'b', sizeof(junk));
	loop_start(&l, &o);
	fd = cli(l.path);
	while (sent < sizeof(junk)) {
		ssize_t n = send(fd, junk + sent, sizeof(junk) - sent, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	assert_int_equal(sent, sizeof(junk));
	assert_true(cli_line(fd, line, sizeof(line), 3000) > 0);
	assert_non_null(strstr(line, "larger than 4096 bytes"));
	shutdown(fd, SHUT_WR);
	assert_int_equal(cli_line(fd, line, sizeof(line), 3000), -1);
	close(fd);
	loop_stop(&l);
}

/* Every slot held by a client that only waits: a newcomer is served and
 * the one idle the longest goes. */
static void test_full_evicts_idlest(void **state)
{
	struct rpc_server_opts o = { .max_clients = 4 };
	char line[512];
	struct loop l;
	int fds[4], extra, gone = 0;

	loop_start(&l, &o);
	for (int i = 0; i < 4; i++)
		fds[i] = cli(l.path);
	usleep(1200000);
	extra = cli(l.path);
	cli_send(extra, REQ(3) "\n");
	assert_true(cli_line(extra, line, sizeof(line), 2000) > 0);
	assert_int_equal(id_of(line), 3);
	for (int i = 0; i < 4; i++)
		gone += cli_line(fds[i], line, sizeof(line), 200) == -1;
	assert_int_equal(gone, 1);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	close(extra);
	loop_stop(&l);
}

static void test_busy_refused_with_reason(void **state)
{
	struct rpc_server_opts o = { .max_clients = 4 };
	char line[512];
	struct loop l;
	int fds[4], extra;

	loop_start(&l, &o);
	for (int i = 0; i < 4; i++) {
		fds[i] = cli(l.path);
		cli_send(fds[i], REQ(1) "\n");
		assert_true(cli_line(fds[i], line, sizeof(line), 2000) > 0);
	}
	extra = cli(l.path);
	assert_true(cli_line(extra, line, sizeof(line), 2000) > 0);
	assert_non_null(strstr(line, "too many clients"));
	assert_int_equal(cli_line(extra, line, sizeof(line), 2000), -1);
	close(extra);
	/* A slot freed is a slot to use. */
	close(fds[0]);
	usleep(100000);
	fds[0] = cli(l.path);
	cli_send(fds[0], REQ(2) "\n");
	assert_true(cli_line(fds[0], line, sizeof(line), 2000) > 0);
	assert_int_equal(id_of(line), 2);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	loop_stop(&l);
}

/* A client that floods requests and never reads stops being read from
 * (its replies wait in a bounded buffer) and is dropped at the idle
 * timeout; meanwhile another client is answered at once. */
static void test_non_reader_does_not_block(void **state)
{
	struct rpc_server_opts o = { .idle_ms = 500 };
	static const char req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"id\":1}\n";
	char line[256];
	struct loop l;
	int hog, fd;
	size_t sent = 0;

	memset(big, 'x', sizeof(big) - 1);
	loop_start(&l, &o);
	hog = cli(l.path);
	for (int i = 0; i < 20000; i++) {
		ssize_t n = send(hog, req, sizeof(req) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			break;
		sent += (size_t)n;
	}
	assert_true(sent > 10 * sizeof(req)); /* it did flood */
	fd = cli(l.path);
	/* Each answer within a second even on a loaded 2-core machine (an
	 * event loop stuck on the hog would never answer). */
	for (long i = 1; i <= 20; i++) {
		cli_send(fd, REQ(7) "\n");
		assert_true(cli_line(fd, line, sizeof(line), 1000) > 0);
		assert_int_equal(id_of(line), 7);
	}
	/* The hog is cut off: draining its socket ends in EOF or a reset. */
	usleep(1500000);
	for (;;) {
		char buf[65536];
		ssize_t n = recv(hog, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		assert_false(n < 0); /* EAGAIN: still connected */
	}
	close(hog);
	close(fd);
	loop_stop(&l);
}

static void test_many_clients_at_once(void **state)
{
	enum { N = 60 };
	char line[256], req[128];
	struct loop l;
	int fds[N];

	loop_start(&l, NULL);
	for (int i = 0; i < N; i++)
		fds[i] = cli(l.path);
	for (int i = 0; i < N; i++) {
		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
			 "\"id\":%d}\n", i + 100);
		cli_send(fds[i], req);
	}
	for (int i = N - 1; i >= 0; i--) {
		assert_true(cli_line(fds[i], line, sizeof(line), 2000) > 0);
		assert_int_equal(id_of(line), i + 100);
		close(fds[i]);
	}
	loop_stop(&l);
}

static void test_socket_file(void **state)
{
	struct rpc_hooks hooks = { l_watch, l_unwatch, NULL };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rpc_server *s2;
	struct loop l, l2;
	struct stat st;
	char file[100];
	int fd;

	loop_start(&l, NULL);
	assert_int_equal(stat(l.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	/* A second server on a live socket is refused. */
	l2.epfd = epoll_create1(0);
	hooks.loop = &l2;
	assert_int_equal(rpc_server_create(l.path, methods, NULL, &hooks, NULL, &s2),
			 -EADDRINUSE);
	/* A regular file is never replaced. */
	snprintf(file, sizeof(file), "%s/file", l.dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(rpc_server_create(file, methods, NULL, &hooks, NULL, &s2),
			 -EEXIST);
	assert_int_equal(unlink(file), 0);
	/* A stale socket (nobody listening) is. */
	snprintf(file, sizeof(file), "%s/stale.sock", l.dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", file);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(rpc_server_create(file, methods, NULL, &hooks, NULL, &s2), 0);
	rpc_server_destroy(s2);
	close(l2.epfd);
	loop_stop(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_oversized_line),
		cmocka_unit_test(test_idle_client_dropped),
		cmocka_unit_test(test_trickle_refused),
		cmocka_unit_test(test_oversized_stream_reads_reason),
		cmocka_unit_test(test_full_evicts_idlest),
		cmocka_unit_test(test_busy_refused_with_reason),
		cmocka_unit_test(test_non_reader_does_not_block),
		cmocka_unit_test(test_many_clients_at_once),
		cmocka_unit_test(test_socket_file),
	};

	log_init("test_rpc_server", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
