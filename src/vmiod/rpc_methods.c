/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC methods (docs/rpc.md). They run on the control thread, as
 * daemon.h requires, and answer errors with a sentence a person can act
 * on; codes: RPC_INVALID_PARAMS for a malformed call, RPC_NOT_FOUND for
 * an unknown disk, RPC_NOT_SUPPORTED for what this vmiod cannot do,
 * RPC_APP_ERROR for the rest.
 */
#include "rpc_methods.h"
#include "rpc_paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "metrics/prom.h"
#include "rpc/rpc.h"
#include "scsi/scsi_dev.h"
#include "util/log.h"
#include "util/parse.h"

/* One daemon per process: the methods' context. */
static struct {
	struct daemon *d;
	struct rpc_methods_opts o;
} ctx;

static int need_id(json_t *p, const char **id, char *err, size_t len)
{
	*id = json_string_value(json_object_get(p, "id"));
	if (!*id) {
		snprintf(err, len, "params.id (the disk's name, a string) is required");
		return RPC_INVALID_PARAMS;
	}
	return 0;
}

static int not_found(const char *id, char *err, size_t len)
{
	snprintf(err, len, "disk '%s' not found (vmio disk ls lists them)", id);
	return RPC_NOT_FOUND;
}

/* Names of the negotiated virtio-blk and transport feature bits. */
static json_t *feature_names(uint64_t f)
{
	static const char *const names[64] = {
		[1] = "size_max", [2] = "seg_max", [4] = "geometry", [5] = "ro",
		[6] = "blk_size", [9] = "flush", [10] = "topology",
		[11] = "config_wce", [12] = "mq", [13] = "discard",
		[14] = "write_zeroes", [15] = "lifetime", [16] = "secure_erase",
		[28] = "indirect_desc", [29] = "event_idx",
		[30] = "protocol_features", [32] = "version_1",
		[33] = "access_platform", [34] = "ring_packed", [35] = "in_order",
	};
	json_t *a = json_array();

	for (int b = 0; b < 64; b++)
		if (f & (1ull << b))
			json_array_append_new(a, names[b] ? json_string(names[b])
						 : json_sprintf("bit%d", b));
	return a;
}

/* Where a disk or scsi target runs (docs/numa.md): its device's node,
 * each queue's reactor and node, and where the connected guest's memory
 * is. */
static json_t *placement_json(const struct queue_place *dp, bool connected,
			      const struct guest_mem *guest_mem)
{
	json_t *reactors = json_array(), *nodes = json_array(), *gm = json_null();
	json_t *huge = json_false();
	struct guest_mem_summary s = { 0 };

	for (unsigned int q = 0; q < dp->nqueues; q++) {
		int n = daemon_reactor_node(ctx.d, dp->queue_reactor[q]);

		json_array_append_new(reactors,
				      json_integer(reactor_id(dp->queue_reactor[q])));
		json_array_append_new(nodes, n >= 0 ? json_integer(n) : json_null());
	}
	if (connected && guest_mem && guest_mem->nregions) {
		guest_mem_summary(guest_mem, &s);
		gm = json_array();
		for (int n = 0; n < 64; n++)
			if (s.nodes & (1ull << n))
				json_array_append_new(gm, json_integer(n));
		if (s.huge_page_size)
			huge = json_integer((json_int_t)s.huge_page_size);
	}
	return json_pack("{s:o,s:s,s:s?,s:s,s:o,s:o,s:o,s:o,s:b}",
			 "device_node", dp->dev_node >= 0 ?
			 json_integer(dp->dev_node) : json_null(),
			 "device", dp->dev, "device_node_why",
			 dp->dev_node < 0 && dp->why[0] ? dp->why : NULL,
			 "rule", topo_place_rule_name(dp->rule),
			 "queue_reactors", reactors, "reactor_nodes", nodes,
			 "guest_mem_nodes", gm, "guest_hugepages", huge,
			 "guest_hugepages_aligned", s.huge_aligned);
}

/* A contract as the --disk QoS keys write it, or NULL for none. */
static const char *contract(bool has, const struct qos_limits *lim)
{
	static char buf[1024];

	if (!has || qos_limits_format(lim, buf, sizeof(buf)) < 0)
		return NULL;
	return buf;
}

static json_t *disk_json(struct disk *k)
{
	struct disk_info i;
	char f[32], pf[32];

	/* Pages the guest's I/O touched since the last look now have a node. */
	daemon_check_guest(ctx.d, &k->dev);
	disk_get_info(k, &i);
	snprintf(f, sizeof(f), "0x%llx", (unsigned long long)i.features);
	snprintf(pf, sizeof(pf), "0x%llx", (unsigned long long)i.protocol_features);
	return json_pack("{s:s,s:s,s:s?,s:s*,s:s,s:s*,s:I,s:i,s:i,s:b,s:b,s:b,s:s,s:o,s:s,s:s?,s:o}",
			 "id", i.id, "backend", i.backend, "path", i.path,
			 "image", i.image, "socket", i.socket,
			 "socket_path", i.socket_path, "size", (json_int_t)i.size,
			 "blk_size", (int)i.blk_size, "queues", (int)i.queues,
			 "ro", i.ro, "direct", i.direct, "connected", i.connected,
			 "features", f, "feature_names", feature_names(i.features),
			 "protocol_features", pf, "qos", contract(i.has_qos, i.qos),
			 "placement", placement_json(i.place, i.connected,
						     i.guest_mem));
}

static json_t *latency_json(const uint64_t *hist, uint64_t ns_sum);

/* A virtio-scsi target: its LUNs, counters and placement. */
static json_t *scsi_json(struct scsi_target *target)
{
	static struct scsi_lun_info luns[SCSI_MAX_LUNS];
	struct scsi_target_info ti, *t = &ti;
	struct scsi_dev_stats st;
	struct qos_limits lim;
	json_t *a = json_array(), *o;
	unsigned int n;
	char f[32];

	daemon_check_guest(ctx.d, &target->dev);
	scsi_target_get_info(target, t);
	n = scsi_dev_luns(t->dev, luns);

	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:s,s:s?,s:s*,s:I,s:i,s:b,s:b}",
			"lun", luns[i].lun, "backend", luns[i].backend,
			"path", strcmp(luns[i].backend, "rbd") ? luns[i].path : NULL,
			"image", strcmp(luns[i].backend, "rbd") ? NULL : luns[i].path,
			"size", (json_int_t)luns[i].size,
			"blk_size", (int)luns[i].block_size, "ro", luns[i].ro,
			"thin", luns[i].thin));
	scsi_dev_get_stats(t->dev, &st);
	snprintf(f, sizeof(f), "0x%llx", (unsigned long long)t->features);
	o = json_pack("{s:s,s:s,s:s*,s:i,s:b,s:s,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,"
		      "s:I,s:I,s:I,s:I,s:I,s:I,s:o},s:o}",
		"id", t->id, "socket", t->socket, "socket_path", t->socket_path,
		"queues", (int)t->queues,
		"connected", t->connected, "features", f, "luns", a,
		"stats",
		"cmds", (json_int_t)st.cmds, "reads", (json_int_t)st.reads,
		"writes", (json_int_t)st.writes, "flushes", (json_int_t)st.flushes,
		"unmaps", (json_int_t)st.unmaps,
		"bytes_read", (json_int_t)st.bytes_read,
		"bytes_written", (json_int_t)st.bytes_written,
		"check_conditions", (json_int_t)st.check_conditions,
		"bad_requests", (json_int_t)st.bad_requests,
		"tmfs", (json_int_t)st.tmfs, "events", (json_int_t)st.events,
		"inflight", (json_int_t)st.inflight,
		"latency", latency_json(st.lat_hist, st.lat_ns_sum),
		"placement", placement_json(t->place, t->connected, t->guest_mem));
	if (!o)
		return NULL;
	json_object_set_new(o, "qos", scsi_target_ops.qos_get(&target->dev, &lim)
		? json_string(contract(true, &lim)) : json_null());
	/* LUNs removed whose commands in flight still finish. */
	a = json_array();
	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++)
		if (scsi_dev_lun_removing(t->dev, (uint16_t)i))
			json_array_append_new(a, json_integer(i));
	json_object_set_new(o, "removing", a);
	return o;
}

/* params.lun: an integer LUN number. */
static int need_lun(json_t *p, unsigned int *lun, char *err, size_t len)
{
	json_t *v = json_object_get(p, "lun");

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= SCSI_MAX_LUNS) {
		snprintf(err, len, "params.lun (the LUN number, 0 to %d) is "
			 "required", SCSI_MAX_LUNS - 1);
		return RPC_INVALID_PARAMS;
	}
	*lun = (unsigned int)json_integer_value(v);
	return 0;
}

static int scsi_error(int ret)
{
	return ret == -ENOENT ? RPC_NOT_FOUND
	       : ret == -EINVAL ? RPC_INVALID_PARAMS : RPC_APP_ERROR;
}

/* {id, lun, path}, {id, lun, rbd: "pool/image"} or {id, lun, backend:
 * "null", size}, ro optional. A path must lie under an --image-dir, as
 * disk_add's does; an RBD image is reached as the target's conf= and
 * user= say. */
static int m_scsi_lun_add(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	const char *id, *path = json_string_value(json_object_get(p, "path"));
	const char *backend = json_string_value(json_object_get(p, "backend"));
	const char *rbd = json_string_value(json_object_get(p, "rbd"));
	json_t *size = json_object_get(p, "size"), *ro = json_object_get(p, "ro");
	struct scsi_lun_config l = { 0 };
	struct scsi_target *t;
	char real[PATH_MAX], dir[PATH_MAX];
	uint64_t bytes = 0;
	unsigned int lun;
	int ret = need_id(p, &id, err, len);

	if (ret || (ret = need_lun(p, &lun, err, len)))
		return ret;
	if (ro && !json_is_boolean(ro)) {
		snprintf(err, len, "params.ro must be true or false");
		return RPC_INVALID_PARAMS;
	}
	if (!!path + !!rbd + (backend && !strcmp(backend, "null")) != 1) {
		snprintf(err, len, "give params.path (an image under --image-dir), "
			 "params.rbd (\"pool/image\") or params.backend \"null\" "
			 "with params.size");
		return RPC_INVALID_PARAMS;
	}
	if (!path && !rbd && !(json_is_integer(size) && json_integer_value(size) > 0 &&
		       (bytes = (uint64_t)json_integer_value(size))) &&
	    !(json_is_string(size) && !parse_size(json_string_value(size), &bytes) &&
	      bytes)) {
		snprintf(err, len, "params.size (bytes, or e.g. \"16M\") is "
			 "required for a null LUN");
		return RPC_INVALID_PARAMS;
	}
	if (path && rpc_path_check_dir(path, ctx.o.image_dirs, ctx.o.nimage_dirs,
				       real, sizeof(real), dir, sizeof(dir), err,
				       len))
		return RPC_APP_ERROR;
	t = daemon_scsi_find(ctx.d, id);
	if (!t) {
		snprintf(err, len, "scsi target '%s' not found", id);
		return RPC_NOT_FOUND;
	}
	l.lun = (uint16_t)lun;
	l.path = path ? real : NULL;
	l.beneath = path ? dir : NULL;
	l.rbd = (char *)rbd;
	l.null_size = bytes;
	ret = scsi_target_lun_add(t, &l, ro && json_is_true(ro), err, len);
	if (ret)
		return scsi_error(ret);
	*r = scsi_json(t);
	return 0;
}

static int m_scsi_lun_remove(void *c, json_t *p, json_t **r, char *err,
			     size_t len)
{
	struct scsi_target *t;
	unsigned int lun;
	const char *id;
	int ret = need_id(p, &id, err, len);

	if (ret || (ret = need_lun(p, &lun, err, len)))
		return ret;
	t = daemon_scsi_find(ctx.d, id);
	if (!t) {
		snprintf(err, len, "scsi target '%s' not found", id);
		return RPC_NOT_FOUND;
	}
	ret = scsi_target_lun_remove(t, lun, err, len);
	if (ret && ret != -EINPROGRESS)
		return scsi_error(ret);
	/* removed: false while its commands in flight finish (it is gone
	 * from the LUN list at once; the guest is told once it is closed). */
	*r = scsi_json(t);
	json_object_set_new(*r, "removed", json_boolean(ret == 0));
	return 0;
}

static int m_scsi_list(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_array();
	for (unsigned int i = 0; i < daemon_nscsi(ctx.d); i++)
		json_array_append_new(*r, scsi_json(daemon_scsi_at(ctx.d, i)));
	return 0;
}

static int m_scsi_info(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	struct scsi_target *t;
	const char *id;
	int ret = need_id(p, &id, err, len);

	if (ret)
		return ret;
	t = daemon_scsi_find(ctx.d, id);
	if (!t) {
		snprintf(err, len, "scsi target '%s' not found (vmio rpc "
			 "scsi_list lists them)", id);
		return RPC_NOT_FOUND;
	}
	*r = scsi_json(t);
	return 0;
}

static int m_scsi_add(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	int ret = rpc_scsi_add_object(ctx.d, p, true, &ctx.o, err, len);

	if (!ret)
		*r = scsi_json(daemon_scsi_find(ctx.d, json_string_value(
			json_object_get(p, "id"))));
	return ret;
}

static int m_scsi_remove(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	const char *id;
	int ret = need_id(p, &id, err, len);

	if (ret)
		return ret;
	ret = daemon_scsi_remove(ctx.d, id);
	if (ret == -ENOENT) {
		snprintf(err, len, "scsi target '%s' not found", id);
		return RPC_NOT_FOUND;
	}
	*r = json_pack("{s:s,s:b}", "id", id, "removed", ret == 0);
	return 0;
}

static int m_version(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_pack("{s:s,s:i}", "version", VMIO_VERSION, "api", 1);
	return 0;
}

static int m_disk_list(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_array();
	for (unsigned int i = 0; i < daemon_ndisks(ctx.d); i++)
		json_array_append_new(*r, disk_json(daemon_disk_at(ctx.d, i)));
	return 0;
}

static int m_disk_info(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	const char *id;
	struct disk *k;
	int ret = need_id(p, &id, err, len);

	if (ret)
		return ret;
	k = daemon_disk_find(ctx.d, id);
	if (!k)
		return not_found(id, err, len);
	*r = disk_json(k);
	return 0;
}

static int m_disk_add(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	int ret = rpc_disk_add_object(ctx.d, p, true, &ctx.o, err, len);

	if (!ret)
		*r = disk_json(daemon_disk_find(ctx.d, json_string_value(
			json_object_get(p, "id"))));
	return ret;
}

static int m_disk_remove(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	const char *id;
	int ret = need_id(p, &id, err, len);

	if (ret)
		return ret;
	ret = daemon_disk_remove(ctx.d, id);
	if (ret == -ENOENT)
		return not_found(id, err, len);
	/* removed: false while requests in flight drain (the disk is gone
	 * from disk_list at once; its socket takes no new front-end). */
	*r = json_pack("{s:s,s:b}", "id", id, "removed", ret == 0);
	return 0;
}

static int m_disk_resize(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	json_t *size = json_object_get(p, "size");
	const char *id;
	uint64_t bytes;
	int ret = need_id(p, &id, err, len);

	if (ret)
		return ret;
	if (json_is_integer(size) && json_integer_value(size) > 0) {
		bytes = (uint64_t)json_integer_value(size);
	} else if (!json_is_string(size) ||
		   parse_size(json_string_value(size), &bytes) || !bytes) {
		snprintf(err, len, "params.size (bytes, or a string like \"20G\") "
			 "is required");
		return RPC_INVALID_PARAMS;
	}
	if (bytes > CFG_SIZE_MAX) {
		/* A config saved with it could never be loaded again. */
		snprintf(err, len, "params.size: %llu bytes is more than a disk "
			 "can have (at most %llu)", (unsigned long long)bytes,
			 (unsigned long long)CFG_SIZE_MAX);
		return RPC_INVALID_PARAMS;
	}
	if (!daemon_disk_find(ctx.d, id))
		return not_found(id, err, len);
	ret = disk_resize(daemon_disk_find(ctx.d, id), bytes, err, len);
	if (ret)
		return ret == -ENOTSUP ? RPC_NOT_SUPPORTED : RPC_APP_ERROR;
	*r = disk_json(daemon_disk_find(ctx.d, id));
	return 0;
}

/* The contract from "qos": "iops=5000,…", or from the other members
 * ({"id": "vm1", "iops": 5000}); "" or no key clears it. */
static int qos_params(json_t *p, struct qos_limits *lim, char *err, size_t len)
{
	static const char *const skip[] = { "id", NULL };
	json_t *q = json_object_get(p, "qos");
	struct kvopts kv;
	int ret;

	if (q && !json_is_string(q)) {
		snprintf(err, len, "params.qos is a string like \"iops=5000\"");
		return RPC_INVALID_PARAMS;
	}
	if (q)
		ret = qos_limits_parse(json_string_value(q), lim, err, len);
	else if (!(ret = cfg_kv_from_json(p, skip, &kv, err, len))) {
		ret = qos_limits_parse_kv(&kv, lim, err, len);
		if (!ret && kvopts_unused(&kv)) {
			snprintf(err, len, "unknown QoS key '%s' (docs/qos.md)",
				 kvopts_unused(&kv));
			ret = -EINVAL;
		}
		kvopts_free(&kv);
	}
	return ret ? RPC_INVALID_PARAMS : 0;
}

static void limit_json(void *ctx_obj, const char *key, const char *val)
{
	json_object_set_new(ctx_obj, key, json_string(val));
}

static json_t *qos_json(const char *id, const struct qos_limits *lim)
{
	json_t *limits = json_object();

	qos_limits_foreach(lim, limit_json, limits);
	return json_pack("{s:s,s:s,s:o}", "id", id, "qos", contract(true, lim),
			 "limits", limits);
}

/* A disk or a scsi target: QoS is the same for either. */
static struct device *need_device(json_t *p, char *err, size_t len, int *ret)
{
	const char *id;
	struct device *dev;

	*ret = need_id(p, &id, err, len);
	if (*ret)
		return NULL;
	dev = registry_find(daemon_devices(ctx.d), id, NULL);
	if (!dev)
		*ret = not_found(id, err, len);
	return dev;
}

static int m_qos_get(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	struct qos_limits lim;
	struct device *dev;
	int ret;

	dev = need_device(p, err, len, &ret);
	if (!dev)
		return ret;
	if (!dev->ops->qos_get(dev, &lim)) {
		snprintf(err, len, "QoS is off in this vmiod (start it with --qos "
			 "or give a device a QoS key)");
		return RPC_NOT_SUPPORTED;
	}
	*r = qos_json(dev->id, &lim);
	return 0;
}

static int m_qos_set(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	struct qos_limits lim;
	struct device *dev;
	char q[512];
	int ret;

	dev = need_device(p, err, len, &ret);
	if (!dev)
		return ret;
	ret = qos_params(p, &lim, err, len);
	if (ret)
		return ret;
	ret = dev->ops->qos_set(dev, &lim, err, len);
	if (ret == -ENOTSUP)
		return RPC_NOT_SUPPORTED;
	if (ret)
		return ret == -EINVAL ? RPC_INVALID_PARAMS : RPC_APP_ERROR;
	if (qos_limits_format(&lim, q, sizeof(q)) >= 0)
		log_info("%s %s: QoS contract now %s", dev->ops->kind, dev->id,
			 q[0] ? q : "(none)");
	return m_qos_get(c, p, r, err, len);
}

/* Latency summary and the raw buckets (so a client can take the
 * percentiles of an interval from two samples). */
static json_t *latency_json(const uint64_t *hist, uint64_t ns_sum)
{
	double le[VDEV_LAT_BUCKETS];
	json_t *bounds = json_array(), *counts = json_array();
	struct prom_hist h = { VDEV_LAT_BUCKETS, le, hist, 0 };
	uint64_t n = 0;

	for (int k = 0; k < VDEV_LAT_BUCKETS; k++) {
		le[k] = (double)(1ull << (k + 3));
		json_array_append_new(bounds, json_integer((json_int_t)le[k]));
	}
	for (int k = 0; k <= VDEV_LAT_BUCKETS; k++) {
		n += hist[k];
		json_array_append_new(counts, json_integer((json_int_t)hist[k]));
	}
	return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:o,s:o}",
			 "count", (json_int_t)n, "sum_us", ns_sum / 1e3,
			 "mean_us", n ? ns_sum / 1e3 / (double)n : 0.0,
			 "p50_us", prom_hist_quantile(&h, 0.50),
			 "p99_us", prom_hist_quantile(&h, 0.99),
			 "p999_us", prom_hist_quantile(&h, 0.999),
			 "buckets_le_us", bounds, "counts", counts);
}

static json_t *stats_json(struct disk *k)
{
	struct blk_queue_stats s;
	struct qos_limits lim;
	struct disk_info i;
	struct qos_stats q;
	json_t *o;
	uint64_t ops = 0;

	disk_get_info(k, &i);
	blk_dev_get_stats(k->blk, &s);
	for (int t = 0; t < BLK_STAT_NR; t++)
		ops += s.ops[t];
	o = json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		      "id", i.id, "queues", (int)i.queues, "ops", (json_int_t)ops,
		      "reads", (json_int_t)s.ops[BLK_STAT_READ],
		      "writes", (json_int_t)s.ops[BLK_STAT_WRITE],
		      "flushes", (json_int_t)s.ops[BLK_STAT_FLUSH],
		      "discards", (json_int_t)s.ops[BLK_STAT_DISCARD],
		      "write_zeroes", (json_int_t)s.ops[BLK_STAT_WRITE_ZEROES],
		      "bytes_read", (json_int_t)s.bytes_read,
		      "bytes_written", (json_int_t)s.bytes_written,
		      "errors", (json_int_t)s.errors,
		      "unsupported", (json_int_t)s.unsupported,
		      "bad_chains", (json_int_t)s.bad_chains,
		      "fixed_buffer_ios", (json_int_t)s.fixed_buffer_ios,
		      "inflight", (json_int_t)s.inflight,
		      "other", (json_int_t)s.ops[BLK_STAT_OTHER],
		      "latency", latency_json(s.lat_hist, s.lat_ns_sum));
	if (o && blk_dev_qos_get(k->blk, &lim)) {
		blk_dev_qos_stats(k->blk, &q);
		json_object_set_new(o, "qos", json_pack("{s:I,s:I,s:f,s:I,s:I,s:i}",
			"throttled_total", (json_int_t)q.parked_total,
			"throttled_now", (json_int_t)q.parked,
			"p99_us", q.p99_ns / 1e3,
			"lat_windows", (json_int_t)q.windows,
			"lat_windows_missed", (json_int_t)q.windows_missed,
			"backend_depth", (int)q.depth));
	} else if (o) {
		json_object_set_new(o, "qos", json_null());
	}
	return o;
}

static int m_stats(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	json_t *idv = json_object_get(p, "id");
	const char *id = json_string_value(idv);
	struct disk *k;

	if (idv && !id) {
		snprintf(err, len, "params.id must be a disk name (a string)");
		return RPC_INVALID_PARAMS;
	}
	if (id) {
		k = daemon_disk_find(ctx.d, id);
		if (!k)
			return not_found(id, err, len);
		*r = json_pack("[o]", stats_json(k));
		return 0;
	}
	*r = json_array();
	for (unsigned int i = 0; i < daemon_ndisks(ctx.d); i++)
		json_array_append_new(*r, stats_json(daemon_disk_at(ctx.d, i)));
	return 0;
}

/* One reactor: where it runs, where its time went, and what its polling
 * policy measured and decided. */
static json_t *reactor_json(struct reactor *re)
{
	struct reactor_stats s;
	double total;
	int node = daemon_reactor_node(ctx.d, re);
	json_t *j;

	reactor_get_stats(re, &s);
	total = (double)(s.busy_ns + s.idle_ns);
	j = json_pack("{s:i,s:i,s:o,s:i,s:I,s:I,s:f,s:I,s:I}", "id",
		      (int)reactor_id(re), "cpu", reactor_cpu(re),
		      "node", node >= 0 ? json_integer(node) : json_null(),
		      "pollers", (int)s.pollers,
		      "busy_ns", (json_int_t)s.busy_ns,
		      "idle_ns", (json_int_t)s.idle_ns,
		      "busy_share", total > 0 ? (double)s.busy_ns / total : 0.0,
		      "passes", (json_int_t)s.passes,
		      "sleeps", (json_int_t)s.sleeps);
	json_object_update_new(j, json_pack(
		"{s:I,s:I,s:I,s:I,s:s,s:s,s:b,s:{s:I,s:I},s:I,s:I,s:f,s:f,s:f,"
		"s:f,s:b,s:{s:i,s:i}}",
		"poll_work_ns", (json_int_t)s.busy_ns,
		"poll_idle_ns", (json_int_t)s.poll_idle_ns,
		"sleep_ns", (json_int_t)s.sleep_ns,
		"wakeups", (json_int_t)s.sleeps,
		"policy", reactor_policy_name(s.policy),
		"mode", reactor_mode_name(s.mode),
		"asleep", s.asleep,
		"poll_budget_ns", "guest", (json_int_t)s.poll_budget_ns[RP_GUEST],
		"device", (json_int_t)s.poll_budget_ns[RP_DEVICE],
		"wake_latency_ns", (json_int_t)s.wake_latency_ns,
		"sleep_cpu_ns", (json_int_t)s.sleep_cpu_ns,
		"cpu_price", s.cpu_price, "cpu_wait_share", s.wait_share,
		"work_share", s.work_share, "inflight_avg", s.inflight_avg,
		"closed_loop", s.closed_loop,
		"batch_trials", "run", (int)s.trials,
		"batch_won", (int)s.trials_batch));
	return j;
}

static int m_reactor_list(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_array();
	for (unsigned int i = 0; i < daemon_nreactors(ctx.d); i++)
		json_array_append_new(*r, reactor_json(daemon_reactor(ctx.d, i)));
	return 0;
}

static int m_config_get(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = rpc_config_json(ctx.d);
	return *r ? 0 : RPC_INTERNAL_ERROR;
}

static int m_shutdown(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	log_info("rpc: shutdown requested");
	daemon_request_stop(ctx.d);
	*r = json_true();
	return 0;
}

static int m_methods(void *c, json_t *p, json_t **r, char *err, size_t len);

static const struct rpc_method methods[] = {
	{ "rpc_methods", m_methods, "this list" },
	{ "version", m_version, "vmiod's version" },
	{ "disk_list", m_disk_list, "every disk, as disk_info shows it" },
	{ "disk_info", m_disk_info, "{id}: backend, path, size, blk_size, queues, "
	  "ro, socket (and socket_path, the file of one handed in), connected, "
	  "negotiated features, placement (NUMA nodes of device, reactors and "
	  "guest memory; guest hugepages)" },
	{ "disk_add", m_disk_add, "{id, path | backend: \"null\" | backend: "
	  "\"rbd\", pool, image, socket, ...}: the --disk keys as members; "
	  "images (and Ceph confs) only under --image-dir" },
	{ "disk_remove", m_disk_remove, "{id}: drains in-flight I/O, closes the "
	  "socket and the image" },
	{ "disk_resize", m_disk_resize, "{id, size}: grows the disk; a connected "
	  "guest sees the new size" },
	{ "qos_set", m_qos_set, "{id, qos: \"iops=N,...\"} or {id, iops: N, ...}: "
	  "replace a disk's or scsi target's QoS contract (\"\" clears it)" },
	{ "qos_get", m_qos_get, "{id}: the QoS contract in force" },
	{ "stats", m_stats, "[{id}]: ops, bytes, errors, in-flight, latency, "
	  "QoS throttling" },
	{ "scsi_list", m_scsi_list, "every virtio-scsi target, as scsi_info "
				    "shows it" },
	{ "scsi_info", m_scsi_info, "{id}: socket, request queues, connected, "
				    "LUNs (number, backend, path, size, blk_size, "
				    "ro, thin), command counters, placement" },
	{ "scsi_add", m_scsi_add, "{id, socket, luns: [{lun, path | null: SIZE}], "
				  "queues?, ro?, QoS keys?}: the --scsi keys as "
				  "members; images only under --image-dir" },
	{ "scsi_remove", m_scsi_remove, "{id}: drops its front-end; the target "
					"goes once its commands finish" },
	{ "scsi_lun_add", m_scsi_lun_add, "{id, lun, path | rbd: \"pool/image\" | "
					  "backend: \"null\", size, ro?}: hot-plugs "
					  "a LUN (the path under --image-dir); the "
					  "guest rescans" },
	{ "scsi_lun_remove", m_scsi_lun_remove, "{id, lun}: unplugs a LUN; "
	  "answers at once (removed: false while its commands in flight "
	  "finish; the guest is told once it is closed)" },
	{ "reactor_list", m_reactor_list, "reactors: cpu, NUMA node, pollers, "
	  "time polling with and without work and asleep, wake-ups, and the "
	  "polling policy's mode, budgets and measurements" },
	{ "config_get", m_config_get, "the running disks and scsi targets, as "
	  "vmiod --config reads them" },
	{ "shutdown", m_shutdown, "finish in-flight I/O and exit" },
	{ NULL, NULL, NULL },
};

static int m_methods(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_object();
	for (const struct rpc_method *m = methods; m->name; m++)
		json_object_set_new(*r, m->name, json_string(m->help));
	return 0;
}

static int hook_watch(void *loop, int fd, void (*fn)(void *, unsigned int),
		      void *arg)
{
	return daemon_watch(loop, fd, (daemon_watch_fn)fn, arg);
}

static void hook_unwatch(void *loop, int fd)
{
	daemon_unwatch(loop, fd);
}

int rpc_methods_start(struct daemon *d, const char *path,
		      const struct rpc_methods_opts *o, struct rpc_server **out)
{
	struct rpc_hooks hooks = { hook_watch, hook_unwatch, d };
	struct rpc_server_opts so = {
		.mode = 0660, .set_owner = o->socket_uid >= 0 || o->socket_gid >= 0,
		.uid = o->socket_uid, .gid = o->socket_gid,
	};

	ctx.d = d;
	ctx.o = *o;
	return rpc_server_create(path, methods, NULL, &hooks, &so, out);
}
