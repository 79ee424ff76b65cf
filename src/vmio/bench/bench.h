/* SPDX-License-Identifier: MIT */
#ifndef VMIO_BENCH_H
#define VMIO_BENCH_H
int bench_main(int argc, char **argv);
/* A usage error of `cmd` (e.g. "vmio bench load"): "cmd: msg[: arg]" and
 * where to find help, on stderr. Returns 2, the exit status for it. */
int bench_usage_error(const char *cmd, const char *msg, const char *arg);
#endif
