/* SPDX-License-Identifier: MIT */
/* Where domains come from: XML files, or a libvirt connection. A domain
 * that cannot be loaded becomes an error finding, never a crash. */
#ifndef VMIO_TUNE_LOAD_H
#define VMIO_TUNE_LOAD_H

#include "tune/args.h"
#include "tune/rules.h"

void tune_load_error(struct tune_report *rep, const char *object,
		     const char *observed, const char *fix);
void tune_load_files(const struct tune_args *a, struct tune_dom ***tail,
		     struct tune_report *rep);
void tune_load_libvirt(const struct tune_args *a, struct tune_dom ***tail,
		       struct tune_report *rep);

#endif
