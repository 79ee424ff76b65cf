/* SPDX-License-Identifier: MIT */
/* Parsing vmiod's --scsi option and opening the LUNs it names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/scsi_opts.h"
#include "util/parse.h"

/* "lun12" -> 12; -1 if key is not a LUN key. */
static int lun_key(const char *key)
{
	uint64_t n;

	if (strncmp(key, "lun", 3) || !key[3] || (key[3] == '0' && key[4]))
		return -1;
	if (parse_u64(key + 3, &n) || n >= SCSI_MAX_LUNS)
		return -2;
	return (int)n;
}

static int add_lun(struct scsi_config *c, int lun, const char *val,
		   const char **why)
{
	struct scsi_lun_config *l;
	unsigned int at = c->nluns;

	if (c->nluns == SCSI_OPTS_MAX_LUNS) {
		*why = "too many LUNs on one --scsi; add more at runtime";
		return -EINVAL;
	}
	if (!*val) {
		*why = "a lunN= key needs a file (or null:SIZE)";
		return -EINVAL;
	}
	/* Keep the list sorted by LUN number. */
	while (at && c->luns[at - 1].lun > lun) {
		c->luns[at] = c->luns[at - 1];
		at--;
	}
	l = &c->luns[at];
	memset(l, 0, sizeof(*l));
	l->lun = (uint16_t)lun;
	c->nluns++;
	if (!strncmp(val, "null:", 5)) {
		if (parse_size(val + 5, &l->null_size) || l->null_size < 4096) {
			*why = "null:SIZE needs a size of at least 4K, e.g. null:1G";
			return -EINVAL;
		}
		return 0;
	}
	l->path = strdup(val);
	return l->path ? 0 : -ENOMEM;
}

static int parse_luns(struct kvopts *kv, struct scsi_config *c,
		      const char **why)
{
	for (unsigned int i = 0; i < kv->n; i++) {
		int lun = lun_key(kv->key[i]);
		int ret;

		if (lun == -1)
			continue;
		if (lun < 0) {
			*why = "LUN numbers go from lun0 to lun255";
			return -EINVAL;
		}
		kv->used[i] = true;
		ret = add_lun(c, lun, kv->val[i], why);
		if (ret)
			return ret;
	}
	if (!c->nluns) {
		*why = "give at least one LUN, e.g. lun0=/path/to/image";
		return -EINVAL;
	}
	return 0;
}

static int parse_scalars(struct kvopts *kv, struct scsi_config *c,
			 const char **why)
{
	const char *v;
	uint64_t u;

	if ((v = kvopts_get(kv, "queues")) &&
	    (parse_u64(v, &u) || u == 0 || u > SCSI_MAX_REQ_QUEUES)) {
		*why = "queues must be 1 to 62";
		return -EINVAL;
	}
	if (v)
		c->queues = (unsigned int)u;
	if ((v = kvopts_get(kv, "ro")) && parse_bool(v, &c->ro)) {
		*why = "ro must be on or off";
		return -EINVAL;
	}
	if ((v = kvopts_get(kv, "direct")) && parse_bool(v, &c->direct)) {
		*why = "direct must be on or off";
		return -EINVAL;
	}
	if ((v = kvopts_get(kv, "blk-size")) &&
	    (parse_u64(v, &u) || (u != 512 && u != 4096))) {
		*why = "blk-size must be 512 or 4096";
		return -EINVAL;
	}
	if (v)
		c->blk_size = (uint32_t)u;
	return 0;
}

static int parse_names(struct kvopts *kv, struct scsi_config *c,
		       const char **why)
{
	const char *id = kvopts_get(kv, "id");
	const char *sock = kvopts_get(kv, "socket");

	if (!id || !*id || !sock || !*sock) {
		*why = "id= and socket= are required";
		return -EINVAL;
	}
	c->id = strdup(id);
	c->socket = strdup(sock);
	return c->id && c->socket ? 0 : -ENOMEM;
}

int scsi_config_parse(const char *s, struct scsi_config *c, const char **why)
{
	struct kvopts kv;
	const char *unknown;
	int ret;

	memset(c, 0, sizeof(*c));
	c->queues = 1;
	c->direct = true;
	*why = NULL;
	ret = kvopts_parse(&kv, s, why);
	if (ret)
		return ret;
	ret = parse_names(&kv, c, why);
	if (!ret)
		ret = parse_scalars(&kv, c, why);
	if (!ret)
		ret = parse_luns(&kv, c, why);
	if (!ret && (unknown = kvopts_unused(&kv))) {
		*why = "unknown key (known: id, socket, queues, lunN, ro, "
		       "direct, blk-size)";
		ret = -EINVAL;
	}
	kvopts_free(&kv);
	if (ret)
		scsi_config_free(c);
	return ret;
}

void scsi_config_free(struct scsi_config *c)
{
	for (unsigned int i = 0; i < c->nluns; i++)
		free(c->luns[i].path);
	free(c->id);
	free(c->socket);
	memset(c, 0, sizeof(*c));
}

static int open_one(const struct scsi_config *c,
		    const struct scsi_lun_config *lc, struct bdev **b)
{
	struct bdev_open_opts o = {
		.path = lc->path,
		.ro = c->ro,
		.direct = c->direct,
	};

	if (!lc->path)
		return bdev_null_open(lc->null_size, b);
	return bdev_uring_open(&o, b);
}

int scsi_config_open_luns(const struct scsi_config *c,
			  struct scsi_lun_opts *luns)
{
	for (unsigned int i = 0; i < c->nluns; i++) {
		int ret = open_one(c, &c->luns[i], &luns[i].bdev);

		if (ret) {
			scsi_config_close_luns(luns, i);
			return ret;
		}
		luns[i].lun = c->luns[i].lun;
		luns[i].ro = c->ro;
		luns[i].block_size = c->blk_size;
	}
	return 0;
}

void scsi_config_close_luns(struct scsi_lun_opts *luns, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		bdev_destroy(luns[i].bdev);
		luns[i].bdev = NULL;
	}
}
