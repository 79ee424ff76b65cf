/* SPDX-License-Identifier: MIT */
/* vmio config save | version | shutdown | rpc METHOD [JSON] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_common.h"

/* Writes next to file and renames: a crash never leaves half a config. */
static int save(json_t *cfg, const char *file)
{
	char tmp[4096];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= sizeof(tmp) ||
	    json_dump_file(cfg, tmp, JSON_INDENT(2)) || rename(tmp, file)) {
		fprintf(stderr, "vmio: cannot write %s: %s\n", file, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}

int ctl_config_main(int argc, char **argv)
{
	struct ctl c;
	json_t *r;
	size_t n;

	if (ctl_opts(&c, argc - 1, argv + 1))
		return 2;
	if (c.argc < 1 || strcmp(c.argv[0], "save") || c.argc > 2) {
		fprintf(stderr, "usage: vmio config save [FILE]   (JSON on stdout "
			"without FILE; vmiod --config FILE restores it)\n");
		return 2;
	}
	r = ctl_call(&c, "config_get", NULL);
	if (!r)
		return 1;
	if (c.argc == 1)
		return ctl_print_json(r);
	n = json_array_size(json_object_get(r, "disks"));
	if (save(r, c.argv[1])) {
		json_decref(r);
		return 1;
	}
	if (!c.json)
		printf("saved %zu disk%s to %s\n", n, n == 1 ? "" : "s", c.argv[1]);
	json_decref(r);
	return 0;
}

static int raw_call(struct ctl *c)
{
	json_t *params = NULL, *r;
	json_error_t jerr;

	if (c->argc < 1 || c->argc > 2) {
		fprintf(stderr, "usage: vmio rpc METHOD ['{\"param\": ...}']   "
			"(vmio rpc rpc_methods lists them)\n");
		return 2;
	}
	if (c->argc == 2 && !(params = json_loads(c->argv[1], 0, &jerr))) {
		fprintf(stderr, "vmio: the params are not JSON: %s\n", jerr.text);
		return 2;
	}
	r = ctl_call(c, c->argv[0], params);
	return r ? ctl_print_json(r) : 1;
}

int ctl_simple_main(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct ctl c;
	json_t *r;

	if (ctl_opts(&c, argc - 1, argv + 1))
		return 2;
	if (!strcmp(cmd, "rpc"))
		return raw_call(&c);
	if (c.argc) {
		fprintf(stderr, "usage: vmio %s [--json] [--rpc PATH]\n", cmd);
		return 2;
	}
	r = ctl_call(&c, cmd, NULL);
	if (!r)
		return 1;
	if (c.json)
		return ctl_print_json(r);
	if (!strcmp(cmd, "version"))
		printf("vmiod %s\n", ctl_str(r, "version"));
	else
		printf("vmiod is stopping (in-flight I/O completes first)\n");
	json_decref(r);
	return 0;
}
