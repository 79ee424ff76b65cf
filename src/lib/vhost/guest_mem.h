/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as the front-end shared it: a table of regions, each an
 * mmap of an fd the front-end sent, known by three addresses (guest-physical
 * for descriptors, front-end virtual for ring addresses, and our own
 * mapping). Every translation is bounds-checked: a guest can only ever reach
 * bytes inside a region it gave us.
 *
 * The front-end keeps the files behind the regions and may shrink them
 * under us: a region whose file is not sealed against shrinking is
 * watched by mem_guard (vhost/mem_guard.h), which turns the SIGBUS of an
 * access past the file's end into zero pages and raises mem->broken.
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
	bool sealed;    /* its file cannot shrink (F_SEAL_SHRINK) */
	int guard;      /* mem_guard handle while watched, or -1 */
	bool hugepages; /* backed by hugetlbfs */
	/* Where the region lives, learnt once when it is added (and again
	 * by guest_mem_locate while nothing was known): page_size is the
	 * hugetlbfs page size, or the base page size; huge_aligned says gpa,
	 * size and offset are whole hugepages (what the guest's MMU needs to
	 * map it with large pages too); nodes has bit n when a sampled page
	 * is on NUMA node n; sampled/located count the sample and how many
	 * of its pages had a node (a page not yet touched has none). */
	uint64_t page_size;
	bool huge_aligned;
	uint64_t nodes;
	unsigned int sampled, located;
};

struct guest_mem {
	/* Sorted by gpa, non-overlapping: lookups are a binary search. */
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nregions;
	unsigned int gen; /* bumped by every add, remove and clear */
	/* Set (atomically, from a SIGBUS handler) when a region's file
	 * was truncated under us and the region is zero pages now; 1 is
	 * then added to the eventfd notify_fd (-1: none), which the owner
	 * sets after guest_mem_init. Cleared with the regions. */
	int broken;
	int notify_fd;
	/* The dirty log in force while a live migration wants our writes
	 * logged (vhost/dirty_log.h), else NULL; any thread reads it. */
	struct dirty_log *log;
};

/* The whole table at a glance, for placement checks and the RPC. */
struct guest_mem_summary {
	unsigned int nregions;
	uint64_t bytes;
	uint64_t nodes;          /* bit n: some sampled page on node n */
	bool nodes_known;        /* every region had a located page */
	uint64_t huge_page_size; /* all regions on hugetlbfs with this page
				  * size; 0 when any region is not */
	bool huge_aligned;       /* ... and all whole hugepages */
};

void guest_mem_init(struct guest_mem *mem);
/* Unmaps and closes every region. */
void guest_mem_clear(struct guest_mem *mem);

/* Maps a region from fd (taking ownership of fd on success), watched
 * for truncation unless its file is sealed against shrinking. Fails with
 * -EINVAL for a zero, overflowing or overlapping range, -ENOSPC when the
 * table (or the watch table, logged) is full, or the mmap error. */
int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size,
		  uint64_t qva, uint64_t mmap_offset, int fd);
/* Removes the region with exactly this gpa and size; -ENOENT if none. */
int guest_mem_remove(struct guest_mem *mem, uint64_t gpa, uint64_t size);

/* Whether a region was found truncated (any thread may ask). */
static inline bool guest_mem_broken(const struct guest_mem *mem)
{
	return __atomic_load_n(&mem->broken, __ATOMIC_ACQUIRE) != 0;
}

/* The first region found truncated, or -1. */
int guest_mem_broken_region(const struct guest_mem *mem);

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
int guest_mem_gpa_to_iov_slow(const struct guest_mem *mem, uint64_t gpa,
			      uint64_t len, struct iovec *iov,
			      unsigned int *niov, unsigned int max_iov);

/* The region containing gpa, or NULL (regions are sorted by gpa). Inline:
 * every descriptor of every request goes through here. */
static inline const struct guest_mem_region *
guest_mem_find(const struct guest_mem *mem, uint64_t gpa)
{
	unsigned int lo = 0, hi = mem->nregions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct guest_mem_region *r = &mem->regions[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static inline int guest_mem_gpa_to_iov(const struct guest_mem *mem,
				       uint64_t gpa, uint64_t len,
				       struct iovec *iov, unsigned int *niov,
				       unsigned int max_iov)
{
	const struct guest_mem_region *r = guest_mem_find(mem, gpa);

	/* The common case: the buffer lies in one region. */
	if (r && len && len <= r->size - (gpa - r->gpa) && *niov < max_iov) {
		iov[*niov].iov_base = r->hva + (gpa - r->gpa);
		iov[*niov].iov_len = len;
		(*niov)++;
		return 0;
	}
	return guest_mem_gpa_to_iov_slow(mem, gpa, len, iov, niov, max_iov);
}

/* Translates a front-end virtual range (vring addresses) to our address;
 * NULL unless it lies inside one region. */
void *guest_mem_qva_to_hva(const struct guest_mem *mem, uint64_t qva,
			   uint64_t len);

/* Our mapping of every region, as iovecs in out[] (room for
 * GUEST_MEM_MAX_REGIONS): what vmiod registers with io_uring. */
unsigned int guest_mem_host_ranges(const struct guest_mem *mem,
				   struct iovec *out);

/* Where the guest's memory is: control thread only, off the hot path.
 * locate re-samples regions where no page had a node yet (pages touched
 * since, by I/O or the rings, now have one); summary only reads. */
void guest_mem_locate(struct guest_mem *mem);
void guest_mem_summary(const struct guest_mem *mem,
		       struct guest_mem_summary *out);

#endif
