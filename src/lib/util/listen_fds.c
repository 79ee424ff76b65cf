/* SPDX-License-Identifier: MIT */
#include "util/listen_fds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/parse.h"

/* Past this, LISTEN_FDS is a mistake, not a socket unit. */
#define MAX_SYSTEMD_FDS 4096

struct inherited {
	int fd;
	bool systemd;  /* from LISTEN_FDS */
	char *name;    /* systemd's name for it, or NULL */
	char *user;    /* who has it now, or NULL */
	bool used;     /* taken at least once */
};

static struct inherited *fds;
static unsigned int nfds;

static struct inherited *find(int fd)
{
	for (unsigned int i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			return &fds[i];
	return NULL;
}

static void note(int fd)
{
	struct inherited *p;

	if (fd < 3 || find(fd))
		return;
	p = realloc(fds, (nfds + 1) * sizeof(*p));
	if (!p)
		return;
	fds = p;
	fds[nfds++] = (struct inherited){ .fd = fd };
}

/* Every descriptor open now. /proc lists them all; without it, the
 * first thousand are asked one by one. */
static void note_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				note(fd);
		return;
	}
	while ((e = readdir(d))) {
		uint64_t fd;

		if (parse_u64(e->d_name, &fd) == 0 && fd <= INT32_MAX &&
		    (int)fd != dirfd(d))
			note((int)fd);
	}
	closedir(d);
}

/* LISTEN_FDNAMES: one name per descriptor, or none at all. */
static void name_systemd_fds(const char *names, unsigned int n)
{
	const char *p = names;
	unsigned int count = 1;

	if (!n)
		return;
	for (const char *c = names; *c; c++)
		count += *c == ':';
	if (count != n) {
		log_warn("LISTEN_FDNAMES names %u sockets but LISTEN_FDS hands "
			 "in %u; the sockets are taken as unnamed (socket=fd:N "
			 "still works)", count, n);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		size_t len = strcspn(p, ":");
		struct inherited *e = find(3 + (int)i);

		if (e && len)
			e->name = strndup(p, len);
		p += len + (p[len] == ':');
	}
}

/* Marks the descriptors systemd handed in, as sd_listen_fds(3) reads
 * them: only when LISTEN_PID is this process (a child of an activated
 * process inherits the variables but not the meaning). */
static void read_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	uint64_t p, count;

	if (!pid || !n)
		return;
	if (parse_u64(pid, &p) || parse_u64(n, &count) || count > MAX_SYSTEMD_FDS) {
		log_warn("LISTEN_PID=%s, LISTEN_FDS=%s: not socket activation "
			 "as systemd does it (a pid and a count); ignored", pid, n);
		return;
	}
	if (p != (uint64_t)getpid()) {
		log_debug("LISTEN_PID=%s is not this process (%d): its sockets "
			  "are not for vmiod", pid, (int)getpid());
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct inherited *e = find(3 + (int)i);

		if (!e) {
			log_warn("LISTEN_FDS=%s, but fd %u is not open; it is "
				 "ignored", n, 3 + i);
			continue;
		}
		e->systemd = true;
		fcntl(e->fd, F_SETFD, FD_CLOEXEC);
	}
	if (names)
		name_systemd_fds(names, (unsigned int)count);
}

void listen_fds_init(void)
{
	note_open_fds();
	read_systemd();
	/* As sd_listen_fds(1): what vmiod starts must not take them for its
	 * own. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int listen_fds_parse(const char *spec, int *fd)
{
	uint64_t n;

	if (strncmp(spec, "fd:", 3))
		return 0;
	if (parse_u64(spec + 3, &n) || n > INT32_MAX)
		return -EINVAL;
	*fd = (int)n;
	return 1;
}

bool listen_fds_is_systemd(const char *spec)
{
	return !strcmp(spec, "systemd");
}

bool listen_fds_same_socket(const char *a, const char *b)
{
	int fa, fb;

	if (listen_fds_parse(a, &fa) == 1 && listen_fds_parse(b, &fb) == 1)
		return fa == fb;
	return !strcmp(a, b) && !listen_fds_is_systemd(a);
}

int listen_fds_take(int fd, const char *what)
{
	struct inherited *e = find(fd);
	int dup;

	if (fd < 3) {
		log_error("fd:%d is stdin, stdout or stderr; hand the socket in "
			  "as fd 3 or above", fd);
		return -EBADF;
	}
	if (!e) {
		log_error("fd:%d was not open when vmiod started; whoever starts "
			  "vmiod must leave the listening socket open as fd %d "
			  "(not close-on-exec)", fd, fd);
		return -EBADF;
	}
	if (e->user) {
		log_error("fd:%d is already the socket of %s; hand each device "
			  "its own socket", fd, e->user);
		return -EBUSY;
	}
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return -errno;
	e->user = strdup(what);
	e->used = true;
	return dup;
}

/* "a, b, c": the names systemd handed in, for a message. */
static void list_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < nfds && used < len; i++)
		if (fds[i].systemd)
			used += (size_t)snprintf(buf + used, len - used, "%s%s (fd %d)",
						 used ? ", " : "",
						 fds[i].name ? fds[i].name : "unnamed",
						 fds[i].fd);
}

int listen_fds_take_named(const char *name, const char *what, int *orig)
{
	char have[512];

	list_names(have, sizeof(have));
	if (!have[0]) {
		log_error("%s: systemd handed vmiod no socket (no LISTEN_FDS "
			  "for this process); start vmiod through a .socket unit "
			  "with FileDescriptorName=%s, or give a path", what, name);
		return -ENOENT;
	}
	for (unsigned int i = 0; i < nfds; i++)
		if (fds[i].systemd && fds[i].name && !strcmp(fds[i].name, name)) {
			*orig = fds[i].fd;
			return listen_fds_take(fds[i].fd, what);
		}
	log_error("%s: systemd handed in no socket named '%s' (only %s); "
		  "set FileDescriptorName=%s in its .socket unit", what, name,
		  have, name);
	return -ENOENT;
}

void listen_fds_release(int fd)
{
	struct inherited *e = find(fd);

	if (!e)
		return;
	free(e->user);
	e->user = NULL;
}

const char *listen_fds_name(int fd)
{
	struct inherited *e = find(fd);

	return e && e->systemd ? e->name : NULL;
}

void listen_fds_warn_unused(void)
{
	for (unsigned int i = 0; i < nfds; i++) {
		const struct inherited *e = &fds[i];

		if (!e->systemd || e->used)
			continue;
		if (e->name && !strcmp(e->name, LISTEN_FDS_RPC_NAME))
			log_warn("systemd handed in socket '%s' (fd %d) but nothing "
				 "uses it: start vmiod with --rpc systemd, or drop "
				 "the socket from the unit", e->name, e->fd);
		else if (e->name)
			log_warn("systemd handed in socket '%s' (fd %d) but nothing "
				 "uses it: add a disk or scsi target with id=%s,"
				 "socket=systemd, or drop the socket from the unit",
				 e->name, e->fd, e->name);
		else
			log_warn("systemd handed in an unnamed socket (fd %d) but "
				 "nothing uses it: name it with FileDescriptorName= "
				 "and add the device with socket=systemd, or use "
				 "socket=fd:%d", e->fd, e->fd);
	}
}
