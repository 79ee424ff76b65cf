/* SPDX-License-Identifier: MIT */
/*
 * Memory for a reactor's pools (request slots and the like) on the
 * reactor's own NUMA node, from hugepages when the host has some free.
 * Both are best effort: with no hugepage free, or a kernel without NUMA,
 * the memory comes from ordinary pages anywhere, silently.
 */
#ifndef VMIO_ENGINE_NUMA_ALLOC_H
#define VMIO_ENGINE_NUMA_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

struct reactor;

/* Zeroed memory for n objects of size bytes, preferring node (< 0: no
 * preference). NULL on overflow or when no memory at all is left. */
void *numa_pool_calloc(size_t n, size_t size, int node);
/* Frees what numa_pool_calloc returned; NULL is fine. */
void numa_pool_free(void *p);
/* Whether the pool sits on hugepages (for logs and tests). */
bool numa_pool_is_huge(const void *p);

/* The node of a reactor's CPU on this machine; -1 when not pinned or the
 * kernel has no NUMA. */
int numa_node_of_reactor(const struct reactor *r);
/* The node the reactor's io_uring submission queue entries are on (a
 * move_pages query), or -1 when unknown. For logs and tests. */
int numa_node_of_reactor_ring(struct reactor *r);

#endif
