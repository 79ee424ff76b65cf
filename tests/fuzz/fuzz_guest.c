/* SPDX-License-Identifier: MIT */
#include "fuzz_guest.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const struct {
	uint64_t gpa, size, qva, mmap_offset;
} layout[FUZZ_GUEST_REGIONS] = {
	{ 0x0, 0x10000, FUZZ_GUEST_QVA, 0 },
	{ 0x10000, 0x4000, 0x7f1000000000ull, 0 },
	{ 0x100000, 0x2000, 0x7f2000000000ull, 0x1000 },
	{ 0xffffffffffffe000ull, 0x1000, 0x7f3000000000ull, 0 },
};

static struct guest_mem *mem;
static uint8_t *hva[FUZZ_GUEST_REGIONS];

struct guest_mem *fuzz_guest_setup(void)
{
	if (mem)
		return mem;
	fuzz_quiet_log();
	mem = calloc(1, sizeof(*mem));
	FUZZ_CHECK(mem);
	guest_mem_init(mem);
	for (unsigned int i = 0; i < FUZZ_GUEST_REGIONS; i++) {
		int fd = memfd_create("fuzz-guest", MFD_CLOEXEC);

		FUZZ_CHECK(fd >= 0);
		FUZZ_CHECK(ftruncate(fd, (off_t)(layout[i].mmap_offset +
						  layout[i].size)) == 0);
		FUZZ_CHECK(guest_mem_add(mem, layout[i].gpa, layout[i].size,
					 layout[i].qva, layout[i].mmap_offset,
					 fd) == 0);
	}
	for (unsigned int i = 0; i < FUZZ_GUEST_REGIONS; i++) {
		const struct guest_mem_region *r = guest_mem_find(mem, layout[i].gpa);

		FUZZ_CHECK(r);
		hva[i] = r->hva;
	}
	return mem;
}

uint8_t *fuzz_guest_hva(unsigned int i)
{
	return hva[i];
}

void fuzz_guest_fill(struct fuzz_in *in)
{
	for (unsigned int i = 0; i < FUZZ_GUEST_REGIONS; i++)
		fuzz_bytes(in, hva[i], layout[i].size);
}

bool fuzz_guest_holds(const struct iovec *iov)
{
	const uint8_t *p = iov->iov_base;

	for (unsigned int i = 0; i < FUZZ_GUEST_REGIONS; i++)
		if (p >= hva[i] && iov->iov_len <= layout[i].size &&
		    (size_t)(p - hva[i]) <= layout[i].size - iov->iov_len)
			return true;
	return false;
}
