/* SPDX-License-Identifier: MIT */
/* Targets vmio bench starts, measures and stops: vmiod and
 * qemu-storage-daemon, with equivalent settings. */
#ifndef VMIO_BENCH_TARGET_H
#define VMIO_BENCH_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum target_kind { TARGET_VMIOD, TARGET_QSD, TARGET_HOST, TARGET_SOCKET };

#define TARGET_MAX_DISKS 4

struct target_disk {
	const char *file;    /* NULL: null backend (or rbd) */
	const char *rbd;     /* "POOL/IMAGE" or "POOL/NAMESPACE/IMAGE" */
	uint64_t rbd_size;   /* vmiod creates the image this big (0: not) */
	uint64_t null_size;
	const char *vmiod_extra; /* extra --disk options (QoS…), vmiod only */
	char socket[256];    /* filled by target_start */
};

struct target {
	enum target_kind kind;
	pid_t pid;
	unsigned int queues;
	unsigned int ndisks;
	struct target_disk disks[TARGET_MAX_DISKS];
	const char *vmiod_args; /* extra daemon options, e.g. "--qos" */
	const char *rbd_conf;   /* the cluster of rbd disks; NULL: default */
	const char *rbd_user;   /* cephx user; NULL: admin */
	/* Serve each disk as a virtio-scsi target (vmiod --scsi) with one
	 * LUN numbered lun, instead of virtio-blk. qsd cannot. */
	bool scsi;
	uint16_t lun;
	char dir[128];
	char log[192];
	char cmdline[2048];  /* what was run, for reports */
};

const char *target_name(enum target_kind k);
int target_parse(const char *s, enum target_kind *k, const char **socket);
/* Starts the target serving t->disks; fills sockets. err says why not. */
int target_start(struct target *t, char *err, size_t errlen);
void target_stop(struct target *t);
/* CPU seconds the target process has used so far. */
double target_cpu_s(const struct target *t);
/* Where to find a program next to vmio (or $VMIOD for vmiod). */
const char *target_vmiod_path(void);

#endif
