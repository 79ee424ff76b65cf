/* SPDX-License-Identifier: MIT */
/*
 * Groups of disks (a VM, a tenant) whose members may sit on different
 * reactors. Everything a member reads or charges here is atomic, so no
 * reactor waits for another:
 *  - caps: members charge the same buckets with a compare-and-swap; each
 *    admits after reading the bucket, so the group may run ahead by at most
 *    one request per reactor at an instant, and the long-run rate is exact;
 *  - minimum and weight: split among the members that have I/O parked or
 *    in flight, in proportion to their own weights, through one atomic sum
 *    updated only when a member turns active or idle.
 */
#include "qos/qos_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void qos_group_activate(struct qos_group *g, uint32_t weight, bool on)
{
	if (!weight)
		weight = QOS_WEIGHT_DEFAULT;
	if (on)
		atomic_fetch_add_explicit(&g->active_weight, weight,
					  memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&g->active_weight, weight,
					  memory_order_relaxed);
}

static void store_caps(struct qos_group *g, const struct qos_limits *l)
{
	for (int i = 0; i < QOS_NR_CAPS; i++) {
		uint64_t unit = i < QOS_CAP_BPS ? QOS_UNIT : 1;
		uint64_t aq, at, bq, bt;

		qos_cap_params(&l->cap[i], unit, &aq, &at, &bq, &bt);
		atomic_store(&g->avg[i].tau, at);
		atomic_store(&g->avg[i].q32, aq);
		atomic_store(&g->burst[i].tau, bt);
		atomic_store(&g->burst[i].q32, bq);
	}
}

static int check_group(const struct qos_limits *lim, char *err, size_t len)
{
	int ret = qos_limits_validate(lim, err, len);

	if (ret)
		return ret;
	if (lim->lat_target_us) {
		snprintf(err, len, "lat-target-us is a disk's own target: set "
			 "it on the disk, not on its group");
		return -EINVAL;
	}
	return 0;
}

int qos_group_set(struct qos_group *g, const struct qos_limits *lim,
		  char *err, size_t len)
{
	int ret;

	if (err && len)
		err[0] = '\0';
	ret = check_group(lim, err, len);
	if (ret)
		return ret;
	store_caps(g, lim);
	atomic_store(&g->iops_min, lim->iops_min);
	atomic_store(&g->bps_min, lim->bps_min);
	atomic_store(&g->weight, lim->weight);
	atomic_store(&g->iops_size, (uint32_t)lim->iops_size);
	atomic_store(&g->write_cost_pct, lim->write_cost_pct);
	g->lim = *lim;
	strcpy(g->lim.group, g->name);
	return 0;
}

int qos_group_init(struct qos_group *g, const char *name,
		   const struct qos_limits *lim, char *err, size_t len)
{
	if (!name || !*name || strlen(name) >= QOS_NAME_MAX) {
		snprintf(err, len, "a group needs a name of 1 to %d characters",
			 QOS_NAME_MAX - 1);
		return -EINVAL;
	}
	memset(g, 0, sizeof(*g));
	strcpy(g->name, name);
	return qos_group_set(g, lim, err, len);
}

/* Not atomic as a whole: a reader racing qos_group_set may see the old
 * contract, which is what it was a moment ago. */
void qos_group_get(const struct qos_group *g, struct qos_limits *out)
{
	*out = g->lim;
}
