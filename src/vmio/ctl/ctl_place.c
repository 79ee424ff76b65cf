/* SPDX-License-Identifier: MIT */
#include "ctl/ctl_place.h"

#include <stdio.h>

#include "ctl/ctl_common.h"

static void node_list(json_t *a, char *out, size_t len)
{
	size_t used = 0, i;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(a, i, v)
		if (used < len)
			used += snprintf(out + used, len - used, "%s%lld", i ? "," : "",
					 (long long)json_integer_value(v));
}

void ctl_print_placement(json_t *p)
{
	json_t *reactors = json_object_get(p, "queue_reactors");
	json_t *nodes = json_object_get(p, "reactor_nodes");
	json_t *gm = json_object_get(p, "guest_mem_nodes");
	json_t *huge = json_object_get(p, "guest_hugepages");
	char buf[512];
	size_t used = 0, i;
	json_t *v;

	if (!json_is_object(p))
		return;
	if (json_is_integer(json_object_get(p, "device_node")))
		printf("%-18s %lld (%s)\n", "device node",
		       ctl_int(p, "device_node"), ctl_str(p, "device"));
	else
		printf("%-18s unknown (%s)\n", "device node",
		       ctl_str(p, "device_node_why"));
	buf[0] = '\0';
	json_array_foreach(reactors, i, v) {
		json_t *n = json_array_get(nodes, i);
		char node[16] = "?";

		if (json_is_integer(n))
			snprintf(node, sizeof(node), "%lld",
				 (long long)json_integer_value(n));
		if (used < sizeof(buf))
			used += snprintf(buf + used, sizeof(buf) - used,
					 "%sq%zu: reactor %lld (node %s)",
					 i ? ", " : "", i,
					 (long long)json_integer_value(v), node);
	}
	printf("%-18s %s\n", "queue reactors", buf);
	printf("%-18s %s\n", "placed on", ctl_str(p, "rule"));
	if (!json_is_array(gm)) {
		printf("%-18s %s\n", "guest memory", "not connected");
		return;
	}
	node_list(gm, buf, sizeof(buf));
	if (json_is_integer(huge))
		printf("%-18s node %s, %lld kB hugepages%s\n", "guest memory",
		       buf[0] ? buf : "unknown yet",
		       (long long)json_integer_value(huge) >> 10,
		       json_is_true(json_object_get(p, "guest_hugepages_aligned")) ?
		       "" : " (regions not aligned)");
	else
		printf("%-18s node %s, not on hugepages\n", "guest memory",
		       buf[0] ? buf : "unknown yet");
}
