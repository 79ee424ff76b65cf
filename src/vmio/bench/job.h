/* SPDX-License-Identifier: MIT */
/* One measured workload against one disk: the I/O engine of vmio bench. */
#ifndef VMIO_BENCH_JOB_H
#define VMIO_BENCH_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hist.h"

enum job_rw { RW_READ, RW_WRITE, RW_RANDREAD, RW_RANDWRITE, RW_RANDRW };

struct job_params {
	enum job_rw rw;
	unsigned int read_pct;   /* randrw: share of reads */
	uint32_t bs;
	unsigned int iodepth;    /* per queue */
	unsigned int queues;
	double runtime_s;
	double ramp_s;           /* run but do not measure first */
	double rate_iops;        /* 0: closed loop; else Poisson arrivals */
	uint64_t size;           /* bytes of the disk to use; 0: all */
	bool want_irq;           /* ask the target for a call per completion */
	bool dirty_log;          /* dirty logging on, as in a live migration */
	bool packed;             /* packed virtqueues (VIRTIO_F_RING_PACKED) */
	bool progress;           /* a live line on stderr */
	bool scsi;               /* the target is vhost-user-scsi, not -blk */
	uint16_t lun;            /* scsi: the LUN driven */
	const char *label;
};

struct job_result {
	uint64_t ios, bytes, errors, target_errors;
	double elapsed_s;
	struct hist lat;         /* ns, every measured completion */
	double frontend_cpu_s;
	double avg_inflight;     /* time-average of requests in flight */
	char error[200];         /* the first protocol error, if any */
};

/* Runs p against the vhost-user-blk (p->scsi: vhost-user-scsi, LUN
 * p->lun, READ(16)/WRITE(16)) socket at path. Returns 0, or -errno with
 * r->error set when the run could not happen at all. */
int job_run_vhost(const char *path, const struct job_params *p,
		  struct job_result *r);
/* Runs p with io_uring straight on a file or block device (O_DIRECT): the
 * physical baseline. */
int job_run_host(const char *file, const struct job_params *p,
		 struct job_result *r);
/* Writes a pattern over the first size bytes in p->bs blocks (of the
 * blk disk, or of LUN p->lun when p->scsi), reads it back and compares.
 * Returns the number of mismatching or failed blocks, or -errno. */
long job_verify_vhost(const char *path, const struct job_params *p,
		      uint64_t size, char *err, size_t errlen);

int job_parse_rw(const char *s, struct job_params *p);
const char *job_rw_name(const struct job_params *p, char *buf, size_t len);

#endif
