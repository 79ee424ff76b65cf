/* SPDX-License-Identifier: MIT */
#include "bench/pin.h"

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/parse.h"

static cpu_set_t target_cpus;
static bool pinned;

int bench_pin_frontend(const char *arg, char *err, size_t errlen)
{
	cpu_set_t allowed, one;
	uint64_t cpu;

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		snprintf(err, errlen, "cannot read this process's CPUs");
		return -1;
	}
	if (parse_u64(arg, &cpu) || cpu >= CPU_SETSIZE ||
	    !CPU_ISSET((int)cpu, &allowed)) {
		snprintf(err, errlen, "--frontend-cpu %s: not a CPU this process "
			 "may run on (see nproc, taskset -p $$)", arg);
		return -1;
	}
	if (CPU_COUNT(&allowed) < 2) {
		snprintf(err, errlen, "--frontend-cpu needs two CPUs: one for the "
			 "frontend, the rest for the target");
		return -1;
	}
	target_cpus = allowed;
	CPU_CLR((int)cpu, &target_cpus);
	CPU_ZERO(&one);
	CPU_SET((int)cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		snprintf(err, errlen, "cannot pin the frontend to CPU %s", arg);
		return -1;
	}
	pinned = true;
	return 0;
}

void bench_pin_target_child(void)
{
	if (pinned)
		sched_setaffinity(0, sizeof(target_cpus), &target_cpus);
}
