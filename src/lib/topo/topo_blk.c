/* SPDX-License-Identifier: MIT */
/* Block devices: which physical disks lie behind an image file or a
 * /dev path (through partitions, device-mapper and md), and how each
 * physical disk is set up. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "topo/topo.h"
#include "topo/sysfs.h"

#define MAX_DEPTH 8

/* Physical means the kernel links it to a device: loop, zram, dm and md
 * have no "device" entry. */
static bool is_physical(const char *root, const char *name)
{
	return topo_sysfs_exists(root, "/sys/block/%s/device", name);
}

int topo_bdev_list(const char *root, char (*names)[64], int max)
{
	char all[TOPO_MAX_DEVS][64];
	int n = topo_sysfs_list(root, "/sys/block", NULL, all, TOPO_MAX_DEVS), k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (is_physical(root, all[i]) && strncmp(all[i], "sr", 2))
			snprintf(names[k++], 64, "%s", all[i]);
	return n < 0 ? n : k;
}

int topo_bdev_info(const char *root, const char *name, struct topo_bdev *b)
{
	char buf[256], mq[64][64];
	int ret;

	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->nvme = !strncmp(name, "nvme", 4);
	ret = topo_sysfs_read(root, buf, sizeof(buf),
			 "/sys/block/%s/queue/scheduler", name);
	if (ret)
		return ret;
	topo_sysfs_bracketed(buf, b->sched, sizeof(b->sched));
	if (topo_sysfs_read_long(root, &b->rotational,
			    "/sys/block/%s/queue/rotational", name))
		b->rotational = -1;
	snprintf(buf, sizeof(buf), "/sys/block/%s/mq", name);
	ret = topo_sysfs_list(root, buf, NULL, mq, 64);
	b->nr_hwq = ret > 0 ? ret : 0;
	snprintf(buf, sizeof(buf), "/sys/block/%s", name);
	b->numa = topo_sysfs_numa_node(root, buf);
	return 0;
}

/* Whole-disk name for a sysfs block directory (a partition's parent). */
static int disk_of_sysdir(const char *root, const char *sysdir, char *name,
			  size_t len)
{
	char dir[TOPO_PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", sysdir);
	if (topo_sysfs_exists(root, "%s/partition", dir))
		*strrchr(dir, '/') = '\0';
	snprintf(name, len, "%s", basename(dir));
	return 0;
}

static int leaves_of(const char *root, const char *name, char (*names)[64],
		     int max, int n, int depth)
{
	char slaves[64][64], dir[TOPO_PATH_MAX];
	int ns;

	if (depth > MAX_DEPTH)
		return n;
	snprintf(dir, sizeof(dir), "/sys/block/%s/slaves", name);
	ns = topo_sysfs_list(root, dir, NULL, slaves, 64);
	if (ns <= 0) {
		for (int i = 0; i < n; i++)
			if (!strcmp(names[i], name))
				return n;
		if (n < max && is_physical(root, name))
			snprintf(names[n++], 64, "%s", name);
		return n;
	}
	for (int i = 0; i < ns; i++) {
		char sys[TOPO_PATH_MAX], disk[64];

		if (topo_sysfs_resolve(root, sys, sizeof(sys),
				  "/sys/class/block/%s", slaves[i]))
			continue;
		disk_of_sysdir(root, sys, disk, sizeof(disk));
		n = leaves_of(root, disk, names, max, n, depth + 1);
	}
	return n;
}

static int leaves_of_devnum(const char *root, unsigned int maj,
			    unsigned int min, char (*names)[64], int max,
			    char *why, size_t whylen)
{
	char sys[TOPO_PATH_MAX], disk[64];

	if (topo_sysfs_resolve(root, sys, sizeof(sys), "/sys/dev/block/%u:%u", maj,
			  min)) {
		snprintf(why, whylen, "no /sys/dev/block/%u:%u", maj, min);
		return -ENOENT;
	}
	disk_of_sysdir(root, sys, disk, sizeof(disk));
	return leaves_of(root, disk, names, max, 0, 0);
}

struct mount_hit {
	size_t len;
	unsigned int maj, min;
	char fstype[64];
	char source[256];
};

static bool under_mount(const char *path, const char *mnt)
{
	size_t l = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return true;
	return !strncmp(path, mnt, l) && (path[l] == '/' || !path[l]);
}

/* The mount holding path, by the longest mount point in mountinfo. */
static int find_mount(const char *root, const char *path, struct mount_hit *h)
{
	char file[TOPO_PATH_MAX], line[4096];
	FILE *f;

	memset(h, 0, sizeof(*h));
	topo_sysfs_join(file, sizeof(file), root, "/proc/self/mountinfo");
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[2048], *sep = strstr(line, " - ");
		unsigned int maj, min;

		if (!sep || sscanf(line, "%*d %*d %u:%u %*s %2047s", &maj, &min,
				   mnt) != 3)
			continue;
		if (!under_mount(path, mnt) || strlen(mnt) < h->len)
			continue;
		h->len = strlen(mnt);
		h->maj = maj;
		h->min = min;
		if (sscanf(sep + 3, "%63s %255s", h->fstype, h->source) != 2)
			h->fstype[0] = h->source[0] = '\0';
	}
	fclose(f);
	return h->len ? 0 : -ENOENT;
}

/* Kernel name behind a /dev path: follow its symlinks (by-id, mapper,
 * LVM names) textually, so a fixture's /dev needs no device nodes. */
static void kernel_name(const char *root, const char *path, char *name,
			size_t len)
{
	char cur[TOPO_PATH_MAX], full[TOPO_PATH_MAX], tgt[TOPO_PATH_MAX];
	char dir[TOPO_PATH_MAX];
	ssize_t n;

	snprintf(cur, sizeof(cur), "%s", path);
	for (int i = 0; i < 8; i++) {
		if (topo_sysfs_join(full, sizeof(full), root, cur))
			break;
		n = readlink(full, tgt, sizeof(tgt) - 1);
		if (n < 0)
			break;
		tgt[n] = '\0';
		snprintf(dir, sizeof(dir), "%s", cur);
		if (tgt[0] == '/')
			snprintf(cur, sizeof(cur), "%s", tgt);
		else if (snprintf(cur, sizeof(cur), "%s/%s", dirname(dir),
				  tgt) >= (int)sizeof(cur))
			break;
	}
	snprintf(name, len, "%s", basename(cur));
}

static int leaves_of_devpath(const char *root, const char *path,
			     char (*names)[64], int max, char *why,
			     size_t whylen)
{
	char sys[TOPO_PATH_MAX], res[TOPO_PATH_MAX], disk[64];
	struct stat st;
	char full[TOPO_PATH_MAX];

	topo_sysfs_join(full, sizeof(full), root, path);
	if (!stat(full, &st) && S_ISBLK(st.st_mode))
		return leaves_of_devnum(root, major(st.st_rdev),
					minor(st.st_rdev), names, max, why,
					whylen);
	kernel_name(root, path, res, sizeof(res));
	if (topo_sysfs_resolve(root, sys, sizeof(sys), "/sys/class/block/%s", res)) {
		snprintf(why, whylen, "%s is not a block device known to sysfs",
			 path);
		return -ENOENT;
	}
	disk_of_sysdir(root, sys, disk, sizeof(disk));
	return leaves_of(root, disk, names, max, 0, 0);
}

/* Physical disks behind a file or device path; why says what stopped it. */
int topo_bdev_leaves(const char *root, const char *path, char (*names)[64],
		     int max, char *why, size_t whylen)
{
	struct mount_hit h;
	struct stat st;
	int ret;

	if (!strncmp(path, "/dev/", 5))
		return leaves_of_devpath(root, path, names, max, why, whylen);
	if ((!root || !strcmp(root, "/")) && !stat(path, &st) &&
	    major(st.st_dev))
		return leaves_of_devnum(root, major(st.st_dev),
					minor(st.st_dev), names, max, why,
					whylen);
	ret = find_mount(root, path, &h);
	if (ret) {
		snprintf(why, whylen, "no mount holds %s (/proc/self/mountinfo)",
			 path);
		return ret;
	}
	if (h.maj)
		return leaves_of_devnum(root, h.maj, h.min, names, max, why,
					whylen);
	if (!strncmp(h.source, "/dev/", 5))
		return leaves_of_devpath(root, h.source, names, max, why,
					 whylen);
	snprintf(why, whylen, "%s is on %s (%s), not one block device", path,
		 h.fstype, h.source);
	return -ENODEV;
}

int topo_path_node(const char *root, const char *path, char *dev,
		   size_t devlen, char *why, size_t whylen)
{
	char names[16][64];
	size_t used = 0;
	int n, node = -2;

	dev[0] = why[0] = '\0';
	n = topo_bdev_leaves(root, path, names, 16, why, whylen);
	if (n < 0)
		return -1;
	if (n == 0) {
		snprintf(why, whylen, "no physical disk found behind %s", path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct topo_bdev b;
		int bn = -1;

		if (used < devlen)
			used += snprintf(dev + used, devlen - used, "%s%s",
					 i ? "," : "", names[i]);
		if (!topo_bdev_info(root, names[i], &b))
			bn = b.numa;
		if (bn < 0) {
			snprintf(why, whylen, "the kernel gives %s no NUMA node",
				 names[i]);
			return -1;
		}
		if (node >= 0 && bn != node) {
			snprintf(why, whylen, "%s spans disks on nodes %d and %d",
				 path, node, bn);
			return -1;
		}
		node = bn;
	}
	return node;
}
