/* SPDX-License-Identifier: MIT */
#include "fuzz_guest.h"

#include "guest_regions.h"

static const struct guest_region layout[FUZZ_GUEST_REGIONS] = {
	{ 0x0, 0x10000, FUZZ_GUEST_QVA, 0 },
	{ 0x10000, 0x4000, 0x7f1000000000ull, 0 },
	{ 0x100000, 0x2000, 0x7f2000000000ull, 0x1000 },
	{ 0xffffffffffffe000ull, 0x1000, 0x7f3000000000ull, 0 },
};

static struct guest_regions guest;
static bool mapped;

struct guest_mem *fuzz_guest_setup(void)
{
	if (!mapped) {
		fuzz_quiet_log();
		guest_regions_map(&guest, layout, FUZZ_GUEST_REGIONS);
		mapped = true;
	}
	return &guest.mem;
}

uint8_t *fuzz_guest_hva(unsigned int i)
{
	return guest.hva[i];
}

void fuzz_guest_fill(struct fuzz_in *in)
{
	for (unsigned int i = 0; i < FUZZ_GUEST_REGIONS; i++)
		fuzz_bytes(in, guest.hva[i], layout[i].size);
}

bool fuzz_guest_holds(const struct iovec *iov)
{
	return guest_regions_hold(&guest, iov->iov_base, iov->iov_len);
}
