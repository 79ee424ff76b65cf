/* SPDX-License-Identifier: MIT */
/*
 * The scheduler of one backend on one reactor: caps decide when a request
 * may go, the outstanding-I/O cap (depth) decides how many may be at the
 * backend, and when requests wait for a slot, tags decide who goes first:
 *
 *  1. reservation: the disk whose reservation tag is due (r <= now) and
 *     smallest. Tags advance by cost / minimum in real time, so a disk
 *     with a minimum is served at least that fast while it has demand.
 *  2. weight: otherwise the smallest weight tag (start-time fair queueing:
 *     tags advance by cost / weight in virtual time; a disk that was idle
 *     starts at the current virtual time, so idling earns no credit).
 *
 * Service in phase 1 does not advance the weight tag (as in mClock), so
 * weights share what is left after minimums. Nothing is held back while a
 * slot is free and a cap allows: the scheduler is work-conserving.
 */
#include "qos/qos_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int qos_sched_init(struct qos_sched *s, const struct qos_sched_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg)
		s->cfg = *cfg;
	if (!s->cfg.depth_max)
		s->cfg.depth_max = 128;
	if (!s->cfg.depth)
		s->cfg.depth = s->cfg.depth_max;
	if (!s->cfg.depth_min)
		s->cfg.depth_min = 1;
	if (s->cfg.depth_min > s->cfg.depth_max ||
	    s->cfg.depth > s->cfg.depth_max || s->cfg.depth < s->cfg.depth_min)
		return -EINVAL;
	if (!s->cfg.lat_window_ns)
		s->cfg.lat_window_ns = 50000000ull;
	s->depth = s->cfg.depth;
	s->wake_ns = QOS_NEVER;
	qos_list_init(&s->entities);
	return 0;
}

static void load_caps(struct qos_entity *e)
{
	for (int i = 0; i < QOS_NR_CAPS; i++) {
		uint64_t unit = i < QOS_CAP_BPS ? QOS_UNIT : 1;

		qos_cap_params(&e->lim.cap[i], unit, &e->avg[i].q32,
			       &e->avg[i].tau, &e->burst[i].q32,
			       &e->burst[i].tau);
	}
}

static void set_gwait(struct qos_entity *e, bool on);

static struct qos_entity *entity_of(struct qos_link *l)
{
	return qos_container_of(l, struct qos_entity, link);
}

/* Minimums on s (counting each group once) must fit the stated capacity. */
static int check_capacity(struct qos_sched *s, struct qos_entity *self,
			  const struct qos_limits *lim, struct qos_group *g,
			  char *err, size_t len)
{
	uint64_t iops = lim->iops_min, bps = lim->bps_min;
	struct qos_group *seen[64];
	unsigned int nseen = 0;

	if (g) {
		iops += atomic_load(&g->iops_min);
		bps += atomic_load(&g->bps_min);
		seen[nseen++] = g;
	}
	for (struct qos_link *l = s->entities.next; l != &s->entities;
	     l = l->next) {
		struct qos_entity *o = entity_of(l);
		bool dup = false;

		if (o == self)
			continue;
		iops += o->lim.iops_min;
		bps += o->lim.bps_min;
		for (unsigned int i = 0; i < nseen; i++)
			dup |= seen[i] == o->group;
		if (o->group && !dup && nseen < 64) {
			seen[nseen++] = o->group;
			iops += atomic_load(&o->group->iops_min);
			bps += atomic_load(&o->group->bps_min);
		}
	}
	if (s->cfg.capacity_iops && iops > s->cfg.capacity_iops) {
		snprintf(err, len, "minimums on this backend would sum to %"
			 PRIu64 " IOPS, above its stated capacity of %" PRIu64
			 ": lower iops-min somewhere or raise the capacity",
			 iops, s->cfg.capacity_iops);
		return -ENOSPC;
	}
	if (s->cfg.capacity_bps && bps > s->cfg.capacity_bps) {
		snprintf(err, len, "minimums on this backend would sum to %"
			 PRIu64 " B/s, above its stated capacity of %" PRIu64
			 ": lower bps-min somewhere or raise the capacity",
			 bps, s->cfg.capacity_bps);
		return -ENOSPC;
	}
	return 0;
}

static int check_entity(struct qos_entity *e, struct qos_sched *s,
			const struct qos_limits *lim, struct qos_group *g,
			char *err, size_t len)
{
	int ret = qos_limits_validate(lim, err, len);

	if (ret)
		return ret;
	if (lim->group[0] && (!g || strcmp(g->name, lim->group))) {
		snprintf(err, len, "the disk names group '%s' but is attached "
			 "to %s%s%s: create the group first", lim->group,
			 g ? "group '" : "no group", g ? g->name : "",
			 g ? "'" : "");
		return -EINVAL;
	}
	return check_capacity(s, e, lim, g, err, len);
}

int qos_entity_init(struct qos_entity *e, struct qos_sched *s,
		    const struct qos_limits *lim, struct qos_group *g,
		    char *err, size_t len)
{
	int ret;

	if (err && len)
		err[0] = '\0';
	ret = check_entity(NULL, s, lim, g, err, len);
	if (ret)
		return ret;
	memset(e, 0, sizeof(*e));
	e->sched = s;
	e->group = g;
	e->lim = *lim;
	qos_list_init(&e->queue[0]);
	qos_list_init(&e->queue[1]);
	load_caps(e);
	e->p_next = s->vtime;
	if (lim->lat_target_us)
		qos_lat_start(s);
	if (g)
		atomic_fetch_add(&g->members, 1);
	qos_list_add_tail(&s->entities, &e->link);
	return 0;
}

int qos_entity_fini(struct qos_entity *e)
{
	if (e->nparked || e->inflight)
		return -EBUSY;
	if (e->group) {
		set_gwait(e, false);
		atomic_fetch_sub(&e->group->members, 1);
	}
	qos_list_del(&e->link);
	return 0;
}

int qos_entity_set(struct qos_entity *e, const struct qos_limits *lim,
		   char *err, size_t len)
{
	int ret;

	if (err && len)
		err[0] = '\0';
	if (strcmp(lim->group, e->lim.group) && lim->group[0]) {
		snprintf(err, len, "a disk changes group by being detached and "
			 "attached again, not by a contract change");
		return -EINVAL;
	}
	ret = check_entity(e, e->sched, lim, e->group, err, len);
	if (ret)
		return ret;
	if (e->active && e->group)
		qos_group_activate(e->group, e->lim.weight, false);
	if (lim->lat_target_us && !e->lim.lat_target_us)
		qos_lat_start(e->sched);
	e->lim = *lim;
	if (!e->lim.group[0] && e->group)
		strcpy(e->lim.group, e->group->name);
	if (e->active && e->group)
		qos_group_activate(e->group, e->lim.weight, true);
	load_caps(e);
	e->sched->wake_ns = 0; /* re-judge parked requests */
	return 0;
}

void qos_entity_get(const struct qos_entity *e, struct qos_limits *out)
{
	*out = e->lim;
}

void qos_entity_stats(const struct qos_entity *e, struct qos_stats *out)
{
	*out = e->st;
	out->parked = e->nparked;
	out->inflight = e->inflight;
	out->depth = e->sched->depth;
}

static struct qos_req *head(struct qos_entity *e, int dir)
{
	if (qos_list_empty(&e->queue[dir]))
		return NULL;
	return qos_container_of(e->queue[dir].next, struct qos_req, link);
}

static struct qos_req *older(struct qos_req *a, struct qos_req *b)
{
	if (!a || !b)
		return a ? a : b;
	return b->submit_ns < a->submit_ns ? b : a;
}

static void unpark(struct qos_entity *e, struct qos_req *r)
{
	qos_list_del(&r->link);
	e->nparked--;
	e->sched->nparked--;
}

struct qos_req *qos_entity_take(struct qos_entity *e)
{
	struct qos_req *r = older(head(e, 0), head(e, 1));

	if (r)
		unpark(e, r);
	return r;
}

/* ---- caps ---- */

static uint64_t own_ready(const struct qos_entity *e, const struct qos_req *r)
{
	uint64_t t = 0;

	for (int i = 0; i < QOS_NR_CAPS; i++) {
		if (!qos_cap_applies(i, r))
			continue;
		t = qos_max64(t, qos_gcra_ready(&e->avg[i]));
		t = qos_max64(t, qos_gcra_ready(&e->burst[i]));
	}
	return t;
}

static uint64_t group_ready(const struct qos_entity *e,
			    const struct qos_req *r)
{
	const struct qos_group *g = e->group;
	uint64_t t = 0;

	for (int i = 0; i < QOS_NR_CAPS; i++) {
		if (!qos_cap_applies(i, r))
			continue;
		t = qos_max64(t, qos_agcra_ready(&g->avg[i]));
		t = qos_max64(t, qos_agcra_ready(&g->burst[i]));
	}
	return t;
}

static uint64_t share_ready(const struct qos_entity *e,
			    const struct qos_req *r)
{
	uint64_t t = 0;

	for (int i = 0; i < QOS_NR_CAPS; i++)
		if (qos_cap_applies(i, r) && e->gshare[i].tat > t)
			t = e->gshare[i].tat;
	return t > QOS_TOLERANCE_NS ? t - QOS_TOLERANCE_NS : 0;
}

static void set_gwait(struct qos_entity *e, bool on)
{
	if (e->gwait == on)
		return;
	e->gwait = on;
	if (on)
		atomic_fetch_add_explicit(&e->group->waiters, 1,
					  memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&e->group->waiters, 1,
					  memory_order_relaxed);
}

/* When r may go, by its disk's caps and its group's, and whether the disk
 * now waits on its group (see struct qos_group). */
static uint64_t caps_ready(struct qos_entity *e, const struct qos_req *r,
			   uint64_t now)
{
	uint64_t t = own_ready(e, r), gt, st;
	uint32_t others;

	if (!e->group)
		return t;
	if (t > now) {
		set_gwait(e, false);
		return t;
	}
	gt = group_ready(e, r);
	if (gt <= now) {
		st = share_ready(e, r);
		others = atomic_load_explicit(&e->group->waiters,
					      memory_order_relaxed) - e->gwait;
		if (st <= now || !others)
			return t;
		gt = st;
	}
	set_gwait(e, true);
	return gt;
}

static uint64_t group_part(const struct qos_entity *e, uint64_t whole);

static void group_charge(struct qos_entity *e, const struct qos_req *r,
			 uint64_t now)
{
	struct qos_group *g = e->group;
	uint32_t isz = atomic_load_explicit(&g->iops_size,
					    memory_order_relaxed);
	uint32_t wc = atomic_load_explicit(&g->write_cost_pct,
					   memory_order_relaxed);

	for (int i = 0; i < QOS_NR_CAPS; i++) {
		uint64_t u, q, part;

		if (!qos_cap_applies(i, r))
			continue;
		u = qos_cap_units(i, isz, wc, r);
		qos_agcra_charge(&g->avg[i], now, u);
		qos_agcra_charge(&g->burst[i], now, u);
		q = atomic_load_explicit(&g->avg[i].q32, memory_order_relaxed);
		if (!q)
			continue;
		/* the part of the group's rate this member is owed */
		part = group_part(e, 1u << 20);
		/* past use beyond the part is forgiven after one tolerance:
		 * the part only orders members that wait together now */
		e->gshare[i].tat = qos_min64(qos_max64(e->gshare[i].tat, now),
					     now + QOS_TOLERANCE_NS) +
			qos_q32_mul(q, u) * (1u << 20) / (part ? part : 1);
	}
	set_gwait(e, false);
}

static void caps_charge(struct qos_entity *e, const struct qos_req *r,
			uint64_t now)
{
	for (int i = 0; i < QOS_NR_CAPS; i++) {
		uint64_t u;

		if (!qos_cap_applies(i, r))
			continue;
		u = qos_cap_units(i, e->lim.iops_size, e->lim.write_cost_pct, r);
		qos_gcra_charge(&e->avg[i], now, u);
		qos_gcra_charge(&e->burst[i], now, u);
	}
	if (e->group)
		group_charge(e, r, now);
}

/* ---- tags ---- */

static uint32_t own_weight(const struct qos_entity *e)
{
	return e->lim.weight ? e->lim.weight : QOS_WEIGHT_DEFAULT;
}

/* A member's part of its group's minimum or weight: its own weight over
 * the weights of the members active now. */
static uint64_t group_part(const struct qos_entity *e, uint64_t whole)
{
	uint64_t w = own_weight(e), aw;

	aw = atomic_load_explicit(&e->group->active_weight,
				  memory_order_relaxed);
	if (aw < w)
		aw = w;
	return (uint64_t)((unsigned __int128)whole * w / aw);
}

static uint64_t eff_weight(const struct qos_entity *e)
{
	uint64_t gw = 0, w;

	if (e->group)
		gw = atomic_load_explicit(&e->group->weight,
					  memory_order_relaxed);
	w = gw ? group_part(e, gw) : own_weight(e);
	return w ? w : 1;
}

static uint64_t tag_units(const struct qos_entity *e, const struct qos_req *r)
{
	return qos_weigh(qos_op_units(e->lim.iops_size, r),
			 e->lim.write_cost_pct, qos_is_write(r));
}

/* ns of reservation a request uses: the minimum is met in whichever of
 * iops-min and bps-min asks for more service. 0: no minimum. */
static uint64_t resv_inc(const struct qos_entity *e, const struct qos_req *r)
{
	uint64_t ri = e->lim.iops_min, rb = e->lim.bps_min, a = 0, b = 0;

	if (e->group) {
		ri += group_part(e, atomic_load_explicit(&e->group->iops_min,
							 memory_order_relaxed));
		rb += group_part(e, atomic_load_explicit(&e->group->bps_min,
							 memory_order_relaxed));
	}
	if (ri)
		a = qos_q32_mul(qos_q32(ri * QOS_UNIT), tag_units(e, r));
	if (rb)
		b = qos_q32_mul(qos_q32(rb), qos_weigh(qos_req_bytes(r),
				e->lim.write_cost_pct, qos_is_write(r)));
	if (!ri || !rb)
		return a | b;
	a = a ? a : 1;
	b = b ? b : 1;
	return qos_min64(a, b);
}

/* When r's reservation tag falls due (QOS_NEVER: no minimum). */
static uint64_t resv_time(const struct qos_entity *e, const struct qos_req *r)
{
	if (!resv_inc(e, r))
		return QOS_NEVER;
	return qos_max64(e->r_next, r->submit_ns);
}

/* Like caps, minimums allow one tolerance of run-ahead, so a disk whose
 * requests arrive in clumps (as Poisson arrivals do) is still owed each of
 * them while its average stays within the minimum. */
static bool resv_due(const struct qos_entity *e, const struct qos_req *r,
		     uint64_t now)
{
	return resv_time(e, r) <= now + QOS_TOLERANCE_NS;
}

static uint64_t p_start(const struct qos_entity *e)
{
	return qos_max64(e->p_next, e->sched->vtime);
}

static void charge_tags(struct qos_entity *e, const struct qos_req *r,
			uint64_t now, bool reserved)
{
	struct qos_sched *s = e->sched;
	uint64_t inc = resv_inc(e, r), p;

	/* Service owed to the minimum advances the reservation tag by its
	 * cost. Service won through weight advances it too (the disk got
	 * that much), but never past now + one request: a disk served above
	 * its minimum for a while is owed its minimum again as soon as it
	 * is contended (mClock lets the tag run ahead without bound). */
	if (inc) {
		uint64_t rs = qos_max64(e->r_next, r->submit_ns);

		if (reserved)
			e->r_next = rs + inc;
		else
			e->r_next = qos_max64(e->r_next,
					      qos_min64(rs, now) + inc);
	}
	if (reserved) {
		e->st.reserved_ops++;
		return;
	}
	p = p_start(e);
	e->p_next = p + tag_units(e, r) * 10000 / eff_weight(e);
	if (p > s->vtime)
		s->vtime = p;
}

/* ---- the hot path ---- */

static void set_active(struct qos_entity *e, bool on)
{
	if (e->active == on)
		return;
	e->active = on;
	if (e->group)
		qos_group_activate(e->group, own_weight(e), on);
}

static void dispatch(struct qos_entity *e, struct qos_req *r, uint64_t now,
		     bool reserved)
{
	caps_charge(e, r, now);
	charge_tags(e, r, now, reserved);
	e->order = ++e->sched->rr;
	e->inflight++;
	e->sched->inflight++;
	e->st.ops++;
	e->st.bytes += qos_req_bytes(r);
	set_active(e, true);
}

static void park(struct qos_entity *e, struct qos_req *r, uint64_t now)
{
	struct qos_sched *s = e->sched;

	struct qos_link *q = &e->queue[qos_is_write(r)];

	if (qos_list_empty(q)) {
		uint64_t t = caps_ready(e, r, now);

		if (t < s->wake_ns)
			s->wake_ns = t;
	}
	qos_list_add_tail(q, &r->link);
	e->nparked++;
	s->nparked++;
	e->st.parked_total++;
	set_active(e, true);
}

enum qos_verdict qos_submit(struct qos_entity *e, struct qos_req *r,
			    uint64_t now)
{
	struct qos_sched *s = e->sched;

	bool owed;

	r->submit_ns = now;
	if (qos_list_empty(&e->queue[qos_is_write(r)]) &&
	    !(s->slot_freed && s->nparked) &&
	    s->inflight < s->cfg.depth_max && caps_ready(e, r, now) <= now) {
		owed = resv_due(e, r, now);
		if (owed || e->lim.lat_target_us || s->inflight < s->depth) {
			dispatch(e, r, now, owed);
			return QOS_DISPATCH;
		}
	}
	park(e, r, now);
	return QOS_PARKED;
}

struct pick {
	struct qos_entity *e;
	struct qos_req *r;
	bool reserved;
	uint64_t next; /* earliest cap release among those not ready */
};

static bool better_weight(const struct qos_entity *a,
			  const struct qos_entity *b)
{
	uint64_t pa = p_start(a), pb = p_start(b);

	return pa < pb || (pa == pb && a->order < b->order);
}

/* The older of e's two heads that its caps let go now, or NULL; notes in
 * p->next when a held-back head may go. Reads and writes wait apart (as in
 * QEMU) so a write cap never holds reads back. */
static struct qos_req *ready_head(struct qos_entity *e, uint64_t now,
				  struct pick *p)
{
	struct qos_req *ok = NULL;

	for (int dir = 0; dir < 2; dir++) {
		struct qos_req *r = head(e, dir);
		uint64_t t;

		if (!r)
			continue;
		t = caps_ready(e, r, now);
		if (t > now)
			p->next = qos_min64(p->next, t);
		else
			ok = older(ok, r);
	}
	return ok;
}

static void consider(struct pick *p, struct qos_entity *e, uint64_t now,
		     uint64_t *best_r)
{
	struct qos_req *r = ready_head(e, now, p);
	bool full = e->sched->inflight >= e->sched->depth;
	uint64_t rt;

	if (!r)
		return;
	rt = resv_time(e, r);
	if (resv_due(e, r, now)) {
		if (rt < *best_r) {
			*best_r = rt;
			p->e = e;
			p->r = r;
			p->reserved = true;
		}
		return;
	}
	if (full && !e->lim.lat_target_us) {
		/* best effort waits for a completion, or for its minimum */
		p->next = qos_min64(p->next, rt - QOS_TOLERANCE_NS);
		return;
	}
	if (!p->reserved && (!p->e || better_weight(e, p->e))) {
		p->e = e;
		p->r = r;
	}
}

static void pick(struct qos_sched *s, uint64_t now, struct pick *p)
{
	uint64_t best_r = QOS_NEVER;

	p->e = NULL;
	p->reserved = false;
	for (struct qos_link *l = s->entities.next; l != &s->entities;
	     l = l->next) {
		struct qos_entity *e = entity_of(l);

		if (e->nparked)
			consider(p, e, now, &best_r);
	}
}

uint64_t qos_poll(struct qos_sched *s, uint64_t now, qos_dispatch_fn fn,
		  void *arg)
{
	struct pick p = { .next = QOS_NEVER };

	s->slot_freed = false;
	while (s->nparked && s->inflight < s->cfg.depth_max) {
		pick(s, now, &p);
		if (!p.e)
			break;
		unpark(p.e, p.r);
		dispatch(p.e, p.r, now, p.reserved);
		fn(p.e, p.r, arg);
	}
	if (!s->nparked || s->inflight >= s->cfg.depth_max)
		p.next = QOS_NEVER;
	s->wake_ns = p.next;
	return p.next;
}

void qos_complete(struct qos_entity *e, struct qos_req *r, uint64_t now)
{
	struct qos_sched *s = e->sched;

	e->inflight--;
	s->inflight--;
	s->slot_freed = true;
	if (!e->inflight && !e->nparked)
		set_active(e, false);
	if (e->lim.lat_target_us)
		qos_lat_record(e, now - r->submit_ns, now);
}
