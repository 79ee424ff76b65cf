/* SPDX-License-Identifier: MIT */
#include "devcfg.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_rbd.h"
#include "blk/blk_dev.h"
#include "cfg/cfg.h"
#include "util/listen_fds.h"
#include "util/parse.h"

static const char *const backends[] = { "uring", "null", "rbd", NULL };

#define DISK(f) offsetof(struct disk_config, f)
static const struct cfg_key disk_keys[] = {
	{ "id", CFG_NAME, DISK(id), 0, 0, NULL, "a disk's name" },
	{ "socket", CFG_PATH, DISK(socket), 0, 0, NULL,
	  "its vhost-user socket (a path, fd:N or systemd)" },
	{ "path", CFG_PATH, DISK(path), 0, 0, NULL, "its image" },
	{ "backend", CFG_CHOICE, DISK(backend), 0, 0, backends, "the backend" },
	{ "queues", CFG_U32, DISK(queues), 1, 64, NULL, "the number of queues" },
	{ "ro", CFG_BOOL, DISK(ro), 0, 0, NULL, "read-only" },
	{ "blk-size", CFG_U32, DISK(blk_size), 512, 4096, NULL, "the block size" },
	{ "discard-segs", CFG_U32, DISK(discard_segs), 1, BLK_MAX_DISCARD_SEG, NULL,
	  "the segments a discard or write-zeroes may carry" },
	{ "size", CFG_SIZE, DISK(size), 4096, CFG_SIZE_MAX, NULL, "the size" },
	{ "direct", CFG_BOOL, DISK(direct), 0, 0, NULL, "O_DIRECT" },
	{ "delay-us", CFG_U64, DISK(delay_us), 0, 10000000, NULL,
	  "the completion delay" },
	{ "incoming", CFG_BOOL, DISK(incoming), 0, 0, NULL,
	  "a live migration's destination" },
	{ "pool", CFG_NAME, DISK(pool), 0, 0, NULL, "the RBD pool" },
	{ "namespace", CFG_NAME, DISK(ns), 0, 0, NULL, "the RBD namespace" },
	{ "image", CFG_NAME, DISK(image), 0, 0, NULL, "the RBD image" },
	{ "conf", CFG_PATH, DISK(rbd.conf), 0, 0, NULL, "the Ceph conf file" },
	{ "user", CFG_NAME, DISK(rbd.user), 0, 0, NULL, "the cephx user" },
	{ "rbd-timeout", CFG_U32, DISK(rbd.timeout_s), 0, 86400, NULL,
	  "the RBD request timeout in seconds" },
	CFG_KEYS_END,
};

#define SCSI(f) offsetof(struct scsi_config, f)
static const struct cfg_key scsi_keys[] = {
	{ "id", CFG_NAME, SCSI(id), 0, 0, NULL, "a target's name" },
	{ "socket", CFG_PATH, SCSI(socket), 0, 0, NULL,
	  "its vhost-user socket (a path, fd:N or systemd)" },
	{ "queues", CFG_U32, SCSI(queues), 1, 62, NULL,
	  "the number of request queues" },
	{ "ro", CFG_BOOL, SCSI(ro), 0, 0, NULL, "read-only" },
	{ "direct", CFG_BOOL, SCSI(direct), 0, 0, NULL, "O_DIRECT" },
	{ "blk-size", CFG_U32, SCSI(blk_size), 512, 4096, NULL, "the block size" },
	{ "delay-us", CFG_U64, SCSI(delay_us), 0, 10000000, NULL,
	  "the completion delay of every LUN" },
	{ "incoming", CFG_BOOL, SCSI(incoming), 0, 0, NULL,
	  "a live migration's destination" },
	{ "conf", CFG_PATH, SCSI(rbd.conf), 0, 0, NULL, "the Ceph conf file" },
	{ "user", CFG_NAME, SCSI(rbd.user), 0, 0, NULL, "the cephx user" },
	{ "rbd-timeout", CFG_U32, SCSI(rbd.timeout_s), 0, 86400, NULL,
	  "the RBD request timeout in seconds" },
	CFG_KEYS_END,
};

static const struct disk_config disk_defaults = {
	.queues = 1, .direct = true,
};
static const struct scsi_config scsi_defaults = {
	.queues = 1, .direct = true,
};

static int fail(char *err, size_t len, const char *msg)
{
	snprintf(err, len, "%s", msg);
	return -EINVAL;
}

static bool any_qos_key(const struct kvopts *kv)
{
	for (unsigned int i = 0; i < kv->n; i++)
		for (size_t k = 0; qos_limit_keys[k]; k++)
			if (!strcmp(kv->key[i], qos_limit_keys[k]))
				return true;
	return false;
}

/* The QoS keys among the pairs, if any. */
static int take_qos(struct kvopts *kv, bool *has, struct qos_limits *lim,
		    char *err, size_t len)
{
	*has = any_qos_key(kv);
	if (!*has)
		return 0;
	return qos_limits_parse_kv(kv, lim, err, len);
}

static void qos_to_json(void *ctx, const char *key, const char *val)
{
	uint64_t u;
	json_t *v = parse_u64(val, &u) == 0 ? json_integer((json_int_t)u)
					     : json_string(val);

	json_object_set_new(ctx, key, v);
}

/* A path, fd:N or systemd (util/listen_fds.h). */
static int socket_check(const char *sock, char *err, size_t len)
{
	int fd;

	if (listen_fds_parse(sock, &fd) < 0)
		return fail(err, len, "socket=fd:N takes a descriptor number, "
			    "e.g. fd:3 (./fd:x for a file of that name)");
	return 0;
}

/* --- disks ---------------------------------------------------------- */

static int disk_check(const struct disk_config *d, char *err, size_t len)
{
	if (!d->id)
		return fail(err, len, "id=NAME is required");
	if (!d->socket)
		return fail(err, len, "socket=PATH is required (or fd:N, "
			    "systemd for a socket handed in)");
	if (socket_check(d->socket, err, len))
		return -EINVAL;
	if (d->blk_size && d->blk_size != 512 && d->blk_size != 4096)
		return fail(err, len, "blk-size must be 512 or 4096");
	if (d->backend == DISK_BACKEND_URING && !d->path)
		return fail(err, len, "path=FILE is required (or backend=null "
			    "with size=, or backend=rbd with pool= and image=)");
	if (d->backend == DISK_BACKEND_NULL && !d->size)
		return fail(err, len, "backend=null needs size=BYTES");
	if (d->backend != DISK_BACKEND_URING && d->path)
		return fail(err, len, d->backend == DISK_BACKEND_NULL
			    ? "backend=null takes no path"
			    : "backend=rbd takes no path: name the image with "
			      "pool= and image=");
	if (d->backend == DISK_BACKEND_RBD && (!d->pool || !d->image))
		return fail(err, len, "backend=rbd needs pool=POOL and "
			    "image=IMAGE");
	if (d->backend != DISK_BACKEND_RBD &&
	    (d->pool || d->image || d->ns || d->rbd.conf || d->rbd.user ||
	     d->rbd.timeout_s))
		return fail(err, len, "pool=, image=, namespace=, conf=, user= "
			    "and rbd-timeout= are for backend=rbd");
	return 0;
}

/* Fills d from the pairs in kv (consumed). */
static int disk_from_kv(struct kvopts *kv, struct disk_config *d, char *err,
			size_t len)
{
	int ret;

	*d = disk_defaults;
	ret = cfg_apply(disk_keys, d, kv, err, len);
	if (!ret)
		ret = take_qos(kv, &d->has_qos, &d->qos, err, len);
	if (!ret)
		ret = cfg_check_unused(kv, disk_keys, "QoS keys (docs/qos.md)",
				       err, len);
	if (!ret)
		ret = disk_check(d, err, len);
	kvopts_free(kv);
	if (ret)
		disk_config_free(d);
	return ret;
}

int disk_config_from_opts(const char *s, struct disk_config *d, char *err,
			  size_t errlen)
{
	struct kvopts kv;
	const char *why = NULL;
	int ret = kvopts_parse(&kv, s, &why);

	memset(d, 0, sizeof(*d));
	if (ret)
		return why ? fail(err, errlen, why) : ret;
	return disk_from_kv(&kv, d, err, errlen);
}

int disk_config_from_json(json_t *obj, struct disk_config *d, char *err,
			  size_t errlen)
{
	struct kvopts kv;
	int ret = cfg_kv_from_json(obj, NULL, &kv, err, errlen);

	memset(d, 0, sizeof(*d));
	if (ret)
		return ret;
	return disk_from_kv(&kv, d, err, errlen);
}

json_t *disk_config_to_json(const struct disk_config *d)
{
	json_t *o = json_object();

	if (!o || cfg_to_json(disk_keys, d, &disk_defaults, o)) {
		json_decref(o);
		return NULL;
	}
	if (d->has_qos)
		qos_limits_foreach(&d->qos, qos_to_json, o);
	return o;
}

int disk_config_copy(struct disk_config *dst, const struct disk_config *src)
{
	int ret = cfg_copy(disk_keys, dst, src, sizeof(*src));

	if (ret)
		return ret;
	dst->beneath = src->beneath ? strdup(src->beneath) : NULL;
	if (src->beneath && !dst->beneath) {
		disk_config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

void disk_config_free(struct disk_config *d)
{
	cfg_free(disk_keys, d);
	free(d->beneath);
	d->beneath = NULL;
}

/* --- scsi targets ------------------------------------------------------ */

/* One LUN: a file (path), an RBD image (rbd) or a null device. */
static int add_lun(struct scsi_config *c, unsigned int lun, const char *path,
		   const char *rbd, uint64_t null_size, char *err, size_t len)
{
	struct scsi_lun_config *l;
	unsigned int at = c->nluns;

	for (unsigned int i = 0; i < c->nluns; i++)
		if (c->luns[i].lun == lun) {
			snprintf(err, len, "LUN %u is given twice", lun);
			return -EINVAL;
		}
	l = realloc(c->luns, (c->nluns + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->luns = l;
	/* Sorted by number. */
	while (at && c->luns[at - 1].lun > lun) {
		c->luns[at] = c->luns[at - 1];
		at--;
	}
	c->luns[at] = (struct scsi_lun_config){ .lun = (uint16_t)lun,
						.null_size = null_size };
	c->nluns++;
	if (path && !(c->luns[at].path = strdup(path)))
		return -ENOMEM;
	if (rbd && !(c->luns[at].rbd = strdup(rbd)))
		return -ENOMEM;
	return 0;
}

/* "POOL/IMAGE" or "POOL/NAMESPACE/IMAGE", each part a name. */
static bool rbd_spec_ok(const char *spec)
{
	const char *pool, *ns, *image;
	char buf[256];

	return !bdev_rbd_parse_spec(spec, buf, sizeof(buf), &pool, &ns, &image) &&
	       cfg_name_ok(pool) && (!ns || cfg_name_ok(ns)) &&
	       cfg_name_ok(image);
}

static int rbd_lun(struct scsi_config *c, unsigned int lun, const char *spec,
		   char *err, size_t len)
{
	if (!rbd_spec_ok(spec))
		return fail(err, len, "an RBD LUN is rbd:POOL/IMAGE or "
			    "rbd:POOL/NAMESPACE/IMAGE, each a name of letters, "
			    "digits, '.', '_', '-' or ':'");
	return add_lun(c, lun, NULL, spec, 0, err, len);
}

/* "FILE", "null:SIZE" or "rbd:POOL/IMAGE". */
static int lun_value(struct scsi_config *c, unsigned int lun, const char *v,
		     char *err, size_t len)
{
	uint64_t size;

	if (!strncmp(v, "null:", 5)) {
		if (parse_size(v + 5, &size) || size < 4096 || size > CFG_SIZE_MAX)
			return fail(err, len, "null:SIZE needs a size from 4K, e.g. "
				    "null:1G");
		return add_lun(c, lun, NULL, NULL, size, err, len);
	}
	if (!strncmp(v, "rbd:", 4))
		return rbd_lun(c, lun, v + 4, err, len);
	if (!cfg_path_ok(v))
		return fail(err, len, "a lunN= key needs a file (a path without "
			    "control characters), null:SIZE or rbd:POOL/IMAGE");
	return add_lun(c, lun, v, NULL, 0, err, len);
}

/* lunN=... keys, N from 0 to 255. */
static int luns_from_kv(struct kvopts *kv, struct scsi_config *c, char *err,
			size_t len)
{
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i];
		uint64_t n;
		int ret;

		if (strncmp(k, "lun", 3) || !k[3])
			continue;
		if ((k[3] == '0' && k[4]) || parse_u64(k + 3, &n) ||
		    n >= SCSI_CFG_MAX_LUNS)
			return fail(err, len, "LUN keys go from lun0 to lun255");
		kv->used[i] = true;
		ret = lun_value(c, (unsigned int)n, kv->val[i], err, len);
		if (ret)
			return ret;
	}
	return 0;
}

#define LUNS_JSON "each of luns is {\"lun\": 0-255, and \"path\": FILE, " \
		  "\"null\": SIZE or \"rbd\": \"POOL/IMAGE\"}"

/* "luns": [{"lun": N, "path": FILE}, {"lun": N, "null": SIZE} or
 * {"lun": N, "rbd": "POOL/IMAGE"}]. */
static int luns_from_json(json_t *arr, struct scsi_config *c, char *err,
			  size_t len)
{
	size_t i;
	json_t *l;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(err, len, "luns must be an array: " LUNS_JSON);
	json_array_foreach(arr, i, l) {
		json_t *n = json_object_get(l, "lun"), *p = json_object_get(l, "path");
		json_t *z = json_object_get(l, "null"), *r = json_object_get(l, "rbd");
		uint64_t null_size = 0;
		unsigned int lun;
		int ret;

		/* A null LUN's size: bytes, or a string as --scsi takes ("1G"). */
		if (json_is_integer(z) && json_integer_value(z) > 0)
			null_size = (uint64_t)json_integer_value(z);
		else if (json_is_string(z) &&
			 parse_size(json_string_value(z), &null_size))
			null_size = 0;
		if (!json_is_integer(n) || json_integer_value(n) < 0 ||
		    json_integer_value(n) >= SCSI_CFG_MAX_LUNS ||
		    !!p + !!z + !!r != 1 || (p && !json_is_string(p)) ||
		    (r && !json_is_string(r)) ||
		    (z && !json_is_integer(z) && !json_is_string(z)) ||
		    json_object_size(l) != 2)
			return fail(err, len, LUNS_JSON);
		lun = (unsigned int)json_integer_value(n);
		if (p) {
			if (!cfg_path_ok(json_string_value(p)))
				return fail(err, len, "a LUN's path has control "
					    "characters or is too long");
			ret = add_lun(c, lun, json_string_value(p), NULL, 0, err,
				      len);
		} else if (r) {
			ret = rbd_lun(c, lun, json_string_value(r), err, len);
		} else {
			if (null_size < 4096 || null_size > CFG_SIZE_MAX)
				return fail(err, len, "a null LUN needs a size "
					    "from 4K (bytes, or a string like \"1G\")");
			ret = add_lun(c, lun, NULL, NULL, null_size, err, len);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int scsi_from_kv(struct kvopts *kv, json_t *luns, struct scsi_config *c,
			char *err, size_t len)
{
	int ret;

	*c = scsi_defaults;
	ret = cfg_apply(scsi_keys, c, kv, err, len);
	if (!ret)
		ret = luns_from_kv(kv, c, err, len);
	if (!ret)
		ret = luns_from_json(luns, c, err, len);
	if (!ret)
		ret = take_qos(kv, &c->has_qos, &c->qos, err, len);
	if (!ret)
		ret = cfg_check_unused(kv, scsi_keys, "lunN, QoS keys", err, len);
	if (!ret && (!c->id || !c->socket))
		ret = fail(err, len, "id= and socket= are required");
	if (!ret)
		ret = socket_check(c->socket, err, len);
	if (!ret && c->blk_size && c->blk_size != 512 && c->blk_size != 4096)
		ret = fail(err, len, "blk-size must be 512 or 4096");
	if (!ret && !c->nluns)
		ret = fail(err, len, "give at least one LUN, e.g. "
			   "lun0=/path/to/image");
	kvopts_free(kv);
	if (ret)
		scsi_config_free(c);
	return ret;
}

int scsi_config_from_opts(const char *s, struct scsi_config *c, char *err,
			  size_t errlen)
{
	struct kvopts kv;
	const char *why = NULL;
	int ret = kvopts_parse(&kv, s, &why);

	memset(c, 0, sizeof(*c));
	if (ret)
		return why ? fail(err, errlen, why) : ret;
	return scsi_from_kv(&kv, NULL, c, err, errlen);
}

int scsi_config_from_json(json_t *obj, struct scsi_config *c, char *err,
			  size_t errlen)
{
	static const char *const nested[] = { "luns", NULL };
	struct kvopts kv;
	int ret = cfg_kv_from_json(obj, nested, &kv, err, errlen);

	memset(c, 0, sizeof(*c));
	if (ret)
		return ret;
	return scsi_from_kv(&kv, json_object_get(obj, "luns"), c, err, errlen);
}

json_t *scsi_config_to_json(const struct scsi_config *c)
{
	json_t *o = json_object(), *luns = json_array();

	if (!o || !luns || cfg_to_json(scsi_keys, c, &scsi_defaults, o))
		goto err;
	for (unsigned int i = 0; i < c->nluns; i++) {
		const struct scsi_lun_config *l = &c->luns[i];
		json_t *e = l->path ? json_pack("{s:i,s:s}", "lun", l->lun, "path",
						l->path)
			    : l->rbd ? json_pack("{s:i,s:s}", "lun", l->lun, "rbd",
						 l->rbd)
				     : json_pack("{s:i,s:I}", "lun", l->lun, "null",
						 (json_int_t)l->null_size);

		if (!e || json_array_append_new(luns, e))
			goto err;
	}
	if (json_object_set_new(o, "luns", luns))
		goto err_luns_owned;
	if (c->has_qos)
		qos_limits_foreach(&c->qos, qos_to_json, o);
	return o;
err:
	json_decref(luns);
err_luns_owned:
	json_decref(o);
	return NULL;
}

int scsi_config_copy(struct scsi_config *dst, const struct scsi_config *src)
{
	int ret = cfg_copy(scsi_keys, dst, src, sizeof(*src));

	if (ret)
		return ret;
	dst->nluns = 0;
	dst->luns = calloc(src->nluns ? src->nluns : 1, sizeof(*dst->luns));
	if (!dst->luns)
		goto err;
	for (unsigned int i = 0; i < src->nluns; i++) {
		dst->luns[i] = src->luns[i];
		dst->luns[i].path = NULL;
		dst->luns[i].rbd = NULL;
		dst->luns[i].beneath = NULL;
		dst->nluns = i + 1;
		if (src->luns[i].path &&
		    !(dst->luns[i].path = strdup(src->luns[i].path)))
			goto err;
		if (src->luns[i].rbd &&
		    !(dst->luns[i].rbd = strdup(src->luns[i].rbd)))
			goto err;
		if (src->luns[i].beneath &&
		    !(dst->luns[i].beneath = strdup(src->luns[i].beneath)))
			goto err;
	}
	return 0;
err:
	scsi_config_free(dst);
	return -ENOMEM;
}

void scsi_config_free(struct scsi_config *c)
{
	cfg_free(scsi_keys, c);
	for (unsigned int i = 0; i < c->nluns; i++) {
		free(c->luns[i].path);
		free(c->luns[i].rbd);
		free(c->luns[i].beneath);
	}
	free(c->luns);
	c->luns = NULL;
	c->nluns = 0;
}
