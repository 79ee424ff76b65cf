/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tune/image.h"
#include "topo/sysfs.h"

#define QCOW2_MAGIC 0x514649fbu
#define CHAIN_MAX 64

struct qcow2_head {
	uint32_t magic;
	uint32_t version;
	uint64_t backing_offset;
	uint32_t backing_size;
	uint32_t cluster_bits;
	uint64_t size;
} __attribute__((packed));

static int read_backing(int fd, const struct qcow2_head *h,
			struct image_info *ii)
{
	uint64_t off = be64toh(h->backing_offset);
	uint32_t len = be32toh(h->backing_size);
	ssize_t n;

	if (!off || !len)
		return 0;
	if (len >= sizeof(ii->backing))
		return -ENAMETOOLONG;
	n = pread(fd, ii->backing, len, off);
	if (n != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	ii->backing[len] = '\0';
	return 0;
}

int image_probe(const char *root, const char *path, struct image_info *ii)
{
	char full[TOPO_PATH_MAX];
	struct qcow2_head h;
	int fd, ret = 0;

	memset(ii, 0, sizeof(*ii));
	ret = topo_sysfs_join(full, sizeof(full), root, path);
	if (ret)
		return ret;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    be32toh(h.magic) == QCOW2_MAGIC) {
		ii->qcow2 = true;
		ii->vsize = be64toh(h.size);
		ret = read_backing(fd, &h, ii);
	}
	close(fd);
	return ret;
}

/* Backing files counted below path; a relative name is relative to the
 * directory of the image that names it, as QEMU resolves it. */
int image_chain_depth(const char *root, const char *path, int *depth,
		      char *why, size_t whylen)
{
	char cur[4096], dir[4096];
	struct image_info ii;
	int ret;

	snprintf(cur, sizeof(cur), "%s", path);
	for (*depth = 0; *depth < CHAIN_MAX; (*depth)++) {
		ret = image_probe(root, cur, &ii);
		if (ret) {
			snprintf(why, whylen, "cannot read %s: %s", cur,
				 strerror(-ret));
			return ret;
		}
		if (!ii.backing[0])
			return 0;
		if (strchr(ii.backing, ':') && strncmp(ii.backing, "/", 1)) {
			snprintf(why, whylen, "backing %s is not a local file",
				 ii.backing);
			return -EOPNOTSUPP;
		}
		snprintf(dir, sizeof(dir), "%s", cur);
		if (ii.backing[0] == '/')
			snprintf(cur, sizeof(cur), "%s", ii.backing);
		else if (snprintf(cur, sizeof(cur), "%s/%s", dirname(dir),
				  ii.backing) >= (int)sizeof(cur))
			return -ENAMETOOLONG;
	}
	snprintf(why, whylen, "backing chain of %s loops or exceeds %d", path,
		 CHAIN_MAX);
	return -ELOOP;
}
