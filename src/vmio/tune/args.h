/* SPDX-License-Identifier: MIT */
#ifndef VMIO_TUNE_ARGS_H
#define VMIO_TUNE_ARGS_H

#include <stdbool.h>

#include "tune/rules.h"

#define TUNE_MAX_INPUTS 64

struct tune_args {
	const char *root;
	const char *files[TUNE_MAX_INPUTS];
	int nfiles;
	const char *uri;
	bool all_domains;
	const char *names[TUNE_MAX_INPUTS];
	int nnames;
	bool json;
	bool quiet;
	bool verbose;
	const char *write_xml;
	enum tune_only only;
	bool list_rules;
};

/* 0 to run, 1 when --help was served, -EINVAL after a usage message. */
int tune_args_parse(int argc, char **argv, struct tune_args *a);

#endif
