/* SPDX-License-Identifier: MIT */
/* vmio: the one command-line tool. Dispatches to its sub-commands. */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "ctl/ctl.h"
#include "tune/tune.h"
#include "util/log.h"

struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "bench", bench_main, "measure vmiod and its peers (run, sweep, paper)" },
	{ "tune", tune_main, "audit a KVM host and libvirt domains for I/O performance" },
	{ "disk", ctl_disk_main, "ls, info, add, rm disks of a running vmiod" },
	{ "scsi", ctl_scsi_main, "ls, info, add, rm virtio-scsi targets; lun-add, lun-rm" },
	{ "qos", ctl_qos_main, "set or get a disk's QoS contract" },
	{ "config", ctl_config_main, "save the running disks (vmiod --config restores)" },
	{ "stats", ctl_stats_main, "per-disk I/O counters (--watch to refresh)" },
	{ "reactors", ctl_reactors_main, "reactor threads: where their time goes, "
	  "polling policy (--watch)" },
	{ "version", ctl_simple_main, "the running vmiod's version" },
	{ "shutdown", ctl_simple_main, "stop vmiod (in-flight I/O completes)" },
	{ "rpc", ctl_simple_main, "call any JSON-RPC method: vmio rpc METHOD [JSON]" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vmio COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(out, "\nControl commands talk to vmiod's --rpc socket: --rpc PATH (or "
		"$VMIO_RPC; default /run/vmio/vmiod.sock), --json for scripts.\n");
}

int main(int argc, char **argv)
{
	log_init("vmio", LOG_WARN);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "vmio: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
