/* SPDX-License-Identifier: MIT */
#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_cpu_list(const char *s, int *cpus, unsigned int max, unsigned int *n)
{
	const char *p = s;

	*n = 0;
	while (*p) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b > 4095)
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++) {
			if (*n >= max)
				return -EINVAL;
			cpus[(*n)++] = (int)c;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		p = end;
	}
	return *n ? 0 : -EINVAL;
}

void kvopts_init(struct kvopts *kv)
{
	memset(kv, 0, sizeof(*kv));
}

int kvopts_add(struct kvopts *kv, const char *key, const char *val)
{
	for (unsigned int i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key))
			return -EEXIST;
	if (kv->n == kv->cap) {
		unsigned int cap = kv->cap ? 2 * kv->cap : 16;
		char **k = realloc(kv->key, cap * sizeof(*k));
		char **v = k ? realloc(kv->val, cap * sizeof(*v)) : NULL;
		bool *u = v ? realloc(kv->used, cap * sizeof(*u)) : NULL;

		if (k)
			kv->key = k;
		if (v)
			kv->val = v;
		if (u)
			kv->used = u;
		if (!u)
			return -ENOMEM;
		kv->cap = cap;
	}
	kv->key[kv->n] = strdup(key);
	kv->val[kv->n] = strdup(val);
	kv->used[kv->n] = false;
	if (!kv->key[kv->n] || !kv->val[kv->n]) {
		free(kv->key[kv->n]);
		free(kv->val[kv->n]);
		return -ENOMEM;
	}
	kv->n++;
	return 0;
}

/* Copies one token of s (up to an unescaped ',') into out, unescaping;
 * returns where the next one starts, or NULL at the end. */
static const char *next_token(const char *s, char *out)
{
	for (; *s && *s != ','; s++) {
		if (*s == '\\' && (s[1] == ',' || s[1] == '\\'))
			s++;
		*out++ = *s;
	}
	*out = '\0';
	return *s ? s + 1 : NULL;
}

int kvopts_parse(struct kvopts *kv, const char *s, const char **why)
{
	char *tok = malloc(strlen(s) + 1);
	const char *p = s;
	int ret = 0;

	kvopts_init(kv);
	if (!tok)
		return -ENOMEM;
	while (p && *s && !ret) {
		char *eq;

		p = next_token(p, tok);
		eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		if (!*tok) {
			*why = "an option has no name";
			ret = -EINVAL;
			break;
		}
		ret = kvopts_add(kv, tok, eq ? eq + 1 : "on");
		if (ret == -EEXIST) {
			*why = "an option is given twice";
			ret = -EINVAL;
		}
	}
	free(tok);
	if (ret)
		kvopts_free(kv);
	return ret;
}

const char *kvopts_get(struct kvopts *kv, const char *key)
{
	for (unsigned int i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key)) {
			kv->used[i] = true;
			return kv->val[i];
		}
	return NULL;
}

const char *kvopts_unused(const struct kvopts *kv)
{
	for (unsigned int i = 0; i < kv->n; i++)
		if (!kv->used[i])
			return kv->key[i];
	return NULL;
}

void kvopts_free(struct kvopts *kv)
{
	for (unsigned int i = 0; i < kv->n; i++) {
		free(kv->key[i]);
		free(kv->val[i]);
	}
	free(kv->key);
	free(kv->val);
	free(kv->used);
	kvopts_init(kv);
}

int kvopts_escape(char *buf, size_t len, size_t *used, const char *value)
{
	size_t at = *used;

	for (; *value; value++) {
		if (*value == ',' || *value == '\\') {
			if (at + 1 >= len)
				return -ENOSPC;
			buf[at++] = '\\';
		}
		if (at + 1 >= len)
			return -ENOSPC;
		buf[at++] = *value;
	}
	buf[at] = '\0';
	*used = at;
	return 0;
}
