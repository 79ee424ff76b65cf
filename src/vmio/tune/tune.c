/* SPDX-License-Identifier: MIT */
/* vmio tune: load domains, probe the host, run the rules, optionally
 * write corrected domain XML, print the report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tune/args.h"
#include "tune/load.h"
#include "tune/output.h"
#include "tune/tune.h"
#include "tune/xml_edit.h"

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int out_path(const struct tune_args *a, const struct tune_dom *d,
		    bool many, char *path, size_t len)
{
	struct stat st;

	if (!many) {
		snprintf(path, len, "%s", a->write_xml);
	} else {
		if (stat(a->write_xml, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr,
				"vmio tune: --write-xml %s: several domains need a directory there (mkdir it first)\n",
				a->write_xml);
			return -ENOTDIR;
		}
		snprintf(path, len, "%s/%s.xml", a->write_xml, d->name);
		for (char *p = path + strlen(a->write_xml) + 1; *p; p++)
			if (*p == '/')
				*p = '_';
	}
	if (same_file(path, d->source)) {
		fprintf(stderr,
			"vmio tune: --write-xml %s is the input file of domain %s; write elsewhere and review the diff\n",
			path, d->name);
		return -EEXIST;
	}
	return 0;
}

static int write_domains(const struct tune_args *a, struct tune_ctx *ctx,
			 struct tune_written *w, int *nw)
{
	bool many = ctx->doms && ctx->doms->next;
	int ret;

	*nw = 0;
	if (!ctx->doms) {
		fprintf(stderr, "vmio tune: --write-xml %s: no domain was loaded, nothing written\n",
			a->write_xml);
		return -ENOENT;
	}
	for (struct tune_dom *d = ctx->doms; d && *nw < TUNE_MAX_INPUTS * 4;
	     d = d->next) {
		struct tune_written *o = &w[*nw];

		ret = out_path(a, d, many, o->path, sizeof(o->path));
		if (ret)
			return ret;
		o->domain = d->name;
		o->changes = xml_edit_apply(d, ctx->rep);
		ret = xml_edit_write(d, o->path);
		if (ret) {
			fprintf(stderr, "vmio tune: cannot write %s: %s\n",
				o->path, strerror(-ret));
			return ret;
		}
		(*nw)++;
	}
	return 0;
}

static void free_domains(struct tune_dom *d)
{
	while (d) {
		struct tune_dom *next = d->next;

		dom_free(d);
		d = next;
	}
}

static int report(const struct tune_args *a, struct tune_ctx *ctx,
		  const struct tune_written *w, int nw)
{
	struct tune_out o = {
		.fp = stdout,
		.color = !a->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
		.quiet = a->quiet,
		.verbose = a->verbose,
		.written = w,
		.nwritten = nw,
	};

	if (a->json)
		return out_json(&o, ctx) ? -EIO : 0;
	out_text(&o, ctx);
	return 0;
}

int tune_main(int argc, char **argv)
{
	static struct tune_written written[TUNE_MAX_INPUTS * 4];
	struct tune_ctx ctx = { 0 };
	struct tune_dom **tail = &ctx.doms;
	struct tune_report rep;
	struct tune_args a;
	int ret, nw = 0, code;

	ret = tune_args_parse(argc, argv, &a);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (a.list_rules) {
		tune_rules_list(stdout);
		return 0;
	}
	report_init(&rep);
	ctx.root = a.root;
	ctx.rep = &rep;
	tune_load_files(&a, &tail, &rep);
	tune_load_libvirt(&a, &tail, &rep);
	topo_probe(a.root, &ctx.topo);
	tune_run(&ctx, a.only);
	ret = a.write_xml ? write_domains(&a, &ctx, written, &nw) : 0;
	code = report_exit_code(&rep);
	if (report(&a, &ctx, written, nw) || ret)
		code = 2;
	report_free(&rep);
	free_domains(ctx.doms);
	return code;
}
