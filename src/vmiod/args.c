/* SPDX-License-Identifier: MIT */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/reactor_policy.h"
#include "util/log.h"
#include "qos/qos.h"
#include "util/parse.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmiod --disk id=NAME,path=FILE,socket=SOCK[,OPTIONS] [--disk ...]\n"
		"             [--cpus LIST] [--poll-us auto|N] [-v|-q]\n"
		"\n"
		"Serves each disk to a QEMU guest over vhost-user-blk on SOCK.\n"
		"\n"
		"disk options:\n"
		"  id=NAME            name in logs, stats and the guest's serial\n"
		"  path=FILE          image file or block device (not with backend=null)\n"
		"  socket=SOCK        unix socket QEMU connects to\n"
		"  queues=N           virtqueues (default 1; 1-64)\n"
		"  backend=uring|null io_uring on the image (default), or complete\n"
		"                     everything at once without touching data\n"
		"  ro=on              read-only: the guest's writes fail\n"
		"  blk-size=512|4096  logical block size the guest sees\n"
		"  size=BYTES         create or grow the image to this size (4G, 512M…)\n"
		"  direct=on|off      O_DIRECT (default on)\n"
		"  delay-us=N         hold every completion N µs: a slow device, for tests\n"
		"\n"
		"QoS options on --disk (see docs/qos.md): iops, bps, iops-rd, iops-wr,\n"
		"  bps-rd, bps-wr, *-max, *-max-length, iops-min, bps-min, weight,\n"
		"  lat-target-us, iops-size, write-cost, group\n"
		"--qos                schedule every disk through QoS (implied by any\n"
		"                     QoS option); contracts can then change at run time\n"
		"--qos-group name=G,OPTIONS  a group of disks (a VM, a tenant) sharing\n"
		"                     caps, a minimum and a weight (repeatable)\n"
		"--qos-depth N        best-effort I/O in flight per device and reactor (the\n"
		"                     device's knee; default 128); minimums and latency\n"
		"                     targets may use 16 more\n"
		"--qos-capacity-iops N  the device's IOPS, to refuse minimums above it\n"
		"--scsi id=NAME,socket=SOCK[,queues=N],lun0=FILE[,lun1=FILE...][,ro=on]\n"
		"                     [,direct=on|off][,blk-size=512|4096]: a virtio-scsi\n"
		"                     target (vhost-user-scsi-pci); lunN=null:SIZE for null\n"
		"--rpc PATH           JSON-RPC control socket (see `vmio disk`, docs/rpc.md)\n"
		"--image-dir DIR      disk_add may open images only under DIR (repeatable)\n"
		"--metrics ADDR:PORT  Prometheus metrics at http://ADDR:PORT/metrics\n"
		"--config FILE        add the disks of FILE (what `vmio config save` wrote)\n"
		"--socket-group GROUP the RPC and vhost-user sockets (mode 0660) belong\n"
		"                     to GROUP, e.g. the one QEMU runs in\n"
		"--socket-owner USER  ... and to USER\n"
		"--cpus LIST          cores for reactor threads, e.g. 2,3 or 4-7\n"
		"                     (default: one unpinned reactor)\n"
		"--poll-us auto|N     when reactors poll and when they sleep: auto\n"
		"                     (default) decides from what they measure (idle\n"
		"                     gaps, wake-up cost, requests in flight, other\n"
		"                     threads waiting for the CPU); N polls N µs\n"
		"                     after the last work; 0 sleeps at once\n"
		"--fixed-files on|off register backing files in each reactor's\n"
		"                     io_uring (default on: less kernel work per I/O)\n"
		"--fixed-buffers on|off  register (pin) guest memory in each reactor's\n"
		"                     io_uring (default off; not with a balloon or\n"
		"                     virtio-mem: see docs/architecture.md)\n"
		"-v, --verbose        debug logging;  -q, --quiet  errors only\n");
}

void disk_config_free(struct disk_config *d)
{
	free(d->id);
	free(d->path);
	free(d->socket);
	free(d->qos);
	memset(d, 0, sizeof(*d));
}

void vmiod_config_free(struct vmiod_config *cfg)
{
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		disk_config_free(&cfg->disks[i]);
	cfg->ndisks = 0;
	for (unsigned int i = 0; i < cfg->nqos_groups; i++)
		free(cfg->qos_groups[i]);
	for (unsigned int i = 0; i < cfg->nscsi; i++)
		free(cfg->scsi[i]);
	cfg->nscsi = 0;
	for (unsigned int i = 0; i < cfg->nimage_dirs; i++)
		free(cfg->image_dirs[i]);
	cfg->nimage_dirs = 0;
	free(cfg->rpc_path);
	cfg->rpc_path = NULL;
	free(cfg->sysfs_root);
	cfg->sysfs_root = NULL;
	free(cfg->metrics_addr);
	cfg->metrics_addr = NULL;
	free(cfg->config_path);
	cfg->config_path = NULL;
	free(cfg->socket_group);
	cfg->socket_group = NULL;
	free(cfg->socket_owner);
	cfg->socket_owner = NULL;
	cfg->nqos_groups = 0;
}

static int parse_backend(const char *s, enum disk_backend *b)
{
	if (!strcmp(s, "uring"))
		*b = DISK_BACKEND_URING;
	else if (!strcmp(s, "null"))
		*b = DISK_BACKEND_NULL;
	else
		return -EINVAL;
	return 0;
}

/* QoS keys travel as one string to the QoS layer, which validates them. */
static int collect_qos(struct kvopts *kv, struct disk_config *d)
{
	char buf[1024] = "";
	size_t len = 0;

	for (size_t i = 0; qos_limit_keys[i]; i++) {
		const char *v = kvopts_get(kv, qos_limit_keys[i]);
		int n;

		if (!v)
			continue;
		n = snprintf(buf + len, sizeof(buf) - len, "%s%s=%s",
			     len ? "," : "", qos_limit_keys[i], v);
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			return -EINVAL;
		len += (size_t)n;
	}
	if (len) {
		d->qos = strdup(buf);
		if (!d->qos)
			return -ENOMEM;
	}
	return 0;
}

int disk_config_parse(const char *s, struct disk_config *d, const char **why)
{
	struct kvopts kv;
	const char *v;
	uint64_t u;
	int ret;

	memset(d, 0, sizeof(*d));
	d->queues = 1;
	d->direct = true;
	ret = kvopts_parse(&kv, s, why);
	if (ret)
		goto out;
	ret = -EINVAL;
	if ((v = kvopts_get(&kv, "id")))
		d->id = strdup(v);
	if ((v = kvopts_get(&kv, "path")))
		d->path = strdup(v);
	if ((v = kvopts_get(&kv, "socket")))
		d->socket = strdup(v);
	if ((v = kvopts_get(&kv, "queues")) &&
	    (parse_u64(v, &u) || u < 1 || u > 64)) {
		*why = "queues must be 1 to 64";
		goto out;
	} else if (v) {
		d->queues = (unsigned int)u;
	}
	if ((v = kvopts_get(&kv, "backend")) && parse_backend(v, &d->backend)) {
		*why = "backend must be uring or null";
		goto out;
	}
	if ((v = kvopts_get(&kv, "ro")) && parse_bool(v, &d->ro)) {
		*why = "ro must be on or off";
		goto out;
	}
	if ((v = kvopts_get(&kv, "direct")) && parse_bool(v, &d->direct)) {
		*why = "direct must be on or off";
		goto out;
	}
	if ((v = kvopts_get(&kv, "blk-size"))) {
		if (parse_u64(v, &u) || (u != 512 && u != 4096)) {
			*why = "blk-size must be 512 or 4096";
			goto out;
		}
		d->blk_size = (uint32_t)u;
	}
	if ((v = kvopts_get(&kv, "size")) && parse_size(v, &d->size)) {
		*why = "size must be a number of bytes, optionally with K, M, G or T";
		goto out;
	}
	if ((v = kvopts_get(&kv, "delay-us")) &&
	    (parse_u64(v, &d->delay_us) || d->delay_us > 10000000)) {
		*why = "delay-us must be 0 to 10000000";
		goto out;
	}
	if (collect_qos(&kv, d)) {
		*why = "QoS options are too long";
		goto out;
	}
	if ((v = kvopts_unused(&kv))) {
		static char msg[160];

		snprintf(msg, sizeof(msg), "unknown disk option '%s'", v);
		*why = msg;
		goto out;
	}
	if (!d->id || !*d->id) {
		*why = "id=NAME is required";
		goto out;
	}
	if (!d->socket || !*d->socket) {
		*why = "socket=PATH is required";
		goto out;
	}
	if (d->backend == DISK_BACKEND_URING && !d->path) {
		*why = "path=FILE is required (or backend=null with size=)";
		goto out;
	}
	if (d->backend == DISK_BACKEND_NULL && !d->size) {
		*why = "backend=null needs size=BYTES";
		goto out;
	}
	if (d->backend == DISK_BACKEND_NULL && d->path) {
		*why = "backend=null takes no path";
		goto out;
	}
	ret = 0;
out:
	kvopts_free(&kv);
	if (ret)
		disk_config_free(d);
	return ret;
}

static int check_unique(const struct vmiod_config *cfg, const struct disk_config *d)
{
	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		if (!strcmp(cfg->disks[i].id, d->id)) {
			fprintf(stderr, "vmiod: two disks are named '%s'; give each "
				"--disk its own id=\n", d->id);
			return -EINVAL;
		}
		if (!strcmp(cfg->disks[i].socket, d->socket)) {
			fprintf(stderr, "vmiod: disks '%s' and '%s' share socket %s; "
				"give each its own\n", cfg->disks[i].id, d->id,
				d->socket);
			return -EINVAL;
		}
	}
	return 0;
}

/* A two-way option: *out is true for yes, false for no; else a message. */
static int parse_choice(const char *opt, const char *arg, const char *yes,
			const char *no, bool *out)
{
	if (strcmp(arg, yes) && strcmp(arg, no)) {
		fprintf(stderr, "vmiod: %s %s: expected %s or %s\n", opt, arg,
			no, yes);
		return -1;
	}
	*out = !strcmp(arg, yes);
	return 0;
}

int vmiod_parse_args(int argc, char **argv, struct vmiod_config *cfg)
{
	static const struct option longopts[] = {
		{ "disk", required_argument, NULL, 'd' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "poll-us", required_argument, NULL, 'p' },
		{ "fixed-files", required_argument, NULL, 'f' },
		{ "fixed-buffers", required_argument, NULL, 'B' },
		{ "scsi", required_argument, NULL, 'S' },
		{ "rpc", required_argument, NULL, 'P' },
		{ "metrics", required_argument, NULL, 'X' },
		{ "config", required_argument, NULL, 'F' },
		{ "image-dir", required_argument, NULL, 'M' },
		{ "socket-group", required_argument, NULL, 'O' },
		{ "socket-owner", required_argument, NULL, 'U' },
		{ "qos", no_argument, NULL, 'Q' },
		{ "qos-group", required_argument, NULL, 'G' },
		{ "qos-depth", required_argument, NULL, 'D' },
		{ "qos-capacity-iops", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* Not in --help: for tests, see docs/numa.md. */
		{ "sysfs-root", required_argument, NULL, 'R' },
		{ 0 },
	};
	const char *why = NULL;
	uint64_t u;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->poll_us = REACTOR_POLL_ADAPTIVE;
	cfg->log_level = LOG_INFO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:c:p:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (cfg->ndisks >= VMIOD_MAX_DISKS) {
				fprintf(stderr, "vmiod: at most %d disks\n",
					VMIOD_MAX_DISKS);
				goto err;
			}
			if (disk_config_parse(optarg, &cfg->disks[cfg->ndisks], &why)) {
				fprintf(stderr, "vmiod: --disk %s: %s\n", optarg, why);
				goto err;
			}
			if (check_unique(cfg, &cfg->disks[cfg->ndisks])) {
				disk_config_free(&cfg->disks[cfg->ndisks]);
				goto err;
			}
			if (cfg->disks[cfg->ndisks].qos)
				cfg->qos = true;
			cfg->ndisks++;
			break;
		case 'c':
			if (parse_cpu_list(optarg, cfg->cpus, VMIOD_MAX_CPUS,
					   &cfg->ncpus)) {
				fprintf(stderr, "vmiod: --cpus %s: expected a list "
					"like 0,2-3\n", optarg);
				goto err;
			}
			break;
		case 'p':
			if (!strcmp(optarg, "auto")) {
				cfg->poll_us = REACTOR_POLL_ADAPTIVE;
				break;
			}
			if (parse_u64(optarg, &u) || u > 1000000) {
				fprintf(stderr, "vmiod: --poll-us takes auto, or 0 to "
					"1000000 (µs)\n");
				goto err;
			}
			cfg->poll_us = (unsigned int)u;
			break;
		case 'f':
			if (parse_choice("--fixed-files", optarg, "off", "on",
					 &cfg->no_fixed_files))
				goto err;
			break;
		case 'B':
			if (parse_choice("--fixed-buffers", optarg, "on", "off",
					 &cfg->fixed_buffers))
				goto err;
			break;
		case 'S':
			if (cfg->nscsi >= VMIOD_MAX_DISKS) {
				fprintf(stderr, "vmiod: at most %d --scsi\n",
					VMIOD_MAX_DISKS);
				goto err;
			}
			cfg->scsi[cfg->nscsi++] = strdup(optarg);
			break;
		case 'Q':
			cfg->qos = true;
			break;
		case 'P':
			free(cfg->rpc_path);
			cfg->rpc_path = strdup(optarg);
			break;
		case 'F':
			free(cfg->config_path);
			cfg->config_path = strdup(optarg);
			break;
		case 'X':
			free(cfg->metrics_addr);
			cfg->metrics_addr = strdup(optarg);
			break;
		case 'O':
			free(cfg->socket_group);
			cfg->socket_group = strdup(optarg);
			break;
		case 'U':
			free(cfg->socket_owner);
			cfg->socket_owner = strdup(optarg);
			break;
		case 'M':
			if (cfg->nimage_dirs >= 16) {
				fprintf(stderr, "vmiod: at most 16 --image-dir\n");
				goto err;
			}
			cfg->image_dirs[cfg->nimage_dirs++] = strdup(optarg);
			break;
		case 'G':
			if (cfg->nqos_groups >= VMIOD_MAX_QOS_GROUPS) {
				fprintf(stderr, "vmiod: at most %d --qos-group\n",
					VMIOD_MAX_QOS_GROUPS);
				goto err;
			}
			cfg->qos_groups[cfg->nqos_groups++] = strdup(optarg);
			cfg->qos = true;
			break;
		case 'D':
			if (parse_u64(optarg, &u) || u < 1 || u > 65536) {
				fprintf(stderr, "vmiod: --qos-depth takes 1 to 65536\n");
				goto err;
			}
			cfg->qos_depth = (unsigned int)u;
			break;
		case 'C':
			if (parse_u64(optarg, &cfg->qos_capacity_iops)) {
				fprintf(stderr, "vmiod: --qos-capacity-iops takes a number\n");
				goto err;
			}
			break;
		case 'R':
			free(cfg->sysfs_root);
			cfg->sysfs_root = strdup(optarg);
			break;
		case 'v':
			cfg->log_level = LOG_DEBUG;
			break;
		case 'q':
			cfg->log_level = LOG_ERROR;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("vmiod %s\n", VMIO_VERSION);
			return 1;
		default:
			fprintf(stderr, "Try 'vmiod --help'.\n");
			goto err;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmiod: unexpected argument '%s'; options are "
			"--disk, --cpus, --poll-us (see --help)\n", argv[optind]);
		goto err;
	}
	if (cfg->ndisks == 0 && cfg->nscsi == 0 && !cfg->rpc_path &&
	    !cfg->config_path) {
		fprintf(stderr, "vmiod: nothing to serve: give at least one "
			"--disk id=NAME,path=FILE,socket=SOCK, or --rpc PATH to add "
			"disks later (see --help)\n");
		goto err;
	}
	return 0;
err:
	vmiod_config_free(cfg);
	return -EINVAL;
}
