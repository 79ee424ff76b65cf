/* SPDX-License-Identifier: MIT */
/* virtio-blk request decoding from popped chains of any layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_req.h"

static uint8_t buf[8192];
static struct iovec iov[8];

/* Writes a header at any offset (a driver may put it anywhere). */
static void hdr_at(size_t off, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .ioprio = 0, .sector = sector };

	memcpy(buf + off, &h, sizeof(h));
}

static struct virtq_chain chain(unsigned int n_out, unsigned int n_in)
{
	struct virtq_chain c = { .iov = iov, .max_iov = 8, .n_out = n_out,
				 .n_in = n_in };

	return c;
}

static void test_linux_layout_read(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(1, 2);

	hdr_at(0, VIRTIO_BLK_T_IN, 77);
	iov[0] = (struct iovec){ buf, 16 };
	iov[1] = (struct iovec){ buf + 512, 4096 };
	iov[2] = (struct iovec){ buf + 5000, 1 };
	assert_int_equal(blk_req_decode(&c, &info), 0);
	assert_int_equal(info.type, VIRTIO_BLK_T_IN);
	assert_int_equal(info.sector, 77);
	assert_ptr_equal(info.status, buf + 5000);
	assert_int_equal(info.ndata, 1);
	assert_int_equal(info.data_len, 4096);
	assert_ptr_equal(info.data[0].iov_base, buf + 512);
}

static void test_write_with_header_and_data_in_one_buffer(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(1, 1);

	hdr_at(0, VIRTIO_BLK_T_OUT, 8);
	iov[0] = (struct iovec){ buf, 16 + 1024 };
	iov[1] = (struct iovec){ buf + 4000, 1 };
	assert_int_equal(blk_req_decode(&c, &info), 0);
	assert_int_equal(info.type, VIRTIO_BLK_T_OUT);
	assert_int_equal(info.data_len, 1024);
	assert_ptr_equal(info.data[0].iov_base, buf + 16);
	assert_ptr_equal(info.status, buf + 4000);
}

static void test_header_split_and_status_inside_data(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(2, 1);

	hdr_at(100, VIRTIO_BLK_T_IN, 1234);
	/* The header arrives in two pieces, 10 + 6 bytes. */
	iov[0] = (struct iovec){ buf + 100, 10 };
	iov[1] = (struct iovec){ buf + 110, 6 };
	/* One writable buffer holds data and the trailing status byte. */
	iov[2] = (struct iovec){ buf + 1024, 513 };
	assert_int_equal(blk_req_decode(&c, &info), 0);
	assert_int_equal(info.sector, 1234);
	assert_int_equal(info.ndata, 1);
	assert_int_equal(info.data_len, 512);
	assert_ptr_equal(info.status, buf + 1024 + 512);
}

static void test_flush_has_no_data(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(1, 1);

	hdr_at(0, VIRTIO_BLK_T_FLUSH, 0);
	iov[0] = (struct iovec){ buf, 16 };
	iov[1] = (struct iovec){ buf + 64, 1 };
	assert_int_equal(blk_req_decode(&c, &info), 0);
	assert_int_equal(info.type, VIRTIO_BLK_T_FLUSH);
	assert_int_equal(info.data_len, 0);
	assert_ptr_equal(info.status, buf + 64);
}

static void test_short_header_is_refused(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(1, 1);

	iov[0] = (struct iovec){ buf, 15 };
	iov[1] = (struct iovec){ buf + 64, 1 };
	assert_int_equal(blk_req_decode(&c, &info), -EINVAL);
	/* The status byte is known, so an error can still be reported. */
	assert_ptr_equal(info.status, buf + 64);
}

static void test_no_status_byte_is_refused(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(1, 0);

	hdr_at(0, VIRTIO_BLK_T_OUT, 0);
	iov[0] = (struct iovec){ buf, 16 + 512 };
	assert_int_equal(blk_req_decode(&c, &info), -EINVAL);
	assert_null(info.status);
}

static void test_data_both_ways_is_unsupported(void **state)
{
	struct blk_req_info info;
	struct virtq_chain c = chain(1, 2);

	hdr_at(0, VIRTIO_BLK_T_OUT, 0);
	iov[0] = (struct iovec){ buf, 16 + 512 };
	iov[1] = (struct iovec){ buf + 1024, 512 };
	iov[2] = (struct iovec){ buf + 2048, 1 };
	assert_int_equal(blk_req_decode(&c, &info), 0);
	assert_int_equal(info.type, UINT32_MAX);
}

static void test_gather_scatter(void **state)
{
	uint8_t a[4], b[4], out[8];
	struct iovec v[2] = { { a, 4 }, { b, 4 } };

	assert_int_equal(iov_scatter(v, 2, "abcdefgh", 6), 6);
	assert_memory_equal(a, "abcd", 4);
	assert_memory_equal(b, "ef", 2);
	assert_int_equal(iov_gather(v, 2, out, 8), 8);
	assert_memory_equal(out, "abcdef", 6);
	assert_int_equal(iov_gather(v, 1, out, 8), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_layout_read),
		cmocka_unit_test(test_write_with_header_and_data_in_one_buffer),
		cmocka_unit_test(test_header_split_and_status_inside_data),
		cmocka_unit_test(test_flush_has_no_data),
		cmocka_unit_test(test_short_header_is_refused),
		cmocka_unit_test(test_no_status_byte_is_refused),
		cmocka_unit_test(test_data_both_ways_is_unsupported),
		cmocka_unit_test(test_gather_scatter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
