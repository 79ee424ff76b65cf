/* SPDX-License-Identifier: MIT */
#ifndef VMIO_UTIL_COMPILER_H
#define VMIO_UTIL_COMPILER_H

#include <stddef.h>

/* The struct that embeds member at ptr. */
#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
