/* SPDX-License-Identifier: MIT */
/*
 * Disks as JSON objects of --disk keys: what disk_add takes, what
 * config_get returns and what vmiod --config reads back, so any running
 * state can be saved and restored.
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
#include "util/log.h"

/* Keys are the --disk option names: lower case, digits and '-'. */
static bool key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		      *k == '-' || *k == '_'))
			return false;
	return true;
}

static int value_of(const char *key, json_t *v, char *out, size_t len,
		    char *err, size_t errlen)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strlen(s) != json_string_length(v) || strchr(s, ',')) {
			snprintf(err, errlen, "%s may not contain ',' or NUL", key);
			return RPC_INVALID_PARAMS;
		}
		if ((size_t)snprintf(out, len, "%s", s) >= len) {
			snprintf(err, errlen, "%s is too long", key);
			return RPC_INVALID_PARAMS;
		}
	} else if (json_is_integer(v)) {
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(out, len, "%s", json_is_true(v) ? "on" : "off");
	} else {
		snprintf(err, errlen, "%s must be a string, an integer or a "
			 "boolean", key);
		return RPC_INVALID_PARAMS;
	}
	return 0;
}

/* {"id": "vm1", "queues": 2} -> "id=vm1,queues=2" (the --disk syntax, so
 * one parser checks both). */
static int spec_of(json_t *obj, char *spec, size_t speclen, char *err,
		   size_t errlen)
{
	const char *key;
	size_t used = 0;
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "params must be an object of --disk options, "
			 "e.g. {\"id\":\"vm1\",\"path\":\"/img\",\"socket\":\"/s\"}");
		return RPC_INVALID_PARAMS;
	}
	spec[0] = '\0';
	json_object_foreach(obj, key, v) {
		char val[PATH_MAX];
		int ret, n;

		if (!key_ok(key)) {
			snprintf(err, errlen, "'%.64s' is not a disk option name", key);
			return RPC_INVALID_PARAMS;
		}
		ret = value_of(key, v, val, sizeof(val), err, errlen);
		if (ret)
			return ret;
		n = snprintf(spec + used, speclen - used, "%s%s=%s",
			     used ? "," : "", key, val);
		if (n < 0 || (size_t)n >= speclen - used) {
			snprintf(err, errlen, "the disk options are too long");
			return RPC_INVALID_PARAMS;
		}
		used += (size_t)n;
	}
	return 0;
}

void rpc_socket_chown(const char *path, int uid, int gid)
{
	if ((uid >= 0 || gid >= 0) && chown(path, (uid_t)uid, (gid_t)gid) < 0)
		log_warn("cannot give %s to owner %d, group %d: %s", path, uid,
			 gid, strerror(errno));
}

/* Swaps dc->path for the resolved path that passed the allowlist, so the
 * image opened is the one checked (not what a symlink points to later). */
static int check_path(struct disk_config *dc, const struct rpc_methods_opts *o,
		      char *err, size_t errlen)
{
	char real[PATH_MAX], *copy;
	int ret = rpc_path_check(dc->path, o->image_dirs, o->nimage_dirs, real,
				 sizeof(real), err, errlen);

	if (ret)
		return ret;
	copy = strdup(real);
	if (!copy)
		return -ENOMEM;
	free(dc->path);
	dc->path = copy;
	return 0;
}

int rpc_disk_add_object(struct daemon *d, json_t *obj, bool check_dirs,
			const struct rpc_methods_opts *o, char *err,
			size_t errlen)
{
	struct disk_config dc;
	const char *why = "invalid disk options";
	char spec[4 * PATH_MAX];
	int ret;

	ret = spec_of(obj, spec, sizeof(spec), err, errlen);
	if (ret)
		return ret;
	if (disk_config_parse(spec, &dc, &why)) {
		snprintf(err, errlen, "%s", why);
		return RPC_INVALID_PARAMS;
	}
	if (daemon_disk_find(d, dc.id)) {
		snprintf(err, errlen, "disk '%s' already exists; pick another id "
			 "or remove it first", dc.id);
		ret = RPC_APP_ERROR;
	} else if (check_dirs && dc.path && check_path(&dc, o, err, errlen)) {
		ret = RPC_APP_ERROR;
	} else if (daemon_disk_add(d, &dc, err, errlen)) {
		ret = RPC_APP_ERROR;
	} else {
		rpc_socket_chown(dc.socket, o->socket_uid, o->socket_gid);
	}
	disk_config_free(&dc);
	return ret;
}

/* QoS keys travel as members too, as strings ("iops": "5000"). */
static void add_qos_members(json_t *obj, const char *qos)
{
	char *copy = strdup(qos), *save = NULL;

	for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (eq) {
			*eq = '\0';
			json_object_set_new(obj, kv, json_string(eq + 1));
		}
	}
	free(copy);
}

static json_t *disk_config_json(const struct disk_config *dc, const char *qos)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:b,s:b}", "id", dc->id,
			      "socket", dc->socket, "queues", (int)dc->queues,
			      "backend", dc->backend == DISK_BACKEND_NULL ? "null"
									  : "uring",
			      "ro", dc->ro, "direct", dc->direct);

	if (!o)
		return NULL;
	if (dc->path)
		json_object_set_new(o, "path", json_string(dc->path));
	if (dc->size)
		json_object_set_new(o, "size", json_integer((json_int_t)dc->size));
	if (dc->blk_size)
		json_object_set_new(o, "blk-size", json_integer(dc->blk_size));
	if (dc->delay_us)
		json_object_set_new(o, "delay-us", json_integer((json_int_t)dc->delay_us));
	if (qos)
		add_qos_members(o, qos);
	return o;
}

json_t *rpc_config_json(struct daemon *d)
{
	json_t *disks = json_array();

	for (unsigned int i = 0; i < daemon_ndisks(d); i++) {
		struct disk *k = daemon_disk_at(d, i);
		const struct disk_config *dc = disk_config(k);
		char qos[1024];

		/* The contract in force, which qos_set may have changed. */
		if (daemon_disk_qos_get(d, dc->id, qos, sizeof(qos)))
			snprintf(qos, sizeof(qos), "%s", dc->qos ? dc->qos : "");
		json_array_append_new(disks, disk_config_json(dc, qos));
	}
	return json_pack("{s:i,s:o}", "version", 1, "disks", disks);
}

int rpc_config_load(struct daemon *d, const char *file,
		    const struct rpc_methods_opts *o)
{
	json_error_t jerr;
	json_t *cfg = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr), *disk;
	json_t *disks = json_object_get(cfg, "disks");
	char err[512];
	size_t i;

	if (!cfg) {
		log_error("--config %s: %s (line %d, column %d)", file, jerr.text,
			  jerr.line, jerr.column);
		return -EINVAL;
	}
	if (!json_is_array(disks)) {
		log_error("--config %s: expected {\"disks\": [ {disk_add params}, "
			  "... ]} (what `vmio config save` writes)", file);
		json_decref(cfg);
		return -EINVAL;
	}
	/* The file is the operator's, like --disk: no image-dir check. */
	json_array_foreach(disks, i, disk) {
		err[0] = '\0';
		if (rpc_disk_add_object(d, disk, false, o, err, sizeof(err))) {
			log_error("--config %s: disk %zu: %s", file, i + 1, err);
			json_decref(cfg);
			return -EINVAL;
		}
	}
	log_info("config: %zu disk%s from %s", json_array_size(disks),
		 json_array_size(disks) == 1 ? "" : "s", file);
	json_decref(cfg);
	return 0;
}
