/* SPDX-License-Identifier: MIT */
/* One `vmio bench run`: a job on a target, with the target's CPU. */
#ifndef VMIO_BENCH_RUN_H
#define VMIO_BENCH_RUN_H

#include <jansson.h>

#include "bench/job.h"
#include "bench/target.h"

struct run_spec {
	enum target_kind kind;
	const char *socket;       /* TARGET_SOCKET */
	const char *file;         /* NULL: null backend (or rbd) */
	const char *rbd;          /* "POOL/IMAGE": an RBD image */
	const char *rbd_conf;     /* its cluster's conf; NULL: the default */
	const char *rbd_user;     /* cephx user; NULL: admin */
	uint64_t rbd_size;        /* vmiod creates a missing image this big */
	uint64_t null_size;
	const char *vmiod_disk_extra; /* e.g. "iops=5000" */
	const char *vmiod_args;   /* e.g. "--qos" */
	struct job_params job;
};

struct run_result {
	struct job_result r;
	double target_cpu_s;
	double iops, bw_bytes;
	double cpu_us_per_io;
	double little_ratio;     /* closed loop: IOPS x mean / in flight */
	double other_cpu_s;      /* CPU used meanwhile by everything else */
	unsigned int stalls;     /* times the whole machine stood still */
	double stall_max_ms;     /* the longest, in ms (stall.h) */
	char cmdline[2048];
};

/* Starts the target (unless socket/host), runs, stops. */
int run_one(const struct run_spec *s, struct run_result *out, char *err,
	    size_t errlen);
/* The `vmio bench run` command line that repeats s (for reports). */
void run_command(const struct run_spec *s, char *buf, size_t len);
json_t *run_to_json(const struct run_spec *s, const struct run_result *r);
/* CPU seconds: all cores busy since boot (/proc/stat); this process. */
double run_host_busy_s(void);
double run_self_cpu_s(void);
/* Above this share of the machine's CPU used by others, a run is flagged. */
#define RUN_BUSY_SHARE 0.2
/* Share of the machine's CPU (all cores) that others used during the run
 * (for socket: targets the target is among the others). */
double run_other_share(const struct run_spec *s, const struct run_result *r);
void run_print(const struct run_spec *s, const struct run_result *r);
/* Fills a file with data (so reads touch the device) if it is new,
 * sparse or shorter than size (0: an existing file's own size, else
 * 1 GiB). Block devices are left alone. */
int run_prepare_file(const char *path, uint64_t size, char *err, size_t errlen);

#endif
