/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topo/sysfs.h"

int topo_sysfs_join(char *out, size_t len, const char *root, const char *path)
{
	int n;

	if (!root || !strcmp(root, "/"))
		root = "";
	n = snprintf(out, len, "%s%s", root, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int vjoin(char *out, size_t len, const char *root, const char *fmt,
		 va_list ap)
{
	char rel[TOPO_PATH_MAX];
	int n = vsnprintf(rel, sizeof(rel), fmt, ap);

	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return topo_sysfs_join(out, len, root, rel);
}

static int read_whole(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;
	int err;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err)
		return err;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* The file at root + fmt, whole, into buf (see read_whole). */
static int vread(const char *root, char *buf, size_t len, const char *fmt,
		 va_list ap)
{
	char path[TOPO_PATH_MAX];
	int ret = vjoin(path, sizeof(path), root, fmt, ap);

	return ret ? ret : read_whole(path, buf, len);
}

/* Whole file into buf, trailing newline removed; -errno when unreadable. */
int topo_sysfs_read(const char *root, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vread(root, buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

int topo_sysfs_read_long(const char *root, long *val, const char *fmt, ...)
{
	char buf[64], *end;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vread(root, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

bool topo_sysfs_exists(const char *root, const char *fmt, ...)
{
	char path[TOPO_PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vjoin(path, sizeof(path), root, fmt, ap);
	va_end(ap);
	return !ret && access(path, F_OK) == 0;
}

/* Follow symlinks and give back the host path (root prefix removed).
 * Kernel sysfs links are relative, so fixture trees resolve inside root. */
int topo_sysfs_resolve(const char *root, char *out, size_t len, const char *fmt, ...)
{
	char path[TOPO_PATH_MAX], real[PATH_MAX], rroot[PATH_MAX] = "";
	size_t rl = 0;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vjoin(path, sizeof(path), root, fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	if (!realpath(path, real))
		return -errno;
	if (root && strcmp(root, "/")) {
		if (!realpath(root, rroot))
			return -errno;
		rl = strlen(rroot);
		if (strncmp(real, rroot, rl) || (real[rl] && real[rl] != '/'))
			return -EXDEV;
	}
	if (snprintf(out, len, "%s", real[rl] ? real + rl : "/") >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strverscmp(a, b);
}

/* Names in a directory starting with prefix, sorted naturally
 * (nvme2 before nvme10); returns the count or -errno. */
int topo_sysfs_list(const char *root, const char *dir, const char *prefix,
	       char (*names)[64], int max)
{
	char path[TOPO_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0, ret;

	ret = topo_sysfs_join(path, sizeof(path), root, dir);
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		if (prefix && strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(names[n++], 64, "%.63s", de->d_name);
	}
	closedir(d);
	qsort(names, n, 64, cmp_name);
	return n;
}

/* NUMA node of a device: the nearest numa_node file walking up from its
 * resolved sysfs directory (a namespace or netdev has none, its PCI
 * function does). -1 when unknown, as the kernel itself reports. */
int topo_sysfs_numa_node(const char *root, const char *syspath)
{
	char dir[TOPO_PATH_MAX], *slash;
	long node;

	if (topo_sysfs_resolve(root, dir, sizeof(dir), "%s", syspath))
		return -1;
	while (strlen(dir) > strlen("/sys/devices")) {
		if (!topo_sysfs_read_long(root, &node, "%s/numa_node", dir))
			return node < 0 ? -1 : (int)node;
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return -1;
}

/* "none [mq-deadline] kyber" -> "mq-deadline"; a file with one plain
 * word (a single choice) gives that word. */
char *topo_sysfs_bracketed(const char *s, char *out, size_t len)
{
	const char *a = strchr(s, '['), *b;

	if (!a) {
		snprintf(out, len, "%.*s", (int)strcspn(s, " \n"), s);
		return out;
	}
	b = strchr(a, ']');
	if (!b)
		b = a + strlen(a);
	snprintf(out, len, "%.*s", (int)(b - a - 1), a + 1);
	return out;
}
