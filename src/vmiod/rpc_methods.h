/* SPDX-License-Identifier: MIT */
/* vmiod's JSON-RPC methods (docs/rpc.md) on top of the daemon API. */
#ifndef VMIOD_RPC_METHODS_H
#define VMIOD_RPC_METHODS_H

#include <jansson.h>

#include "daemon.h"

struct rpc_server;

struct rpc_methods_opts {
	char *const *image_dirs; /* disk_add opens images only under these */
	unsigned int nimage_dirs;
	int socket_uid;          /* owner of every socket vmiod makes; -1: keep */
	int socket_gid;          /* and its group; -1: keep */
};

/* Serves the methods on path (mode 0660). */
int rpc_methods_start(struct daemon *d, const char *path,
		      const struct rpc_methods_opts *o, struct rpc_server **out);

/* A disk from an object of --disk keys ({"id": "vm1", "path": …}), as
 * disk_add and --config take it. check_dirs applies the image allowlist.
 * Returns 0 or a JSON-RPC error code with a sentence in err. */
int rpc_disk_add_object(struct daemon *d, json_t *obj, bool check_dirs,
			const struct rpc_methods_opts *o, char *err,
			size_t errlen);

/* A virtio-scsi target from an object of --scsi keys, LUNs as "luns":
 * [{"lun": 0, "path": …}] (scsi_add, --config). */
int rpc_scsi_add_object(struct daemon *d, json_t *obj, bool check_dirs,
			const struct rpc_methods_opts *o, char *err,
			size_t errlen);

/* The running devices as the *_add_object calls take them: {"disks":
 * […], "scsi": […]} (config_get; `vmio config save` writes it). */
json_t *rpc_config_json(struct daemon *d);
/* Adds the devices of such a file (vmiod --config). */
int rpc_config_load(struct daemon *d, const char *file,
		    const struct rpc_methods_opts *o);

#endif
