/* SPDX-License-Identifier: MIT */
/*
 * iovec helpers for virtio-scsi requests: the headers may be split over
 * any number of guest buffers (virtio 1.x forbids assuming a layout), so
 * they are gathered and scattered, never cast in place.
 */
#include <string.h>

#include "scsi/scsi_internal.h"

int scsi_iov_split(struct iovec **iov, unsigned int *n, size_t len,
		   struct iovec *head, unsigned int max)
{
	unsigned int got = 0;

	while (len) {
		struct iovec *v = *iov;
		size_t take;

		if (*n == 0 || (head && got == max))
			return -1;
		take = v->iov_len < len ? v->iov_len : len;
		if (take && head) {
			head[got].iov_base = v->iov_base;
			head[got].iov_len = take;
			got++;
		}
		len -= take;
		if (take < v->iov_len) {
			/* The rest of this buffer is data. */
			v->iov_base = (uint8_t *)v->iov_base + take;
			v->iov_len -= take;
			break;
		}
		(*iov)++;
		(*n)--;
	}
	return (int)got;
}

void scsi_iov_trim(struct iovec *iov, unsigned int *n, uint64_t len)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (iov[i].iov_len >= len) {
			iov[i].iov_len = len;
			*n = len ? i + 1 : i;
			return;
		}
		len -= iov[i].iov_len;
	}
}

void scsi_lun_encode(uint16_t lun, uint8_t out[8])
{
	memset(out, 0, 8);
	out[0] = 1;
	/* Peripheral addressing below 256, flat space above, as QEMU does:
	 * Linux's driver reads an event's LUN as lun[2] << 8 | lun[3], so a
	 * flat-space flag on LUN 2 made it add a disk at LUN 16386 (found by
	 * the hot-plug guest test). */
	out[2] = lun < 256 ? 0 : 0x40 | (lun >> 8);
	out[3] = lun & 0xff;
}
