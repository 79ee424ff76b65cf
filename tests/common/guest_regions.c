/* SPDX-License-Identifier: MIT */
#include "guest_regions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void need(bool ok, const char *what)
{
	if (ok)
		return;
	perror(what);
	abort();
}

void guest_regions_map(struct guest_regions *t,
		       const struct guest_region *layout, unsigned int n)
{
	need(n <= GUEST_REGIONS_MAX, "guest_regions_map: too many regions");
	memset(t, 0, sizeof(*t));
	guest_mem_init(&t->mem);
	t->n = n;
	memcpy(t->layout, layout, n * sizeof(*layout));
	for (unsigned int i = 0; i < n; i++) {
		const struct guest_region *r = &layout[i];
		int fd = memfd_create("test-guest", MFD_CLOEXEC);

		need(fd >= 0, "memfd_create");
		need(ftruncate(fd, (off_t)(r->mmap_offset + r->size)) == 0,
		     "ftruncate");
		t->memfd[i] = fd;
		/* The table owns its copy, as vmiod owns what it received. */
		fd = dup(fd);
		need(fd >= 0, "dup");
		need(guest_mem_add(&t->mem, r->gpa, r->size, r->qva,
				   r->mmap_offset, fd) == 0, "guest_mem_add");
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct guest_mem_region *r =
			guest_mem_find(&t->mem, layout[i].gpa);

		need(r != NULL, "guest_mem_find");
		t->hva[i] = r->hva;
	}
}

void guest_regions_unmap(struct guest_regions *t)
{
	guest_mem_clear(&t->mem);
	for (unsigned int i = 0; i < t->n; i++)
		close(t->memfd[i]);
	t->n = 0;
}

void *guest_regions_ptr(struct guest_regions *t, uint64_t gpa)
{
	for (unsigned int i = 0; i < t->n; i++) {
		const struct guest_region *r = &t->layout[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return t->hva[i] + (gpa - r->gpa);
	}
	return NULL;
}

bool guest_regions_hold(const struct guest_regions *t, const void *p,
			size_t len)
{
	const uint8_t *b = p;

	for (unsigned int i = 0; i < t->n; i++)
		if (b >= t->hva[i] && len <= t->layout[i].size &&
		    (size_t)(b - t->hva[i]) <= t->layout[i].size - len)
			return true;
	return false;
}
