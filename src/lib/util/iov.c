/* SPDX-License-Identifier: MIT */
#include "util/iov.h"

#include <string.h>

size_t iov_gather(const struct iovec *iov, unsigned int n, void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t chunk = iov[i].iov_len;

		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)dst + done, iov[i].iov_base, chunk);
		done += chunk;
	}
	return done;
}

size_t iov_scatter(const struct iovec *iov, unsigned int n, const void *src,
		   size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t chunk = iov[i].iov_len;

		if (chunk > len - done)
			chunk = len - done;
		memcpy(iov[i].iov_base, (const uint8_t *)src + done, chunk);
		done += chunk;
	}
	return done;
}

uint64_t iov_total(const struct iovec *iov, unsigned int n)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}
