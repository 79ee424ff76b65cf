/* SPDX-License-Identifier: MIT */
/* vmiod's command line. */
#ifndef VMIOD_ARGS_H
#define VMIOD_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#define VMIOD_MAX_DISKS 256
#define VMIOD_MAX_CPUS 256

enum disk_backend { DISK_BACKEND_URING, DISK_BACKEND_NULL };

struct disk_config {
	char *id;
	char *path;
	char *socket;
	unsigned int queues;
	enum disk_backend backend;
	bool ro;
	uint32_t blk_size;   /* 0: pick from the backend */
	uint64_t size;       /* 0: as the image is */
	bool direct;
	uint64_t delay_us;   /* hold completions this long (a slow device) */
	char *qos;           /* QoS options, kept for the QoS layer */
};

#define VMIOD_MAX_QOS_GROUPS 64

struct vmiod_config {
	struct disk_config disks[VMIOD_MAX_DISKS];
	unsigned int ndisks;
	char *scsi[VMIOD_MAX_DISKS]; /* --scsi option strings */
	unsigned int nscsi;
	int cpus[VMIOD_MAX_CPUS];
	unsigned int ncpus;  /* 0: one unpinned reactor */
	unsigned int poll_us; /* REACTOR_POLL_ADAPTIVE: --poll-us auto */
	bool no_fixed_files; /* --fixed-files off */
	bool fixed_buffers;  /* --fixed-buffers on */
	int log_level;
	/* QoS: on when asked (--qos) or when any contract is given. */
	bool qos;
	char *qos_groups[VMIOD_MAX_QOS_GROUPS]; /* "name=G,iops=…" strings */
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
/* Parses one --disk value. *why tells what is wrong on -EINVAL. */
int disk_config_parse(const char *s, struct disk_config *d, const char **why);
void disk_config_free(struct disk_config *d);
void vmiod_config_free(struct vmiod_config *cfg);

#endif
