/* SPDX-License-Identifier: MIT */
/* One JSON-RPC call over a unix socket, with a deadline (the vmio CLI). */
#include "rpc/rpc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/clock.h"

#define MAX_ANSWER (64u << 20)

static int connect_to(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	ret = -errno;
	snprintf(err, errlen, "cannot reach vmiod at %s: %s (is vmiod running "
		 "with --rpc %s? otherwise pass --rpc PATH or set VMIO_RPC)",
		 path, strerror(-ret), path);
	close(fd);
	return ret;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (the answer) into a malloc'd buffer. */
static int read_line(int fd, int timeout_ms, char **line, size_t *len)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap), *p;

	while (buf && !memchr(buf, '\n', got)) {
		uint64_t now = clock_now_ns();
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)((deadline - now) /
					       NSEC_PER_MSEC) + 1) <= 0)
			break;
		if (got == cap) {
			cap *= 2;
			p = cap <= MAX_ANSWER ? realloc(buf, cap) : NULL;
			if (!p)
				break;
			buf = p;
		}
		n = read(fd, buf + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (!buf || !got) {
		free(buf);
		return buf ? -ETIMEDOUT : -ENOMEM;
	}
	*line = buf;
	*len = got;
	return 0;
}

static int parse_answer(const char *buf, size_t len, json_t **result,
			int *code, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *resp = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	json_t *e;
	int ret = 0;

	if (!json_is_object(resp)) {
		snprintf(err, errlen, "vmiod's answer is not JSON-RPC: %s", jerr.text);
		json_decref(resp);
		return -EPROTO;
	}
	e = json_object_get(resp, "error");
	if (e) {
		*code = (int)json_integer_value(json_object_get(e, "code"));
		snprintf(err, errlen, "%s", json_string_value(json_object_get(
			e, "message")) ?: "error without a message");
		ret = -EREMOTEIO;
	} else {
		*result = json_incref(json_object_get(resp, "result"));
	}
	json_decref(resp);
	return ret;
}

int rpc_call(const char *path, const char *method, json_t *params,
	     int timeout_ms, json_t **result, int *code, char *err,
	     size_t errlen)
{
	json_t *req = json_pack("{s:s,s:s,s:i}", "jsonrpc", "2.0", "method",
				method, "id", 1);
	char *text = NULL, *line = NULL;
	size_t len;
	int fd, ret;

	*code = 0;
	if (params)
		json_object_set_new(req, "params", params);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return -ENOMEM;
	fd = connect_to(path, err, errlen);
	if (fd < 0) {
		free(text);
		return fd;
	}
	ret = send_all(fd, text, strlen(text));
	if (!ret)
		ret = send_all(fd, "\n", 1);
	free(text);
	if (!ret)
		ret = read_line(fd, timeout_ms, &line, &len);
	close(fd);
	if (ret) {
		snprintf(err, errlen, "no answer from vmiod at %s to %s (%s)",
			 path, method, strerror(-ret));
		return ret;
	}
	ret = parse_answer(line, len, result, code, err, errlen);
	free(line);
	return ret;
}
