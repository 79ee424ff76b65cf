/* SPDX-License-Identifier: MIT */
#include "vmiod_proc.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vufront/vufront.h"

static bool socket_listening(const char *sock)
{
	/* A probe that connects and closes at once: vmiod sees a front-end
	 * come and go, which it must handle anyway. */
	struct vufront *f;
	char err[256];

	if (vufront_attach(sock, &f, err, sizeof(err)))
		return false;
	vufront_close(f);
	return true;
}

pid_t vmiod_spawn(const char *const *args, const char *const *wait_socks)
{
	const char *bin = getenv("VMIOD");
	const char *argv[64];
	int n = 0;
	pid_t pid;

	argv[n++] = bin ? bin : "vmiod";
	for (; *args && n < 62; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int tries = 0; tries < 500; tries++) {
		bool all = true;

		for (const char *const *s = wait_socks; *s; s++)
			all = all && socket_listening(*s);
		if (all) {
			usleep(20000); /* let vmiod see the probes go away */
			return pid;
		}
		if (!vmiod_alive(pid))
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return -1;
}

bool vmiod_alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

int vmiod_stop(pid_t pid)
{
	int status;

	/* A vmiod that never started: kill(-1) would signal every process
	 * we may signal. */
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int scratch_make(const char *tag, char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vmio-%s-XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int scratch_remove(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
