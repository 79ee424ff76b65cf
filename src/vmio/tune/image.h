/* SPDX-License-Identifier: MIT */
/* Disk images: the qcow2 header (virtual size, backing file) read
 * directly, so chains are measured without running qemu-img. */
#ifndef VMIO_TUNE_IMAGE_H
#define VMIO_TUNE_IMAGE_H

#include <stdbool.h>

struct image_info {
	bool qcow2;
	unsigned long long vsize;
	char backing[4096];
};

int image_probe(const char *root, const char *path, struct image_info *ii);
int image_chain_depth(const char *root, const char *path, int *depth,
		      char *why, size_t whylen);

#endif
