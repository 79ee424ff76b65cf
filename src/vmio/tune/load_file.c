/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "tune/load.h"

void tune_load_error(struct tune_report *rep, const char *object,
		     const char *observed, const char *fix)
{
	struct tune_finding *f = report_add(rep, "LOAD",
					    "domain definition loads",
					    TUNE_ERROR, NULL, object);

	finding_observed(f, "%s", observed);
	finding_recommend(f, "this domain was not audited: fix its definition and run again");
	finding_fix(f, "%s", fix);
}

void tune_load_files(const struct tune_args *a, struct tune_dom ***tail,
		     struct tune_report *rep)
{
	for (int i = 0; i < a->nfiles; i++) {
		char err[1024], obj[4200], fix[4200];
		struct tune_dom *d;

		if (!dom_parse(NULL, a->files[i], a->files[i], &d, err,
			       sizeof(err))) {
			**tail = d;
			*tail = &d->next;
			continue;
		}
		snprintf(obj, sizeof(obj), "file %s", a->files[i]);
		snprintf(fix, sizeof(fix),
			 "virt-xml-validate %s domain   # or: virsh dumpxml NAME > %s",
			 a->files[i], a->files[i]);
		tune_load_error(rep, obj, err, fix);
	}
}
