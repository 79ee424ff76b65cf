/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz harnesses. Each harness is an ordinary function,
 * LLVMFuzzerTestOneInput, that libFuzzer drives in the clang build
 * (run.sh) and replay.c drives over stored inputs in every other build.
 * Oracles use FUZZ_CHECK, not assert(): it must fire in release builds too.
 */
#ifndef VMIO_TESTS_FUZZ_H
#define VMIO_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond);                  \
	} while (0)

/* Reads an input front to back; past its end every read yields zeroes, so
 * a short input is still a whole (if dull) test case. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
/* Copies up to len bytes into dst and zero-fills the rest. */
void fuzz_bytes(struct fuzz_in *in, void *dst, size_t len);

/* Open file descriptors of this process. */
int fuzz_count_fds(void);
/* Mappings of this process whose /proc/self/maps line contains needle. */
int fuzz_count_maps(const char *needle);
/* Silences vmio's log (a fuzzer makes every error path log). */
void fuzz_quiet_log(void);

#endif
