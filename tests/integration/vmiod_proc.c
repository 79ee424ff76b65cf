/* SPDX-License-Identifier: MIT */
#include "vmiod_proc.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
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
