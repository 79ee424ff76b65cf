/* SPDX-License-Identifier: MIT */
#include "util/unix_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/listen_fds.h"
#include "util/log.h"

/* "/proc/self/fd/N/name": a path through a directory we hold open, for
 * the calls that take no directory fd (bind, connect). */
static int via_fd(char *buf, size_t len, int dirfd, const char *name)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int addr_of(struct sockaddr_un *sa, int dirfd, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return via_fd(sa->sun_path, sizeof(sa->sun_path), dirfd, name);
}

/* A socket file already there: in use (refuse), or stale (the rename
 * will replace it). */
static int check_existing(int dirfd, const char *name, const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket; choose another socket "
			  "path or remove the file", path);
		return -EEXIST;
	}
	if (addr_of(&sa, dirfd, name))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		log_error("%s is in use by another running process; stop it or "
			  "choose another socket path", path);
		return -EADDRINUSE;
	}
	return 0;
}

/* Binds a socket in a fresh private directory under dirfd, gives it its
 * mode and owner there, then renames it to name. Returns the socket. */
static int bind_private(int dirfd, const char *name,
			const struct unix_listen_opts *o, struct stat *st)
{
	struct sockaddr_un sa;
	struct timespec ts;
	char tmpname[64];
	int tmpfd, fd = -1, ret;
	mode_t old;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(tmpname, sizeof(tmpname), ".vmio-%d-%lx", (int)getpid(),
		 (unsigned long)ts.tv_nsec);
	if (mkdirat(dirfd, tmpname, 0700) < 0)
		return -errno;
	tmpfd = openat(dirfd, tmpname, O_PATH | O_DIRECTORY | O_NOFOLLOW |
			       O_CLOEXEC);
	ret = tmpfd < 0 ? -errno : addr_of(&sa, tmpfd, "s");
	if (!ret) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		ret = fd < 0 ? -errno : 0;
	}
	if (!ret) {
		/* umask is per process; the control thread alone makes files. */
		old = umask(0177);
		ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
		umask(old);
	}
	/* The directory is ours alone: these paths cannot be swapped. */
	if (!ret && fchmodat(tmpfd, "s", o->mode ? o->mode : 0660, 0) < 0)
		ret = -errno;
	if (!ret && (o->uid >= 0 || o->gid >= 0) &&
	    fchownat(tmpfd, "s", (uid_t)o->uid, (gid_t)o->gid,
		     AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	if (!ret && fstatat(tmpfd, "s", st, AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	/* Atomic, and it replaces a stale socket of the same name. */
	if (!ret && renameat(tmpfd, "s", dirfd, name) < 0)
		ret = -errno;
	if (ret) {
		if (tmpfd >= 0)
			unlinkat(tmpfd, "s", 0);
		if (fd >= 0)
			close(fd);
		fd = ret;
	}
	if (tmpfd >= 0)
		close(tmpfd);
	unlinkat(dirfd, tmpname, AT_REMOVEDIR);
	return fd;
}

/* "a regular file": what a descriptor is, for a message. */
static const char *file_kind(mode_t m)
{
	return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a directory" :
	       S_ISFIFO(m) ? "a pipe" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : "not a socket";
}

/* "an IPv4 datagram (UDP)": a socket's family and type, for a message. */
static void sock_kind(char *buf, size_t len, int domain, int type)
{
	bool inet = domain == AF_INET || domain == AF_INET6;
	const char *d = domain == AF_UNIX ? "a unix" : domain == AF_INET ? "an IPv4" :
			domain == AF_INET6 ? "an IPv6" :
			domain == AF_NETLINK ? "a netlink" : "an unusual";
	const char *t = type == SOCK_STREAM ? (inet ? "stream (TCP)" : "stream") :
			type == SOCK_DGRAM ? (inet ? "datagram (UDP)" : "datagram") :
			type == SOCK_SEQPACKET ? "seqpacket" :
			type == SOCK_RAW ? "raw" : "unusual";

	snprintf(buf, len, "%s %s socket", d, t);
}

static int sockopt(int fd, int opt, int *v)
{
	socklen_t len = sizeof(*v);

	return getsockopt(fd, SOL_SOCKET, opt, v, &len) < 0 ? -errno : 0;
}

/* A listening AF_UNIX SOCK_STREAM socket, or a sentence saying what fd
 * is instead and what to hand in. */
static int check_handed(int fd, const char *spec)
{
	int domain, type, acc, ret;
	struct stat st;
	char kind[64];

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s is %s, not a socket; hand in a listening unix "
			  "stream socket (ListenStream=PATH in a .socket unit), "
			  "or give a path for vmiod to bind", spec,
			  file_kind(st.st_mode));
		return -ENOTSOCK;
	}
	ret = sockopt(fd, SO_DOMAIN, &domain);
	if (!ret)
		ret = sockopt(fd, SO_TYPE, &type);
	if (!ret)
		ret = sockopt(fd, SO_ACCEPTCONN, &acc);
	if (ret)
		return ret;
	if (domain != AF_UNIX || type != SOCK_STREAM) {
		sock_kind(kind, sizeof(kind), domain, type);
		log_error("%s is %s; vhost-user and the RPC need a unix "
			  "stream socket: hand in an AF_UNIX SOCK_STREAM socket "
			  "after listen() (ListenStream=PATH in a .socket unit), "
			  "or give a path", spec, kind);
		return -EPROTOTYPE;
	}
	if (!acc) {
		log_error("%s is a unix stream socket that is not listening "
			  "(connected, or never passed to listen()); hand it in "
			  "after bind() and listen(), or give a path", spec);
		return -EINVAL;
	}
	return 0;
}

/* The path a handed-in socket is bound to, for people to see. */
static char *bound_path(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	size_t n;
	char *p;

	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		return NULL;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (sa.sun_path[0])
		return strndup(sa.sun_path, n);
	/* Abstract: a leading NUL, shown as '@' the way ss(8) shows it. */
	p = malloc(n + 1);
	if (p) {
		memcpy(p, sa.sun_path, n);
		p[0] = '@';
		p[n] = '\0';
	}
	return p;
}

/* Takes the socket spec names ("fd:N" or "systemd"): a duplicate of the
 * inherited descriptor, checked, non-blocking and close-on-exec. It has
 * no dirfd or name: closing it never unlinks anything. */
static int adopt(struct unix_listener *l, const char *spec,
		 const struct unix_listen_opts *o)
{
	const char *who = o->who ? o->who : spec;
	int orig = -1, fd, ret, fl;

	if (listen_fds_is_systemd(spec)) {
		if (!o->sd_name) {
			log_error("socket=systemd is not possible here; give a "
				  "path or fd:N");
			return -EINVAL;
		}
		fd = listen_fds_take_named(o->sd_name, who, &orig);
	} else if (listen_fds_parse(spec, &orig) == 1) {
		fd = listen_fds_take(orig, who);
	} else {
		log_error("'%s': fd:N takes a descriptor number, e.g. fd:3", spec);
		return -EINVAL;
	}
	if (fd < 0)
		return fd;
	l->handed = orig;
	l->fd = fd;
	ret = check_handed(fd, spec);
	fl = ret ? 0 : fcntl(fd, F_GETFL);
	if (!ret && (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		ret = -errno;
	if (ret) {
		unix_listener_close(l);
		return ret;
	}
	l->bound = bound_path(fd);
	return 0;
}

int unix_listen(struct unix_listener *l, const char *path,
		const struct unix_listen_opts *o)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *dir;
	int ret, n;

	l->fd = l->dirfd = l->handed = -1;
	l->name = l->bound = NULL;
	if (listen_fds_is_systemd(path) || listen_fds_parse(path, &n))
		return adopt(l, path, o);
	l->name = strdup(slash ? slash + 1 : path);
	dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!l->name || !dir) {
		ret = -ENOMEM;
		goto err;
	}
	if (!*l->name || !strcmp(l->name, ".") || !strcmp(l->name, "..") ||
	    strlen(l->name) > 4000) {
		log_error("socket path '%s' names no file; give a path like "
			  "/run/vmio/vm1.sock", path);
		ret = -EINVAL;
		goto err;
	}
	l->dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0) {
		ret = -errno;
		log_error("cannot use the directory of socket %s: %s", path,
			  strerror(-ret));
		goto err;
	}
	ret = check_existing(l->dirfd, l->name, path);
	if (ret)
		goto err;
	l->fd = bind_private(l->dirfd, l->name, o, &st);
	if (l->fd < 0) {
		ret = l->fd;
		l->fd = -1;
		log_error("cannot listen on %s: %s", path, strerror(-ret));
		goto err;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (listen(l->fd, o->backlog ? o->backlog : 16) < 0) {
		ret = -errno;
		unix_listener_close(l);
		return ret;
	}
	free(dir);
	return 0;
err:
	free(dir);
	unix_listener_close(l);
	return ret;
}

void unix_listener_close(struct unix_listener *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	/* Only the file we bound: if it was replaced since, it is someone
	 * else's. unlinkat cannot leave the directory we hold. */
	if (l->dirfd >= 0 && l->name &&
	    fstatat(l->dirfd, l->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(st.st_mode) && st.st_dev == l->dev && st.st_ino == l->ino)
		unlinkat(l->dirfd, l->name, 0);
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->handed >= 0)
		listen_fds_release(l->handed);
	free(l->name);
	free(l->bound);
	l->fd = l->dirfd = l->handed = -1;
	l->name = l->bound = NULL;
}
