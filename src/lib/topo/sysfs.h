/* SPDX-License-Identifier: MIT */
/* Reading sysfs/procfs files below a root directory, so that every host
 * probe runs the same on the real machine (root "/") and on a fixture
 * tree in the test suite. Paths given here are absolute host paths. */
#ifndef VMIO_TOPO_SYSFS_H
#define VMIO_TOPO_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#define TOPO_PATH_MAX 4096

int topo_sysfs_join(char *out, size_t len, const char *root, const char *path);
int topo_sysfs_read(const char *root, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int topo_sysfs_read_long(const char *root, long *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool topo_sysfs_exists(const char *root, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int topo_sysfs_resolve(const char *root, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int topo_sysfs_list(const char *root, const char *dir, const char *prefix,
	       char (*names)[64], int max);
int topo_sysfs_numa_node(const char *root, const char *syspath);
char *topo_sysfs_bracketed(const char *s, char *out, size_t len);

#endif
