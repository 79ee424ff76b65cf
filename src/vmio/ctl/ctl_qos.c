/* SPDX-License-Identifier: MIT */
/* vmio qos set | get | clear */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_common.h"

static const char *const usage_text =
	"usage: vmio qos set NAME --iops N [--bps N] [--iops-min N] [--weight N]\n"
	"                    [--lat-target-us N] [--group G] ...\n"
	"       vmio qos set NAME iops=N,bps=N,...   (the --disk QoS keys)\n"
	"       vmio qos get NAME\n"
	"       vmio qos clear NAME\n"
	"options: --json  --rpc PATH (default $VMIO_RPC or " CTL_DEFAULT_RPC ")\n"
	"(docs/qos.md lists every key; vmiod must run with --qos)\n";

/* "--iops 5000 --weight 200" or "iops=5000,weight=200" -> one spec. */
static int build_spec(char *const *args, int n, char *spec, size_t len)
{
	size_t used = 0;

	spec[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *a = args[i];
		int w;

		if (!strncmp(a, "--", 2)) {
			if (i + 1 >= n) {
				fprintf(stderr, "vmio: %s needs a value\n", a);
				return 2;
			}
			w = snprintf(spec + used, len - used, "%s%s=%s",
				     used ? "," : "", a + 2, args[++i]);
		} else {
			w = snprintf(spec + used, len - used, "%s%s",
				     used ? "," : "", a);
		}
		if (w < 0 || (size_t)w >= len - used) {
			fprintf(stderr, "vmio: the QoS options are too long\n");
			return 2;
		}
		used += (size_t)w;
	}
	return 0;
}

static int show(const struct ctl *c, json_t *r)
{
	const char *q;

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	q = ctl_str(r, "qos");
	printf("%s: %s\n", ctl_str(r, "id"), *q ? q : "(no limits)");
	json_decref(r);
	return 0;
}

int ctl_qos_main(int argc, char **argv)
{
	char spec[1024];
	const char *cmd;
	struct ctl c;
	int ret;

	if (ctl_opts(&c, argc - 1, argv + 1))
		return 2;
	cmd = c.argc ? c.argv[0] : "";
	if (!strcmp(cmd, "set") && c.argc >= 3) {
		ret = build_spec(c.argv + 2, c.argc - 2, spec, sizeof(spec));
		if (ret)
			return ret;
		return show(&c, ctl_call(&c, "qos_set", json_pack("{s:s,s:s}", "id",
						c.argv[1], "qos", spec)));
	}
	if (!strcmp(cmd, "clear") && c.argc == 2)
		return show(&c, ctl_call(&c, "qos_set", json_pack("{s:s,s:s}", "id",
						c.argv[1], "qos", "")));
	if (!strcmp(cmd, "get") && c.argc == 2)
		return show(&c, ctl_call(&c, "qos_get", json_pack("{s:s}", "id",
						c.argv[1])));
	fputs(usage_text, !strcmp(cmd, "--help") ? stdout : stderr);
	return !strcmp(cmd, "--help") ? 0 : 2;
}
