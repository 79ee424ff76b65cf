/* SPDX-License-Identifier: MIT */
/* Contracts: "key=value,..." to struct qos_limits and back, and the checks
 * that refuse a contract no scheduler could keep. */
#include "qos/qos_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/parse.h"

static const char *const cap_names[QOS_NR_CAPS] = {
	"iops", "iops-rd", "iops-wr", "bps", "bps-rd", "bps-wr",
};

const char *const qos_limit_keys[] = {
	"iops", "iops-max", "iops-max-length",
	"iops-rd", "iops-rd-max", "iops-rd-max-length",
	"iops-wr", "iops-wr-max", "iops-wr-max-length",
	"bps", "bps-max", "bps-max-length",
	"bps-rd", "bps-rd-max", "bps-rd-max-length",
	"bps-wr", "bps-wr-max", "bps-wr-max-length",
	"iops-min", "bps-min", "weight", "lat-target-us", "iops-size",
	"write-cost", "group", NULL,
};

static int fail(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static bool cap_is_bytes(int id)
{
	return id >= QOS_CAP_BPS;
}

/* A number, or for byte quantities a size with a unit ("100M"). */
static int get_num(struct kvopts *kv, const char *key, bool bytes,
		   uint64_t *out, char *err, size_t len)
{
	const char *v = kvopts_get(kv, key);
	int ret;

	if (!v)
		return 0;
	ret = bytes ? parse_size(v, out) : parse_u64(v, out);
	if (ret)
		return fail(err, len, -EINVAL,
			    "%s=%s: expected a non-negative whole number%s "
			    "that fits in 64 bits", key, v,
			    bytes ? " (units K, M, G, T allowed)" : "");
	return 0;
}

/* "1.5" -> 150: a factor with at most two decimals. */
static int parse_pct(const char *v, uint32_t *pct)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 1000)
			return -ERANGE;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++digits > 2)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (!digits)
			return -EINVAL;
		if (digits == 1)
			frac *= 10;
	}
	if (*p)
		return -EINVAL;
	*pct = (uint32_t)(whole * 100 + frac);
	return 0;
}

static int parse_caps(struct kvopts *kv, struct qos_limits *l, char *err,
		      size_t len)
{
	char key[32];
	int ret;

	for (int i = 0; i < QOS_NR_CAPS; i++) {
		struct qos_cap *c = &l->cap[i];

		ret = get_num(kv, cap_names[i], cap_is_bytes(i), &c->avg, err,
			      len);
		if (ret)
			return ret;
		snprintf(key, sizeof(key), "%s-max", cap_names[i]);
		ret = get_num(kv, key, cap_is_bytes(i), &c->max, err, len);
		if (ret)
			return ret;
		snprintf(key, sizeof(key), "%s-max-length", cap_names[i]);
		ret = get_num(kv, key, false, &c->max_len, err, len);
		if (ret)
			return ret;
		if (kvopts_get(kv, key) && !c->max_len)
			return fail(err, len, -EINVAL,
				    "%s=0: a burst lasts at least 1 second",
				    key);
		if (c->max && !c->max_len)
			c->max_len = 1;
	}
	return 0;
}

static int parse_group(struct kvopts *kv, struct qos_limits *l, char *err,
		       size_t len)
{
	const char *v = kvopts_get(kv, "group");

	if (!v)
		return 0;
	if (!*v || strlen(v) >= QOS_NAME_MAX || strspn(v,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
	    != strlen(v))
		return fail(err, len, -EINVAL,
			    "group=%s: a group name is 1 to %d letters, digits, "
			    "'_', '.' or '-'", v, QOS_NAME_MAX - 1);
	strcpy(l->group, v);
	return 0;
}

static int parse_rest(struct kvopts *kv, struct qos_limits *l, char *err,
		      size_t len)
{
	uint64_t w = 0, lat = 0;
	const char *v;
	int ret;

	if ((ret = get_num(kv, "iops-min", false, &l->iops_min, err, len)) ||
	    (ret = get_num(kv, "bps-min", true, &l->bps_min, err, len)) ||
	    (ret = get_num(kv, "iops-size", true, &l->iops_size, err, len)) ||
	    (ret = get_num(kv, "weight", false, &w, err, len)) ||
	    (ret = get_num(kv, "lat-target-us", false, &lat, err, len)))
		return ret;
	if (kvopts_get(kv, "weight") && (w < 1 || w > QOS_WEIGHT_MAX))
		return fail(err, len, -ERANGE,
			    "weight=%" PRIu64 ": a weight is 1 to %d "
			    "(default %d)", w, QOS_WEIGHT_MAX,
			    QOS_WEIGHT_DEFAULT);
	l->weight = (uint32_t)w;
	if (lat > 10000000)
		return fail(err, len, -ERANGE,
			    "lat-target-us=%" PRIu64 ": a latency target is at "
			    "most 10 s (10000000 us)", lat);
	l->lat_target_us = (uint32_t)lat;
	v = kvopts_get(kv, "write-cost");
	if (v && (parse_pct(v, &l->write_cost_pct) ||
		  l->write_cost_pct < 10 || l->write_cost_pct > 10000))
		return fail(err, len, -EINVAL,
			    "write-cost=%s: a write's cost relative to a read "
			    "is a factor from 0.1 to 100 (e.g. 1.5)", v);
	return parse_group(kv, l, err, len);
}

int qos_limits_parse_kv(struct kvopts *kv, struct qos_limits *out, char *err,
			size_t len)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_caps(kv, out, err, len);
	if (!ret)
		ret = parse_rest(kv, out, err, len);
	if (ret)
		return ret;
	return qos_limits_validate(out, err, len);
}

int qos_limits_parse(const char *s, struct qos_limits *out, char *err,
		     size_t len)
{
	struct kvopts kv;
	const char *why = NULL, *unk;
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && len)
		err[0] = '\0';
	if (!s || !*s)
		return 0;
	ret = kvopts_parse(&kv, s, &why);
	if (ret) {
		kvopts_free(&kv);
		return fail(err, len, ret, "QoS options '%s': %s", s,
			    why ? why : "out of memory");
	}
	ret = parse_caps(&kv, out, err, len);
	if (!ret)
		ret = parse_rest(&kv, out, err, len);
	unk = kvopts_unused(&kv);
	if (!ret && unk)
		ret = fail(err, len, -EINVAL,
			   "unknown QoS option '%s' (known: iops, iops-rd, "
			   "iops-wr, bps, bps-rd, bps-wr, each with -max and "
			   "-max-length; iops-min, bps-min, weight, "
			   "lat-target-us, iops-size, write-cost, group)", unk);
	kvopts_free(&kv);
	if (ret)
		return ret;
	return qos_limits_validate(out, err, len);
}

static int check_cap(int id, const struct qos_cap *c, char *err, size_t len)
{
	const char *n = cap_names[id];
	uint64_t lim = cap_is_bytes(id) ? QOS_BPS_LIMIT : QOS_IOPS_LIMIT;

	if (c->avg > lim || c->max > lim)
		return fail(err, len, -ERANGE,
			    "%s: %" PRIu64 " per second is beyond any device "
			    "(at most %" PRIu64 ")", n,
			    c->avg > lim ? c->avg : c->max, lim);
	if (c->max && !c->avg)
		return fail(err, len, -EINVAL,
			    "%s-max=%" PRIu64 " needs %s: a burst rate bursts "
			    "above a cap, so set the cap too", n, c->max, n);
	if (c->max && c->max < c->avg)
		return fail(err, len, -EINVAL,
			    "%s-max=%" PRIu64 " is lower than %s=%" PRIu64
			    ": a burst must be at least the cap it bursts above",
			    n, c->max, n, c->avg);
	if (c->max_len && !c->max)
		return fail(err, len, -EINVAL,
			    "%s-max-length=%" PRIu64 " needs %s-max: it says "
			    "how long that burst rate may last", n, c->max_len,
			    n);
	if (c->max_len > QOS_MAX_LEN_LIMIT)
		return fail(err, len, -ERANGE,
			    "%s-max-length=%" PRIu64 ": a burst lasts at most "
			    "%llu s", n, c->max_len, QOS_MAX_LEN_LIMIT);
	return 0;
}

/* The most a contract lets through per second in one dimension, or 0. */
static uint64_t ceiling(const struct qos_limits *l, int total, int rd, int wr)
{
	uint64_t split = 0;

	if (l->cap[rd].avg && l->cap[wr].avg)
		split = l->cap[rd].avg + l->cap[wr].avg;
	if (l->cap[total].avg && (!split || l->cap[total].avg < split))
		return l->cap[total].avg;
	return split;
}

static int check_min(const struct qos_limits *l, char *err, size_t len)
{
	uint64_t ci = ceiling(l, QOS_CAP_IOPS, QOS_CAP_IOPS_RD, QOS_CAP_IOPS_WR);
	uint64_t cb = ceiling(l, QOS_CAP_BPS, QOS_CAP_BPS_RD, QOS_CAP_BPS_WR);

	if (l->iops_min > QOS_IOPS_LIMIT || l->bps_min > QOS_BPS_LIMIT)
		return fail(err, len, -ERANGE,
			    "iops-min/bps-min: beyond any device (at most "
			    "%llu IOPS, %llu B/s)", QOS_IOPS_LIMIT,
			    QOS_BPS_LIMIT);
	if (ci && l->iops_min > ci)
		return fail(err, len, -EINVAL,
			    "iops-min=%" PRIu64 " is above the cap of %" PRIu64
			    " IOPS: a minimum above a cap can never be met",
			    l->iops_min, ci);
	if (cb && l->bps_min > cb)
		return fail(err, len, -EINVAL,
			    "bps-min=%" PRIu64 " is above the cap of %" PRIu64
			    " B/s: a minimum above a cap can never be met",
			    l->bps_min, cb);
	return 0;
}

int qos_limits_validate(const struct qos_limits *l, char *err, size_t len)
{
	int ret;

	for (int i = 0; i < QOS_NR_CAPS; i++) {
		ret = check_cap(i, &l->cap[i], err, len);
		if (ret)
			return ret;
	}
	ret = check_min(l, err, len);
	if (ret)
		return ret;
	if (l->weight > QOS_WEIGHT_MAX)
		return fail(err, len, -ERANGE, "weight=%u: at most %d",
			    l->weight, QOS_WEIGHT_MAX);
	if (l->iops_size && (l->iops_size < 512 || l->iops_size > (1ull << 30)))
		return fail(err, len, -ERANGE,
			    "iops-size=%" PRIu64 ": between 512 bytes and 1G",
			    l->iops_size);
	if (l->write_cost_pct && (l->write_cost_pct < 10 ||
				  l->write_cost_pct > 10000))
		return fail(err, len, -ERANGE,
			    "write-cost: a factor from 0.1 to 100");
	return 0;
}

void qos_limits_foreach(const struct qos_limits *l,
			void (*fn)(void *ctx, const char *key, const char *val),
			void *ctx)
{
	char key[32], val[32];

#define PUT(k, fmt, ...) do {                                                 \
		snprintf(val, sizeof(val), fmt, __VA_ARGS__);                 \
		fn(ctx, k, val);                                              \
	} while (0)
	for (int i = 0; i < QOS_NR_CAPS; i++) {
		const struct qos_cap *c = &l->cap[i];

		if (c->avg)
			PUT(cap_names[i], "%" PRIu64, c->avg);
		if (!c->max)
			continue;
		snprintf(key, sizeof(key), "%s-max", cap_names[i]);
		PUT(key, "%" PRIu64, c->max);
		snprintf(key, sizeof(key), "%s-max-length", cap_names[i]);
		PUT(key, "%" PRIu64, c->max_len);
	}
	if (l->iops_min)
		PUT("iops-min", "%" PRIu64, l->iops_min);
	if (l->bps_min)
		PUT("bps-min", "%" PRIu64, l->bps_min);
	if (l->weight)
		PUT("weight", "%u", l->weight);
	if (l->lat_target_us)
		PUT("lat-target-us", "%u", l->lat_target_us);
	if (l->iops_size)
		PUT("iops-size", "%" PRIu64, l->iops_size);
	if (l->write_cost_pct)
		PUT("write-cost", "%u.%02u", l->write_cost_pct / 100,
		    l->write_cost_pct % 100);
#undef PUT
	if (l->group[0])
		fn(ctx, "group", l->group);
}

struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put(void *ctx, const char *key, const char *val)
{
	struct out *o = ctx;
	int n;

	if (o->full)
		return;
	n = snprintf(o->buf + o->pos, o->len - o->pos, "%s%s=", o->pos ? "," : "",
		     key);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = true;
		return;
	}
	o->pos += (size_t)n;
	if (kvopts_escape(o->buf, o->len, &o->pos, val))
		o->full = true;
}

int qos_limits_format(const struct qos_limits *l, char *buf, size_t len)
{
	struct out o = { buf, len, 0, len == 0 };

	if (len)
		buf[0] = '\0';
	qos_limits_foreach(l, put, &o);
	return o.full ? -ENOSPC : (int)o.pos;
}
