/* SPDX-License-Identifier: MIT */
/* CPU and NUMA node sets, parsed from the "0-3,^2,8" lists that both
 * libvirt XML (vcpupin/@cpuset) and sysfs (node<N>/cpulist) use. */
#ifndef VMIO_TOPO_CPUSET_H
#define VMIO_TOPO_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CPUSET_MAX 4096

struct cpuset {
	uint64_t w[CPUSET_MAX / 64];
};

static inline void cpuset_zero(struct cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

static inline void cpuset_add(struct cpuset *s, unsigned int cpu)
{
	if (cpu < CPUSET_MAX)
		s->w[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline void cpuset_del(struct cpuset *s, unsigned int cpu)
{
	if (cpu < CPUSET_MAX)
		s->w[cpu / 64] &= ~(1ULL << (cpu % 64));
}

static inline bool cpuset_has(const struct cpuset *s, unsigned int cpu)
{
	return cpu < CPUSET_MAX && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

int cpuset_parse(struct cpuset *s, const char *str);
int cpuset_count(const struct cpuset *s);
int cpuset_first(const struct cpuset *s);
bool cpuset_intersects(const struct cpuset *a, const struct cpuset *b);
void cpuset_or(struct cpuset *d, const struct cpuset *s);
void cpuset_and(struct cpuset *d, const struct cpuset *s);
void cpuset_andnot(struct cpuset *d, const struct cpuset *s);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
char *cpuset_format(const struct cpuset *s, char *buf, size_t len);

#endif
