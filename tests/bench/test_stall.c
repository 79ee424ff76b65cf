/* SPDX-License-Identifier: MIT */
/*
 * The stall watch of vmio bench: a process stopped whole (SIGSTOP, as a
 * host pausing its VM stops every thread) for 120 ms is seen as a stall of
 * about that length; a run with no stop inside a short window sees none
 * of that size.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench/stall.h"

struct seen {
	unsigned int stalls;
	double max_ms;
};

/* Runs a watch for ms in a child, which the parent stops for stop_ms
 * (0: never) from 100 ms on; returns what the child's watch saw. */
static struct seen watch_child(unsigned int ms, unsigned int stop_ms)
{
	struct seen s = { 0 };
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stall_watch w;

		close(p[0]);
		if (stall_watch_start(&w))
			_exit(2);
		usleep(ms * 1000);
		stall_watch_stop(&w);
		s.stalls = w.stalls;
		s.max_ms = w.max_ms;
		_exit(write(p[1], &s, sizeof(s)) == sizeof(s) ? 0 : 3);
	}
	close(p[1]);
	if (stop_ms) {
		usleep(100 * 1000);
		kill(pid, SIGSTOP);
		usleep(stop_ms * 1000);
		kill(pid, SIGCONT);
	}
	assert_int_equal(read(p[0], &s, sizeof(s)), sizeof(s));
	close(p[0]);
	{
		int status;

		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	return s;
}

static void test_stop_is_seen(void **state)
{
	struct seen s = watch_child(400, 120);

	(void)state;
	assert_true(s.stalls >= 1);
	/* The stop's length, give or take the scheduling of both sides. */
	assert_true(s.max_ms >= 100 && s.max_ms < 2000);
}

static void test_running_process_is_not_stopped(void **state)
{
	struct seen s = watch_child(300, 0);

	(void)state;
	/* A host's own pause of the whole machine could land here too; a
	 * stop of 120 ms did not happen, so nothing of that length. */
	assert_true(s.max_ms < 100 || s.stalls <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_is_seen),
		cmocka_unit_test(test_running_process_is_not_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
