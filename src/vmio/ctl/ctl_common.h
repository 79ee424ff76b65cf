/* SPDX-License-Identifier: MIT */
/* What every control command shares: options, the call, output helpers. */
#ifndef VMIO_CTL_COMMON_H
#define VMIO_CTL_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_DEFAULT_RPC "/run/vmio/vmiod.sock"
#define CTL_MAX_ARGS 64
#define CTL_TIMEOUT_MS 30000 /* disk_add of an RBD image waits for its cluster */

struct ctl {
	const char *rpc;
	bool json;
	bool watch;
	double interval;  /* --interval SECONDS for --watch */
	long count;       /* --count N: stop --watch after N refreshes */
	int argc;         /* what is left after the common options */
	char *argv[CTL_MAX_ARGS];
};

/* Pulls --rpc PATH, --json, --watch, --interval S, --count N out of
 * argv. Returns 0, or 2 after printing what is wrong. */
int ctl_opts(struct ctl *c, int argc, char **argv);
/* Calls method (params stolen); the result, or NULL after printing why. */
json_t *ctl_call(const struct ctl *c, const char *method, json_t *params);
/* Prints j indented and drops it; returns 0. */
int ctl_print_json(json_t *j);
/* 1073741824 -> "1G", 1536 -> "1.5K". */
void ctl_size_str(uint64_t bytes, char *out, size_t len);
/* Integer and string members, tolerating absent ones. */
long long ctl_int(json_t *o, const char *key);
const char *ctl_str(json_t *o, const char *key);
/* path as a JSON string vmiod can open: vmiod resolves relative paths
 * from its own directory, so a relative one is made absolute from ours. */
json_t *ctl_abs_path(const char *path);
/* A device's socket for people: "fd:3 (/run/vmio/vm1.sock)" for one
 * handed in to vmiod, else as given. buf holds it when needed. */
const char *ctl_socket_str(json_t *o, char *buf, size_t len);
/* A listing command with --watch (vmio stats, vmio reactors): METHOD's
 * result as a table (table(now, NULL, 0)) or, with --json, as it came;
 * with --watch, every --interval seconds (--count times, or for ever) a
 * table of the interval (table(now, prev, seconds between), a terminal
 * cleared first) or, with --json, one line (json_line(now, prev,
 * seconds between, seconds since the start)). usage: the command's
 * usage line. Returns the exit status. */
struct ctl_listing {
	const char *method, *usage;
	void (*table)(json_t *now, json_t *prev, double dt);
	void (*json_line)(json_t *now, json_t *prev, double dt, double t);
};
int ctl_listing_main(const struct ctl_listing *l, int argc, char **argv);
/* Prints j as one compact line and drops it (watch output for scripts). */
void ctl_print_json_line(json_t *j);
/* Prints usage to stdout for help (cmd "help" or "--help") and returns 0,
 * else to stderr and returns 2. */
int ctl_usage(const char *usage_text, const char *cmd);

/* A subcommand (`vmio disk resize ...`): its name and another name for
 * it, the words it takes with its name (at least, at most), what runs it
 * (reading c->argv[1..]). */
struct ctl_verb {
	const char *name, *alias;
	int min_words, max_words;
	int (*run)(const struct ctl *c);
};
/* Takes the common options, then runs the verb argv names (the first
 * one of verbs when none is given); prints usage_text when no verb fits.
 * verbs ends with an entry whose name is NULL. */
int ctl_run_verb(int argc, char **argv, const struct ctl_verb *verbs,
		 const char *usage_text);

#endif
