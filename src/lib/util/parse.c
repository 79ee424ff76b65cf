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

int kvopts_parse(struct kvopts *kv, const char *s, const char **why)
{
	char *save = NULL, *tok;

	memset(kv, 0, sizeof(*kv));
	kv->buf = strdup(s);
	if (!kv->buf)
		return -ENOMEM;
	for (tok = strtok_r(kv->buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (kv->n >= KVOPTS_MAX) {
			*why = "too many options";
			goto err;
		}
		if (eq)
			*eq = '\0';
		if (!*tok) {
			*why = "an option has no name";
			goto err;
		}
		for (unsigned int i = 0; i < kv->n; i++)
			if (!strcmp(kv->key[i], tok)) {
				*why = "an option is given twice";
				goto err;
			}
		kv->key[kv->n] = tok;
		kv->val[kv->n] = eq ? eq + 1 : "on";
		kv->n++;
	}
	return 0;
err:
	/* Nothing to free for the caller on failure. */
	kvopts_free(kv);
	return -EINVAL;
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
	free(kv->buf);
	kv->buf = NULL;
	kv->n = 0;
}
