/* SPDX-License-Identifier: MIT */
/* vmio scsi ls | info | add | rm | lun-add | lun-rm: vmiod's virtio-scsi
 * targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_common.h"
#include "ctl/ctl_place.h"
#include "ctl/ctl_table.h"

static const char *const usage_text =
	"usage: vmio scsi ls\n"
	"       vmio scsi info NAME\n"
	"       vmio scsi add id=NAME,socket=SOCK,lun0=FILE|null:SIZE|rbd:POOL/IMAGE\n"
	"                     [,lun1=...][,queues=N][,ro=on][,iops=N...]\n"
	"                     (the keys of vmiod --scsi; FILE under --image-dir)\n"
	"       vmio scsi rm NAME\n"
	"       vmio scsi lun-add NAME LUN FILE|null:SIZE|rbd:POOL/IMAGE [ro]\n"
	"                     (hot-plug; FILE under vmiod's --image-dir)\n"
	"       vmio scsi lun-rm NAME LUN\n"
	"options: --json  --rpc PATH (default $VMIO_RPC or " CTL_DEFAULT_RPC ")\n";

/* "0,3,6" from an array of LUN numbers or of LUN objects ({"lun": N}). */
static const char *lun_list(json_t *luns, char *out, size_t len)
{
	json_t *l;
	size_t k;

	out[0] = '\0';
	json_array_foreach(luns, k, l)
		snprintf(out + strlen(out), len - strlen(out), "%s%lld",
			 k ? "," : "", json_is_integer(l) ?
			 (long long)json_integer_value(l) : ctl_int(l, "lun"));
	return out;
}

static int scsi_ls(const struct ctl *c)
{
	static const char *const head[] = { "ID", "QUEUES", "LUNS", "GUEST",
		"COMMANDS", "SOCKET" };
	json_t *r = ctl_call(c, "scsi_list", NULL), *t;
	struct table tb;
	size_t i;

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	table_init(&tb, 6, head, "lrllrl");
	json_array_foreach(r, i, t) {
		char list[256], sock[4200];

		lun_list(json_object_get(t, "luns"), list, sizeof(list));
		table_cell(&tb, "%s", ctl_str(t, "id"));
		table_cell(&tb, "%lld", ctl_int(t, "queues"));
		table_cell(&tb, "%s", list[0] ? list : "-");
		table_cell(&tb, "%s", json_is_true(json_object_get(t, "connected")) ?
			   "connected" : "-");
		table_cell(&tb, "%lld", ctl_int(json_object_get(t, "stats"), "cmds"));
		table_cell(&tb, "%s", ctl_socket_str(t, sock, sizeof(sock)));
	}
	table_print(&tb, stdout);
	table_free(&tb);
	json_decref(r);
	return 0;
}

static void print_luns(json_t *luns)
{
	static const char *const head[] = { "LUN", "BACKEND", "SIZE", "BLK",
		"RO", "PATH" };
	struct table tb;
	json_t *l;
	size_t i;

	table_init(&tb, 6, head, "rlrrll");
	json_array_foreach(luns, i, l) {
		char sz[32];

		ctl_size_str((uint64_t)ctl_int(l, "size"), sz, sizeof(sz));
		table_cell(&tb, "%lld", ctl_int(l, "lun"));
		table_cell(&tb, "%s", ctl_str(l, "backend"));
		table_cell(&tb, "%s", sz);
		table_cell(&tb, "%lld", ctl_int(l, "blk_size"));
		table_cell(&tb, "%s", json_is_true(json_object_get(l, "ro")) ? "yes" : "no");
		table_cell(&tb, "%s", json_object_get(l, "image")
				      ? ctl_str(l, "image") : ctl_str(l, "path"));
	}
	table_print(&tb, stdout);
	table_free(&tb);
}

/* LUNs removed whose commands in flight are still finishing. */
static void print_removing(json_t *removing)
{
	char line[1200];

	if (!json_array_size(removing))
		return;
	printf("%-18s %s (their commands in flight are finishing)\n",
	       "LUNs removing", lun_list(removing, line, sizeof(line)));
}

static int scsi_info(const struct ctl *c)
{
	const char *id = c->argv[1];
	json_t *r = ctl_call(c, "scsi_info", json_pack("{s:s}", "id", id));
	json_t *st;
	char line[160], sock[4200];

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	st = json_object_get(r, "stats");
	printf("%-18s %s\n", "id", ctl_str(r, "id"));
	printf("%-18s %s\n", "socket", ctl_socket_str(r, sock, sizeof(sock)));
	printf("%-18s %lld\n", "request queues", ctl_int(r, "queues"));
	printf("%-18s %s\n", "guest", json_is_true(json_object_get(r, "connected")) ?
	       "connected" : "not connected");
	snprintf(line, sizeof(line), "%lld (%lld reads, %lld writes, %lld check "
		 "conditions, %lld in flight)", ctl_int(st, "cmds"),
		 ctl_int(st, "reads"), ctl_int(st, "writes"),
		 ctl_int(st, "check_conditions"), ctl_int(st, "inflight"));
	printf("%-18s %s\n", "commands", line);
	ctl_print_placement(json_object_get(r, "placement"));
	print_removing(json_object_get(r, "removing"));
	print_luns(json_object_get(r, "luns"));
	json_decref(r);
	return 0;
}

/* "lunN=WHAT" into {"lun": N, "path"|"null"|"rbd": ...}; NULL if key is
 * not a LUN key. */
static json_t *lun_object(const char *key, const char *what)
{
	char *end;
	long n;

	if (strncmp(key, "lun", 3) || !key[3])
		return NULL;
	n = strtol(key + 3, &end, 10);
	if (*end || n < 0)
		return NULL;
	if (!strncmp(what, "null:", 5))
		return json_pack("{s:i,s:s}", "lun", (int)n, "null", what + 5);
	if (!strncmp(what, "rbd:", 4))
		return json_pack("{s:i,s:s}", "lun", (int)n, "rbd", what + 4);
	return json_pack("{s:i,s:o}", "lun", (int)n, "path", ctl_abs_path(what));
}

/* "id=t0,socket=/s,lun0=/a.img" "lun1=null:1G" -> scsi_add's params. */
static json_t *add_params(char *const *args, int n)
{
	json_t *p = json_object(), *luns = json_array();

	for (int a = 0; a < n; a++) {
		char *copy = strdup(args[a]), *save = NULL;

		for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv;
		     kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			const char *v = eq ? eq + 1 : "on";
			json_t *lun;

			if (eq)
				*eq = '\0';
			if ((lun = lun_object(kv, v)))
				json_array_append_new(luns, lun);
			else
				json_object_set_new(p, kv, !strcmp(kv, "socket") ||
						    !strcmp(kv, "conf") ?
						    ctl_abs_path(v) : json_string(v));
		}
		free(copy);
	}
	json_object_set_new(p, "luns", luns);
	return p;
}

static int scsi_add(const struct ctl *c)
{
	json_t *r = ctl_call(c, "scsi_add", add_params(c->argv + 1, c->argc - 1));

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	printf("added %s: %zu LUN%s, %lld request queue%s, socket %s\n",
	       ctl_str(r, "id"), json_array_size(json_object_get(r, "luns")),
	       json_array_size(json_object_get(r, "luns")) == 1 ? "" : "s",
	       ctl_int(r, "queues"), ctl_int(r, "queues") == 1 ? "" : "s",
	       ctl_str(r, "socket"));
	json_decref(r);
	return 0;
}

static int scsi_rm(const struct ctl *c)
{
	const char *id = c->argv[1];
	json_t *r = ctl_call(c, "scsi_remove", json_pack("{s:s}", "id", id));

	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	printf("removed %s%s\n", id,
	       json_is_false(json_object_get(r, "removed")) ?
	       " (its last requests are draining)" : "");
	json_decref(r);
	return 0;
}

/* A LUN number as the RPC wants it: an integer, or a message. */
static int lun_arg(const char *s, int *lun)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0 || v > 255) {
		fprintf(stderr, "vmio scsi: LUN %s: LUNs are 0 to 255\n", s);
		return -1;
	}
	*lun = (int)v;
	return 0;
}

static int scsi_lun_add(const struct ctl *c)
{
	const char *what = c->argv[3];
	bool ro = c->argc == 5 && !strcmp(c->argv[4], "ro");
	json_t *p, *r;
	int lun;

	if (lun_arg(c->argv[2], &lun))
		return 2;
	if (c->argc == 5 && !ro) {
		fprintf(stderr, "vmio scsi lun-add: '%s': the last word may only "
			"be 'ro'\n", c->argv[4]);
		return 2;
	}
	p = json_pack("{s:s,s:i,s:b}", "id", c->argv[1], "lun", lun, "ro", ro);
	if (!strncmp(what, "null:", 5)) {
		json_object_set_new(p, "backend", json_string("null"));
		json_object_set_new(p, "size", json_string(what + 5));
	} else if (!strncmp(what, "rbd:", 4)) {
		json_object_set_new(p, "rbd", json_string(what + 4));
	} else {
		json_object_set_new(p, "path", ctl_abs_path(what));
	}
	r = ctl_call(c, "scsi_lun_add", p);
	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	printf("added LUN %d to %s (the guest was told to rescan)\n", lun,
	       c->argv[1]);
	json_decref(r);
	return 0;
}

static int scsi_lun_rm(const struct ctl *c)
{
	json_t *r;
	int lun;

	if (lun_arg(c->argv[2], &lun))
		return 2;
	r = ctl_call(c, "scsi_lun_remove", json_pack("{s:s,s:i}", "id",
						      c->argv[1], "lun", lun));
	if (!r)
		return 1;
	if (c->json)
		return ctl_print_json(r);
	if (json_is_false(json_object_get(r, "removed")))
		printf("removing LUN %d from %s: it goes once its commands in "
		       "flight are done\n", lun, c->argv[1]);
	else
		printf("removed LUN %d from %s\n", lun, c->argv[1]);
	json_decref(r);
	return 0;
}

int ctl_scsi_main(int argc, char **argv)
{
	static const struct ctl_verb verbs[] = {
		{ "ls", "list", 1, 1, scsi_ls },
		{ "info", NULL, 2, 2, scsi_info },
		{ "add", NULL, 2, CTL_MAX_ARGS, scsi_add },
		{ "rm", "remove", 2, 2, scsi_rm },
		{ "lun-add", NULL, 4, 5, scsi_lun_add },
		{ "lun-rm", NULL, 3, 3, scsi_lun_rm },
		{ NULL, NULL, 0, 0, NULL },
	};

	return ctl_run_verb(argc, argv, verbs, usage_text);
}
