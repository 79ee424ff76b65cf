/* SPDX-License-Identifier: MIT */
/*
 * Caps as leaky buckets in virtual-time form. A bucket of rate r keeps
 * tat, the time at which everything admitted so far would have drained;
 * a request may go when tat - tau <= now, and pushes tat by cost / r.
 * That is QEMU's leaky bucket seen from the time axis: tau is the bucket
 * size divided by r, and a request that finds room may overshoot it, so a
 * request larger than the bucket is delayed, never refused.
 *
 * With a burst (max > avg for max_len s) two buckets apply: the sustained
 * one, whose tau lets (max - avg) * max_len units run ahead, and a burst
 * one at rate max with the small default tolerance. From a full (idle)
 * bucket, demand at or above max is admitted at max for exactly max_len
 * seconds (the sustained bucket fills at max - avg per second), then at
 * avg; the burst comes back after (max - avg) * max_len / avg seconds below
 * the cap. QEMU sizes that bucket max * max_len, which makes its bursts
 * last max / (max - avg) times longer than written; vmio keeps the written
 * length exact.
 */
#include "qos/qos_internal.h"

void qos_cap_params(const struct qos_cap *c, uint64_t unit, uint64_t *avg_q32,
		    uint64_t *avg_tau, uint64_t *burst_q32, uint64_t *burst_tau)
{
	unsigned __int128 tau;

	*avg_q32 = qos_q32(c->avg * unit);
	*avg_tau = QOS_TOLERANCE_NS;
	*burst_q32 = 0;
	*burst_tau = 0;
	if (!c->avg || !c->max || c->max <= c->avg)
		return;
	tau = (unsigned __int128)(c->max - c->avg) * c->max_len *
	      QOS_NSEC_PER_SEC / c->avg;
	*avg_tau = tau > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)tau;
	*burst_q32 = qos_q32(c->max * unit);
	*burst_tau = QOS_TOLERANCE_NS;
}

bool qos_cap_applies(enum qos_cap_id id, const struct qos_req *r)
{
	switch (id) {
	case QOS_CAP_IOPS_RD:
		return !qos_is_write(r);
	case QOS_CAP_IOPS_WR:
		return qos_is_write(r);
	case QOS_CAP_BPS_RD:
		return !qos_is_write(r) && qos_req_bytes(r);
	case QOS_CAP_BPS_WR:
		return qos_is_write(r) && qos_req_bytes(r);
	case QOS_CAP_BPS:
		return qos_req_bytes(r) != 0;
	default:
		return true;
	}
}

/* The write cost factor weighs only the total caps: iops-wr and bps-wr
 * already count writes alone, in their own terms. */
uint64_t qos_cap_units(enum qos_cap_id id, uint64_t iops_size,
		       uint32_t write_cost_pct, const struct qos_req *r)
{
	switch (id) {
	case QOS_CAP_IOPS:
		return qos_weigh(qos_op_units(iops_size, r), write_cost_pct,
				 qos_is_write(r));
	case QOS_CAP_IOPS_RD:
	case QOS_CAP_IOPS_WR:
		return qos_op_units(iops_size, r);
	case QOS_CAP_BPS:
		return qos_weigh(qos_req_bytes(r), write_cost_pct,
				 qos_is_write(r));
	default:
		return qos_req_bytes(r);
	}
}
