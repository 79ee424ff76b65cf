/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the parsers for what people and clients type (util/parse.c):
 * sizes, numbers, booleans, CPU lists and "key=value,..." option strings
 * (vmiod --disk, and whatever a client passes on to them).
 *
 * The input: byte 0 picks the parser (modulo 5), the rest is the string
 * (cut at its first NUL), in an exact-size heap block.
 *
 * Oracles: parse_u64 agrees with strtoull on plain decimal strings (and
 * refuses what overflows); parse_size accepts only what starts with a
 * digit and returns at least the number written before the unit;
 * parse_bool yields true or false; a CPU list has at most max entries,
 * each in 0..INT_MAX; an option string's keys are non-empty, unique and
 * without '=', kvopts_get finds each key's value, and the pairs written
 * back with kvopts_escape parse into the same pairs (commas and
 * backslashes in values survive the round trip).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/parse.h"

static bool plain_decimal(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void check_u64(const char *s)
{
	uint64_t v = 0;
	int ret = parse_u64(s, &v);

	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (plain_decimal(s)) {
		unsigned long long want;
		char *end;

		errno = 0;
		want = strtoull(s, &end, 10);
		if (errno == ERANGE)
			FUZZ_CHECK(ret == -EINVAL);
		else
			FUZZ_CHECK(ret == 0 && v == want);
	}
}

static void check_size(const char *s)
{
	uint64_t v = 0;
	int ret = parse_size(s, &v);

	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		FUZZ_CHECK(*s >= '0' && *s <= '9');
		FUZZ_CHECK(v >= strtoull(s, NULL, 10));
	}
}

static void check_bool(const char *s)
{
	bool b = false;
	int ret = parse_bool(s, &b);

	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
}

static void check_cpus(const char *s)
{
	int cpus[16];
	unsigned int n = 99;
	int ret = parse_cpu_list(s, cpus, 16, &n);

	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		FUZZ_CHECK(n <= 16);
		for (unsigned int i = 0; i < n; i++)
			FUZZ_CHECK(cpus[i] >= 0);
	}
}

static void check_round_trip(const struct kvopts *kv, size_t total)
{
	size_t len = 2 * total + 3 * kv->n + 16, used = 0;
	char *buf = malloc(len);
	const char *why = NULL;
	struct kvopts again;

	FUZZ_CHECK(buf);
	buf[0] = '\0';
	for (unsigned int i = 0; i < kv->n; i++) {
		if (i)
			buf[used++] = ',';
		FUZZ_CHECK(kvopts_escape(buf, len, &used, kv->key[i]) == 0);
		buf[used++] = '=';
		buf[used] = '\0';
		FUZZ_CHECK(kvopts_escape(buf, len, &used, kv->val[i]) == 0);
	}
	FUZZ_CHECK(kvopts_parse(&again, buf, &why) == 0);
	FUZZ_CHECK(again.n == kv->n);
	for (unsigned int i = 0; i < kv->n; i++)
		FUZZ_CHECK(!strcmp(again.key[i], kv->key[i]) &&
			   !strcmp(again.val[i], kv->val[i]));
	kvopts_free(&again);
	free(buf);
}

static void check_kvopts(const char *s)
{
	struct kvopts kv;
	const char *why = NULL;
	size_t total = strlen(s);
	int ret = kvopts_parse(&kv, s, &why);

	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret) {
		FUZZ_CHECK(ret != -EINVAL || why);
		return;
	}
	for (unsigned int i = 0; i < kv.n; i++) {
		FUZZ_CHECK(kv.key[i][0] && !strchr(kv.key[i], '='));
		FUZZ_CHECK(strlen(kv.key[i]) + strlen(kv.val[i]) <= total + 2);
		for (unsigned int j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(kv.key[i], kv.key[j]));
	}
	for (unsigned int i = 0; i < kv.n; i++)
		FUZZ_CHECK(kvopts_get(&kv, kv.key[i]) == kv.val[i]);
	FUZZ_CHECK(kvopts_unused(&kv) == NULL);
	check_round_trip(&kv, total);
	kvopts_free(&kv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *) = {
		check_u64, check_size, check_bool, check_cpus, check_kvopts,
	};
	size_t len;
	char *s;

	if (size < 1)
		return 0;
	len = strnlen((const char *)data + 1, size - 1);
	s = malloc(len + 1);
	FUZZ_CHECK(s);
	memcpy(s, data + 1, len);
	s[len] = '\0';
	parsers[data[0] % 5](s);
	free(s);
	return 0;
}
