/* SPDX-License-Identifier: MIT */
/*
 * What /metrics shows: per disk, requests and bytes by type, errors,
 * in-flight, a latency histogram, QoS throttling and p99 against its
 * target; the same per virtio-scsi target (over all its LUNs); per
 * reactor, time polling with and without work and asleep, wake-ups, and
 * what its polling policy does and measured. Runs on the HTTP server's
 * thread: the disk list is copied under daemon_lock, then rendered
 * without it, so a scrape never holds up disk_add or disk_remove for
 * longer than the copy.
 */
#include "metrics_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/prom.h"
#include "metrics/prom_http.h"
#include "scsi_target.h"
#include "util/log.h"

struct disk_snap {
	char *id;
	const char *backend; /* a string constant */
	uint64_t size;
	unsigned int queues;
	bool connected, ro, qos;
	uint32_t lat_target_us; /* the QoS contract's p99 target; 0: none */
	struct blk_queue_stats s;
	struct qos_stats q;
};

struct scsi_snap {
	char *id;
	unsigned int luns;
	bool connected, qos;
	struct scsi_dev_stats s;
	struct qos_stats q;
};

struct snap {
	struct disk_snap *disks;
	unsigned int ndisks;
	struct scsi_snap *targets;
	unsigned int ntargets;
	struct reactor_stats *reactors;
	int *cpus;
	unsigned int nreactors;
};

static const char *const op_names[BLK_STAT_NR] = {
	[BLK_STAT_READ] = "read", [BLK_STAT_WRITE] = "write",
	[BLK_STAT_FLUSH] = "flush", [BLK_STAT_DISCARD] = "discard",
	[BLK_STAT_WRITE_ZEROES] = "write_zeroes", [BLK_STAT_OTHER] = "other",
};

static void snap_disk(struct disk *k, struct disk_snap *o)
{
	struct qos_limits lim;
	struct disk_info i;

	disk_get_info(k, &i);
	o->id = strdup(i.id);
	o->backend = !strcmp(i.backend, "null") ? "null" :
		     !strcmp(i.backend, "rbd") ? "rbd" : "uring";
	o->size = i.size;
	o->queues = i.queues;
	o->connected = i.connected;
	o->ro = i.ro;
	o->qos = blk_dev_qos_get(k->blk, &lim);
	o->lat_target_us = o->qos ? lim.lat_target_us : 0;
	blk_dev_get_stats(k->blk, &o->s);
	if (o->qos)
		blk_dev_qos_stats(k->blk, &o->q);
}

static void snap_scsi(struct scsi_target *t, struct scsi_snap *o)
{
	struct qos_limits lim;

	o->id = strdup(scsi_dev_id(t->sd));
	o->luns = scsi_dev_nluns(t->sd);
	o->connected = scsi_dev_vu(t->sd)->conn_fd >= 0;
	o->qos = scsi_dev_qos_get(t->sd, &lim);
	scsi_dev_get_stats(t->sd, &o->s);
	if (o->qos)
		scsi_dev_qos_stats(t->sd, &o->q);
}

static int snap_take(struct daemon *d, struct snap *sn)
{
	int ret = 0;

	memset(sn, 0, sizeof(*sn));
	daemon_lock(d);
	sn->ndisks = daemon_ndisks(d);
	sn->ntargets = daemon_nscsi(d);
	sn->nreactors = daemon_nreactors(d);
	sn->disks = calloc(sn->ndisks + 1, sizeof(*sn->disks));
	sn->targets = calloc(sn->ntargets + 1, sizeof(*sn->targets));
	sn->reactors = calloc(sn->nreactors + 1, sizeof(*sn->reactors));
	sn->cpus = calloc(sn->nreactors + 1, sizeof(*sn->cpus));
	if (!sn->disks || !sn->targets || !sn->reactors || !sn->cpus) {
		ret = -1;
		goto out;
	}
	for (unsigned int i = 0; i < sn->ndisks; i++)
		snap_disk(daemon_disk_at(d, i), &sn->disks[i]);
	for (unsigned int i = 0; i < sn->ntargets; i++)
		snap_scsi(daemon_scsi_at(d, i), &sn->targets[i]);
	for (unsigned int i = 0; i < sn->nreactors; i++) {
		reactor_get_stats(daemon_reactor(d, i), &sn->reactors[i]);
		sn->cpus[i] = reactor_cpu(daemon_reactor(d, i));
	}
out:
	daemon_unlock(d);
	return ret;
}

static void snap_free(struct snap *sn)
{
	for (unsigned int i = 0; sn->disks && i < sn->ndisks; i++)
		free(sn->disks[i].id);
	free(sn->disks);
	for (unsigned int i = 0; sn->targets && i < sn->ntargets; i++)
		free(sn->targets[i].id);
	free(sn->targets);
	free(sn->reactors);
	free(sn->cpus);
}

/* vdev's latency buckets (blk and scsi alike): upper bounds 2^(k+3) µs. */
static void latency_hist(const uint64_t *counts, uint64_t sum_ns, double *le,
			 struct prom_hist *h)
{
	for (int k = 0; k < VDEV_LAT_BUCKETS; k++)
		le[k] = (double)(1ull << (k + 3)) / 1e6;
	h->n = VDEV_LAT_BUCKETS;
	h->le = le;
	h->counts = counts;
	h->sum = (double)sum_ns / 1e9;
}

#define DISK_LABEL(ds) { { "disk", (ds)->id } }

static void render_info(struct prom_buf *b, const struct snap *sn)
{
	prom_family(b, "vmio_build_info", PROM_GAUGE, "vmiod's version.");
	prom_u64(b, "vmio_build_info",
		 (struct prom_label[]){ { "version", VMIO_VERSION } }, 1, 1);
	prom_family(b, "vmio_disks", PROM_GAUGE, "Disks served.");
	prom_u64(b, "vmio_disks", NULL, 0, sn->ndisks);
	prom_family(b, "vmio_disk_info", PROM_GAUGE,
		    "One per disk: its backend and whether it is read-only.");
	for (unsigned int i = 0; i < sn->ndisks; i++) {
		const struct disk_snap *ds = &sn->disks[i];
		struct prom_label l[] = { { "disk", ds->id },
					  { "backend", ds->backend },
					  { "ro", ds->ro ? "1" : "0" } };

		prom_u64(b, "vmio_disk_info", l, 3, 1);
	}
	prom_family(b, "vmio_disk_size_bytes", PROM_GAUGE, "Capacity the guest sees.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		prom_u64(b, "vmio_disk_size_bytes", (struct prom_label[])
			 DISK_LABEL(&sn->disks[i]), 1, sn->disks[i].size);
	prom_family(b, "vmio_disk_queues", PROM_GAUGE, "Request queues.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		prom_u64(b, "vmio_disk_queues", (struct prom_label[])
			 DISK_LABEL(&sn->disks[i]), 1, sn->disks[i].queues);
	prom_family(b, "vmio_disk_connected", PROM_GAUGE,
		    "1 while a front-end (QEMU) is connected.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		prom_u64(b, "vmio_disk_connected", (struct prom_label[])
			 DISK_LABEL(&sn->disks[i]), 1, sn->disks[i].connected);
}

static void render_io(struct prom_buf *b, const struct snap *sn)
{
	prom_family(b, "vmio_disk_requests_total", PROM_COUNTER,
		    "Requests completed, by type.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		for (int t = 0; t < BLK_STAT_NR; t++)
			prom_u64(b, "vmio_disk_requests_total", (struct prom_label[]){
				 { "disk", sn->disks[i].id }, { "op", op_names[t] } },
				 2, sn->disks[i].s.ops[t]);
	prom_family(b, "vmio_disk_bytes_total", PROM_COUNTER,
		    "Bytes read and written.");
	for (unsigned int i = 0; i < sn->ndisks; i++) {
		const struct disk_snap *ds = &sn->disks[i];

		prom_u64(b, "vmio_disk_bytes_total", (struct prom_label[]){
			 { "disk", ds->id }, { "op", "read" } }, 2, ds->s.bytes_read);
		prom_u64(b, "vmio_disk_bytes_total", (struct prom_label[]){
			 { "disk", ds->id }, { "op", "write" } }, 2, ds->s.bytes_written);
	}
	prom_family(b, "vmio_disk_errors_total", PROM_COUNTER,
		    "Requests answered with an error: I/O errors, unsupported "
		    "requests, descriptor chains that could not be decoded.");
	for (unsigned int i = 0; i < sn->ndisks; i++) {
		const struct disk_snap *ds = &sn->disks[i];

		prom_u64(b, "vmio_disk_errors_total", (struct prom_label[]){
			 { "disk", ds->id }, { "kind", "ioerr" } }, 2, ds->s.errors);
		prom_u64(b, "vmio_disk_errors_total", (struct prom_label[]){
			 { "disk", ds->id }, { "kind", "unsupported" } }, 2,
			 ds->s.unsupported);
		prom_u64(b, "vmio_disk_errors_total", (struct prom_label[]){
			 { "disk", ds->id }, { "kind", "bad_chain" } }, 2,
			 ds->s.bad_chains);
	}
	prom_family(b, "vmio_disk_inflight", PROM_GAUGE,
		    "Requests taken off the ring and not yet completed.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		prom_u64(b, "vmio_disk_inflight", (struct prom_label[])
			 DISK_LABEL(&sn->disks[i]), 1, sn->disks[i].s.inflight);
}

static void render_latency(struct prom_buf *b, const struct snap *sn)
{
	double le[BLK_LAT_BUCKETS];
	struct prom_hist h;

	prom_family(b, "vmio_disk_latency_seconds", PROM_HISTOGRAM,
		    "Time from taking a request off the ring to completing it.");
	for (unsigned int i = 0; i < sn->ndisks; i++) {
		latency_hist(sn->disks[i].s.lat_hist, sn->disks[i].s.lat_ns_sum,
			     le, &h);
		prom_histogram(b, "vmio_disk_latency_seconds", (struct prom_label[])
			       DISK_LABEL(&sn->disks[i]), 1, &h);
	}
}

/* Only disks under a QoS contract have these series. */
static void render_qos(struct prom_buf *b, const struct snap *sn)
{
	prom_family(b, "vmio_disk_qos_throttled_total", PROM_COUNTER,
		    "Requests the QoS scheduler held back before dispatch.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		if (sn->disks[i].qos)
			prom_u64(b, "vmio_disk_qos_throttled_total", (struct prom_label[])
				 DISK_LABEL(&sn->disks[i]), 1,
				 sn->disks[i].q.parked_total);
	prom_family(b, "vmio_disk_qos_throttled", PROM_GAUGE,
		    "Requests held back by QoS right now.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		if (sn->disks[i].qos)
			prom_u64(b, "vmio_disk_qos_throttled", (struct prom_label[])
				 DISK_LABEL(&sn->disks[i]), 1, sn->disks[i].q.parked);
	prom_family(b, "vmio_disk_qos_p99_seconds", PROM_GAUGE,
		    "p99 latency of QoS's last closed measurement window.");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		if (sn->disks[i].qos)
			prom_double(b, "vmio_disk_qos_p99_seconds", (struct prom_label[])
				    DISK_LABEL(&sn->disks[i]), 1,
				    (double)sn->disks[i].q.p99_ns / 1e9);
	/* Beside the measured p99, what it is held to (lat-target-us). */
	prom_family(b, "vmio_disk_qos_p99_target_seconds", PROM_GAUGE,
		    "The p99 latency target of the QoS contract (lat-target-us).");
	for (unsigned int i = 0; i < sn->ndisks; i++)
		if (sn->disks[i].lat_target_us)
			prom_double(b, "vmio_disk_qos_p99_target_seconds",
				    (struct prom_label[])DISK_LABEL(&sn->disks[i]), 1,
				    (double)sn->disks[i].lat_target_us / 1e6);
}

#define TARGET_LABEL(t) { { "target", (t)->id } }

static void scsi_pair(struct prom_buf *b, const char *name, const char *id,
		      const char *key, const char *value, uint64_t v)
{
	prom_u64(b, name, (struct prom_label[]){ { "target", id },
		 { key, value } }, 2, v);
}

/* virtio-scsi targets, over all their LUNs: what the disk families say
 * per disk, under vmio_scsi_* with a "target" label. */
static void render_scsi(struct prom_buf *b, const struct snap *sn)
{
	double le[VDEV_LAT_BUCKETS];
	struct prom_hist h;

	prom_family(b, "vmio_scsi_targets", PROM_GAUGE, "virtio-scsi targets served.");
	prom_u64(b, "vmio_scsi_targets", NULL, 0, sn->ntargets);
	prom_family(b, "vmio_scsi_luns", PROM_GAUGE, "Logical units of a target.");
	for (unsigned int i = 0; i < sn->ntargets; i++)
		prom_u64(b, "vmio_scsi_luns", (struct prom_label[])
			 TARGET_LABEL(&sn->targets[i]), 1, sn->targets[i].luns);
	prom_family(b, "vmio_scsi_connected", PROM_GAUGE,
		    "1 while a front-end (QEMU) is connected.");
	for (unsigned int i = 0; i < sn->ntargets; i++)
		prom_u64(b, "vmio_scsi_connected", (struct prom_label[])
			 TARGET_LABEL(&sn->targets[i]), 1, sn->targets[i].connected);
	prom_family(b, "vmio_scsi_commands_total", PROM_COUNTER,
		    "SCSI commands answered, by kind (\"other\": INQUIRY, "
		    "REPORT LUNS and the like).");
	for (unsigned int i = 0; i < sn->ntargets; i++) {
		const struct scsi_snap *t = &sn->targets[i];
		const struct scsi_dev_stats *s = &t->s;
		uint64_t io = s->reads + s->writes + s->flushes + s->unmaps;

		scsi_pair(b, "vmio_scsi_commands_total", t->id, "op", "read", s->reads);
		scsi_pair(b, "vmio_scsi_commands_total", t->id, "op", "write", s->writes);
		scsi_pair(b, "vmio_scsi_commands_total", t->id, "op", "flush", s->flushes);
		scsi_pair(b, "vmio_scsi_commands_total", t->id, "op", "unmap", s->unmaps);
		scsi_pair(b, "vmio_scsi_commands_total", t->id, "op", "other",
			  s->cmds > io ? s->cmds - io : 0);
	}
	prom_family(b, "vmio_scsi_bytes_total", PROM_COUNTER, "Bytes read and written.");
	for (unsigned int i = 0; i < sn->ntargets; i++) {
		const struct scsi_snap *t = &sn->targets[i];

		scsi_pair(b, "vmio_scsi_bytes_total", t->id, "op", "read", t->s.bytes_read);
		scsi_pair(b, "vmio_scsi_bytes_total", t->id, "op", "write", t->s.bytes_written);
	}
	prom_family(b, "vmio_scsi_errors_total", PROM_COUNTER,
		    "Commands answered CHECK CONDITION, and requests whose "
		    "chains or headers could not be served.");
	for (unsigned int i = 0; i < sn->ntargets; i++) {
		const struct scsi_snap *t = &sn->targets[i];

		scsi_pair(b, "vmio_scsi_errors_total", t->id, "kind",
			  "check_condition", t->s.check_conditions);
		scsi_pair(b, "vmio_scsi_errors_total", t->id, "kind",
			  "bad_request", t->s.bad_requests);
	}
	prom_family(b, "vmio_scsi_inflight", PROM_GAUGE,
		    "Commands taken off the rings and not yet answered.");
	for (unsigned int i = 0; i < sn->ntargets; i++)
		prom_u64(b, "vmio_scsi_inflight", (struct prom_label[])
			 TARGET_LABEL(&sn->targets[i]), 1, sn->targets[i].s.inflight);
	prom_family(b, "vmio_scsi_latency_seconds", PROM_HISTOGRAM,
		    "Time from taking a command off the ring to answering it.");
	for (unsigned int i = 0; i < sn->ntargets; i++) {
		latency_hist(sn->targets[i].s.lat_hist, sn->targets[i].s.lat_ns_sum,
			     le, &h);
		prom_histogram(b, "vmio_scsi_latency_seconds", (struct prom_label[])
			       TARGET_LABEL(&sn->targets[i]), 1, &h);
	}
	prom_family(b, "vmio_scsi_qos_throttled_total", PROM_COUNTER,
		    "Commands the QoS scheduler held back before dispatch.");
	for (unsigned int i = 0; i < sn->ntargets; i++)
		if (sn->targets[i].qos)
			prom_u64(b, "vmio_scsi_qos_throttled_total", (struct prom_label[])
				 TARGET_LABEL(&sn->targets[i]), 1,
				 sn->targets[i].q.parked_total);
}

/* One sample of a reactor family: labelled with the reactor, and key if
 * not NULL. */
static void reactor_sample(struct prom_buf *b, const char *name, unsigned int i,
			   const char *key, const char *value, double v)
{
	char id[16];
	struct prom_label l[] = { { "reactor", id }, { key, value } };

	snprintf(id, sizeof(id), "%u", i);
	prom_double(b, name, l, key ? 2 : 1, v);
}

static void reactor_count(struct prom_buf *b, const char *name, unsigned int i,
			  uint64_t v)
{
	char id[16];
	struct prom_label l[] = { { "reactor", id } };

	snprintf(id, sizeof(id), "%u", i);
	prom_u64(b, name, l, 1, v);
}

static void render_reactors(struct prom_buf *b, const struct snap *sn)
{
	static const struct {
		const char *name, *help;
		enum prom_type type;
	} fam[] = {
		{ "vmio_reactor_info", "One per reactor: the CPU it is pinned "
		  "to (\"none\" when unpinned) and its polling policy "
		  "(adaptive, fixed or sleep).", PROM_GAUGE },
		{ "vmio_reactor_busy_seconds_total", "Time polling, in passes "
		  "that found work.", PROM_COUNTER },
		{ "vmio_reactor_poll_idle_seconds_total", "Time polling, in "
		  "passes that found nothing.", PROM_COUNTER },
		{ "vmio_reactor_sleep_seconds_total", "Time asleep.", PROM_COUNTER },
		{ "vmio_reactor_idle_seconds_total", "Time polling with nothing "
		  "to do, or asleep.", PROM_COUNTER },
		{ "vmio_reactor_sleeps_total", "Times the reactor slept and was "
		  "woken (a kick, a completion, a message or a timer).",
		  PROM_COUNTER },
		{ "vmio_reactor_pollers", "Queues and backends it polls.", PROM_GAUGE },
		{ "vmio_reactor_mode", "1 for what the reactor does with idle "
		  "gaps now: poll, sleep, or batch (sleep at the first empty "
		  "pass, having found that to do more work or spend less CPU).",
		  PROM_GAUGE },
		{ "vmio_reactor_poll_budget_seconds", "How long the adaptive "
		  "policy polls an idle gap before sleeping, by what ends the "
		  "gap (the guest, or the device).", PROM_GAUGE },
		{ "vmio_reactor_wake_latency_seconds", "How late a wake-up "
		  "lands, as measured.", PROM_GAUGE },
		{ "vmio_reactor_sleep_cpu_seconds", "CPU one sleep and wake-up "
		  "cost the reactor thread, as measured.", PROM_GAUGE },
		{ "vmio_reactor_cpu_price", "What polling CPU costs: 1 when no "
		  "other thread waits for it, more when one does.", PROM_GAUGE },
	};
	static const enum reactor_mode modes[] = {
		REACTOR_MODE_POLL, REACTOR_MODE_SLEEP, REACTOR_MODE_BATCH,
	};
	char cpu[16];

	for (unsigned int f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		prom_family(b, fam[f].name, fam[f].type, fam[f].help);
		for (unsigned int i = 0; i < sn->nreactors; i++) {
			const struct reactor_stats *rs = &sn->reactors[i];
			const char *n = fam[f].name;

			switch (f) {
			case 0: {
				char id[16];
				struct prom_label l[] = { { "reactor", id }, { "cpu", cpu },
					{ "policy", reactor_policy_name(rs->policy) } };

				snprintf(id, sizeof(id), "%u", i);
				if (sn->cpus[i] < 0)
					snprintf(cpu, sizeof(cpu), "none");
				else
					snprintf(cpu, sizeof(cpu), "%d", sn->cpus[i]);
				prom_u64(b, n, l, 3, 1);
				break;
			}
			case 1: reactor_sample(b, n, i, NULL, NULL, rs->busy_ns / 1e9); break;
			case 2: reactor_sample(b, n, i, NULL, NULL, rs->poll_idle_ns / 1e9); break;
			case 3: reactor_sample(b, n, i, NULL, NULL, rs->sleep_ns / 1e9); break;
			case 4: reactor_sample(b, n, i, NULL, NULL, rs->idle_ns / 1e9); break;
			case 5: reactor_count(b, n, i, rs->sleeps); break;
			case 6: reactor_count(b, n, i, rs->pollers); break;
			case 7:
				for (unsigned int m = 0; m < 3; m++)
					reactor_sample(b, n, i, "mode",
						       reactor_mode_name(modes[m]),
						       rs->mode == modes[m]);
				break;
			case 8:
				reactor_sample(b, n, i, "gap", "guest",
					       rs->poll_budget_ns[RP_GUEST] / 1e9);
				reactor_sample(b, n, i, "gap", "device",
					       rs->poll_budget_ns[RP_DEVICE] / 1e9);
				break;
			case 9: reactor_sample(b, n, i, NULL, NULL, rs->wake_latency_ns / 1e9); break;
			case 10: reactor_sample(b, n, i, NULL, NULL, rs->sleep_cpu_ns / 1e9); break;
			default: reactor_sample(b, n, i, NULL, NULL, rs->cpu_price); break;
			}
		}
	}
}

char *metrics_export_render(struct daemon *d)
{
	struct prom_buf b;
	struct snap sn;

	if (snap_take(d, &sn)) {
		snap_free(&sn);
		return NULL;
	}
	prom_init(&b);
	render_info(&b, &sn);
	render_io(&b, &sn);
	render_latency(&b, &sn);
	render_qos(&b, &sn);
	render_scsi(&b, &sn);
	render_reactors(&b, &sn);
	snap_free(&sn);
	return prom_finish(&b);
}

static char *render_cb(void *arg)
{
	return metrics_export_render(arg);
}

int metrics_export_start(struct daemon *d, const char *addr,
			 struct prom_http **out)
{
	char err[256];
	int ret = prom_http_start(addr, render_cb, d, out, err, sizeof(err));

	if (ret)
		log_error("%s", err);
	else
		log_info("metrics: http://%s/metrics", addr);
	return ret;
}

void metrics_export_stop(struct prom_http *h)
{
	prom_http_stop(h);
}
