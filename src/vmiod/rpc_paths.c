/* SPDX-License-Identifier: MIT */
#include "rpc_paths.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The path open(O_CREAT) would create: the real parent plus the name. */
static int resolve_new(const char *path, char *real, size_t len, char *err,
		       size_t errlen)
{
	char dir[PATH_MAX], name[PATH_MAX], parent[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) == 0) {
		/* It exists but realpath failed: a dangling or looping link. */
		snprintf(err, errlen, "%s is a symlink to nothing; disk_add will "
			 "not follow it (point it at an image or remove it)", path);
		return -ELOOP;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(name, sizeof(name), "%s", path);
	if (!realpath(dirname(dir), parent)) {
		snprintf(err, errlen, "the directory of %s cannot be opened: %s",
			 path, strerror(errno));
		return -ENOENT;
	}
	snprintf(dir, sizeof(dir), "%s", basename(name));
	if (!strcmp(dir, "..") || !strcmp(dir, ".") || !strcmp(dir, "/")) {
		snprintf(err, errlen, "%s does not name a file", path);
		return -EINVAL;
	}
	if ((size_t)snprintf(real, len, "%s/%s", strcmp(parent, "/") ? parent : "",
			     dir) >= len) {
		snprintf(err, errlen, "%s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	return 0;
}

static bool under(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return real[0] == '/' && real[1];
	return !strncmp(real, dir, n) && real[n] == '/' && real[n + 1];
}

int rpc_path_check(const char *path, char *const *dirs, unsigned int ndirs,
		   char *real, size_t reallen, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	return rpc_path_check_dir(path, dirs, ndirs, real, reallen, dir,
				  sizeof(dir), err, errlen);
}

int rpc_path_check_dir(const char *path, char *const *dirs, unsigned int ndirs,
		       char *real, size_t reallen, char *dir, size_t dirlen,
		       char *err, size_t errlen)
{
	char buf[PATH_MAX];
	int ret = 0;

	if (!ndirs) {
		snprintf(err, errlen, "vmiod was started without --image-dir, so "
			 "disk_add may not open image files; restart it with "
			 "--image-dir DIR (or use --disk / --config)");
		return -EACCES;
	}
	if (realpath(path, buf)) {
		snprintf(real, reallen, "%s", buf);
	} else if (errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "%s cannot be resolved: %s", path,
			 strerror(-ret));
		return ret;
	} else {
		ret = resolve_new(path, real, reallen, err, errlen);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < ndirs; i++)
		if (realpath(dirs[i], buf) && under(real, buf)) {
			snprintf(dir, dirlen, "%s", buf);
			return 0;
		}
	snprintf(err, errlen, "path outside the allowed directory: %s resolves "
		 "to %s, which is under no --image-dir", path, real);
	return -EACCES;
}
