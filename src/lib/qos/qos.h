/* SPDX-License-Identifier: MIT */
/*
 * vmio QoS: a per-request admission scheduler for virtual disks that share
 * a backend. It decides, for each request a reactor pops, whether the
 * request goes to the backend now or waits, so that every disk and every
 * group of disks keeps its contract:
 *
 *   caps      iops / bps (total, or read and write apart), with bursts that
 *             mean what QEMU's iotune means: *-max for at most *-max-length s
 *   minimums  iops-min / bps-min, met whenever the backend is contended
 *   weights   share what is left, in proportion (work-conserving)
 *   p99 mode  lat-target-us: when a disk's measured p99 misses its target,
 *             the backend's outstanding-I/O cap shrinks (AIMD)
 *
 * Nothing here reads a clock, allocates or locks: every call takes now_ns,
 * the caller embeds every object, and the objects of one scheduler belong to
 * one reactor thread. Only struct qos_group is shared between reactors, and
 * only through atomics (see qos_group_init).
 *
 * How a reactor calls it (one struct qos_sched per backend per reactor, one
 * struct qos_entity per disk queue, a struct qos_req inside each request):
 *
 *   on a popped request:
 *	req->qos.op = QOS_READ...; req->qos.bytes = len;
 *	if (qos_submit(&q->qos, &req->qos, now) == QOS_DISPATCH)
 *		bdev_submit(req);              // else it is parked, no work
 *   on a backend completion:
 *	qos_complete(&q->qos, &req->qos, now);
 *   once per reactor pass (cheap when nothing is parked):
 *	if (qos_poll_due(&sched, now))
 *		wake = qos_poll(&sched, now, dispatch_cb, arg);
 *	// dispatch_cb submits each released request to the backend; the
 *	// reactor may sleep until wake (QOS_NEVER: until a completion or a
 *	// new request), and must not sleep past it while requests are parked.
 *   on teardown: pop parked requests with qos_entity_take and fail them.
 *
 * Runtime changes (qos_entity_set) run on the owning reactor, e.g. through
 * reactor_call; qos_group_set may run on any thread.
 */
#ifndef VMIO_QOS_QOS_H
#define VMIO_QOS_QOS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QOS_NEVER UINT64_MAX
#define QOS_NAME_MAX 32
#define QOS_WEIGHT_DEFAULT 100
#define QOS_WEIGHT_MAX 10000
/* One I/O operation in the scheduler's fixed-point cost unit. */
#define QOS_UNIT 1024u

/* ------------------------------------------------------------------ */
/* Contracts                                                           */

enum qos_cap_id {
	QOS_CAP_IOPS,
	QOS_CAP_IOPS_RD,
	QOS_CAP_IOPS_WR,
	QOS_CAP_BPS,
	QOS_CAP_BPS_RD,
	QOS_CAP_BPS_WR,
	QOS_NR_CAPS,
};

struct qos_cap {
	uint64_t avg;     /* sustained per-second cap; 0: none */
	uint64_t max;     /* burst rate; 0: no burst */
	uint64_t max_len; /* seconds the burst rate may last (default 1) */
};

struct qos_limits {
	struct qos_cap cap[QOS_NR_CAPS];
	uint64_t iops_min;       /* guaranteed when contended; 0: none */
	uint64_t bps_min;
	uint32_t weight;         /* 1..10000; 0: default (100) */
	uint32_t lat_target_us;  /* p99 target; 0: none */
	uint64_t iops_size;      /* bytes per op for iops caps; 0: 1 op each */
	uint32_t write_cost_pct; /* a write costs this % of a read; 0: 100 */
	char group[QOS_NAME_MAX]; /* "" when in no group */
};

/*
 * Parses "iops=5000,bps=100M,iops-max=8000,iops-max-length=10,..." into
 * out (cleared first) and validates it. Returns 0, or -EINVAL / -ERANGE
 * with a sentence for a person in err. "" is a valid, empty contract.
 */
int qos_limits_parse(const char *s, struct qos_limits *out, char *err,
		     size_t errlen);
/* The same from pairs already split (marking the QoS keys used; other
 * keys are the caller's). */
struct kvopts;
int qos_limits_parse_kv(struct kvopts *kv, struct qos_limits *out, char *err,
			size_t errlen);
/* Calls fn for every key of the contract that is set, with its value as
 * the parser reads it. */
void qos_limits_foreach(const struct qos_limits *l,
			void (*fn)(void *ctx, const char *key, const char *val),
			void *ctx);
/* Checks a contract built by hand (the parser calls it too). */
int qos_limits_validate(const struct qos_limits *l, char *err, size_t errlen);
/* Writes the contract back in the parser's syntax (only what is set).
 * Returns the length, or -ENOSPC if buf is too small. */
int qos_limits_format(const struct qos_limits *l, char *buf, size_t len);
/* The names of every key the parser accepts, NULL-terminated. */
extern const char *const qos_limit_keys[];

/* ------------------------------------------------------------------ */
/* Requests: embedded in the caller's own request struct               */

enum qos_op {
	QOS_READ,
	QOS_WRITE,
	QOS_FLUSH,   /* costs 1 op as a write, 0 bytes */
	QOS_DISCARD, /* costs 1 op as a write, 0 bytes (no data moves) */
};

struct qos_link {
	struct qos_link *next, *prev;
};

struct qos_req {
	uint64_t bytes;     /* set by the caller */
	uint8_t op;         /* enum qos_op, set by the caller */
	/* private */
	uint64_t submit_ns;
	struct qos_link link;
};

/* ------------------------------------------------------------------ */
/* Private building blocks (in the header only so callers can embed)   */

/* A leaky bucket in its virtual-time form (GCRA): a request is admitted
 * when tat - tau <= now, and then pushes tat by its cost. */
struct qos_gcra {
	uint64_t tat; /* ns */
	uint64_t tau; /* ns of run-ahead allowed */
	uint64_t q32; /* ns per cost unit, Q32.32; 0: bucket unused */
};

struct qos_agcra {
	_Atomic uint64_t tat;
	_Atomic uint64_t tau;
	_Atomic uint64_t q32;
};

struct qos_latwin {
	uint64_t start_ns;
	uint32_t n, over, near; /* samples; above target; above 7/8 of it */
	uint32_t hist[256]; /* log2(ns) x 4 buckets, for the reported p99 */
};

/* ------------------------------------------------------------------ */
/* Groups: named sets of disks (a VM, a tenant), possibly across reactors */

struct qos_group {
	char name[QOS_NAME_MAX];
	/* caps and bursts, charged by every member on any reactor */
	struct qos_agcra avg[QOS_NR_CAPS], burst[QOS_NR_CAPS];
	_Atomic uint64_t iops_min, bps_min;
	_Atomic uint32_t weight;       /* 0: members use their own weights */
	_Atomic uint32_t iops_size, write_cost_pct;
	/* sum of the weights of members that have I/O parked or in flight:
	 * the group's minimum and weight are split among them by weight */
	_Atomic uint64_t active_weight;
	_Atomic uint32_t members;
	/* members with a request held back by the group's caps: while any
	 * wait, a member takes from the group only within its weighted part */
	_Atomic uint32_t waiters;
	struct qos_limits lim; /* as set, for qos_group_get */
};

/*
 * A group's caps hold across reactors because every member charges the
 * same atomic buckets; at any instant the group may run ahead by at most
 * one request per reactor (each admits after a check and then charges).
 * While some member waits for the group's caps, the others take from them
 * only within their part (the group's rate times their weight over the
 * active members' weights), so no reactor starves another; with nobody
 * waiting, any member may use all that is left (work-conserving).
 * Its minimum and weight are divided among the members currently active,
 * in proportion to their own weights, read from one atomic sum.
 * lat-target-us is per disk and is refused on a group.
 */
int qos_group_init(struct qos_group *g, const char *name,
		   const struct qos_limits *lim, char *err, size_t errlen);
int qos_group_set(struct qos_group *g, const struct qos_limits *lim,
		  char *err, size_t errlen);
void qos_group_get(const struct qos_group *g, struct qos_limits *out);

/* ------------------------------------------------------------------ */
/* The scheduler of one backend on one reactor                         */

/*
 * Two outstanding-I/O caps: depth_max holds for every request; depth, which
 * the p99 mode moves between depth_min and depth_max, holds for best-effort
 * requests (those of disks without a latency target, sent through their
 * weight). Requests owed to a minimum and those of disks with a latency
 * target may use the slots between depth and depth_max, so they never queue
 * behind a neighbour in the scheduler. Set depth at the backend's knee (the
 * concurrency past which latency grows, not throughput) for minimums to
 * bite without a latency target.
 */
struct qos_sched_config {
	uint32_t depth_max;      /* hard outstanding cap; 0: 128 */
	uint32_t depth;          /* best-effort cap at start; 0: depth_max */
	uint32_t depth_min;      /* floor for the p99 mode; 0: 1 */
	uint64_t capacity_iops;  /* stated backend capacity, for checking */
	uint64_t capacity_bps;   /* minimums; 0: unknown, not checked */
	uint64_t lat_window_ns;  /* p99 window; 0: 50 ms */
};

struct qos_sched {
	struct qos_sched_config cfg;
	struct qos_link entities;
	uint32_t inflight;
	uint32_t depth;     /* current best-effort cap (p99 mode moves it) */
	uint32_t nparked;   /* requests parked in all entities */
	uint64_t vtime;     /* virtual time of the weight phase */
	uint64_t wake_ns;   /* earliest time a parked request may go */
	bool slot_freed;    /* a completion since the last poll */
	bool lat_hold;      /* p99 mode: skip judging the next window */
	uint64_t rr;        /* tie breaker */
};

struct qos_stats {
	uint64_t ops, bytes;       /* dispatched */
	uint64_t reserved_ops;     /* of which chosen for the minimum */
	uint64_t parked_total;     /* requests that had to wait */
	uint32_t parked, inflight; /* now */
	uint64_t p99_ns;           /* last closed latency window (approx.) */
	uint64_t windows, windows_missed;
	uint32_t depth;            /* its scheduler's best-effort depth now */
};

struct qos_entity {
	struct qos_link link;  /* in sched->entities */
	struct qos_link queue[2]; /* parked reads, parked writes: FIFOs */
	struct qos_sched *sched;
	struct qos_group *group;
	struct qos_limits lim;
	struct qos_gcra avg[QOS_NR_CAPS], burst[QOS_NR_CAPS];
	struct qos_gcra gshare[QOS_NR_CAPS]; /* its part of the group's caps */
	bool gwait;        /* counted in group->waiters */
	uint64_t r_next;   /* reservation tag of the next request (ns) */
	uint64_t p_next;   /* weight tag of the next request (virtual) */
	uint32_t nparked, inflight;
	bool active;       /* counted in group->active_weight */
	uint64_t order;
	struct qos_latwin win;
	struct qos_stats st;
};

int qos_sched_init(struct qos_sched *s, const struct qos_sched_config *cfg);

/*
 * Attaches e to s under contract lim, in group g (or NULL; if lim names a
 * group, g must be that group). Fails with -ENOSPC and a sentence in err
 * when the minimums on s would sum above the stated capacity.
 */
int qos_entity_init(struct qos_entity *e, struct qos_sched *s,
		    const struct qos_limits *lim, struct qos_group *g,
		    char *err, size_t errlen);
/* Detaches e; -EBUSY while it has requests parked or in flight. */
int qos_entity_fini(struct qos_entity *e);
/* Changes the contract at runtime (on the owning reactor). Bucket levels
 * are kept; parked requests are re-judged at the next poll. */
int qos_entity_set(struct qos_entity *e, const struct qos_limits *lim,
		   char *err, size_t errlen);
void qos_entity_get(const struct qos_entity *e, struct qos_limits *out);
void qos_entity_stats(const struct qos_entity *e, struct qos_stats *out);
/* Pops one parked request (for teardown), or NULL. */
struct qos_req *qos_entity_take(struct qos_entity *e);

enum qos_verdict {
	QOS_DISPATCH = 0, /* send it to the backend now */
	QOS_PARKED = 1,   /* qos_poll will release it */
};

enum qos_verdict qos_submit(struct qos_entity *e, struct qos_req *r,
			    uint64_t now_ns);

typedef void (*qos_dispatch_fn)(struct qos_entity *e, struct qos_req *r,
				void *arg);

/*
 * Releases parked requests whose time has come, best first (minimums,
 * then weights), while the backend's outstanding cap allows, calling fn
 * for each. Returns when the next parked request may go (QOS_NEVER when
 * nothing is parked or only a completion can free a slot).
 */
uint64_t qos_poll(struct qos_sched *s, uint64_t now_ns, qos_dispatch_fn fn,
		  void *arg);

/* Feeds a completion: frees a backend slot and, for a disk with a latency
 * target, records now_ns - submit time in its p99 window. */
void qos_complete(struct qos_entity *e, struct qos_req *r, uint64_t now_ns);

/* Whether qos_poll has anything to do now. */
static inline bool qos_poll_due(const struct qos_sched *s, uint64_t now_ns)
{
	return s->nparked && (s->slot_freed || now_ns >= s->wake_ns);
}

static inline uint32_t qos_sched_depth(const struct qos_sched *s)
{
	return s->depth;
}

#endif
