/* SPDX-License-Identifier: MIT */
/* Reading sysfs/procfs files below a root directory, so that every host
 * probe runs the same on the real machine (root "/") and on a fixture
 * tree in the test suite. Paths given here are absolute host paths. */
#ifndef VMIO_TUNE_SYSFS_H
#define VMIO_TUNE_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#define SYSFS_PATH_MAX 4096

int sysfs_join(char *out, size_t len, const char *root, const char *path);
int sysfs_read(const char *root, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sysfs_read_long(const char *root, long *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool sysfs_exists(const char *root, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sysfs_resolve(const char *root, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sysfs_list(const char *root, const char *dir, const char *prefix,
	       char (*names)[64], int max);
int sysfs_numa_node(const char *root, const char *syspath);
char *sysfs_bracketed(const char *s, char *out, size_t len);

#endif
