/* SPDX-License-Identifier: MIT */
/* `vmio bench run`, `sweep`, `budget`, `load` and `paper`: argument
 * handling. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/budget.h"
#include "bench/load.h"
#include "bench/paper.h"
#include "bench/pin.h"
#include "bench/run.h"
#include "bench/sweep.h"
#include "util/parse.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmio bench run --target vmiod|qsd|host|socket:PATH\n"
		"                      [--backend null|file:PATH|rbd:POOL/IMAGE] [--rw MODE]\n"
		"                      [--rbd-conf FILE] [--rbd-user NAME] [--bs SIZE]\n"
		"                      [--iodepth N] [--queues N] [--runtime S] [--ramp S]\n"
		"                      [--rate-iops N] [--size BYTES] [--verify] [--json FILE]\n"
		"                      [--vmiod-disk-opts OPTS] [--vmiod-args ARGS] [--no-irq]\n"
		"                      [--device blk|scsi] [--lun N] [--frontend-cpu N]\n"
		"                      [--dirty-log] [--packed]\n"
		"       vmio bench sweep [--target vmiod|qsd|both] [--queues LIST] [--cpus LIST]\n"
		"                        [--backend null|file:PATH] [--rw MODE] [--bs SIZE]\n"
		"                        [--iodepth N] [--runtime S] [--json FILE]\n"
		"       vmio bench budget [--rounds N] [--runtime S] [--file PATH]\n"
		"                         [--only LIST] [--json FILE]\n"
		"       vmio bench load [--quick] [--out DIR] [--file PATH] [--runtime S]\n"
		"                       [--loads LIST] [--poll-us LIST] [--all-points]\n"
		"       vmio bench paper [--quick] [--out DIR] [--file PATH] [--runtime S]\n"
		"                        [--only LIST]\n"
		"\n"
		"run: one workload on one target. vmiod and qsd are started and stopped\n"
		"here with equivalent settings (O_DIRECT + io_uring, or null); host is\n"
		"io_uring straight on the file; socket: drives a running target.\n"
		"rbd:POOL/IMAGE serves a Ceph RBD image (vmiod backend=rbd, qsd\n"
		"driver=rbd) of the cluster --rbd-conf names; with --size, vmiod\n"
		"creates a missing image that big (docs/rbd.md).\n"
		"--device scsi drives virtio-scsi (vmiod --scsi, or a running\n"
		"vhost-user-scsi target at socket:) with READ(16)/WRITE(16) on LUN N\n"
		"(default 0); qsd and host have no virtio-scsi.\n"
		"--frontend-cpu N pins the frontend (and the host loop) to CPU N and\n"
		"the target it starts to the other CPUs, so every target has the same\n"
		"placement relative to the device's interrupts.\n"
		"--vmiod-args ARGS adds options to the vmiod it starts (e.g. '--poll-us 0').\n"
		"--dirty-log turns the target's dirty logging on, as QEMU does while a\n"
		"live migration runs: compare with a run without it for its cost.\n"
		"--packed drives packed virtqueues (VIRTIO_F_RING_PACKED) instead of\n"
		"split ones; a target that does not offer them (qsd) is an error.\n"
		"MODE: read write randread randwrite randrw[:READ%%] (default randread)\n"
		"defaults: --bs 4K --iodepth 32 --queues 1 --runtime 5 --backend null\n"
		"sweep: one workload over vmiod reactor counts (--cpus 1,2: N reactors\n"
		"pinned to the first N CPUs) x queue counts (--queues 1,2), and qsd over\n"
		"queue counts; a table with speed-ups and what this machine can show\n"
		"('vmio bench sweep --help').\n"
		"budget: the performance budgets (vmiod against host io_uring and\n"
		"qsd), in interleaved rounds with rotating order; PASS or MISS on the\n"
		"median per budget ('vmio bench budget --help').\n"
		"load: CPU per I/O and latency by offered load (open loop at shares of\n"
		"host io_uring's IOPS, QD64 and QD1), host, qsd and vmiod in one run\n"
		"('vmio bench load --help').\n"
		"paper: the source paper's experiments, vmiod beside qemu-storage-daemon\n"
		"and the host, and the budgets, into DIR (default out/bench) as\n"
		"report.md/json and plots.\n");
}

static int die(const char *msg, const char *arg)
{
	return bench_usage_error("vmio bench", msg, arg);
}

static int bench_run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "backend", required_argument, NULL, 'b' },
		{ "rw", required_argument, NULL, 'w' },
		{ "bs", required_argument, NULL, 's' },
		{ "iodepth", required_argument, NULL, 'd' },
		{ "queues", required_argument, NULL, 'q' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "ramp", required_argument, NULL, 'R' },
		{ "rate-iops", required_argument, NULL, 'I' },
		{ "size", required_argument, NULL, 'z' },
		{ "verify", no_argument, NULL, 'v' },
		{ "json", required_argument, NULL, 'j' },
		{ "vmiod-disk-opts", required_argument, NULL, 'o' },
		{ "vmiod-args", required_argument, NULL, 'A' },
		{ "frontend-cpu", required_argument, NULL, 'F' },
		{ "no-irq", no_argument, NULL, 'n' },
		{ "dirty-log", no_argument, NULL, 'M' },
		{ "packed", no_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'D' },
		{ "lun", required_argument, NULL, 'L' },
		{ "rbd-conf", required_argument, NULL, 'C' },
		{ "rbd-user", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_spec s = {
		.kind = TARGET_VMIOD,
		.null_size = 1ull << 30,
		.job = { .rw = RW_RANDREAD, .bs = 4096, .iodepth = 32, .queues = 1,
			 .runtime_s = 5, .want_irq = true, .progress = true },
	};
	const char *json_path = NULL, *target = "vmiod";
	struct run_result r;
	bool verify = false, lun_given = false;
	char err[512] = "";
	uint64_t u;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			target = optarg;
			if (target_parse(optarg, &s.kind, &s.socket))
				return die("--target takes vmiod, qsd, host or socket:PATH", optarg);
			break;
		case 'b':
			s.file = s.rbd = NULL;
			if (!strncmp(optarg, "file:", 5) && optarg[5])
				s.file = optarg + 5;
			else if (!strncmp(optarg, "rbd:", 4) && strchr(optarg + 4, '/'))
				s.rbd = optarg + 4;
			else if (strcmp(optarg, "null"))
				return die("--backend takes null, file:PATH or "
					   "rbd:POOL/IMAGE", optarg);
			break;
		case 'C':
			s.rbd_conf = optarg;
			break;
		case 'U':
			s.rbd_user = optarg;
			break;
		case 'w':
			if (job_parse_rw(optarg, &s.job))
				return die("--rw takes read, write, randread, randwrite or randrw[:READ%]", optarg);
			break;
		case 's':
			if (parse_size(optarg, &u) || u < 512 || u % 512 || u > (1 << 20))
				return die("--bs takes a multiple of 512 up to 1M", optarg);
			s.job.bs = (uint32_t)u;
			break;
		case 'd':
			if (parse_u64(optarg, &u) || !u || u > 64)
				return die("--iodepth takes 1 to 64", optarg);
			s.job.iodepth = (unsigned int)u;
			break;
		case 'q':
			if (parse_u64(optarg, &u) || !u || u > 16)
				return die("--queues takes 1 to 16", optarg);
			s.job.queues = (unsigned int)u;
			break;
		case 'r':
		case 'R':
		case 'I': {
			char *end;
			double v = strtod(optarg, &end);

			if (*end || v < 0 || (c == 'r' && v <= 0))
				return die("expected a positive number", optarg);
			if (c == 'r')
				s.job.runtime_s = v;
			else if (c == 'R')
				s.job.ramp_s = v;
			else
				s.job.rate_iops = v;
			break;
		}
		case 'z':
			if (parse_size(optarg, &s.job.size))
				return die("--size takes bytes (K, M, G suffixes)", optarg);
			break;
		case 'v':
			verify = true;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'F':
			if (bench_pin_frontend(optarg, err, sizeof(err)))
				return die(err, NULL);
			break;
		case 'o':
			s.vmiod_disk_extra = optarg;
			break;
		case 'A':
			/* Words for vmiod's command line, split at spaces. */
			if (strchr(optarg, '\'') || strchr(optarg, '"'))
				return die("--vmiod-args takes plain words, e.g. "
					   "'--poll-us 0'", optarg);
			s.vmiod_args = optarg;
			break;
		case 'n':
			s.job.want_irq = false;
			break;
		case 'M':
			s.job.dirty_log = true;
			break;
		case 'P':
			s.job.packed = true;
			break;
		case 'D':
			if (strcmp(optarg, "blk") && strcmp(optarg, "scsi"))
				return die("--device takes blk or scsi", optarg);
			s.job.scsi = !strcmp(optarg, "scsi");
			break;
		case 'L':
			/* vmiod serves LUNs 0-255 (peripheral addressing). */
			if (parse_u64(optarg, &u) || u > 255)
				return die("--lun takes 0 to 255", optarg);
			s.job.lun = (uint16_t)u;
			lun_given = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return die("unknown option", NULL);
		}
	}
	if (optind < argc)
		return die("unexpected argument", argv[optind]);
	if (s.kind == TARGET_HOST && !s.file)
		return die("--target host needs --backend file:PATH (it does "
			   "io_uring on a file; an RBD image has none)", NULL);
	if ((s.rbd_conf || s.rbd_user) && !s.rbd)
		return die("--rbd-conf and --rbd-user go with --backend "
			   "rbd:POOL/IMAGE", NULL);
	if (s.rbd)
		s.rbd_size = s.job.size;
	if (s.job.scsi && (s.kind == TARGET_QSD || s.kind == TARGET_HOST))
		return die("--device scsi needs --target vmiod or socket:PATH "
			   "(qemu-storage-daemon has no vhost-user-scsi export, "
			   "and host is not a virtio device)", target);
	if (lun_given && !s.job.scsi)
		return die("--lun applies to --device scsi only", NULL);
	if (s.file && s.kind != TARGET_SOCKET &&
	    run_prepare_file(s.file, s.job.size, err, sizeof(err)))
		return die(err, NULL);
	if (verify) {
		struct target t = { .kind = s.kind, .queues = 1, .ndisks = 1,
				    .scsi = s.job.scsi, .lun = s.job.lun,
				    .rbd_conf = s.rbd_conf, .rbd_user = s.rbd_user };
		const char *sock = s.socket;
		long bad;

		t.disks[0] = (struct target_disk){ .file = s.file, .rbd = s.rbd,
						   .rbd_size = s.rbd_size,
						   .null_size = s.null_size };
		if (s.kind == TARGET_HOST ||
		    (s.kind != TARGET_SOCKET && !s.file && !s.rbd))
			return die("--verify needs a file or RBD backend on a "
				   "vhost-user target", NULL);
		if (s.kind != TARGET_SOCKET) {
			if (target_start(&t, err, sizeof(err)))
				return die(err, NULL);
			sock = t.disks[0].socket;
		}
		bad = job_verify_vhost(sock, &s.job,
				       s.job.size ? s.job.size : 16 << 20,
				       err, sizeof(err));
		target_stop(&t);
		if (bad < 0)
			return die(err[0] ? err : strerror((int)-bad), NULL);
		printf("verify %s%s: %ld bad blocks\n", target,
		       s.job.scsi ? " (virtio-scsi)" : "", bad);
		if (bad)
			return 1;
	}
	ret = run_one(&s, &r, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmio bench: the run failed: %s\n", err);
		return 1;
	}
	run_print(&s, &r);
	if (json_path) {
		json_t *j = run_to_json(&s, &r);

		if (json_dump_file(j, json_path, JSON_INDENT(2)))
			fprintf(stderr, "vmio bench: cannot write %s\n", json_path);
		json_decref(j);
	}
	return r.r.errors || r.r.target_errors ? 1 : 0;
}

int bench_usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", cmd, msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "Try '%s --help'.\n", cmd);
	return 2;
}

int bench_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "run"))
		return bench_run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sweep"))
		return bench_sweep_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "budget"))
		return bench_budget_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "load"))
		return bench_load_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "paper"))
		return bench_paper_main(argc - 1, argv + 1);
	return die("unknown bench command (run, sweep, budget, load or paper)",
		   argv[1]);
}
