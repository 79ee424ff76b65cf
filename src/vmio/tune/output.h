/* SPDX-License-Identifier: MIT */
/* Printing a report: aligned text for people, JSON for automation. */
#ifndef VMIO_TUNE_OUTPUT_H
#define VMIO_TUNE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "tune/rules.h"

struct tune_written {
	const char *domain;
	char path[4096];
	int changes;
};

struct tune_out {
	FILE *fp;
	bool color;
	bool quiet;
	bool verbose;
	const struct tune_written *written;
	int nwritten;
};

void out_text(const struct tune_out *o, const struct tune_ctx *ctx);
int out_json(const struct tune_out *o, const struct tune_ctx *ctx);

#endif
