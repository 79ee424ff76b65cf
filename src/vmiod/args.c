/* SPDX-License-Identifier: MIT */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/reactor_policy.h"
#include "util/listen_fds.h"
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
		"  path=FILE          image file or block device (backend=uring)\n"
		"  socket=SOCK        unix socket QEMU connects to: a path vmiod\n"
		"                     binds, fd:N (a listening unix socket handed\n"
		"                     in as fd N) or systemd (the socket systemd\n"
		"                     hands in named after id; docs/integration.md)\n"
		"  queues=N           virtqueues (default 1; 1-64)\n"
		"  backend=uring|rbd|null  io_uring on the image (default), a Ceph RBD\n"
		"                     image, or complete everything at once untouched\n"
		"  pool=P,image=I     backend=rbd: the image (namespace=NS optional);\n"
		"                     conf=CEPH_CONF, user=CEPHX_USER (default admin),\n"
		"                     rbd-timeout=S: fail requests the cluster does not\n"
		"                     answer in S seconds (default: wait; docs/rbd.md)\n"
		"  ro=on              read-only: the guest's writes fail\n"
		"  blk-size=512|4096  logical block size the guest sees\n"
		"  discard-segs=N     ranges one discard or write-zeroes may carry (1-32,\n"
		"                     default 32; qemu-storage-daemon's device takes 1)\n"
		"  size=BYTES         create or grow the image to this size (4G, 512M…)\n"
		"  direct=on|off      O_DIRECT on files, no librbd cache on RBD (default\n"
		"                     on: acknowledged writes are on the device)\n"
		"  delay-us=N         hold every completion N µs: a slow device, for tests\n"
		"  incoming=on        the destination of a live migration: the image is\n"
		"                     locked when the guest starts here, not before (the\n"
		"                     source holds it until then; docs/migration.md)\n"
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
		"                     [,direct=on|off][,blk-size=512|4096][,incoming=on]\n"
		"                     [,delay-us=N][,QoS options]:\n"
		"                     a virtio-scsi target (vhost-user-scsi-pci), LUNs 0\n"
		"                     to 255; lunN=null:SIZE for a null LUN,\n"
		"                     lunN=rbd:POOL/IMAGE for an RBD image (with conf=,\n"
		"                     user=, rbd-timeout= as on --disk)\n"
		"A value may hold a comma written as \\, (path=/img/a\\,b).\n"
		"--rpc PATH           JSON-RPC control socket (see `vmio disk`, docs/rpc.md);\n"
		"                     fd:N or systemd (the socket named \"rpc\") for one\n"
		"                     handed in\n"
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

void vmiod_config_free(struct vmiod_config *cfg)
{
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		disk_config_free(&cfg->disks[i]);
	cfg->ndisks = 0;
	for (unsigned int i = 0; i < cfg->nscsi; i++)
		scsi_config_free(&cfg->scsi[i]);
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

/* --qos-group name=G,QoS keys. */
static int qos_group_parse(const char *s, struct qos_group_config *g,
			   char *err, size_t len)
{
	struct kvopts kv;
	const char *why = NULL, *name;
	int ret = kvopts_parse(&kv, s, &why);

	if (ret) {
		snprintf(err, len, "%s", why ? why : "out of memory");
		return ret;
	}
	name = kvopts_get(&kv, "name");
	if (!name || !*name || strlen(name) >= sizeof(g->name)) {
		snprintf(err, len, "start with name=GROUP (at most %zu characters)",
			 sizeof(g->name) - 1);
		ret = -EINVAL;
	}
	if (!ret) {
		snprintf(g->name, sizeof(g->name), "%s", name);
		ret = qos_limits_parse_kv(&kv, &g->lim, err, len);
	}
	if (!ret && kvopts_unused(&kv)) {
		snprintf(err, len, "unknown option '%s' (name and QoS keys)",
			 kvopts_unused(&kv));
		ret = -EINVAL;
	}
	kvopts_free(&kv);
	return ret;
}

/* Names and sockets are unique across disks and scsi targets. */
static int check_unique(const struct vmiod_config *cfg, const char *id,
			const char *socket)
{
	for (unsigned int i = 0; i < cfg->ndisks + cfg->nscsi; i++) {
		const char *oid = i < cfg->ndisks ? cfg->disks[i].id
						  : cfg->scsi[i - cfg->ndisks].id;
		const char *osock = i < cfg->ndisks ? cfg->disks[i].socket
						    : cfg->scsi[i - cfg->ndisks].socket;

		if (!strcmp(oid, id)) {
			fprintf(stderr, "vmiod: two devices are named '%s'; give "
				"each its own id=\n", id);
			return -EINVAL;
		}
		if (listen_fds_same_socket(osock, socket)) {
			fprintf(stderr, "vmiod: '%s' and '%s' share socket %s; give "
				"each its own\n", oid, id, socket);
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
	char why[512];
	uint64_t u;
	int c, fd;

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
			if (disk_config_from_opts(optarg, &cfg->disks[cfg->ndisks],
						  why, sizeof(why))) {
				fprintf(stderr, "vmiod: --disk %s: %s\n", optarg, why);
				goto err;
			}
			if (check_unique(cfg, cfg->disks[cfg->ndisks].id,
					 cfg->disks[cfg->ndisks].socket)) {
				disk_config_free(&cfg->disks[cfg->ndisks]);
				goto err;
			}
			if (cfg->disks[cfg->ndisks].has_qos)
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
			if (scsi_config_from_opts(optarg, &cfg->scsi[cfg->nscsi],
						  why, sizeof(why))) {
				fprintf(stderr, "vmiod: --scsi %s: %s\n", optarg, why);
				goto err;
			}
			if (check_unique(cfg, cfg->scsi[cfg->nscsi].id,
					 cfg->scsi[cfg->nscsi].socket)) {
				scsi_config_free(&cfg->scsi[cfg->nscsi]);
				goto err;
			}
			if (cfg->scsi[cfg->nscsi].has_qos)
				cfg->qos = true;
			cfg->nscsi++;
			break;
		case 'Q':
			cfg->qos = true;
			break;
		case 'P':
			if (listen_fds_parse(optarg, &fd) < 0) {
				fprintf(stderr, "vmiod: --rpc %s: fd:N takes a "
					"descriptor number, e.g. fd:3\n", optarg);
				goto err;
			}
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
			if (qos_group_parse(optarg, &cfg->qos_groups[cfg->nqos_groups],
					    why, sizeof(why))) {
				fprintf(stderr, "vmiod: --qos-group %s: %s\n", optarg,
					why);
				goto err;
			}
			cfg->nqos_groups++;
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
