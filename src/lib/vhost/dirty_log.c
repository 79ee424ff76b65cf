/* SPDX-License-Identifier: MIT */
#include "vhost/dirty_log.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost/mem_guard.h"

/* A log bit per 4 KiB page: 256 MiB of log covers 8 TiB of guest. */
#define DIRTY_LOG_MAX_BYTES (256ull << 20)

static void mark_pages(struct dirty_log *log, uint64_t gpa, uint64_t len)
{
	uint64_t first = gpa >> DIRTY_LOG_PAGE_SHIFT;
	uint64_t last = (gpa + len - 1) >> DIRTY_LOG_PAGE_SHIFT;

	/* The bytes being logged were stored before; a load may pass a
	 * store (x86 included), and a bit found set is not stored again:
	 * without this fence QEMU could clear that bit and copy the page
	 * before our bytes reach it, and never send them. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint64_t p = first; p <= last && p / 8 < log->len; p++) {
		uint8_t *byte = &log->bits[p / 8], bit = (uint8_t)(1u << (p % 8));

		/* Release: the write being logged is visible before its bit,
		 * so the pass that clears the bit copies the new bytes. A bit
		 * already set is left alone (no cache-line ping-pong with
		 * QEMU or other reactors). */
		if (!(__atomic_load_n(byte, __ATOMIC_RELAXED) & bit))
			__atomic_fetch_or(byte, bit, __ATOMIC_RELEASE);
	}
}

void dirty_log_write(const struct guest_mem *mem, const void *hva, size_t len)
{
	struct dirty_log *log = __atomic_load_n(&mem->log, __ATOMIC_ACQUIRE);
	const uint8_t *p = hva;

	if (!log)
		return;
	/* Our address back to the guest's: regions are few and sorted by
	 * gpa, not by our address, so they are scanned; a range may span
	 * adjacent mappings. */
	while (len) {
		const struct guest_mem_region *r = NULL;
		uint64_t off, n;

		for (unsigned int i = 0; i < mem->nregions; i++) {
			const struct guest_mem_region *c = &mem->regions[i];

			if (p >= c->hva && (uint64_t)(p - c->hva) < c->size) {
				r = c;
				break;
			}
		}
		if (!r)
			return;
		off = (uint64_t)(p - r->hva);
		n = r->size - off < len ? r->size - off : len;
		mark_pages(log, r->gpa + off, n);
		p += n;
		len -= n;
	}
}

void dirty_log_iov(const struct guest_mem *mem, const struct iovec *iov,
		   unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dirty_log_write(mem, iov[i].iov_base, iov[i].iov_len);
}

int dirty_log_map(struct dirty_log **out, int fd, uint64_t size,
		  uint64_t offset, int *broken, int notify_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t skip = offset % (uint64_t)page;
	struct dirty_log *log;
	struct stat st;
	void *base;
	int ret;

	if (size == 0 || size > DIRTY_LOG_MAX_BYTES || offset + size < offset ||
	    /* Past the file's end it would map, then SIGBUS a reactor. */
	    fstat(fd, &st) < 0 ||
	    (S_ISREG(st.st_mode) && (uint64_t)st.st_size < offset + size)) {
		close(fd);
		return -EINVAL;
	}
	log = calloc(1, sizeof(*log));
	if (!log) {
		close(fd);
		return -ENOMEM;
	}
	log->map_len = (size_t)(size + skip);
	base = mmap(NULL, log->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)(offset - skip));
	if (base == MAP_FAILED) {
		ret = -errno;
		close(fd);
		free(log);
		return ret;
	}
	log->guard = -1;
	/* QEMU seals its log; a front-end that does not could truncate it
	 * under a reactor. */
	if (!mem_guard_fd_sealed(fd)) {
		log->guard = mem_guard_watch(base, log->map_len, broken, notify_fd);
		if (log->guard < 0) {
			ret = log->guard;
			munmap(base, log->map_len);
			close(fd);
			free(log);
			return ret;
		}
	}
	close(fd);
	log->map = base;
	log->bits = (uint8_t *)base + skip;
	log->len = size;
	*out = log;
	return 0;
}

void dirty_log_free(struct dirty_log *log)
{
	if (!log)
		return;
	mem_guard_unwatch(log->guard);
	munmap(log->map, log->map_len);
	free(log);
}
