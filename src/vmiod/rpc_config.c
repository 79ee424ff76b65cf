/* SPDX-License-Identifier: MIT */
/*
 * Devices as JSON objects of their --disk/--scsi keys (devcfg.h): what
 * disk_add and scsi_add take, what config_get returns and what vmiod
 * --config reads back, so any running state can be saved and restored.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc/rpc.h"
#include "rpc_methods.h"
#include "rpc_paths.h"
#include "util/listen_fds.h"
#include "util/log.h"

/* Swaps *path for the resolved path that passed the allowlist and keeps
 * the --image-dir it lies under in *beneath: the image is opened beneath
 * it (backend.h), so what is opened is what was checked. */
static int check_path(char **path, char **beneath,
		      const struct rpc_methods_opts *o, char *err, size_t errlen)
{
	char real[PATH_MAX], dir[PATH_MAX];
	int ret = rpc_path_check_dir(*path, o->image_dirs, o->nimage_dirs, real,
				     sizeof(real), dir, sizeof(dir), err, errlen);
	char *r, *d;

	if (ret)
		return ret;
	r = strdup(real);
	d = strdup(dir);
	if (!r || !d) {
		free(r);
		free(d);
		return -ENOMEM;
	}
	free(*path);
	free(*beneath);
	*path = r;
	*beneath = d;
	return 0;
}

/* A Ceph conf named over the RPC: librados reads it as root (and the
 * keyring it names), so it must be the host's own (/etc/ceph) or lie
 * under an --image-dir. */
static int check_ceph_conf(const char *conf, const struct rpc_methods_opts *o,
			   char *err, size_t errlen)
{
	static const char etc_ceph[] = "/etc/ceph/";
	char real[PATH_MAX];

	if (!conf)
		return 0;
	if (realpath(conf, real) && !strncmp(real, etc_ceph, sizeof(etc_ceph) - 1))
		return 0;
	if (!rpc_path_check(conf, o->image_dirs, o->nimage_dirs, real,
			    sizeof(real), err, errlen))
		return 0;
	snprintf(err, errlen, "conf=%s: over the RPC a Ceph conf must be under "
		 "/etc/ceph or an --image-dir", conf);
	return -EACCES;
}

/* The allowlist applies to every file a LUN names, as to a disk's. */
static int check_lun_paths(struct scsi_config *c,
			   const struct rpc_methods_opts *o, char *err,
			   size_t errlen)
{
	for (unsigned int i = 0; i < c->nluns; i++) {
		int ret;

		if (!c->luns[i].path)
			continue;
		ret = check_path(&c->luns[i].path, &c->luns[i].beneath, o, err,
				 errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int rpc_disk_add_object(struct daemon *d, json_t *obj, bool check_dirs,
			const struct rpc_methods_opts *o, char *err,
			size_t errlen)
{
	struct disk_config dc;
	int ret;

	if (disk_config_from_json(obj, &dc, err, errlen))
		return RPC_INVALID_PARAMS;
	ret = check_dirs && dc.path ? check_path(&dc.path, &dc.beneath, o, err,
						 errlen) : 0;
	if (!ret && check_dirs)
		ret = check_ceph_conf(dc.rbd.conf, o, err, errlen);
	if (ret)
		ret = RPC_APP_ERROR;
	else if (daemon_disk_add(d, &dc, err, errlen))
		ret = RPC_APP_ERROR;
	disk_config_free(&dc);
	return ret;
}

int rpc_scsi_add_object(struct daemon *d, json_t *obj, bool check_dirs,
			const struct rpc_methods_opts *o, char *err,
			size_t errlen)
{
	struct scsi_config sc;
	int ret;

	if (scsi_config_from_json(obj, &sc, err, errlen))
		return RPC_INVALID_PARAMS;
	ret = check_dirs ? check_lun_paths(&sc, o, err, errlen) : 0;
	if (!ret && check_dirs)
		ret = check_ceph_conf(sc.rbd.conf, o, err, errlen);
	if (ret)
		ret = RPC_APP_ERROR;
	else if (daemon_scsi_add(d, &sc, err, errlen))
		ret = RPC_APP_ERROR;
	scsi_config_free(&sc);
	return ret;
}

/* A socket handed in cannot be bound again from a path: whoever handed
 * it in still holds it. What restarts is the same hand-over, so fd:N is
 * kept as it is; but one systemd named after the device's id is saved as
 * "systemd", which finds it again whatever number the socket units give
 * it next time. */
static void socket_for_restart(json_t *o)
{
	const char *sock = json_string_value(json_object_get(o, "socket"));
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *name;
	int fd;

	if (!sock || !id || listen_fds_parse(sock, &fd) != 1)
		return;
	name = listen_fds_name(fd);
	if (name && !strcmp(name, id))
		json_object_set_new(o, "socket", json_string("systemd"));
}

/* The devices of one kind as their *_add takes them back. */
static json_t *devices_json(struct daemon *d, const struct device_ops *kind)
{
	struct device_registry *r = daemon_devices(d);
	unsigned int n = registry_count(r, kind);
	json_t *arr = json_array();

	for (unsigned int i = 0; arr && i < n; i++) {
		json_t *o = kind->config(registry_at(r, kind, i));

		if (o)
			socket_for_restart(o);
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *rpc_config_json(struct daemon *d)
{
	return json_pack("{s:i,s:o,s:o}", "version", 1, "disks",
			 devices_json(d, &disk_ops), "scsi",
			 devices_json(d, &scsi_target_ops));
}

/* One array of the file: each member through add(). */
static int load_array(struct daemon *d, const char *file, json_t *cfg,
		      const char *key, const char *what,
		      int (*add)(struct daemon *, json_t *, bool,
				 const struct rpc_methods_opts *, char *, size_t),
		      const struct rpc_methods_opts *o, size_t *count)
{
	json_t *arr = json_object_get(cfg, key), *one;
	char err[512];
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		log_error("--config %s: \"%s\" must be an array", file, key);
		return -EINVAL;
	}
	/* The file is the operator's, like --disk: no image-dir check. */
	json_array_foreach(arr, i, one) {
		err[0] = '\0';
		if (add(d, one, false, o, err, sizeof(err))) {
			log_error("--config %s: %s %zu: %s", file, what, i + 1, err);
			return -EINVAL;
		}
	}
	*count += json_array_size(arr);
	return 0;
}

int rpc_config_load(struct daemon *d, const char *file,
		    const struct rpc_methods_opts *o)
{
	json_error_t jerr;
	json_t *cfg = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	size_t n = 0;
	int ret;

	if (!cfg) {
		log_error("--config %s: %s (line %d, column %d)", file, jerr.text,
			  jerr.line, jerr.column);
		return -EINVAL;
	}
	if (!json_is_object(cfg) || (!json_object_get(cfg, "disks") &&
				     !json_object_get(cfg, "scsi"))) {
		log_error("--config %s: expected {\"disks\": [ {disk_add params}, "
			  "... ], \"scsi\": [ {scsi_add params}, ... ]} (what "
			  "`vmio config save` writes)", file);
		json_decref(cfg);
		return -EINVAL;
	}
	ret = load_array(d, file, cfg, "disks", "disk", rpc_disk_add_object, o,
			 &n);
	if (!ret)
		ret = load_array(d, file, cfg, "scsi", "scsi target",
				 rpc_scsi_add_object, o, &n);
	if (!ret)
		log_info("config: %zu device%s from %s", n, n == 1 ? "" : "s", file);
	json_decref(cfg);
	return ret;
}
