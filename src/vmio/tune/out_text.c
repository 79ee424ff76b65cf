/* SPDX-License-Identifier: MIT */
/* Text report, laid out like virt-host-validate: one line per finding
 * ending in an aligned verdict, details indented below it. */
#include <stdio.h>
#include <string.h>

#include "tune/output.h"

#define VERDICT_COL 78

static const char *const sev_word[] = { "SKIP", "INFO", "WARN", "ERROR" };
static const char *const sev_color[] = { "\033[2m", "\033[36m", "\033[33m",
					 "\033[1;31m" };

static void verdict(const struct tune_out *o, const char *label,
		    const char *word, const char *color)
{
	int pad = VERDICT_COL - (int)strlen(label);

	fprintf(o->fp, "%s%*s: %s%s%s\n", label, pad > 1 ? pad : 1, "",
		o->color ? color : "", word, o->color ? "\033[0m" : "");
}

static void detail(const struct tune_out *o, const char *key, const char *val)
{
	if (val && *val)
		fprintf(o->fp, "      %-10s %s\n", key, val);
}

static void finding(const struct tune_out *o, const struct tune_finding *f)
{
	char label[512];

	snprintf(label, sizeof(label), "  %s %s: %s", f->id, f->object,
		 f->title);
	verdict(o, label, sev_word[f->sev], sev_color[f->sev]);
	detail(o, f->sev == TUNE_SKIP ? "why" : "observed", f->observed);
	detail(o, "where", f->where);
	detail(o, "recommend", f->recommend);
	detail(o, "fix", f->fix);
}

static void header(const struct tune_out *o, const struct tune_ctx *ctx)
{
	int n = 0;

	for (const struct tune_dom *d = ctx->doms; d; d = d->next)
		n++;
	fprintf(o->fp, "vmio tune: host %s (%d CPUs, %d NUMA node%s), %d domain%s",
		ctx->root, ctx->topo.ncpus, ctx->topo.nnodes,
		ctx->topo.nnodes == 1 ? "" : "s", n, n == 1 ? "" : "s");
	for (const struct tune_dom *d = ctx->doms; d; d = d->next)
		fprintf(o->fp, "%s%s (%s)", d == ctx->doms ? ": " : ", ",
			d->name, d->source);
	fprintf(o->fp, "\n\n");
}

static void written(const struct tune_out *o)
{
	for (int i = 0; i < o->nwritten; i++)
		fprintf(o->fp,
			"\nwrote %s: %d change%s to domain %s. Apply with: virsh define %s (takes effect at the next cold boot)\n",
			o->written[i].path, o->written[i].changes,
			o->written[i].changes == 1 ? "" : "s",
			o->written[i].domain, o->written[i].path);
}

void out_text(const struct tune_out *o, const struct tune_ctx *ctx)
{
	const struct tune_report *r = ctx->rep;
	int npass = 0;

	if (!o->quiet)
		header(o, ctx);
	for (const struct tune_passed *p = r->passed; p; p = p->next) {
		char label[256];

		npass++;
		if (!o->verbose || o->quiet)
			continue;
		snprintf(label, sizeof(label), "  %s %s", p->id, p->title);
		verdict(o, label, "PASS", "\033[32m");
	}
	for (int sev = TUNE_ERROR; sev >= TUNE_SKIP; sev--)
		for (const struct tune_finding *f = r->head; f; f = f->next)
			if ((int)f->sev == sev &&
			    (!o->quiet || f->sev >= TUNE_WARN))
				finding(o, f);
	written(o);
	if (o->quiet)
		return;
	fprintf(o->fp,
		"\n%d error%s, %d warning%s, %d info, %d skipped; %d of %d rules passed\n",
		r->count[TUNE_ERROR], r->count[TUNE_ERROR] == 1 ? "" : "s",
		r->count[TUNE_WARN], r->count[TUNE_WARN] == 1 ? "" : "s",
		r->count[TUNE_INFO], r->count[TUNE_SKIP], npass,
		tune_rule_count());
}
