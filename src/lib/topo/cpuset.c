/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "topo/cpuset.h"

static int parse_num(const char **p, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v >= CPUSET_MAX)
		return -ERANGE;
	*p = end;
	*out = v;
	return 0;
}

/* One "a", "a-b" or "^a" term; exclusions apply after all inclusions,
 * which is how libvirt reads "0-7,^3". */
static int parse_term(const char **p, struct cpuset *inc, struct cpuset *exc)
{
	bool neg = false;
	unsigned int a, b;
	int ret;

	if (**p == '^') {
		neg = true;
		(*p)++;
	}
	ret = parse_num(p, &a);
	if (ret)
		return ret;
	b = a;
	if (**p == '-') {
		(*p)++;
		ret = parse_num(p, &b);
		if (ret)
			return ret;
		if (b < a)
			return -EINVAL;
	}
	for (unsigned int c = a; c <= b; c++)
		cpuset_add(neg ? exc : inc, c);
	return 0;
}

int cpuset_parse(struct cpuset *s, const char *str)
{
	struct cpuset exc;
	const char *p = str;
	int ret;

	cpuset_zero(s);
	cpuset_zero(&exc);
	while (isspace((unsigned char)*p))
		p++;
	while (*p && !isspace((unsigned char)*p)) {
		ret = parse_term(&p, s, &exc);
		if (ret)
			return ret;
		if (*p == ',')
			p++;
		else if (*p && !isspace((unsigned char)*p))
			return -EINVAL;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -EINVAL;
	cpuset_andnot(s, &exc);
	return 0;
}

int cpuset_count(const struct cpuset *s)
{
	int n = 0;

	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		n += __builtin_popcountll(s->w[i]);
	return n;
}

int cpuset_first(const struct cpuset *s)
{
	for (int c = 0; c < CPUSET_MAX; c++)
		if (cpuset_has(s, c))
			return c;
	return -1;
}

bool cpuset_intersects(const struct cpuset *a, const struct cpuset *b)
{
	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

void cpuset_or(struct cpuset *d, const struct cpuset *s)
{
	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		d->w[i] |= s->w[i];
}

void cpuset_and(struct cpuset *d, const struct cpuset *s)
{
	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		d->w[i] &= s->w[i];
}

void cpuset_andnot(struct cpuset *d, const struct cpuset *s)
{
	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		d->w[i] &= ~s->w[i];
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Ranges collapsed: {0,1,2,3,6} -> "0-3,6"; "" for the empty set. */
char *cpuset_format(const struct cpuset *s, char *buf, size_t len)
{
	size_t off = 0;
	int c = 0;

	buf[0] = '\0';
	while (c < CPUSET_MAX) {
		int a, b;

		if (!cpuset_has(s, c)) {
			c++;
			continue;
		}
		a = c;
		while (c + 1 < CPUSET_MAX && cpuset_has(s, c + 1))
			c++;
		b = c++;
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%d", off ? "," : "", a);
		if (b > a && off < len)
			off += snprintf(buf + off, len - off, "-%d", b);
	}
	return buf;
}
