/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as the front-end shared it: a table of regions, each an
 * mmap of an fd the front-end sent, known by three addresses (guest-physical
 * for descriptors, front-end virtual for ring addresses, and our own
 * mapping). Every translation is bounds-checked: a guest can only ever reach
 * bytes inside a region it gave us.
 */
#ifndef VMIO_VHOST_GUEST_MEM_H
#define VMIO_VHOST_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The most regions a front-end may add (VHOST_USER_GET_MAX_MEM_SLOTS).
 * QEMU's own limit for vhost-user is 509 (KVM's is 509 user slots too). */
#define GUEST_MEM_MAX_REGIONS 509

struct guest_mem_region {
	uint64_t gpa;   /* guest-physical start */
	uint64_t size;  /* bytes */
	uint64_t qva;   /* front-end virtual start (ring addresses) */
	uint64_t mmap_offset;
	uint8_t *hva;   /* our address of gpa */
	void *map_base; /* what mmap returned (covers mmap_offset + size) */
	size_t map_len;
	int fd;
	bool hugepages; /* backed by hugetlbfs */
};

struct guest_mem {
	/* Sorted by gpa, non-overlapping: lookups are a binary search. */
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nregions;
};

void guest_mem_init(struct guest_mem *mem);
/* Unmaps and closes every region. */
void guest_mem_clear(struct guest_mem *mem);

/* Maps a region from fd (taking ownership of fd on success). Fails with
 * -EINVAL for a zero, overflowing or overlapping range, -ENOSPC when the
 * table is full, or the mmap error. */
int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size,
		  uint64_t qva, uint64_t mmap_offset, int fd);
/* Removes the region with exactly this gpa and size; -ENOENT if none. */
int guest_mem_remove(struct guest_mem *mem, uint64_t gpa, uint64_t size);

/* Translates [gpa, gpa+len) when it lies inside one region; NULL if not. */
static inline void *guest_mem_gpa_to_hva(const struct guest_mem *mem,
					 uint64_t gpa, uint64_t len)
{
	unsigned int lo = 0, hi = mem->nregions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct guest_mem_region *r = &mem->regions[mid];

		if (gpa < r->gpa) {
			hi = mid;
		} else if (gpa - r->gpa >= r->size) {
			lo = mid + 1;
		} else {
			if (len > r->size - (gpa - r->gpa))
				return NULL;
			return r->hva + (gpa - r->gpa);
		}
	}
	return NULL;
}

/* Translates a guest-physical range that may cross adjacent regions into
 * iovecs appended at iov[*niov]. Returns 0, -EFAULT if any byte is outside
 * guest memory, or -E2BIG if more than max_iov entries would be needed. */
int guest_mem_gpa_to_iov(const struct guest_mem *mem, uint64_t gpa,
			 uint64_t len, struct iovec *iov, unsigned int *niov,
			 unsigned int max_iov);

/* Translates a front-end virtual range (vring addresses) to our address;
 * NULL unless it lies inside one region. */
void *guest_mem_qva_to_hva(const struct guest_mem *mem, uint64_t qva,
			   uint64_t len);

/* The region containing gpa, or NULL. */
const struct guest_mem_region *guest_mem_find(const struct guest_mem *mem,
					      uint64_t gpa);

#endif
