/* SPDX-License-Identifier: MIT */
#include "vhost/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "util/log.h"
#include "vhost/mem_guard.h"

/* Pages of a region sampled for their node: enough to see a region
 * split over nodes, few enough that the query costs microseconds. */
#define LOCATE_SAMPLES 64

void guest_mem_init(struct guest_mem *mem)
{
	mem->nregions = 0;
	mem->gen = 0;
	mem->broken = 0;
	mem->notify_fd = -1;
}

static void region_unmap(struct guest_mem_region *r)
{
	/* Unwatched first: the range is free for others once unmapped. */
	mem_guard_unwatch(r->guard);
	r->guard = -1;
	if (r->map_base)
		munmap(r->map_base, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	r->map_base = NULL;
	r->fd = -1;
}

void guest_mem_clear(struct guest_mem *mem)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		region_unmap(&mem->regions[i]);
	mem->nregions = 0;
	mem->gen++;
	__atomic_store_n(&mem->broken, 0, __ATOMIC_RELEASE);
}

int guest_mem_broken_region(const struct guest_mem *mem)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		if (mem_guard_broken(mem->regions[i].guard))
			return (int)i;
	return -1;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
			   uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Index at which a region starting at gpa keeps the table sorted. */
static unsigned int insert_pos(const struct guest_mem *mem, uint64_t gpa)
{
	unsigned int lo = 0, hi = mem->nregions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (mem->regions[mid].gpa < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* hugetlbfs reports its page size as the block size. */
static void region_page_size(struct guest_mem_region *r)
{
	struct statfs sfs;

	r->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	r->hugepages = fstatfs(r->fd, &sfs) == 0 &&
		       sfs.f_type == HUGETLBFS_MAGIC && sfs.f_bsize > 0;
	if (r->hugepages)
		r->page_size = (uint64_t)sfs.f_bsize;
	r->huge_aligned = r->hugepages && r->gpa % r->page_size == 0 &&
			  r->size % r->page_size == 0 &&
			  r->mmap_offset % r->page_size == 0;
}

/* The node of up to LOCATE_SAMPLES pages spread over the region, asked
 * with move_pages(nodes = NULL), which moves nothing. The kernel knows a
 * page's node only once our mapping has it: for ordinary shared memory
 * (memfd, /dev/shm) pages the guest has touched are mapped in by reading
 * one byte, after mincore says the page exists, so nothing is allocated.
 * hugetlbfs pages are never touched here: a read of one the guest has
 * not used would allocate it, on our node rather than the guest's. */
static void region_locate(struct guest_mem_region *r)
{
	void *pages[LOCATE_SAMPLES];
	int status[LOCATE_SAMPLES];
	uint64_t npages = r->size / r->page_size, step;
	size_t base_page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned int n = 0;

	if (!npages)
		return;
	step = npages > LOCATE_SAMPLES ? npages / LOCATE_SAMPLES : 1;
	for (uint64_t i = 0; i < npages && n < LOCATE_SAMPLES; i += step) {
		uint8_t *p = r->hva + i * r->page_size;
		uintptr_t aligned = (uintptr_t)p & ~(uintptr_t)(base_page - 1);
		unsigned char vec;

		if (!r->hugepages &&
		    mincore((void *)aligned, base_page, &vec) == 0 && (vec & 1))
			(void)*(volatile uint8_t *)p;
		pages[n++] = p;
	}
	r->sampled = n;
	r->located = 0;
	r->nodes = 0;
	/* The raw call: it needs no libnuma, and nodes = NULL only asks. */
	if (syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, status,
		    0) < 0)
		return;
	for (unsigned int i = 0; i < n; i++) {
		if (status[i] < 0 || status[i] >= 64)
			continue;
		r->nodes |= 1ull << status[i];
		r->located++;
	}
}

void guest_mem_locate(struct guest_mem *mem)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		if (!mem->regions[i].located)
			region_locate(&mem->regions[i]);
}

void guest_mem_summary(const struct guest_mem *mem,
		       struct guest_mem_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->nregions = mem->nregions;
	out->nodes_known = mem->nregions > 0;
	out->huge_aligned = mem->nregions > 0;
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		out->bytes += r->size;
		out->nodes |= r->nodes;
		if (!r->located)
			out->nodes_known = false;
		if (!r->huge_aligned)
			out->huge_aligned = false;
		if (i == 0 && r->hugepages)
			out->huge_page_size = r->page_size;
		if (!r->hugepages || r->page_size != out->huge_page_size)
			out->huge_page_size = 0;
	}
	if (!out->huge_page_size)
		out->huge_aligned = false;
}

/* Watches an unsealed region for truncation (see mem_guard.h). */
static int region_watch(struct guest_mem *mem, struct guest_mem_region *r)
{
	int ret;

	r->guard = -1;
	r->sealed = mem_guard_fd_sealed(r->fd);
	if (r->sealed)
		return 0;
	ret = mem_guard_watch(r->map_base, r->map_len, &mem->broken,
			      mem->notify_fd);
	if (ret == -ENOSPC)
		log_error("cannot watch guest memory for truncation: all %u "
			  "watch slots are taken; seal guest memory against "
			  "shrinking (QEMU's memory-backend-memfd does by "
			  "default) or use fewer memory regions", MEM_GUARD_SLOTS);
	if (ret < 0)
		return ret;
	r->guard = ret;
	return 0;
}

int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size,
		  uint64_t qva, uint64_t mmap_offset, int fd)
{
	struct guest_mem_region nr = { .gpa = gpa, .size = size, .qva = qva,
				       .mmap_offset = mmap_offset, .fd = fd };
	unsigned int pos;
	uint64_t map_len;
	struct stat st;
	void *base;
	int ret;

	if (size == 0 || gpa + size < gpa || qva + size < qva ||
	    mmap_offset + size < mmap_offset || size > SIZE_MAX / 2)
		return -EINVAL;
	if (mem->nregions >= GUEST_MEM_MAX_REGIONS)
		return -ENOSPC;
	for (unsigned int i = 0; i < mem->nregions; i++)
		if (ranges_overlap(gpa, size, mem->regions[i].gpa,
				   mem->regions[i].size))
			return -EINVAL;

	map_len = mmap_offset + size;
	/* A region past the end of its file would map, then SIGBUS the first
	 * time a reactor touched it (found by fuzzing). */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size < map_len)
		return -EINVAL;
	region_page_size(&nr);
	/* Whole pages of the mapping: the kernel maps a hugetlbfs file in
	 * hugepages, and zero pages replacing it must cover all of them. */
	if (map_len > UINT64_MAX - nr.page_size)
		return -EINVAL;
	map_len = (map_len + nr.page_size - 1) / nr.page_size * nr.page_size;
	/* MAP_NORESERVE: the memory is the guest's, already accounted to it. */
	base = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	nr.map_base = base;
	nr.map_len = map_len;
	nr.hva = (uint8_t *)base + mmap_offset;
	/* Watched before anything reads it (region_locate does). */
	ret = region_watch(mem, &nr);
	if (ret) {
		munmap(base, map_len);
		return ret;
	}
	region_locate(&nr);

	pos = insert_pos(mem, gpa);
	memmove(&mem->regions[pos + 1], &mem->regions[pos],
		(mem->nregions - pos) * sizeof(mem->regions[0]));
	mem->regions[pos] = nr;
	mem->nregions++;
	mem->gen++;
	return 0;
}

int guest_mem_remove(struct guest_mem *mem, uint64_t gpa, uint64_t size)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		struct guest_mem_region *r = &mem->regions[i];

		if (r->gpa != gpa || r->size != size)
			continue;
		region_unmap(r);
		memmove(r, r + 1, (mem->nregions - i - 1) * sizeof(*r));
		mem->nregions--;
		mem->gen++;
		return 0;
	}
	return -ENOENT;
}

int guest_mem_gpa_to_iov_slow(const struct guest_mem *mem, uint64_t gpa,
			      uint64_t len, struct iovec *iov,
			      unsigned int *niov, unsigned int max_iov)
{
	if (gpa + len < gpa)
		return -EFAULT;
	while (len > 0) {
		const struct guest_mem_region *r = guest_mem_find(mem, gpa);
		uint64_t off, chunk;

		if (!r)
			return -EFAULT;
		if (*niov >= max_iov)
			return -E2BIG;
		off = gpa - r->gpa;
		chunk = r->size - off;
		if (chunk > len)
			chunk = len;
		iov[*niov].iov_base = r->hva + off;
		iov[*niov].iov_len = chunk;
		(*niov)++;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

void *guest_mem_qva_to_hva(const struct guest_mem *mem, uint64_t qva,
			   uint64_t len)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (qva >= r->qva && qva - r->qva < r->size &&
		    len <= r->size - (qva - r->qva))
			return r->hva + (qva - r->qva);
	}
	return NULL;
}

unsigned int guest_mem_host_ranges(const struct guest_mem *mem,
				   struct iovec *out)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		out[i] = (struct iovec){ .iov_base = mem->regions[i].hva,
					 .iov_len = mem->regions[i].size };
	return mem->nregions;
}
