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

/* Options as key=value pairs, from a "a=1,b=2" string or added one by
 * one (from a JSON object, say): no limit on their number, values may
 * hold anything (in a string, "\," is a comma and "\\" a backslash). */
struct kvopts {
	unsigned int n, cap;
	char **key;
	char **val;
	bool *used;
};

void kvopts_init(struct kvopts *kv);
/* Splits "a=1,b=2" into kv (initialised here). A key without '=' gets the
 * value "on". Duplicate and empty keys are errors (with *why set); kv
 * is then empty. */
int kvopts_parse(struct kvopts *kv, const char *s, const char **why);
/* Adds a pair (copied). -EEXIST for a key already there, -ENOMEM. */
int kvopts_add(struct kvopts *kv, const char *key, const char *val);
/* The value of key (marking it used), or NULL. */
const char *kvopts_get(struct kvopts *kv, const char *key);
/* The first key nobody asked for, or NULL: report it as unknown. */
const char *kvopts_unused(const struct kvopts *kv);
void kvopts_free(struct kvopts *kv);
/* Appends value to buf (at *used, up to len) with ',' and '\' escaped,
 * as kvopts_parse reads it back. -ENOSPC when it does not fit. */
int kvopts_escape(char *buf, size_t len, size_t *used, const char *value);

#endif
