/* SPDX-License-Identifier: MIT */
#include "bench/target.h"
#include "bench/pin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

const char *target_name(enum target_kind k)
{
	static const char *const n[] = { "vmiod", "qsd", "host", "socket" };

	return n[k];
}

int target_parse(const char *s, enum target_kind *k, const char **socket)
{
	if (!strcmp(s, "vmiod"))
		*k = TARGET_VMIOD;
	else if (!strcmp(s, "qsd"))
		*k = TARGET_QSD;
	else if (!strcmp(s, "host"))
		*k = TARGET_HOST;
	else if (!strncmp(s, "socket:", 7) && s[7]) {
		*k = TARGET_SOCKET;
		*socket = s + 7;
	} else
		return -EINVAL;
	return 0;
}

const char *target_vmiod_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("VMIOD");
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 8);
	if (n <= 0)
		return "vmiod";
	path[n] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash + 1, "vmiod");
	return path;
}

static int append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n + strlen(s) + 2 > len)
		return -E2BIG;
	if (n)
		strcat(buf, " ");
	strcat(buf, s);
	return 0;
}

/* An RBD image's parts: POOL/IMAGE or POOL/NAMESPACE/IMAGE. */
static int rbd_split(const char *spec, char *pool, char *ns, char *image,
		     size_t len)
{
	const char *a = strchr(spec, '/'), *b = a ? strchr(a + 1, '/') : NULL;

	if (!a || a == spec || !a[1] || (b && (!b[1] || b == a + 1 ||
					       strchr(b + 1, '/'))))
		return -EINVAL;
	snprintf(pool, len, "%.*s", (int)(a - spec), spec);
	snprintf(ns, len, "%.*s", b ? (int)(b - a - 1) : 0, a + 1);
	snprintf(image, len, "%s", b ? b + 1 : a + 1);
	return 0;
}

/* ",conf=C,user=U" as both vmiod and qsd spell them. */
static void rbd_cluster_opts(const struct target *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", t->rbd_conf ? ",conf=" : "",
		 t->rbd_conf ? t->rbd_conf : "", t->rbd_user ? ",user=" : "",
		 t->rbd_user ? t->rbd_user : "");
}

/* vmiod's --disk (or --scsi) for an RBD image. */
static int vmiod_rbd_disk(const struct target *t, unsigned int i,
			  const struct target_disk *d, char *w, size_t len)
{
	char pool[256], ns[256], image[256], cl[600], size[40] = "";
	int n;

	if (rbd_split(d->rbd, pool, ns, image, sizeof(pool)))
		return -EINVAL;
	rbd_cluster_opts(t, cl, sizeof(cl));
	if (d->rbd_size)
		snprintf(size, sizeof(size), ",size=%llu",
			 (unsigned long long)d->rbd_size);
	if (t->scsi)
		n = snprintf(w, len, "--scsi id=s%u,socket=%s,queues=%u,lun%u=rbd:%s%s",
			     i, d->socket, t->queues, t->lun, d->rbd, cl);
	else
		n = snprintf(w, len, "--disk id=b%u,backend=rbd,pool=%s,%s%s%s"
			     "image=%s%s%s,socket=%s,queues=%u", i, pool,
			     ns[0] ? "namespace=" : "", ns, ns[0] ? "," : "", image,
			     size, cl, d->socket, t->queues);
	return n < 0 || (size_t)n >= len ? -E2BIG : 0;
}

/* qemu-storage-daemon's --blockdev for an RBD image: its rbd driver (from
 * qemu-block-extra), with librbd's default cache as vmiod has it. */
static int qsd_rbd_blockdev(const struct target *t, unsigned int i,
			    const struct target_disk *d, char *w, size_t len)
{
	char pool[256], ns[256], image[256], cl[600];
	int n;

	if (rbd_split(d->rbd, pool, ns, image, sizeof(pool)))
		return -EINVAL;
	rbd_cluster_opts(t, cl, sizeof(cl));
	n = snprintf(w, len, "--blockdev driver=rbd,node-name=f%u,pool=%s,%s%s%s"
		     "image=%s%s", i, pool, ns[0] ? "namespace=" : "", ns,
		     ns[0] ? "," : "", image, cl);
	return n < 0 || (size_t)n >= len ? -E2BIG : 0;
}

/* Builds argv for the target in t->cmdline (space separated, no quoting
 * needed: every word is ours). */
static int build_cmdline(struct target *t)
{
	char w[1024];
	int ret = 0;

	t->cmdline[0] = '\0';
	if (t->kind == TARGET_VMIOD) {
		ret |= append(t->cmdline, sizeof(t->cmdline), target_vmiod_path());
		ret |= append(t->cmdline, sizeof(t->cmdline), "-q");
		if (t->vmiod_args)
			ret |= append(t->cmdline, sizeof(t->cmdline), t->vmiod_args);
		for (unsigned int i = 0; i < t->ndisks; i++) {
			struct target_disk *d = &t->disks[i];

			if (d->rbd)
				ret |= vmiod_rbd_disk(t, i, d, w, sizeof(w));
			else if (t->scsi && d->file)
				snprintf(w, sizeof(w), "--scsi id=s%u,socket=%s,queues=%u,lun%u=%s",
					 i, d->socket, t->queues, t->lun, d->file);
			else if (t->scsi)
				snprintf(w, sizeof(w), "--scsi id=s%u,socket=%s,queues=%u,lun%u=null:%llu",
					 i, d->socket, t->queues, t->lun,
					 (unsigned long long)d->null_size);
			else if (d->file)
				snprintf(w, sizeof(w), "--disk id=b%u,path=%s,socket=%s,queues=%u",
					 i, d->file, d->socket, t->queues);
			else
				snprintf(w, sizeof(w), "--disk id=b%u,backend=null,size=%llu,socket=%s,queues=%u",
					 i, (unsigned long long)d->null_size,
					 d->socket, t->queues);
			if (d->vmiod_extra && *d->vmiod_extra) {
				strncat(w, ",", sizeof(w) - strlen(w) - 1);
				strncat(w, d->vmiod_extra, sizeof(w) - strlen(w) - 1);
			}
			ret |= append(t->cmdline, sizeof(t->cmdline), w);
		}
		return ret;
	}
	ret |= append(t->cmdline, sizeof(t->cmdline), "qemu-storage-daemon");
	for (unsigned int i = 0; i < t->ndisks; i++) {
		struct target_disk *d = &t->disks[i];

		if (d->rbd)
			ret |= qsd_rbd_blockdev(t, i, d, w, sizeof(w));
		else if (d->file)
			snprintf(w, sizeof(w), "--blockdev driver=file,node-name=f%u,"
				 "filename=%s,cache.direct=on,aio=io_uring", i, d->file);
		else
			snprintf(w, sizeof(w), "--blockdev driver=null-co,node-name=f%u,"
				 "size=%llu", i, (unsigned long long)d->null_size);
		ret |= append(t->cmdline, sizeof(t->cmdline), w);
		snprintf(w, sizeof(w), "--export type=vhost-user-blk,id=e%u,node-name=f%u,"
			 "addr.type=unix,addr.path=%s,writable=on,num-queues=%u",
			 i, i, d->socket, t->queues);
		ret |= append(t->cmdline, sizeof(t->cmdline), w);
	}
	return ret;
}

static bool socket_accepts(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void log_tail(const char *log, char *err, size_t errlen)
{
	char buf[400] = "";
	FILE *f = fopen(log, "r");
	size_t n;

	if (!f)
		return;
	fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	strncat(err, ": ", errlen - strlen(err) - 1);
	strncat(err, buf, errlen - strlen(err) - 1);
}

int target_start(struct target *t, char *err, size_t errlen)
{
	char *argv[64], *save = NULL, *words;
	int argc = 0;

	if (t->scsi && t->kind != TARGET_VMIOD) {
		snprintf(err, errlen, "%s cannot serve virtio-scsi: "
			 "qemu-storage-daemon has no vhost-user-scsi export; use "
			 "--target vmiod, or socket:PATH to a running "
			 "vhost-user-scsi target", target_name(t->kind));
		return -ENOTSUP;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/vmio-bench-XXXXXX");
	if (!mkdtemp(t->dir))
		return -errno;
	for (unsigned int i = 0; i < t->ndisks; i++)
		snprintf(t->disks[i].socket, sizeof(t->disks[i].socket),
			 "%s/d%u.sock", t->dir, i);
	snprintf(t->log, sizeof(t->log), "%s/target.log", t->dir);
	if (build_cmdline(t)) {
		snprintf(err, errlen, "target command line too long, or an RBD "
			 "image not named POOL/IMAGE or POOL/NAMESPACE/IMAGE");
		return -E2BIG;
	}
	words = strdup(t->cmdline);
	for (char *w = strtok_r(words, " ", &save); w && argc < 63;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	t->pid = fork();
	if (t->pid == 0) {
		int fd = open(t->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		bench_pin_target_child();
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(words);
	for (int tries = 0; tries < 1000; tries++) {
		bool all = true;
		int status;

		for (unsigned int i = 0; i < t->ndisks && all; i++)
			all = socket_accepts(t->disks[i].socket);
		if (all) {
			usleep(20000);
			return 0;
		}
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			snprintf(err, errlen, "%s exited before serving",
				 target_name(t->kind));
			log_tail(t->log, err, errlen);
			t->pid = 0;
			return -ECHILD;
		}
		usleep(10000);
	}
	snprintf(err, errlen, "%s did not listen within 10 s", target_name(t->kind));
	target_stop(t);
	return -ETIMEDOUT;
}

void target_stop(struct target *t)
{
	char cmd[200];

	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		for (int i = 0; i < 500 && waitpid(t->pid, NULL, WNOHANG) == 0; i++)
			usleep(10000);
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	t->pid = 0;
	if (t->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
		if (system(cmd))
			fprintf(stderr, "vmio bench: could not remove %s\n", t->dir);
		t->dir[0] = '\0';
	}
}

double target_cpu_s(const struct target *t)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	FILE *f;
	size_t n;

	if (t->pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)t->pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name (which may hold spaces). */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &utime, &stime) != 2)
		return 0;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}
