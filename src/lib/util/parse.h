/* SPDX-License-Identifier: MIT */
/* Parsers for what people type on command lines: sizes with units, on/off,
 * CPU lists, and "key=value,key=value" option strings. All return 0 or
 * -EINVAL and never accept trailing junk or overflow. */
#ifndef VMIO_UTIL_PARSE_H
#define VMIO_UTIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "4096", "4K", "512M", "1G", "2T" (powers of 1024; "KiB" style too). */
int parse_size(const char *s, uint64_t *out);
int parse_u64(const char *s, uint64_t *out);
/* on/off, yes/no, true/false, 1/0. */
int parse_bool(const char *s, bool *out);
/* "0,2-4,7" into a list of CPU numbers (max entries); *n gets the count. */
int parse_cpu_list(const char *s, int *cpus, unsigned int max, unsigned int *n);

#define KVOPTS_MAX 32

struct kvopts {
	char *buf; /* owned copy, split in place */
	unsigned int n;
	char *key[KVOPTS_MAX];
	char *val[KVOPTS_MAX];
	bool used[KVOPTS_MAX];
};

/* Splits "a=1,b=2". A key without '=' gets the value "on". Duplicate keys
 * and empty keys are errors (with *why set). */
int kvopts_parse(struct kvopts *kv, const char *s, const char **why);
/* The value of key (marking it used), or NULL. */
const char *kvopts_get(struct kvopts *kv, const char *key);
/* The first key nobody asked for, or NULL: report it as unknown. */
const char *kvopts_unused(const struct kvopts *kv);
void kvopts_free(struct kvopts *kv);

#endif
