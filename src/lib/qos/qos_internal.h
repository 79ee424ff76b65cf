/* SPDX-License-Identifier: MIT */
/* Helpers shared by the QoS files: the intrusive list, the cost of a
 * request, and leaky buckets in virtual-time (GCRA) form. */
#ifndef VMIO_QOS_INTERNAL_H
#define VMIO_QOS_INTERNAL_H

#include "qos/qos.h"

#define QOS_NSEC_PER_SEC 1000000000ull
/* Without a burst, a bucket lets this much time's worth of cost through
 * back to back: enough for a guest's batched kicks and for a reactor that
 * the host scheduled late (1 ms lost up to a quarter of a cap on a busy
 * 2-core machine), small enough that a cap is exact at any time scale a
 * person measures (QEMU's default bucket holds 100 ms). */
#define QOS_TOLERANCE_NS 10000000ull
/* Limits the parser accepts (and QEMU's THROTTLE_VALUE_MAX for bps). */
#define QOS_IOPS_LIMIT 1000000000ull
#define QOS_BPS_LIMIT 1000000000000000ull
#define QOS_MAX_LEN_LIMIT 86400ull

static inline void qos_list_init(struct qos_link *h)
{
	h->next = h->prev = h;
}

static inline bool qos_list_empty(const struct qos_link *h)
{
	return h->next == h;
}

static inline void qos_list_add_tail(struct qos_link *h, struct qos_link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void qos_list_del(struct qos_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define qos_container_of(ptr, type, member)                                    \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline uint64_t qos_max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t qos_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline bool qos_is_write(const struct qos_req *r)
{
	return r->op != QOS_READ;
}

/* Cost in QOS_UNIT per op: a read or write bigger than iops_size counts as
 * bytes / iops_size ops (as QEMU's iops-size); flush and discard one op. */
static inline uint64_t qos_op_units(uint64_t iops_size, const struct qos_req *r)
{
	if (r->op <= QOS_WRITE && iops_size && r->bytes > iops_size)
		return r->bytes * QOS_UNIT / iops_size;
	return QOS_UNIT;
}

static inline uint64_t qos_req_bytes(const struct qos_req *r)
{
	return r->op <= QOS_WRITE ? r->bytes : 0;
}

/* Writes cost write_cost_pct % in total caps and in the tag scheduler. */
static inline uint64_t qos_weigh(uint64_t v, uint32_t pct, bool write)
{
	if (!write || !pct || pct == 100)
		return v;
	return (uint64_t)((unsigned __int128)v * pct / 100);
}

/* ns per unit in Q32.32 for a rate of per_sec units per second. */
static inline uint64_t qos_q32(uint64_t per_sec)
{
	if (!per_sec)
		return 0;
	return (uint64_t)(((unsigned __int128)QOS_NSEC_PER_SEC << 32) / per_sec);
}

static inline uint64_t qos_q32_mul(uint64_t q32, uint64_t units)
{
	unsigned __int128 v = (unsigned __int128)q32 * units >> 32;

	return v > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)v;
}

static inline uint64_t qos_gcra_ready(const struct qos_gcra *g)
{
	if (!g->q32)
		return 0;
	return g->tat > g->tau ? g->tat - g->tau : 0;
}

static inline void qos_gcra_charge(struct qos_gcra *g, uint64_t now,
				   uint64_t units)
{
	if (g->q32)
		g->tat = qos_max64(g->tat, now) + qos_q32_mul(g->q32, units);
}

static inline uint64_t qos_agcra_ready(const struct qos_agcra *g)
{
	uint64_t q = atomic_load_explicit(&g->q32, memory_order_relaxed);
	uint64_t tat, tau;

	if (!q)
		return 0;
	tat = atomic_load_explicit(&g->tat, memory_order_relaxed);
	tau = atomic_load_explicit(&g->tau, memory_order_relaxed);
	return tat > tau ? tat - tau : 0;
}

static inline void qos_agcra_charge(struct qos_agcra *g, uint64_t now,
				    uint64_t units)
{
	uint64_t q = atomic_load_explicit(&g->q32, memory_order_relaxed);
	uint64_t old, inc;

	if (!q)
		return;
	inc = qos_q32_mul(q, units);
	old = atomic_load_explicit(&g->tat, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(
		&g->tat, &old, qos_max64(old, now) + inc,
		memory_order_relaxed, memory_order_relaxed))
		;
}

/* Bucket parameters for one cap: the sustained bucket's run-ahead is the
 * burst, sized so that a burst at exactly max from a full bucket lasts
 * max_len seconds: (max - avg) * max_len units, i.e. that / avg seconds. */
void qos_cap_params(const struct qos_cap *c, uint64_t unit,
		    uint64_t *avg_q32, uint64_t *avg_tau, uint64_t *burst_q32,
		    uint64_t *burst_tau);

/* Units a request costs in bucket id. */
uint64_t qos_cap_units(enum qos_cap_id id, uint64_t iops_size,
		       uint32_t write_cost_pct, const struct qos_req *r);
/* Whether bucket id applies to r at all. */
bool qos_cap_applies(enum qos_cap_id id, const struct qos_req *r);

void qos_group_activate(struct qos_group *g, uint32_t weight, bool on);
/* The p99 mode's starting depth, when a disk with a target joins. */
#define QOS_LAT_START_DEPTH 16
void qos_lat_start(struct qos_sched *s);
void qos_lat_record(struct qos_entity *e, uint64_t lat_ns, uint64_t now);

#endif
