/* SPDX-License-Identifier: MIT */
#include "cfg/cfg.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

bool cfg_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-' || *s == ':'))
			return false;
	return true;
}

bool cfg_path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PATH_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

#define FIELD(obj, k, type) ((type *)((char *)(obj) + (k)->off))
#define CFIELD(obj, k, type) ((const type *)((const char *)(obj) + (k)->off))

static int set_string(const struct cfg_key *k, void *obj, const char *v,
		      char *err, size_t len)
{
	char **f = FIELD(obj, k, char *), *copy;

	if (k->type == CFG_NAME && !cfg_name_ok(v))
		return fail(err, len, "%s=%s: %s must be 1 to 64 letters, digits, "
			    "'.', '_', '-' or ':'", k->name, v, k->what);
	if (k->type == CFG_PATH && !cfg_path_ok(v))
		return fail(err, len, "%s: %s must be a path without control "
			    "characters, shorter than %d bytes", k->name, k->what,
			    PATH_MAX);
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	free(*f);
	*f = copy;
	return 0;
}

static int set_number(const struct cfg_key *k, void *obj, const char *v,
		      char *err, size_t len)
{
	uint64_t u, max = k->max ? k->max : UINT64_MAX;
	int ret = k->type == CFG_SIZE ? parse_size(v, &u) : parse_u64(v, &u);

	if (ret)
		return fail(err, len, "%s=%s: %s must be a whole number%s", k->name,
			    v, k->what,
			    k->type == CFG_SIZE ? " of bytes (K, M, G, T allowed)" : "");
	if (u < k->min || u > max)
		return fail(err, len, "%s=%s: %s must be %" PRIu64 " to %" PRIu64,
			    k->name, v, k->what, k->min, max);
	if (k->type == CFG_U32)
		*FIELD(obj, k, uint32_t) = (uint32_t)u;
	else
		*FIELD(obj, k, uint64_t) = u;
	return 0;
}

static int set_choice(const struct cfg_key *k, void *obj, const char *v,
		      char *err, size_t len)
{
	char known[256] = "";
	size_t used = 0;

	for (unsigned int i = 0; k->choices[i]; i++) {
		if (!strcmp(v, k->choices[i])) {
			*FIELD(obj, k, unsigned int) = i;
			return 0;
		}
		used += (size_t)snprintf(known + used, sizeof(known) - used,
					 "%s%s", i ? ", " : "", k->choices[i]);
		if (used >= sizeof(known))
			break;
	}
	return fail(err, len, "%s=%s: %s must be one of %s", k->name, v, k->what,
		    known);
}

int cfg_apply(const struct cfg_key *keys, void *obj, struct kvopts *kv,
	      char *err, size_t errlen)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		const char *v = kvopts_get(kv, k->name);
		int ret = 0;

		if (!v)
			continue;
		switch (k->type) {
		case CFG_NAME:
		case CFG_PATH:
			ret = set_string(k, obj, v, err, errlen);
			break;
		case CFG_U32:
		case CFG_U64:
		case CFG_SIZE:
			ret = set_number(k, obj, v, err, errlen);
			break;
		case CFG_BOOL:
			if (parse_bool(v, FIELD(obj, k, bool)))
				ret = fail(err, errlen, "%s=%s: %s must be on or off",
					   k->name, v, k->what);
			break;
		case CFG_CHOICE:
			ret = set_choice(k, obj, v, err, errlen);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static bool skipped(const char *key, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (!strcmp(key, *skip))
			return true;
	return false;
}

int cfg_kv_from_json(json_t *obj, const char *const *skip, struct kvopts *kv,
		     char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	kvopts_init(kv);
	if (!json_is_object(obj))
		return fail(err, errlen, "expected a JSON object of options");
	json_object_foreach(obj, key, v) {
		char num[32];
		const char *s;
		int ret;

		if (skipped(key, skip))
			continue;
		if (json_is_string(v)) {
			s = json_string_value(v);
			if (strlen(s) != json_string_length(v))
				ret = fail(err, errlen, "%.64s may not contain NUL", key);
			else
				ret = kvopts_add(kv, key, s);
		} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
			ret = kvopts_add(kv, key, num);
		} else if (json_is_boolean(v)) {
			ret = kvopts_add(kv, key, json_is_true(v) ? "on" : "off");
		} else {
			ret = fail(err, errlen, "%.64s must be a string, a whole "
				   "number or a boolean", key);
		}
		if (ret) {
			kvopts_free(kv);
			return ret;
		}
	}
	return 0;
}

int cfg_check_unused(const struct kvopts *kv, const struct cfg_key *keys,
		     const char *extra_known, char *err, size_t errlen)
{
	const char *bad = kvopts_unused(kv);
	char known[512] = "";
	size_t used = 0;

	if (!bad)
		return 0;
	for (const struct cfg_key *k = keys; k->name && used < sizeof(known); k++)
		used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s",
					 used ? ", " : "", k->name);
	if (extra_known && used < sizeof(known))
		snprintf(known + used, sizeof(known) - used, ", %s", extra_known);
	return fail(err, errlen, "unknown option '%.64s' (known: %s)", bad, known);
}

static bool same(const struct cfg_key *k, const void *a, const void *b)
{
	switch (k->type) {
	case CFG_NAME:
	case CFG_PATH: {
		const char *x = *CFIELD(a, k, char *), *y = *CFIELD(b, k, char *);

		return x == y || (x && y && !strcmp(x, y));
	}
	case CFG_U32:
		return *CFIELD(a, k, uint32_t) == *CFIELD(b, k, uint32_t);
	case CFG_U64:
	case CFG_SIZE:
		return *CFIELD(a, k, uint64_t) == *CFIELD(b, k, uint64_t);
	case CFG_BOOL:
		return *CFIELD(a, k, bool) == *CFIELD(b, k, bool);
	case CFG_CHOICE:
		return *CFIELD(a, k, unsigned int) == *CFIELD(b, k, unsigned int);
	}
	return false;
}

int cfg_to_json(const struct cfg_key *keys, const void *obj, const void *dflt,
		json_t *out)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		json_t *v = NULL;

		if (dflt && same(k, obj, dflt))
			continue;
		switch (k->type) {
		case CFG_NAME:
		case CFG_PATH:
			if (*CFIELD(obj, k, char *))
				v = json_string(*CFIELD(obj, k, char *));
			else
				continue;
			break;
		case CFG_U32:
			v = json_integer(*CFIELD(obj, k, uint32_t));
			break;
		case CFG_U64:
		case CFG_SIZE:
			v = json_integer((json_int_t)*CFIELD(obj, k, uint64_t));
			break;
		case CFG_BOOL:
			v = json_boolean(*CFIELD(obj, k, bool));
			break;
		case CFG_CHOICE:
			v = json_string(k->choices[*CFIELD(obj, k, unsigned int)]);
			break;
		}
		if (!v || json_object_set_new(out, k->name, v))
			return -ENOMEM;
	}
	return 0;
}

void cfg_free(const struct cfg_key *keys, void *obj)
{
	for (const struct cfg_key *k = keys; k->name; k++)
		if (k->type == CFG_NAME || k->type == CFG_PATH) {
			free(*FIELD(obj, k, char *));
			*FIELD(obj, k, char *) = NULL;
		}
}

int cfg_copy(const struct cfg_key *keys, void *dst, const void *obj,
	     size_t size)
{
	memcpy(dst, obj, size);
	for (const struct cfg_key *k = keys; k->name; k++) {
		char **f = FIELD(dst, k, char *);

		if ((k->type != CFG_NAME && k->type != CFG_PATH) || !*f)
			continue;
		*f = strdup(*f);
		if (!*f) {
			/* Ours before k, obj's after it: leave none behind. */
			for (const struct cfg_key *j = keys; j->name; j++)
				if (j->type == CFG_NAME || j->type == CFG_PATH) {
					if (j < k)
						free(*FIELD(dst, j, char *));
					*FIELD(dst, j, char *) = NULL;
				}
			return -ENOMEM;
		}
	}
	return 0;
}
