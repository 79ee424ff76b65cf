/* SPDX-License-Identifier: MIT */
/* Applying the rules' edits to a domain document and writing it out. */
#ifndef VMIO_TUNE_XML_EDIT_H
#define VMIO_TUNE_XML_EDIT_H

#include "tune/dom.h"
#include "tune/report.h"

int xml_edit_apply(struct tune_dom *d, const struct tune_report *r);
int xml_edit_write(struct tune_dom *d, const char *path);

#endif
