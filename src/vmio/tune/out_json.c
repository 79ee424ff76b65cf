/* SPDX-License-Identifier: MIT */
#include <jansson.h>

#include "tune/output.h"

static void set_str(json_t *o, const char *key, const char *val)
{
	json_object_set_new(o, key, val ? json_string(val) : json_null());
}

static json_t *finding_json(const struct tune_finding *f)
{
	json_t *o = json_object();

	set_str(o, "id", f->id);
	set_str(o, "title", f->title);
	set_str(o, "severity", tune_sev_name(f->sev));
	set_str(o, "object", f->object);
	set_str(o, "domain", f->dom ? f->dom->name : NULL);
	set_str(o, "observed", f->observed);
	set_str(o, "where", f->where);
	set_str(o, "recommended", f->recommend);
	set_str(o, "fix", f->fix);
	return o;
}

static json_t *domains_json(const struct tune_ctx *ctx)
{
	json_t *a = json_array();

	for (const struct tune_dom *d = ctx->doms; d; d = d->next) {
		json_t *o = json_object();

		set_str(o, "name", d->name);
		set_str(o, "source", d->source);
		json_object_set_new(o, "vcpus", json_integer(d->vcpus));
		json_object_set_new(o, "memory_kib", json_integer(d->mem_kib));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *written_json(const struct tune_out *o)
{
	json_t *a = json_array();

	for (int i = 0; i < o->nwritten; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "domain",
						   o->written[i].domain, "path",
						   o->written[i].path,
						   "changes",
						   o->written[i].changes));
	return a;
}

int out_json(const struct tune_out *o, const struct tune_ctx *ctx)
{
	const struct tune_report *r = ctx->rep;
	json_t *root = json_object(), *found = json_array();
	json_t *skipped = json_array(), *passed = json_array();
	int ret;

	for (const struct tune_finding *f = r->head; f; f = f->next)
		json_array_append_new(f->sev == TUNE_SKIP ? skipped : found,
				      finding_json(f));
	for (const struct tune_passed *p = r->passed; p; p = p->next)
		json_array_append_new(passed, json_string(p->id));
	set_str(root, "root", ctx->root);
	json_object_set_new(root, "host",
			    json_pack("{s:i, s:i}", "cpus", ctx->topo.ncpus,
				      "numa_nodes", ctx->topo.nnodes));
	json_object_set_new(root, "domains", domains_json(ctx));
	json_object_set_new(root, "findings", found);
	json_object_set_new(root, "skipped", skipped);
	json_object_set_new(root, "passed", passed);
	json_object_set_new(root, "written", written_json(o));
	json_object_set_new(root, "summary",
			    json_pack("{s:i, s:i, s:i, s:i, s:i}", "error",
				      r->count[TUNE_ERROR], "warn",
				      r->count[TUNE_WARN], "info",
				      r->count[TUNE_INFO], "skip",
				      r->count[TUNE_SKIP], "rules",
				      tune_rule_count()));
	json_object_set_new(root, "exit", json_integer(report_exit_code(r)));
	ret = json_dumpf(root, o->fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', o->fp);
	json_decref(root);
	return ret;
}
