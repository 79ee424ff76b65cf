/* SPDX-License-Identifier: MIT */
/*
 * Connects to a unix socket, then sends stdin's bytes as they come
 * (as-is: hostile-input tests of the JSON-RPC server) and prints what
 * comes back until the server closes or is quiet for 2 s. After stdin
 * ends it shuts its sending side, so the server answers and closes.
 * Exits 2 when it cannot connect, 3 when nothing came back.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 16];

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p[2];
	bool in_open = true, got = false;
	int fd;

	if (argc < 2)
		return 2;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 2;
	for (;;) {
		int n;

		p[0] = (struct pollfd){ fd, POLLIN, 0 };
		p[1] = (struct pollfd){ in_open ? 0 : -1, POLLIN, 0 };
		n = poll(p, 2, in_open ? -1 : 2000);
		if (n <= 0)
			break;
		if (p[0].revents) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r <= 0)
				break;
			fwrite(buf, 1, (size_t)r, stdout);
			got = true;
		}
		if (p[1].revents) {
			ssize_t r = read(0, buf, sizeof(buf));

			if (r <= 0 || !send_all(fd, buf, (size_t)r)) {
				in_open = false;
				shutdown(fd, SHUT_WR);
			}
		}
	}
	return got ? 0 : 3;
}
