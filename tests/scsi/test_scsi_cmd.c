/* SPDX-License-Identifier: MIT */
/*
 * The SCSI command emulation, command by command: what each answers, how
 * its fields are decoded into backend I/O, and what every malformed CDB or
 * parameter list gets back. Ends with random CDBs for every opcode, checked
 * against the invariants the data path relies on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scsi/scsi_cmd.h"

#define NBLOCKS 2048ull

static struct scsi_lun_props lun = {
	.nblocks = NBLOCKS, .block_size = 512, .lun = 0, .thin = true,
	.writeback = true, .name = "s0-lun0",
};
static const uint16_t luns[] = { 0, 1, 300 };
static uint8_t din[SCSI_DIN_MAX];
static uint8_t param[SCSI_PARAM_MAX];

struct call {
	const struct scsi_lun_props *lun;
	uint64_t din_len, dout_len;
	size_t param_len;
};

static struct scsi_cmd_out run_with(const uint8_t *cdb, size_t len,
				    struct call c)
{
	struct scsi_cmd_in in = {
		.lun = c.lun, .luns = luns, .nluns = 3, .cdb = cdb,
		.cdb_len = len, .param = param, .param_len = c.param_len,
		.dout_len = c.dout_len, .din_len = c.din_len,
	};
	struct scsi_cmd_out out;

	memset(&out, 0xa5, sizeof(out));
	memset(din, 0xa5, sizeof(din));
	out.din = din;
	scsi_cmd_exec(&in, &out);
	return out;
}

/* A command on the default LUN with a 1 MiB data-in buffer. */
static struct scsi_cmd_out run(const uint8_t *cdb)
{
	return run_with(cdb, 32, (struct call){ &lun, 1 << 20, 0, 0 });
}

static void assert_good(const struct scsi_cmd_out *o)
{
	assert_int_equal(o->status, SCSI_STATUS_GOOD);
	assert_int_equal(o->sense_len, 0);
}

static void assert_sense(const struct scsi_cmd_out *o, uint8_t key,
			 uint16_t asc)
{
	assert_int_equal(o->kind, SCSI_CMD_DONE);
	assert_int_equal(o->status, SCSI_STATUS_CHECK_CONDITION);
	assert_int_equal(o->sense_len, SCSI_SENSE_LEN);
	assert_int_equal(o->sense[0], 0x70);
	assert_int_equal(o->sense[2] & 0x0f, key);
	assert_int_equal(o->sense[7], 10);
	assert_int_equal(o->sense[12], asc >> 8);
	assert_int_equal(o->sense[13], asc & 0xff);
	assert_int_equal(o->din_len, 0);
}

/* INVALID FIELD IN CDB whose sense points at the offending byte. */
static void assert_invalid_field(const struct scsi_cmd_out *o,
				 unsigned int byte)
{
	assert_sense(o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_true(o->sense[15] & 0x80);
	assert_true(o->sense[15] & 0x40);
	assert_int_equal(o->sense[16] << 8 | o->sense[17], byte);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static void test_unit_ready(void **s)
{
	uint8_t cdb[6] = { SCSI_TEST_UNIT_READY };
	struct scsi_cmd_out o = run(cdb);

	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_DONE);
	o = run_with(cdb, 6, (struct call){ NULL, 0, 0, 0 });
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LUN_NOT_SUPPORTED);
	cdb[0] = SCSI_START_STOP_UNIT;
	o = run(cdb);
	assert_good(&o);
}

static void test_inquiry_standard(void **s)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0, 0, 0, 255 };
	struct scsi_cmd_out o = run(cdb);

	assert_good(&o);
	assert_int_equal(o.din_len, 36);
	assert_int_equal(din[0], 0x00);
	assert_int_equal(din[2], 0x06);
	assert_int_equal(din[3] & 0x0f, 2);
	assert_int_equal(din[4], 31);
	assert_memory_equal(din + 8, "VMIO    ", 8);
	/* Cut to the allocation length. */
	cdb[4] = 5;
	o = run(cdb);
	assert_int_equal(o.din_len, 5);
	/* ... and to the buffer the initiator gave. */
	cdb[4] = 255;
	o = run_with(cdb, 6, (struct call){ &lun, 20, 0, 0 });
	assert_int_equal(o.din_len, 20);
	/* No unit: peripheral qualifier 3, device type 0x1f. */
	o = run_with(cdb, 6, (struct call){ NULL, 255, 0, 0 });
	assert_good(&o);
	assert_int_equal(din[0], 0x7f);
	/* A page code without EVPD, and the obsolete CMDDT. */
	cdb[2] = 0x80;
	o = run(cdb);
	assert_invalid_field(&o, 2);
	cdb[2] = 0;
	cdb[1] = 0x02;
	o = run(cdb);
	assert_invalid_field(&o, 1);
}

static struct scsi_cmd_out vpd(uint8_t page, const struct scsi_lun_props *l)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 1, page, 0x10, 0 };

	return run_with(cdb, 6, (struct call){ l, 4096, 0, 0 });
}

static void test_inquiry_vpd(void **s)
{
	struct scsi_lun_props thick = lun;
	struct scsi_cmd_out o = vpd(0x00, &lun);
	static const uint8_t pages[] = { 0, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };

	assert_good(&o);
	assert_int_equal(din[1], 0);
	assert_int_equal(din[3], sizeof(pages));
	assert_memory_equal(din + 4, pages, sizeof(pages));

	o = vpd(0x80, &lun);
	assert_int_equal(din[3], strlen("s0-lun0"));
	assert_memory_equal(din + 4, "s0-lun0", 7);

	o = vpd(0x83, &lun);
	assert_good(&o);
	assert_int_equal(din[4] & 0x0f, 2);      /* ASCII */
	assert_int_equal(din[5] & 0x0f, 1);      /* T10 vendor ID */
	assert_memory_equal(din + 8, "VMIO    s0-lun0", 15);
	{
		uint8_t *naa = din + 4 + 4 + din[7];

		assert_int_equal(naa[1] & 0x0f, 3);  /* NAA */
		assert_int_equal(naa[4] >> 4, 3);    /* locally assigned */
	}

	o = vpd(0xb0, &lun);
	assert_int_equal(din[3], 0x3c);
	assert_int_equal(din[4] & 1, 1);         /* WSNZ */
	assert_int_equal(be32(din + 8), SCSI_MAX_XFER_BYTES / 512);
	assert_int_equal(be32(din + 20), SCSI_UNMAP_MAX_BLOCKS);
	assert_int_equal(be32(din + 24), SCSI_UNMAP_MAX_DESC);
	assert_int_equal(be32(din + 28), 8);     /* 4 KiB of 512 B blocks */
	assert_int_equal(be32(din + 32), 0x80000000u);
	assert_int_equal(be64(din + 36), SCSI_WS_MAX_BLOCKS);

	o = vpd(0xb1, &lun);
	assert_int_equal(din[4] << 8 | din[5], 1);

	o = vpd(0xb2, &lun);
	assert_int_equal(din[5], 0x80 | 0x40 | 0x04);
	assert_int_equal(din[6] & 7, 2);
	thick.thin = false;
	o = vpd(0xb2, &thick);
	assert_int_equal(din[5], 0);
	o = vpd(0xb0, &thick);
	assert_int_equal(be32(din + 20), 0);

	o = vpd(0x99, &lun);
	assert_invalid_field(&o, 2);
	o = vpd(0x80, NULL);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LUN_NOT_SUPPORTED);
}

static void test_read_capacity(void **s)
{
	uint8_t c10[10] = { SCSI_READ_CAPACITY_10 };
	uint8_t c16[16] = { SCSI_SERVICE_ACTION_IN_16, 0x10 };
	struct scsi_lun_props big = lun;
	struct scsi_cmd_out o = run(c10);

	assert_good(&o);
	assert_int_equal(o.din_len, 8);
	assert_int_equal(be32(din), NBLOCKS - 1);
	assert_int_equal(be32(din + 4), 512);
	big.nblocks = 1ull << 33;
	big.block_size = 4096;
	o = run_with(c10, 10, (struct call){ &big, 8, 0, 0 });
	assert_int_equal(be32(din), 0xffffffffu);
	c10[2] = 1; /* LBA without PMI */
	o = run(c10);
	assert_invalid_field(&o, 2);

	c16[13] = 32;
	o = run_with(c16, 16, (struct call){ &big, 64, 0, 0 });
	assert_good(&o);
	assert_int_equal(o.din_len, 32);
	assert_true(be64(din) == (1ull << 33) - 1);
	assert_int_equal(be32(din + 8), 4096);
	assert_int_equal(din[14] & 0xc0, 0xc0); /* LBPME, LBPRZ */
	big.thin = false;
	o = run_with(c16, 16, (struct call){ &big, 64, 0, 0 });
	assert_int_equal(din[14] & 0xc0, 0);
	c16[13] = 12;
	o = run(c16);
	assert_int_equal(o.din_len, 12);
	c16[1] = 0x11; /* another service action */
	o = run(c16);
	assert_invalid_field(&o, 1);
}

static void expect_rw(const uint8_t *cdb, enum scsi_io_op op, uint64_t lba,
		      uint32_t n, bool fua)
{
	struct scsi_cmd_out o = run_with(cdb, 32,
		(struct call){ &lun, 1 << 20, 1 << 20, 0 });

	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_IO);
	assert_int_equal(o.op, op);
	assert_int_equal(o.next, 1);
	assert_true(o.ext[0].lba == lba);
	assert_int_equal(o.ext[0].nblocks, n);
	assert_true(o.xfer_bytes == (uint64_t)n * 512);
	assert_int_equal(o.fua, fua);
}

static void test_rw_decode(void **s)
{
	uint8_t c6[32] = { SCSI_READ_6, 0x1f, 0x00, 0x05, 0 };
	uint8_t c10[32] = { SCSI_WRITE_10, 0x08, 0, 0, 0x01, 0x00, 0, 0, 16 };
	uint8_t c12[32] = { SCSI_READ_12, 0, 0, 0, 0, 7, 0, 0, 0, 9 };
	uint8_t c16[32] = { SCSI_WRITE_16 };

	/* 21-bit LBA; length 0 means 256 blocks. LBA 0x1f0005 is far out. */
	c6[1] = 0;
	c6[3] = 5;
	expect_rw(c6, SCSI_IO_READ, 5, 256, false);
	c6[0] = SCSI_WRITE_6;
	c6[4] = 3;
	expect_rw(c6, SCSI_IO_WRITE, 5, 3, false);
	expect_rw(c10, SCSI_IO_WRITE, 256, 16, true);
	c10[0] = SCSI_READ_10;
	expect_rw(c10, SCSI_IO_READ, 256, 16, false);
	expect_rw(c12, SCSI_IO_READ, 7, 9, false);
	put64(c16 + 2, NBLOCKS - 8);
	put32(c16 + 10, 8);
	expect_rw(c16, SCSI_IO_WRITE, NBLOCKS - 8, 8, false);
	c16[0] = SCSI_READ_16;
	expect_rw(c16, SCSI_IO_READ, NBLOCKS - 8, 8, false);
}

static void test_rw_errors(void **s)
{
	uint8_t c16[32] = { SCSI_READ_16 };
	struct scsi_lun_props ro = lun;
	struct scsi_cmd_out o;

	/* One block past the end, and an LBA that would wrap around. */
	put64(c16 + 2, NBLOCKS - 8);
	put32(c16 + 10, 9);
	o = run(c16);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	put64(c16 + 2, UINT64_MAX);
	put32(c16 + 10, 2);
	o = run(c16);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* Zero blocks: nothing moves. */
	put64(c16 + 2, 0);
	put32(c16 + 10, 0);
	o = run(c16);
	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_DONE);
	/* Longer than we allow, then longer than the buffer given. */
	put32(c16 + 10, SCSI_MAX_XFER_BYTES / 512 + 1);
	lun.nblocks = 1ull << 40;
	o = run_with(c16, 16, (struct call){ &lun, 1ull << 30, 0, 0 });
	lun.nblocks = NBLOCKS;
	assert_invalid_field(&o, 10);
	put32(c16 + 10, 4);
	o = run_with(c16, 16, (struct call){ &lun, 4 * 512 - 1, 0, 0 });
	assert_invalid_field(&o, 10);
	/* A read whose buffer is data-out only. */
	o = run_with(c16, 16, (struct call){ &lun, 0, 4096, 0 });
	assert_invalid_field(&o, 10);
	/* Protection information was not offered. */
	c16[1] = 0x20;
	o = run(c16);
	assert_invalid_field(&o, 1);
	c16[1] = 0;
	/* Writes to a read-only unit; reads are fine. */
	ro.ro = true;
	o = run_with(c16, 16, (struct call){ &ro, 4096, 0, 0 });
	assert_good(&o);
	c16[0] = SCSI_WRITE_16;
	o = run_with(c16, 16, (struct call){ &ro, 0, 4096, 0 });
	assert_sense(&o, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
}

static void test_write_same(void **s)
{
	uint8_t cdb[16] = { SCSI_WRITE_SAME_16, 0x08 };
	struct scsi_lun_props thick = lun, ro = lun;
	struct call c = { &lun, 0, 512, 512 };
	struct scsi_cmd_out o;

	memset(param, 0, sizeof(param));
	put64(cdb + 2, 100);
	put32(cdb + 10, 1000);
	o = run_with(cdb, 16, c);
	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_IO);
	assert_int_equal(o.op, SCSI_IO_WRITE_ZEROES);
	assert_true(o.may_unmap);
	assert_true(o.ext[0].lba == 100);
	assert_int_equal(o.ext[0].nblocks, 1000);
	/* Without UNMAP, or on a thick unit, the zeroes are written. */
	cdb[1] = 0;
	o = run_with(cdb, 16, c);
	assert_false(o.may_unmap);
	cdb[1] = 0x08;
	thick.thin = false;
	o = run_with(cdb, 16, (struct call){ &thick, 0, 512, 512 });
	assert_false(o.may_unmap);
	/* A pattern that is not zero is more than we can repeat. */
	param[511] = 1;
	o = run_with(cdb, 16, c);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_PARAM);
	/* ... unless NDOB says there is no data at all. */
	cdb[1] |= 0x01;
	o = run_with(cdb, 16, (struct call){ &lun, 0, 0, 0 });
	assert_good(&o);
	cdb[1] = 0x08;
	memset(param, 0, 512);
	/* The data block is missing. */
	o = run_with(cdb, 16, (struct call){ &lun, 0, 100, 100 });
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_PARAM_LIST_LENGTH);
	/* Zero blocks, too many, out of range, read-only. */
	put32(cdb + 10, 0);
	o = run_with(cdb, 16, c);
	assert_invalid_field(&o, 10);
	put32(cdb + 10, SCSI_WS_MAX_BLOCKS + 1);
	o = run_with(cdb, 16, c);
	assert_invalid_field(&o, 10);
	put32(cdb + 10, NBLOCKS);
	o = run_with(cdb, 16, c);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	put32(cdb + 10, 1);
	ro.ro = true;
	o = run_with(cdb, 16, (struct call){ &ro, 0, 512, 512 });
	assert_sense(&o, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
}

/* An UNMAP parameter list of n descriptors in param; returns its length. */
static uint16_t unmap_list(unsigned int n, const uint64_t *lba,
			   const uint32_t *count)
{
	uint16_t len = (uint16_t)(8 + 16 * n);

	memset(param, 0, len);
	param[0] = (uint8_t)((len - 2) >> 8);
	param[1] = (uint8_t)(len - 2);
	param[2] = (uint8_t)((16 * n) >> 8);
	param[3] = (uint8_t)(16 * n);
	for (unsigned int i = 0; i < n; i++) {
		put64(param + 8 + 16 * i, lba[i]);
		put32(param + 16 + 16 * i, count[i]);
	}
	return len;
}

static struct scsi_cmd_out unmap(const struct scsi_lun_props *l,
				 uint16_t plen, size_t gathered)
{
	uint8_t cdb[10] = { SCSI_UNMAP };

	cdb[7] = plen >> 8;
	cdb[8] = plen & 0xff;
	return run_with(cdb, 10, (struct call){ l, 0, gathered, gathered });
}

static void test_unmap(void **s)
{
	uint64_t lba[SCSI_UNMAP_MAX_DESC + 1] = { 8, 0, 2000 };
	uint32_t cnt[SCSI_UNMAP_MAX_DESC + 1] = { 64, 0, 48 };
	struct scsi_lun_props thick = lun, ro = lun;
	uint16_t len = unmap_list(3, lba, cnt);
	struct scsi_cmd_out o = unmap(&lun, len, len);

	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_IO);
	assert_int_equal(o.op, SCSI_IO_UNMAP);
	assert_int_equal(o.next, 2);           /* the empty one is skipped */
	assert_true(o.ext[0].lba == 8 && o.ext[0].nblocks == 64);
	assert_true(o.ext[1].lba == 2000 && o.ext[1].nblocks == 48);
	/* Nothing to do: no list, or only empty descriptors. */
	o = unmap(&lun, 0, 0);
	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_DONE);
	len = unmap_list(1, lba + 1, cnt + 1);
	o = unmap(&lun, len, len);
	assert_int_equal(o.kind, SCSI_CMD_DONE);
	/* A list shorter than its header. */
	o = unmap(&lun, 7, 7);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_PARAM_LIST_LENGTH);
	/* The CDB claims more than was sent. */
	len = unmap_list(3, lba, cnt);
	o = unmap(&lun, 4000, len);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_PARAM_LIST_LENGTH);
	/* The header claims more descriptors than the list holds. */
	param[2] = 0x0f;
	o = unmap(&lun, len, len);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_PARAM_LIST_LENGTH);
	/* More descriptors than we advertise. */
	for (unsigned int i = 0; i <= SCSI_UNMAP_MAX_DESC; i++) {
		lba[i] = i;
		cnt[i] = 1;
	}
	len = unmap_list(SCSI_UNMAP_MAX_DESC + 1, lba, cnt);
	o = unmap(&lun, len, len);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_PARAM);
	len = unmap_list(SCSI_UNMAP_MAX_DESC, lba, cnt);
	o = unmap(&lun, len, len);
	assert_int_equal(o.next, SCSI_UNMAP_MAX_DESC);
	/* Out of range, and too many blocks in one descriptor. */
	lba[0] = NBLOCKS - 1;
	cnt[0] = 2;
	len = unmap_list(1, lba, cnt);
	o = unmap(&lun, len, len);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	lba[0] = 0;
	cnt[0] = SCSI_UNMAP_MAX_BLOCKS + 1;
	len = unmap_list(1, lba, cnt);
	o = unmap(&lun, len, len);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_PARAM);
	/* Thick units have no UNMAP; read-only ones refuse it. */
	thick.thin = false;
	o = unmap(&thick, len, len);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	ro.ro = true;
	o = unmap(&ro, len, len);
	assert_sense(&o, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* ANCHOR. */
	{
		uint8_t cdb[10] = { SCSI_UNMAP, 1, 0, 0, 0, 0, 0, 0, 24 };

		o = run_with(cdb, 10, (struct call){ &lun, 0, 24, 24 });
		assert_invalid_field(&o, 1);
	}
}

static void test_sync_cache(void **s)
{
	uint8_t c10[10] = { SCSI_SYNC_CACHE_10 };
	uint8_t c16[16] = { SCSI_SYNC_CACHE_16 };
	struct scsi_cmd_out o = run(c10);

	assert_good(&o);
	assert_int_equal(o.kind, SCSI_CMD_IO);
	assert_int_equal(o.op, SCSI_IO_FLUSH);
	assert_int_equal(o.next, 0);
	o = run(c16);
	assert_int_equal(o.op, SCSI_IO_FLUSH);
	put64(c16 + 2, NBLOCKS + 1);
	o = run(c16);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
}

static void test_mode_sense(void **s)
{
	uint8_t c6[6] = { SCSI_MODE_SENSE_6, 0, 0x08, 0, 255 };
	uint8_t c10[10] = { SCSI_MODE_SENSE_10, 0x08, 0x3f, 0, 0, 0, 0, 1, 0 };
	struct scsi_lun_props wt = lun;
	struct scsi_cmd_out o = run(c6);

	/* Header, block descriptor, caching page with WCE. */
	assert_good(&o);
	assert_int_equal(o.din_len, 4 + 8 + 20);
	assert_int_equal(din[0], 4 + 8 + 20 - 1);
	assert_int_equal(din[2] & 0x80, 0);
	assert_int_equal(din[3], 8);
	assert_int_equal(be32(din + 4), NBLOCKS);
	assert_int_equal(din[4 + 6] << 8 | din[4 + 7], 512);
	assert_int_equal(din[12], 0x08);
	assert_int_equal(din[13], 0x12);
	assert_int_equal(din[14] & 0x04, 0x04);
	wt.writeback = false;
	wt.ro = true;
	o = run_with(c6, 6, (struct call){ &wt, 255, 0, 0 });
	assert_int_equal(din[14] & 0x04, 0);
	assert_int_equal(din[2] & 0x80, 0x80);   /* write protected */
	/* Changeable values: none. */
	c6[2] = 0x48;
	o = run(c6);
	assert_int_equal(din[14], 0);
	/* Saved values are not supported. */
	c6[2] = 0xc8;
	o = run(c6);
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_SAVING_PARAMS_UNSUP);
	c6[2] = 0x1c;
	o = run(c6);
	assert_invalid_field(&o, 2);
	c6[2] = 0x08;
	c6[3] = 1;
	o = run(c6);
	assert_invalid_field(&o, 3);

	/* Ten-byte form, all pages, no block descriptor. */
	o = run(c10);
	assert_good(&o);
	assert_int_equal(o.din_len, 8 + 20 + 12);
	assert_int_equal(din[0] << 8 | din[1], 8 + 20 + 12 - 2);
	assert_int_equal(din[6] << 8 | din[7], 0);
	assert_int_equal(din[8], 0x08);
	assert_int_equal(din[28], 0x0a);
	c10[8] = 10;
	c10[7] = 0;
	o = run(c10);
	assert_int_equal(o.din_len, 10);
}

static void test_report_luns(void **s)
{
	uint8_t cdb[12] = { SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct scsi_cmd_out o = run_with(cdb, 12, (struct call){ NULL, 4096, 0, 0 });

	/* Works on a LUN with no unit (the initiator scans from LUN 0). */
	assert_good(&o);
	assert_int_equal(o.din_len, 8 + 3 * 8);
	assert_int_equal(be32(din), 24);
	assert_int_equal(din[8 + 1], 0);
	assert_int_equal(din[16 + 1], 1);
	assert_int_equal(din[24], 0x40 | (300 >> 8));
	assert_int_equal(din[25], 300 & 0xff);
	cdb[2] = 1;
	o = run(cdb);
	assert_int_equal(be32(din), 0);
	cdb[2] = 7;
	o = run(cdb);
	assert_invalid_field(&o, 2);
	cdb[2] = 0;
	cdb[8] = 0;
	cdb[9] = 15;
	o = run(cdb);
	assert_invalid_field(&o, 6);
}

static void test_request_sense(void **s)
{
	uint8_t cdb[6] = { SCSI_REQUEST_SENSE, 0, 0, 0, 252 };
	struct scsi_cmd_out o = run(cdb);

	assert_good(&o);
	assert_int_equal(o.din_len, 18);
	assert_int_equal(din[0], 0x70);
	assert_int_equal(din[2], SCSI_SK_NO_SENSE);
	o = run_with(cdb, 6, (struct call){ NULL, 4096, 0, 0 });
	assert_int_equal(din[2], SCSI_SK_ILLEGAL_REQUEST);
	assert_int_equal(din[12], 0x25);
	cdb[1] = 1;
	o = run(cdb);
	assert_invalid_field(&o, 1);
}

static void test_bad_cdbs(void **s)
{
	uint8_t cdb[32] = { 0 };
	struct scsi_cmd_out o;

	/* Unknown opcodes, and opcodes of reserved/vendor groups. */
	for (unsigned int op = 0; op < 256; op++) {
		cdb[0] = (uint8_t)op;
		if (strcmp(scsi_opcode_name(cdb[0]), "unsupported"))
			continue;
		o = run(cdb);
		assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	}
	/* Nothing at all, and a CDB shorter than its opcode's group. */
	o = run_with(cdb, 0, (struct call){ &lun, 0, 0, 0 });
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	cdb[0] = SCSI_READ_16;
	o = run_with(cdb, 10, (struct call){ &lun, 4096, 0, 0 });
	assert_sense(&o, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	/* NACA in the control byte. */
	cdb[0] = SCSI_TEST_UNIT_READY;
	cdb[5] = 0x04;
	o = run(cdb);
	assert_invalid_field(&o, 5);
	assert_int_equal(o.sense[15] & 0x0f, 0x08 | 2);
}

static void test_io_result(void **s)
{
	struct scsi_cmd_out o = { .op = SCSI_IO_READ };

	scsi_cmd_io_result(&o, 0);
	assert_good(&o);
	scsi_cmd_io_result(&o, -EIO);
	assert_sense(&o, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
	o.op = SCSI_IO_WRITE;
	scsi_cmd_io_result(&o, -EIO);
	assert_sense(&o, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	scsi_cmd_io_result(&o, -ENOSPC);
	assert_sense(&o, SCSI_SK_DATA_PROTECT, SCSI_ASC_SPACE_ALLOC_FAILED);
}

static void test_lun_decode(void **s)
{
	uint8_t l[8] = { 1, 0, 0x40, 0x05 };
	bool bad;

	assert_int_equal(scsi_lun_decode(l, &bad), 5);
	assert_false(bad);
	l[2] = 0x41;
	assert_int_equal(scsi_lun_decode(l, &bad), 256 + 5);
	l[2] = 0;
	assert_int_equal(scsi_lun_decode(l, &bad), 5);
	l[2] = 0x80; /* logical unit addressing: not ours */
	assert_int_equal(scsi_lun_decode(l, &bad), -1);
	assert_false(bad);
	l[2] = 0x40;
	l[6] = 1;    /* second level */
	assert_int_equal(scsi_lun_decode(l, &bad), -1);
	l[6] = 0;
	l[1] = 3;    /* another target */
	assert_int_equal(scsi_lun_decode(l, &bad), -1);
	assert_true(bad);
	l[1] = 0;
	l[0] = 0;
	assert_int_equal(scsi_lun_decode(l, &bad), -1);
	assert_true(bad);
}

/* Random CDBs and parameter lists: whatever comes in, the answer is one
 * the data path can act on without checking it again. */
static void test_random_cdbs(void **s)
{
	uint8_t cdb[32];
	unsigned int seed = 12345;

	for (int iter = 0; iter < 200000; iter++) {
		struct call c = { &lun, rand_r(&seed) % 8192,
				  rand_r(&seed) % 8192, 0 };
		struct scsi_cmd_out o;

		for (size_t i = 0; i < sizeof(cdb); i++)
			cdb[i] = (uint8_t)rand_r(&seed);
		/* Bias towards opcodes we implement and small fields. */
		if (iter & 1) {
			static const uint8_t ops[] = {
				0x00, 0x03, 0x08, 0x0a, 0x12, 0x1a, 0x1b,
				0x25, 0x28, 0x2a, 0x35, 0x42, 0x5a, 0x88,
				0x8a, 0x91, 0x93, 0x9e, 0xa0, 0xa8, 0xaa };

			cdb[0] = ops[rand_r(&seed) % sizeof(ops)];
			cdb[1] &= rand_r(&seed) & 0x1f;
			for (int i = 2; i < 10; i++)
				if (rand_r(&seed) & 1)
					cdb[i] = 0;
			cdb[15] = cdb[11] = cdb[9] = cdb[5] = 0;
		}
		c.param_len = c.dout_len < SCSI_PARAM_MAX ? c.dout_len : SCSI_PARAM_MAX;
		for (size_t i = 0; i < c.param_len && i < 64; i++)
			param[i] = (uint8_t)rand_r(&seed);
		if (iter % 7 == 0)
			c.lun = NULL;
		o = run_with(cdb, rand_r(&seed) % 33, c);
		assert_true(o.status == SCSI_STATUS_GOOD ||
			    o.status == SCSI_STATUS_CHECK_CONDITION);
		assert_true(o.din_len <= c.din_len && o.din_len <= SCSI_DIN_MAX);
		if (o.status != SCSI_STATUS_GOOD) {
			assert_int_equal(o.kind, SCSI_CMD_DONE);
			continue;
		}
		if (o.kind != SCSI_CMD_IO)
			continue;
		assert_non_null(c.lun);
		assert_true(o.next <= SCSI_UNMAP_MAX_DESC);
		assert_true(o.xfer_bytes <= SCSI_MAX_XFER_BYTES);
		if (o.op == SCSI_IO_READ)
			assert_true(o.xfer_bytes <= c.din_len);
		if (o.op == SCSI_IO_WRITE)
			assert_true(o.xfer_bytes <= c.dout_len);
		for (unsigned int i = 0; i < o.next; i++)
			assert_true(o.ext[i].nblocks > 0 &&
				    o.ext[i].lba + o.ext[i].nblocks <= NBLOCKS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_ready),
		cmocka_unit_test(test_inquiry_standard),
		cmocka_unit_test(test_inquiry_vpd),
		cmocka_unit_test(test_read_capacity),
		cmocka_unit_test(test_rw_decode),
		cmocka_unit_test(test_rw_errors),
		cmocka_unit_test(test_write_same),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_sync_cache),
		cmocka_unit_test(test_mode_sense),
		cmocka_unit_test(test_report_luns),
		cmocka_unit_test(test_request_sense),
		cmocka_unit_test(test_bad_cdbs),
		cmocka_unit_test(test_io_result),
		cmocka_unit_test(test_lun_decode),
		cmocka_unit_test(test_random_cdbs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
