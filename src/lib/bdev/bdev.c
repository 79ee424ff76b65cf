/* SPDX-License-Identifier: MIT */
#include "bdev/bdev.h"

void bdev_destroy(struct bdev *b)
{
	if (b)
		b->ops->destroy(b);
}

const char *bdev_op_name(enum bdev_op op)
{
	static const char *const names[] = {
		[BDEV_OP_READ] = "read",
		[BDEV_OP_WRITE] = "write",
		[BDEV_OP_FLUSH] = "flush",
		[BDEV_OP_DISCARD] = "discard",
		[BDEV_OP_WRITE_ZEROES] = "write-zeroes",
	};

	return (unsigned int)op < sizeof(names) / sizeof(names[0]) ? names[op]
								       : "unknown";
}
