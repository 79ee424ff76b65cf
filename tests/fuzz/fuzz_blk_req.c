/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes virtio-blk request decoding (blk_req_decode) over arbitrary
 * descriptor layouts. Each buffer is its own heap allocation of exactly its
 * length, so AddressSanitizer sees any byte read or written past one.
 *
 * The input: byte 0 and 1 give the device-readable and device-writable
 * buffer counts (modulo 9), then one length byte per buffer (modulo 128),
 * then the buffers' bytes in order (the header is the first 16 readable
 * bytes, wherever the driver put them).
 *
 * Oracles: the status pointer is the last byte of the last non-empty
 * writable buffer; decoding fails exactly when there are fewer than 16
 * readable bytes or no writable byte; the type and sector are the header's;
 * every data iovec lies inside one buffer of the direction it claims, after
 * the header and never over the status byte; data_len is their sum and
 * covers everything but the header and the status.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_req.h"
#include "fuzz.h"

#define MAX_BUFS 8
#define HDR 16

struct layout {
	struct iovec orig[2 * MAX_BUFS]; /* as the chain named them */
	unsigned int n_out, n_in;
	size_t readable, writable;
	uint8_t *status;                 /* expected */
};

static void build(struct fuzz_in *in, struct layout *l)
{
	unsigned int n;

	l->n_out = fuzz_u8(in) % (MAX_BUFS + 1);
	l->n_in = fuzz_u8(in) % (MAX_BUFS + 1);
	n = l->n_out + l->n_in;
	l->readable = l->writable = 0;
	l->status = NULL;
	for (unsigned int i = 0; i < n; i++) {
		size_t len = fuzz_u8(in) % 128;

		l->orig[i].iov_len = len;
		l->orig[i].iov_base = malloc(len ? len : 1);
		FUZZ_CHECK(l->orig[i].iov_base);
		if (i < l->n_out)
			l->readable += len;
		else
			l->writable += len;
		if (i >= l->n_out && len)
			l->status = (uint8_t *)l->orig[i].iov_base + len - 1;
	}
	for (unsigned int i = 0; i < n; i++)
		fuzz_bytes(in, l->orig[i].iov_base, l->orig[i].iov_len);
}

/* Which original buffer holds [p, p+len), or -1. */
static int owner(const struct layout *l, const uint8_t *p, size_t len)
{
	for (unsigned int i = 0; i < l->n_out + l->n_in; i++) {
		const uint8_t *b = l->orig[i].iov_base;

		if (p >= b && (size_t)(p - b) <= l->orig[i].iov_len &&
		    len <= l->orig[i].iov_len - (size_t)(p - b))
			return (int)i;
	}
	return -1;
}

/* Offset of p in the readable byte stream (buffer j holds it). */
static size_t stream_offset(const struct layout *l, unsigned int j,
			    const uint8_t *p)
{
	size_t off = 0;

	for (unsigned int i = 0; i < j; i++)
		off += l->orig[i].iov_len;
	return off + (size_t)(p - (const uint8_t *)l->orig[j].iov_base);
}

static void check_data(const struct layout *l, const struct blk_req_info *info)
{
	uint64_t sum = 0;
	bool writable_data = false, readable_data = false;

	for (unsigned int i = 0; i < info->ndata; i++) {
		const uint8_t *p = info->data[i].iov_base;
		size_t len = info->data[i].iov_len;
		int j = owner(l, p, len);

		sum += len;
		if (!len)
			continue;
		FUZZ_CHECK(j >= 0);
		if ((unsigned int)j < l->n_out) {
			readable_data = true;
			FUZZ_CHECK(stream_offset(l, (unsigned int)j, p) >= HDR);
		} else {
			writable_data = true;
			FUZZ_CHECK(info->status < p || info->status >= p + len);
		}
	}
	FUZZ_CHECK(!(readable_data && writable_data));
	FUZZ_CHECK(sum == info->data_len);
	if (info->type != UINT32_MAX)
		FUZZ_CHECK(info->data_len == (l->readable - HDR) + (l->writable - 1));
}

/* The iovec helpers over the decoded data, as GET_ID and DISCARD use them. */
static void exercise_copies(const struct blk_req_info *info)
{
	static uint8_t bounce[4096];
	size_t len = info->data_len < sizeof(bounce) ? info->data_len
						     : sizeof(bounce);

	FUZZ_CHECK(iov_gather(info->data, info->ndata, bounce, len) == len);
	FUZZ_CHECK(iov_scatter(info->data, info->ndata, bounce, len) == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct iovec iov[2 * MAX_BUFS];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 * MAX_BUFS };
	struct virtio_blk_outhdr hdr;
	struct blk_req_info info;
	struct layout l;
	int ret;

	build(&in, &l);
	memcpy(iov, l.orig, sizeof(iov));
	c.n_out = l.n_out;
	c.n_in = l.n_in;
	iov_gather(l.orig, l.n_out, &hdr, sizeof(hdr));

	ret = blk_req_decode(&c, &info);
	FUZZ_CHECK(info.status == l.status);
	FUZZ_CHECK((ret != 0) == (l.readable < HDR || !l.status));
	if (ret == 0) {
		FUZZ_CHECK(info.type == hdr.type || info.type == UINT32_MAX);
		FUZZ_CHECK(info.sector == hdr.sector);
		check_data(&l, &info);
		exercise_copies(&info);
	} else {
		FUZZ_CHECK(ret == -EINVAL);
	}
	for (unsigned int i = 0; i < l.n_out + l.n_in; i++)
		free(l.orig[i].iov_base);
	return 0;
}
