/* SPDX-License-Identifier: MIT */
/* mem_guard: a region whose file is truncated under us turns into zero
 * pages instead of a SIGBUS (once, whichever threads fault in it), its
 * owner is told; a sealed file needs no watch; a SIGBUS anywhere else
 * still kills the process, or reaches the handler that was there before;
 * slots are counted. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "vhost/guest_mem.h"
#include "vhost/mem_guard.h"

#define GPA 0x100000000ull
#define SIZE (4u << 20)

static int memfd(unsigned int seals)
{
	int fd = memfd_create("guard", MFD_CLOEXEC |
			      (seals ? MFD_ALLOW_SEALING : 0));

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, (int)seals), 0);
	return fd;
}

static void test_truncated_region_becomes_zero_pages(void **state)
{
	static struct guest_mem mem;
	int fd = memfd(0), efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	volatile uint8_t *p;
	uint64_t n = 0;

	guest_mem_init(&mem);
	mem.notify_fd = efd;
	assert_int_equal(guest_mem_add(&mem, GPA, SIZE, 0, 0, dup(fd)), 0);
	assert_false(mem.regions[0].sealed);
	assert_true(mem.regions[0].guard >= 0);
	p = guest_mem_gpa_to_hva(&mem, GPA, SIZE);
	p[0] = 1;
	p[SIZE - 1] = 2;
	assert_false(guest_mem_broken(&mem));

	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(p[SIZE / 2], 0); /* would have been SIGBUS */
	p[SIZE - 1] = 3;
	assert_int_equal(p[SIZE - 1], 3);
	assert_true(guest_mem_broken(&mem));
	assert_int_equal(guest_mem_broken_region(&mem), 0);
	assert_int_equal(read(efd, &n, sizeof(n)), sizeof(n));
	assert_int_equal(n, 1);

	guest_mem_clear(&mem);
	assert_false(guest_mem_broken(&mem));
	close(fd);
	close(efd);
}

static void test_sealed_region_is_not_watched(void **state)
{
	static struct guest_mem mem;
	int fd = memfd(F_SEAL_SHRINK | F_SEAL_GROW);

	assert_true(mem_guard_fd_sealed(fd));
	guest_mem_init(&mem);
	assert_int_equal(guest_mem_add(&mem, GPA, SIZE, 0, 0, dup(fd)), 0);
	assert_true(mem.regions[0].sealed);
	assert_int_equal(mem.regions[0].guard, -1);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	guest_mem_clear(&mem);
	close(fd);
	/* Sealing only against growth is no help. */
	fd = memfd(F_SEAL_GROW);
	assert_false(mem_guard_fd_sealed(fd));
	close(fd);
}

struct toucher {
	volatile uint8_t *p;
	pthread_barrier_t *start;
	unsigned long sum;
};

static void *touch_all(void *arg)
{
	struct toucher *t = arg;

	pthread_barrier_wait(t->start);
	for (size_t off = 0; off < SIZE; off += 4096)
		t->sum += t->p[off];
	return NULL;
}

/* Two threads fault in the same truncated region at once: both go on,
 * and the owner hears of it once. */
static void test_threads_fault_together(void **state)
{
	static struct guest_mem mem;
	int fd = memfd(0), efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct toucher t[2];
	pthread_barrier_t start;
	pthread_t th[2];
	uint64_t n = 0;

	guest_mem_init(&mem);
	mem.notify_fd = efd;
	assert_int_equal(guest_mem_add(&mem, GPA, SIZE, 0, 0, dup(fd)), 0);
	memset(guest_mem_gpa_to_hva(&mem, GPA, SIZE), 7, SIZE);
	assert_int_equal(ftruncate(fd, 0), 0);
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++) {
		t[i] = (struct toucher){ guest_mem_gpa_to_hva(&mem, GPA, SIZE),
					 &start, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, touch_all, &t[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].sum, 0);
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(read(efd, &n, sizeof(n)), sizeof(n));
	assert_int_equal(n, 1);
	guest_mem_clear(&mem);
	close(fd);
	close(efd);
}

static void assert_died_of_sigbus(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
}

/* In a child: the default action behind ours (cmocka's handler, which
 * the test runs under, would report and go on). */
static void child_default_behind_guard(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	static int flag;

	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, NULL);
	if (mem_guard_watch((void *)0x1000, 4096, &flag, -1) < 0)
		_exit(1);
}

static void test_other_sigbus_still_kills(void **state)
{
	pid_t pid;

	/* A truncated file nobody watches. */
	pid = fork();
	if (pid == 0) {
		int fd = memfd_create("unwatched", MFD_CLOEXEC);
		volatile uint8_t *p;

		child_default_behind_guard();
		if (fd < 0 || ftruncate(fd, SIZE))
			_exit(1);
		p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0))
			_exit(1);
		(void)p[0];
		_exit(0);
	}
	assert_died_of_sigbus(pid);

	/* A SIGBUS sent by a process, not a fault. */
	pid = fork();
	if (pid == 0) {
		child_default_behind_guard();
		raise(SIGBUS);
		_exit(0);
	}
	assert_died_of_sigbus(pid);
}

static void exit_42(int sig, siginfo_t *si, void *ctx)
{
	_exit(42);
}

/* A handler installed before ours (a sanitizer's) still gets the faults
 * that are not in guest memory. */
static void test_previous_handler_gets_other_sigbus(void **state)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = exit_42,
					.sa_flags = SA_SIGINFO };
		static int flag;
		int fd = memfd_create("unwatched", MFD_CLOEXEC);
		volatile uint8_t *p;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
		if (mem_guard_watch((void *)0x1000, 4096, &flag, -1) < 0 ||
		    fd < 0 || ftruncate(fd, SIZE))
			_exit(1);
		p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0))
			_exit(1);
		(void)p[0];
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
}

static void test_slots_run_out(void **state)
{
	static int handles[MEM_GUARD_SLOTS];
	int flag = 0, n = 0;

	for (; n < MEM_GUARD_SLOTS; n++) {
		handles[n] = mem_guard_watch((void *)0x1000, 4096, &flag, -1);
		if (handles[n] < 0)
			break;
	}
	assert_int_equal(n, MEM_GUARD_SLOTS);
	assert_int_equal(mem_guard_watch((void *)0x1000, 4096, &flag, -1),
			 -ENOSPC);
	for (int i = 0; i < n; i++)
		mem_guard_unwatch(handles[i]);
	n = mem_guard_watch((void *)0x1000, 4096, &flag, -1);
	assert_true(n >= 0);
	mem_guard_unwatch(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_region_becomes_zero_pages),
		cmocka_unit_test(test_sealed_region_is_not_watched),
		cmocka_unit_test(test_threads_fault_together),
		cmocka_unit_test(test_other_sigbus_still_kills),
		cmocka_unit_test(test_previous_handler_gets_other_sigbus),
		cmocka_unit_test(test_slots_run_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
