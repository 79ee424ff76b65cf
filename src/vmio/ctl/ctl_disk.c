/* SPDX-License-Identifier: MIT */
/* vmio disk ls | info | add | rm | resize */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_common.h"
#include "ctl/ctl_place.h"
#include "ctl/ctl_table.h"
#include "util/listen_fds.h"

static const char *const usage_text =
	"usage: vmio disk ls\n"
	"       vmio disk info NAME\n"
	"       vmio disk add id=NAME,path=FILE,socket=SOCK[,queues=N,size=S,...]\n"
	"       vmio disk add id=NAME,backend=rbd,pool=P,image=I,socket=SOCK[,conf=F,...]\n"
	"                     (the keys of vmiod --disk, in one or more arguments)\n"
	"       vmio disk rm NAME\n"
	"       vmio disk resize NAME SIZE   (grow only, e.g. 20G)\n"
	"options: --json  --rpc PATH (default $VMIO_RPC or " CTL_DEFAULT_RPC ")\n";

static int disk_ls(const struct ctl *c)
{
	static const char *const head[] = { "ID", "BACKEND", "SIZE", "BLK",
		"QUEUES", "RO", "GUEST", "QOS", "PATH", "SOCKET" };
	json_t *r = ctl_call(c, "disk_list", NULL), *d;
	struct table t;
	size_t i;

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	table_init(&t, 10, head, "llrrrllll");
	json_array_foreach(r, i, d) {
		char sz[32], sock[4200];

		ctl_size_str((uint64_t)ctl_int(d, "size"), sz, sizeof(sz));
		table_cell(&t, "%s", ctl_str(d, "id"));
		table_cell(&t, "%s", ctl_str(d, "backend"));
		table_cell(&t, "%s", sz);
		table_cell(&t, "%lld", ctl_int(d, "blk_size"));
		table_cell(&t, "%lld", ctl_int(d, "queues"));
		table_cell(&t, "%s", json_is_true(json_object_get(d, "ro")) ? "yes" : "no");
		table_cell(&t, "%s", json_is_true(json_object_get(d, "connected")) ?
			   "connected" : "-");
		table_cell(&t, "%s", ctl_str(d, "qos"));
		/* An RBD disk's image where a file disk has its path. */
		table_cell(&t, "%s", json_object_get(d, "image")
				     ? ctl_str(d, "image") : ctl_str(d, "path"));
		table_cell(&t, "%s", ctl_socket_str(d, sock, sizeof(sock)));
	}
	table_print(&t, stdout);
	table_free(&t);
	json_decref(r);
	return 0;
}

static void info_line(const char *key, const char *value)
{
	printf("%-18s %s\n", key, value);
}

static int disk_info(const struct ctl *c)
{
	const char *id = c->argv[1];
	json_t *r = ctl_call(c, "disk_info", json_pack("{s:s}", "id", id));
	json_t *names, *n;
	char sz[32], num[64], sock[4200];
	size_t i;

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	ctl_size_str((uint64_t)ctl_int(r, "size"), sz, sizeof(sz));
	snprintf(num, sizeof(num), "%s (%lld bytes)", sz, ctl_int(r, "size"));
	info_line("id", ctl_str(r, "id"));
	info_line("backend", ctl_str(r, "backend"));
	if (json_object_get(r, "image"))
		info_line("image", ctl_str(r, "image"));
	else
		info_line("path", ctl_str(r, "path"));
	info_line("socket", ctl_socket_str(r, sock, sizeof(sock)));
	info_line("size", num);
	snprintf(num, sizeof(num), "%lld", ctl_int(r, "blk_size"));
	info_line("block size", num);
	snprintf(num, sizeof(num), "%lld", ctl_int(r, "queues"));
	info_line("queues", num);
	info_line("read-only", json_is_true(json_object_get(r, "ro")) ? "yes" : "no");
	info_line("O_DIRECT", json_is_true(json_object_get(r, "direct")) ? "yes" : "no");
	info_line("guest", json_is_true(json_object_get(r, "connected")) ?
		  "connected" : "not connected");
	info_line("qos", ctl_str(r, "qos"));
	printf("%-18s %s", "features", ctl_str(r, "features"));
	names = json_object_get(r, "feature_names");
	json_array_foreach(names, i, n)
		printf("%s%s", i ? " " : " (", json_string_value(n));
	printf("%s\n", json_array_size(names) ? ")" : "");
	ctl_print_placement(json_object_get(r, "placement"));
	json_decref(r);
	return 0;
}

/* Paths are sent absolute (ctl_abs_path); other values as they are, and
 * so are the sockets handed in to vmiod (fd:N, systemd), which are not
 * paths. */
static json_t *path_value(const char *key, const char *v)
{
	int fd;

	if (strcmp(key, "path") && strcmp(key, "socket") && strcmp(key, "conf"))
		return json_string(v);
	if (!strcmp(key, "socket") &&
	    (listen_fds_parse(v, &fd) || listen_fds_is_systemd(v)))
		return json_string(v);
	return ctl_abs_path(v);
}

/* "id=vm1,path=/x" "queues=2" -> {"id":"vm1","path":"/x","queues":"2"}. */
static json_t *spec_params(char *const *args, int n)
{
	json_t *p = json_object();

	for (int a = 0; a < n; a++) {
		char *copy = strdup(args[a]), *save = NULL;

		for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv;
		     kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');

			if (eq)
				*eq = '\0';
			json_object_set_new(p, kv, eq ? path_value(kv, eq + 1)
						      : json_string("on"));
		}
		free(copy);
	}
	return p;
}

static int disk_add(const struct ctl *c)
{
	json_t *r = ctl_call(c, "disk_add", spec_params(c->argv + 1, c->argc - 1));
	char sz[32];

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	ctl_size_str((uint64_t)ctl_int(r, "size"), sz, sizeof(sz));
	printf("added %s: %s, %lld queue%s, socket %s\n", ctl_str(r, "id"), sz,
	       ctl_int(r, "queues"), ctl_int(r, "queues") == 1 ? "" : "s",
	       ctl_str(r, "socket"));
	json_decref(r);
	return 0;
}

static int disk_rm(const struct ctl *c)
{
	const char *id = c->argv[1];
	json_t *r = ctl_call(c, "disk_remove", json_pack("{s:s}", "id", id));

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	if (json_is_false(json_object_get(r, "removed")))
		printf("removing %s: it goes once its requests in flight are "
		       "done\n", id);
	else
		printf("removed %s\n", id);
	json_decref(r);
	return 0;
}

static int disk_resize(const struct ctl *c)
{
	const char *id = c->argv[1], *size = c->argv[2];
	json_t *r = ctl_call(c, "disk_resize", json_pack("{s:s,s:s}", "id", id,
							"size", size));
	char sz[32];

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	ctl_size_str((uint64_t)ctl_int(r, "size"), sz, sizeof(sz));
	printf("%s: %lld bytes (%s)%s\n", id, ctl_int(r, "size"), sz,
	       json_is_true(json_object_get(r, "connected")) ?
	       ", the guest was told" : "");
	json_decref(r);
	return 0;
}

int ctl_disk_main(int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "ls", "list", 1, 1, disk_ls },
		{ "info", NULL, 2, 2, disk_info },
		{ "add", NULL, 2, CTL_MAX_ARGS, disk_add },
		{ "rm", "remove", 2, 2, disk_rm },
		{ "resize", NULL, 3, 3, disk_resize },
		{ NULL, NULL, 0, 0, NULL },
	};

	return ctl_run_verb(argc, argv, verbs, usage_text);
}
