/* SPDX-License-Identifier: MIT */
#include "ctl/ctl_common.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rpc/rpc.h"
#include "util/clock.h"

static int need_value(int i, int argc, const char *opt)
{
	if (i + 1 < argc)
		return 0;
	fprintf(stderr, "vmio: %s needs a value\n", opt);
	return 2;
}

static int number(const char *opt, const char *s, double min, double *out)
{
	char *end;

	*out = strtod(s, &end);
	if (*end || end == s || *out < min) {
		fprintf(stderr, "vmio: %s wants a number of at least %g, not '%s'\n",
			opt, min, s);
		return 2;
	}
	return 0;
}

int ctl_opts(struct ctl *c, int argc, char **argv)
{
	const char *env = getenv("VMIO_RPC");
	double v;

	memset(c, 0, sizeof(*c));
	c->rpc = env && *env ? env : CTL_DEFAULT_RPC;
	c->interval = 1.0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			c->json = true;
		} else if (!strcmp(a, "--watch")) {
			c->watch = true;
		} else if (!strncmp(a, "--rpc=", 6)) {
			c->rpc = a + 6;
		} else if (!strcmp(a, "--rpc")) {
			if (need_value(i, argc, a))
				return 2;
			c->rpc = argv[++i];
		} else if (!strcmp(a, "--interval") || !strcmp(a, "--count")) {
			if (need_value(i, argc, a) || number(a, argv[i + 1],
							     a[2] == 'i' ? 0.05 : 1, &v))
				return 2;
			if (a[2] == 'i')
				c->interval = v;
			else
				c->count = (long)v;
			i++;
		} else if (c->argc < CTL_MAX_ARGS) {
			c->argv[c->argc++] = argv[i];
		} else {
			fprintf(stderr, "vmio: too many arguments\n");
			return 2;
		}
	}
	return 0;
}

json_t *ctl_call(const struct ctl *c, const char *method, json_t *params)
{
	json_t *result = NULL;
	char err[1024];
	int code, ret;

	ret = rpc_call(c->rpc, method, params, CTL_TIMEOUT_MS, &result, &code,
		       err, sizeof(err));
	if (ret == -EREMOTEIO) {
		fprintf(stderr, "vmio: %s\n", err);
		return NULL;
	}
	if (ret) {
		fprintf(stderr, "vmio: %s\n", err);
		return NULL;
	}
	return result;
}

int ctl_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		puts(s);
	free(s);
	json_decref(j);
	return 0;
}

void ctl_size_str(uint64_t b, char *out, size_t len)
{
	static const char *const unit[] = { "", "K", "M", "G", "T", "P" };
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(out, len, "%.*f%s", v == (double)(uint64_t)v ? 0 : 1, v, unit[i]);
}

long long ctl_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : 0;
}

const char *ctl_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

const char *ctl_socket_str(json_t *o, char *buf, size_t len)
{
	const char *bound = json_string_value(json_object_get(o, "socket_path"));

	if (!bound)
		return ctl_str(o, "socket");
	snprintf(buf, len, "%s (%s)", ctl_str(o, "socket"), bound);
	return buf;
}

json_t *ctl_abs_path(const char *path)
{
	char cwd[4096], *abs;
	json_t *j;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)) ||
	    asprintf(&abs, "%s/%s", cwd, path) < 0)
		return json_string(path);
	j = json_string(abs);
	free(abs);
	return j;
}

int ctl_usage(const char *usage_text, const char *cmd)
{
	bool help = !strcmp(cmd, "--help") || !strcmp(cmd, "help");

	fputs(usage_text, help ? stdout : stderr);
	return help ? 0 : 2;
}

int ctl_run_verb(int argc, char **argv, const struct ctl_verb *verbs,
		 const char *usage_text)
{
	const char *cmd;
	struct ctl c;

	if (ctl_opts(&c, argc - 1, argv + 1))
		return 2;
	cmd = c.argc ? c.argv[0] : verbs[0].name;
	for (const struct ctl_verb *v = verbs; v->name; v++) {
		int words = c.argc ? c.argc : 1;

		if ((!strcmp(cmd, v->name) || (v->alias && !strcmp(cmd, v->alias))) &&
		    words >= v->min_words && words <= v->max_words)
			return v->run(&c);
	}
	return ctl_usage(usage_text, cmd);
}

static int watch(const struct ctl *c, const struct ctl_listing *l)
{
	json_t *prev = ctl_call(c, l->method, NULL), *now = prev;
	uint64_t t0 = clock_now_ns(), tp = t0;
	bool tty = isatty(STDOUT_FILENO);

	if (!prev)
		return 1;
	for (long n = 0; !c->count || n < c->count; n++) {
		struct timespec ts = { (time_t)c->interval,
				       (long)(fmod(c->interval, 1.0) * 1e9) };
		double dt;
		uint64_t tn;

		nanosleep(&ts, NULL);
		now = ctl_call(c, l->method, NULL);
		if (!now)
			break;
		tn = clock_now_ns();
		dt = (double)(tn - tp) / 1e9;
		if (c->json) {
			l->json_line(now, prev, dt, (double)(tn - t0) / 1e9);
		} else {
			if (tty)
				printf("\033[H\033[2J");
			l->table(now, prev, dt);
		}
		fflush(stdout);
		json_decref(prev);
		prev = now;
		tp = tn;
	}
	json_decref(prev);
	return now ? 0 : 1;
}

int ctl_listing_main(const struct ctl_listing *l, int argc, char **argv)
{
	struct ctl c;
	json_t *r;

	if (ctl_opts(&c, argc - 1, argv + 1))
		return 2;
	if (c.argc > 0) {
		bool help = !strcmp(c.argv[0], "--help");

		fprintf(help ? stdout : stderr, "%s\n", l->usage);
		return help ? 0 : 2;
	}
	if (c.watch)
		return watch(&c, l);
	r = ctl_call(&c, l->method, NULL);
	if (!r)
		return 1;
	if (c.json)
		return ctl_print_json(r);
	l->table(r, NULL, 0);
	json_decref(r);
	return 0;
}

void ctl_print_json_line(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s)
		puts(s);
	free(s);
	fflush(stdout);
}
