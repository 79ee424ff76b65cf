/* SPDX-License-Identifier: MIT */
#include "image_lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define PERM_BASE 100   /* a byte per permission held */
#define SHARED_BASE 200 /* a byte per permission not shared */
#define NPERMS 4

enum { PERM_READ = 1, PERM_WRITE = 2, PERM_WRITE_UNCHANGED = 4, PERM_RESIZE = 8 };

static const char *const perm_names[NPERMS] = {
	"consistent read", "write", "write unchanged", "resize",
};

static int lock_byte(int fd, int off)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = off, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* Does another open file description hold a lock on byte off? */
static bool byte_taken(int fd, int off)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = off, .l_len = 1 };

	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* Whether process pid ("self" for us) has the file of fd open, other
 * than through fd itself. */
static bool has_open(const char *pid, const struct stat *me, int fd)
{
	bool self = !strcmp(pid, "self"), found = false;
	char path[600];
	struct dirent *f;
	struct stat st;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if (!(fds = opendir(path)))
		return false;
	while (!found && (f = readdir(fds))) {
		if (f->d_name[0] == '.' || (self && atoi(f->d_name) == fd))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, f->d_name);
		found = stat(path, &st) == 0 && st.st_dev == me->st_dev &&
			st.st_ino == me->st_ino;
	}
	closedir(fds);
	return found;
}

/* "qemu-storage-d (pid 123), qemu-system-x86 (pid 456)": whoever has the
 * file open besides us (OFD locks carry no pid). Empty when nobody has. */
static void holders(int fd, bool self, char *buf, size_t len)
{
	struct stat me;
	struct dirent *p;
	size_t used = 0;
	DIR *proc;

	buf[0] = '\0';
	if (fstat(fd, &me) < 0 || !(proc = opendir("/proc")))
		return;
	if (self && has_open("self", &me, fd))
		used += (size_t)snprintf(buf, len, "this vmiod (another disk or LUN)");
	while ((p = readdir(proc)) && used + 64 < len) {
		char path[600], comm[32] = "?";
		FILE *c;

		if (p->d_name[0] < '0' || p->d_name[0] > '9' ||
		    atoi(p->d_name) == (int)getpid() ||
		    !has_open(p->d_name, &me, -1))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
		if ((c = fopen(path, "r"))) {
			if (fgets(comm, sizeof(comm), c))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(c);
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s (pid %s)",
					 used ? ", " : "", comm, p->d_name);
	}
	closedir(proc);
}

/* The first permission where our locks and another holder's clash, or
 * -1. */
static int clash(int fd, unsigned int perm, unsigned int shared)
{
	for (int i = 0; i < NPERMS; i++)
		if (((perm & (1u << i)) && byte_taken(fd, SHARED_BASE + i)) ||
		    (!(shared & (1u << i)) && byte_taken(fd, PERM_BASE + i)))
			return i;
	return -1;
}

/* A clash nobody alive explains is a process that just died: the kernel
 * drops its io_uring's file references (and so its locks) a moment after
 * the process is gone, and a vmiod restarted at once after a SIGKILL
 * meets them. Waiting this long for them beats refusing the restart.
 * (Where /proc hides other users' processes, a live holder looks like
 * none: its refusal comes after the wait.) */
#define DYING_HOLDER_WAIT_MS 3000
#define DYING_HOLDER_STEP_MS 10

/* self: whether our own other descriptors of the file may be the holder
 * (not when they are the disk's own, as for a claim taken again). */
static int lock_image(int fd, bool rw, bool self, const char *path, char *err,
		      size_t errlen)
{
	unsigned int perm = rw ? PERM_READ | PERM_WRITE | PERM_WRITE_UNCHANGED |
				 PERM_RESIZE : PERM_READ;
	/* Others may read; nobody else may write or resize (QEMU's
	 * default for a device, read-only or not). */
	unsigned int shared = PERM_READ | PERM_WRITE_UNCHANGED;
	char who[512];
	int ret, i;

	/* Take ours first, then look for others': two openers racing both
	 * see the other. */
	for (i = 0; i < NPERMS; i++) {
		if ((perm & (1u << i)) && (ret = lock_byte(fd, PERM_BASE + i)))
			return ret;
		if (!(shared & (1u << i)) && (ret = lock_byte(fd, SHARED_BASE + i)))
			return ret;
	}
	for (int waited = 0;; waited += DYING_HOLDER_STEP_MS) {
		if ((i = clash(fd, perm, shared)) < 0)
			return 0;
		holders(fd, self, who, sizeof(who));
		if (who[0] || waited >= DYING_HOLDER_WAIT_MS)
			break;
		usleep(DYING_HOLDER_STEP_MS * 1000);
	}
	snprintf(err, errlen, "%s is in use: %s holds its \"%s\" lock (two "
		 "writers would corrupt it); stop that user first, or serve it "
		 "read-only if it only reads", path,
		 who[0] ? who : "another process", perm_names[i]);
	return -EBUSY;
}

int image_lock(int fd, bool rw, const char *path, char *err, size_t errlen)
{
	return lock_image(fd, rw, true, path, err, errlen);
}

void image_unlock(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
			    .l_start = PERM_BASE,
			    .l_len = SHARED_BASE + NPERMS - PERM_BASE };

	(void)fcntl(fd, F_OFD_SETLK, &fl);
}

int image_claim_cb(void *arg, bool take)
{
	struct image_claim *c = arg;
	char err[768];
	int ret;

	if (c->fd < 0)
		return 0;
	if (!take) {
		image_unlock(c->fd);
		return 0;
	}
	ret = lock_image(c->fd, c->rw, false, c->path, err, sizeof(err));
	if (ret)
		log_error("%s; the guest's queues here stay stopped until it "
			  "is free (a live migration's source frees it when "
			  "the guest stops there)", err);
	return ret;
}

void image_claim_free(struct image_claim *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	c->fd = -1;
	c->path = NULL;
}
