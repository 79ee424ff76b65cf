/* SPDX-License-Identifier: MIT */
/* The rule catalogue (docs/tune.md, /work/shared/tune-rules.md): each
 * rule is a function over the host, or over one domain with the host in
 * view, that adds findings to the report. Families live in rules_*.c. */
#ifndef VMIO_TUNE_RULES_H
#define VMIO_TUNE_RULES_H

#include <stdio.h>

#include "tune/dom.h"
#include "tune/host.h"
#include "tune/report.h"

enum tune_only { TUNE_ONLY_ALL, TUNE_ONLY_HOST, TUNE_ONLY_DOMAIN };

struct tune_rule;

struct tune_ctx {
	const char *root;
	struct topo topo;
	struct tune_dom *doms;
	struct tune_report *rep;
	const struct tune_rule *rule;
	struct tune_dom *dom;
};

struct tune_rule {
	const char *id;
	const char *title;
	void (*host)(struct tune_ctx *ctx);
	void (*dom)(struct tune_ctx *ctx, struct tune_dom *d);
};

#define RULES_END { NULL, NULL, NULL, NULL }

extern const struct tune_rule tune_rules_kvm[];
extern const struct tune_rule tune_rules_blk[];
extern const struct tune_rule tune_rules_nic[];
extern const struct tune_rule tune_rules_mem[];
extern const struct tune_rule tune_rules_disk[];
extern const struct tune_rule tune_rules_iothread[];
extern const struct tune_rule tune_rules_image[];
extern const struct tune_rule tune_rules_cpu[];
extern const struct tune_rule tune_rules_net[];

void tune_run(struct tune_ctx *ctx, enum tune_only only);
int tune_rule_count(void);
void tune_rules_list(FILE *out);

struct tune_finding *tune_find(struct tune_ctx *ctx, enum tune_sev sev,
			       const char *objfmt, ...)
	__attribute__((format(printf, 3, 4)));
void tune_skip(struct tune_ctx *ctx, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shared views of a domain against the host. */
int tune_disks(struct tune_dom *d, xmlNodePtr *out, int max);
bool tune_dom_nodes(struct tune_ctx *ctx, struct tune_dom *d,
		    struct cpuset *nodes);
void tune_housekeeping(struct tune_ctx *ctx, struct tune_dom *d,
		       struct cpuset *out);
bool tune_uses_hostdev(struct tune_dom *d);
bool tune_any_hostdev(struct tune_ctx *ctx);
bool tune_machine_version(struct tune_dom *d, int *maj, int *min);
bool tune_machine_older(struct tune_dom *d, int maj, int min);

#endif
