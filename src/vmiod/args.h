/* SPDX-License-Identifier: MIT */
/* vmiod's command line. */
#ifndef VMIOD_ARGS_H
#define VMIOD_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "devcfg.h"
#include "qos/qos.h"

#define VMIOD_MAX_DISKS 256
#define VMIOD_MAX_CPUS 256

#define VMIOD_MAX_QOS_GROUPS 64

/* --qos-group name=G,QoS keys. */
struct qos_group_config {
	char name[QOS_NAME_MAX];
	struct qos_limits lim;
};

struct vmiod_config {
	struct disk_config disks[VMIOD_MAX_DISKS];
	unsigned int ndisks;
	struct scsi_config scsi[VMIOD_MAX_DISKS];
	unsigned int nscsi;
	int cpus[VMIOD_MAX_CPUS];
	unsigned int ncpus;  /* 0: one unpinned reactor */
	unsigned int poll_us; /* REACTOR_POLL_ADAPTIVE: --poll-us auto */
	bool no_fixed_files; /* --fixed-files off */
	bool fixed_buffers;  /* --fixed-buffers on */
	int log_level;
	/* QoS: on when asked (--qos) or when any contract is given. */
	bool qos;
	struct qos_group_config qos_groups[VMIOD_MAX_QOS_GROUPS];
	unsigned int nqos_groups;
	unsigned int qos_depth;        /* outstanding I/O cap; 0: default */
	uint64_t qos_capacity_iops;    /* stated backend capacity; 0: unknown */
	char *rpc_path;                /* --rpc: JSON-RPC socket, or NULL */
	char *metrics_addr;            /* --metrics ADDR:PORT, or NULL */
	char *config_path;             /* --config FILE, or NULL */
	char *image_dirs[16];          /* --image-dir: where disk_add may open */
	unsigned int nimage_dirs;
	char *socket_owner;            /* --socket-owner: owner of our sockets */
	char *socket_group;            /* --socket-group: their group */
	char *sysfs_root;              /* --sysfs-root: topology from a fake
					* tree (tests); NULL: "/" or
					* $VMIO_SYSFS_ROOT */
};

/* Parses argv into cfg. Returns 0, 1 when --help/--version was handled
 * (exit 0), or -EINVAL after printing what is wrong. */
int vmiod_parse_args(int argc, char **argv, struct vmiod_config *cfg);
void vmiod_config_free(struct vmiod_config *cfg);

#endif
