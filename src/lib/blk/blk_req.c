/* SPDX-License-Identifier: MIT */
#include "blk/blk_req.h"
#include "util/compiler.h"
#include "util/iov.h"

#include <errno.h>
#include <string.h>

/* Drops the first len bytes of iov[0..*n), shifting the array start. */
static void iov_skip_front(struct iovec **iov, unsigned int *n, size_t len)
{
	while (*n && len) {
		if ((*iov)->iov_len > len) {
			(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + len;
			(*iov)->iov_len -= len;
			return;
		}
		len -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	/* Zero-length leading entries carry nothing; drop them too. */
	while (*n && (*iov)->iov_len == 0) {
		(*iov)++;
		(*n)--;
	}
}

/* Takes the last byte off iov[0..*n) and returns its address. */
static uint8_t *iov_take_last_byte(struct iovec *iov, unsigned int *n)
{
	struct iovec *last;

	while (*n && iov[*n - 1].iov_len == 0)
		(*n)--;
	if (!*n)
		return NULL;
	last = &iov[*n - 1];
	last->iov_len--;
	if (last->iov_len == 0)
		(*n)--; /* the status byte had a descriptor of its own */
	return (uint8_t *)last->iov_base + last->iov_len;
}

int blk_req_decode(struct virtq_chain *c, struct blk_req_info *info)
{
	struct virtio_blk_outhdr hdr;
	struct iovec *out = c->iov, *in = c->iov + c->n_out;
	unsigned int n_out = c->n_out, n_in = c->n_in;

	*info = (struct blk_req_info){ 0 };
	info->status = iov_take_last_byte(in, &n_in);
	/* Read the header once: the guest may rewrite it behind us. Linux
	 * gives it a descriptor of its own: one fixed-size copy, then. */
	if (likely(n_out && out[0].iov_len >= sizeof(hdr)))
		memcpy(&hdr, out[0].iov_base, sizeof(hdr));
	else if (iov_gather(out, n_out, &hdr, sizeof(hdr)) != sizeof(hdr))
		return -EINVAL;
	if (!info->status)
		return -EINVAL;
	iov_skip_front(&out, &n_out, sizeof(hdr));
	info->type = hdr.type;
	info->sector = hdr.sector;
	if (n_in && n_out) {
		/* Data both ways: no virtio-blk request has that. */
		info->data = NULL;
		info->ndata = 0;
		info->data_len = 0;
		info->type = UINT32_MAX; /* answered as unsupported */
		return 0;
	}
	info->data = n_in ? in : out;
	info->ndata = n_in ? n_in : n_out;
	info->data_len = info->ndata == 1 ? info->data[0].iov_len
					  : iov_total(info->data, info->ndata);
	return 0;
}
