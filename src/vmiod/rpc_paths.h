/* SPDX-License-Identifier: MIT */
/* Where disk_add may open images: under the --image-dir directories only,
 * judged on the path as open() will resolve it. */
#ifndef VMIOD_RPC_PATHS_H
#define VMIOD_RPC_PATHS_H

#include <stddef.h>

/*
 * Resolves path (symlinks and .. in every component; for a file that does
 * not exist yet, its directory) into real and checks it lies strictly
 * below one of dirs. Returns 0, or -errno with a sentence in err:
 * -EACCES outside every directory, -ENOENT no such directory, -ELOOP a
 * dangling symlink (creating the image would follow it anywhere).
 */
int rpc_path_check(const char *path, char *const *dirs, unsigned int ndirs,
		   char *real, size_t reallen, char *err, size_t errlen);
/* The same, also giving the real path of the directory it lies under:
 * the image is then opened beneath that directory (backend.h), so a
 * symlink swapped in after this check cannot lead out of it. */
int rpc_path_check_dir(const char *path, char *const *dirs, unsigned int ndirs,
		       char *real, size_t reallen, char *dir, size_t dirlen,
		       char *err, size_t errlen);

#endif
