/* SPDX-License-Identifier: MIT */
/*
 * Command dispatch and the commands that become backend I/O: READ/WRITE in
 * all four sizes, WRITE SAME(16), UNMAP and SYNCHRONIZE CACHE. The CDB is
 * hostile input: its length is checked against the opcode's group before
 * any field is read, and every count and LBA is bounded before use.
 */
#include <errno.h>

#include "scsi/scsi_cmd_internal.h"

void scsi_cmd_check(struct scsi_cmd_out *out, uint8_t key, uint16_t asc_ascq)
{
	out->kind = SCSI_CMD_DONE;
	out->status = SCSI_STATUS_CHECK_CONDITION;
	out->din_len = 0;
	memset(out->sense, 0, sizeof(out->sense));
	out->sense[0] = 0x70;              /* current error, fixed format */
	out->sense[2] = key;
	out->sense[7] = SCSI_SENSE_LEN - 8; /* additional sense length */
	out->sense[12] = asc_ascq >> 8;
	out->sense[13] = asc_ascq & 0xff;
	out->sense_len = SCSI_SENSE_LEN;
}

/* Sense-key specific field pointer (SPC: SKSV, C/D, BPV, bit, byte). */
static void set_field_pointer(struct scsi_cmd_out *out, bool in_cdb,
			      unsigned int byte, int bit)
{
	out->sense[15] = 0x80 | (in_cdb ? 0x40 : 0);
	if (bit >= 0)
		out->sense[15] |= 0x08 | (bit & 7);
	put_be16(&out->sense[16], (uint16_t)byte);
}

void scsi_invalid_cdb(struct scsi_cmd_out *out, unsigned int byte, int bit)
{
	scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
		       SCSI_ASC_INVALID_FIELD_IN_CDB);
	set_field_pointer(out, true, byte, bit);
}

void scsi_invalid_param(struct scsi_cmd_out *out, unsigned int byte)
{
	scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
		       SCSI_ASC_INVALID_FIELD_IN_PARAM);
	set_field_pointer(out, false, byte, -1);
}

static void good(struct scsi_cmd_out *out)
{
	out->kind = SCSI_CMD_DONE;
	out->status = SCSI_STATUS_GOOD;
	out->sense_len = 0;
	out->din_len = 0;
}

void scsi_din_done(const struct scsi_cmd_in *in, struct scsi_cmd_out *out,
		   uint32_t len, uint32_t alloc)
{
	good(out);
	if (len > alloc)
		len = alloc;
	if (len > in->din_len)
		len = (uint32_t)in->din_len;
	out->din_len = len;
}

/* CDB length from the opcode's group code; 0 for groups we do not use. */
static size_t cdb_len_of(uint8_t opcode)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[opcode >> 5];
}

bool scsi_cmd_wants_param(uint8_t opcode)
{
	return opcode == SCSI_UNMAP || opcode == SCSI_WRITE_SAME_16;
}

static bool range_ok(const struct scsi_lun_props *l, uint64_t lba, uint64_t n)
{
	return lba <= l->nblocks && n <= l->nblocks - lba;
}

static void start_io(struct scsi_cmd_out *out, enum scsi_io_op op)
{
	out->kind = SCSI_CMD_IO;
	out->status = SCSI_STATUS_GOOD;
	out->sense_len = 0;
	out->din_len = 0;
	out->op = op;
	out->fua = false;
	out->may_unmap = false;
	out->xfer_bytes = 0;
	out->next = 0;
}

struct rw_fields {
	uint64_t lba;
	uint32_t nblocks;
	unsigned int len_byte; /* where the transfer length sits */
	bool fua;
	bool protect;          /* RDPROTECT/WRPROTECT set */
	bool write;
};

static void decode_rw(const uint8_t *cdb, struct rw_fields *f)
{
	uint8_t op = cdb[0];

	f->write = op == SCSI_WRITE_6 || op == SCSI_WRITE_10 ||
		   op == SCSI_WRITE_12 || op == SCSI_WRITE_16;
	f->fua = false;
	f->protect = false;
	switch (op) {
	case SCSI_READ_6:
	case SCSI_WRITE_6:
		f->lba = (uint32_t)(cdb[1] & 0x1f) << 16 | get_be16(cdb + 2);
		/* A zero length means 256 blocks in the 6-byte form. */
		f->nblocks = cdb[4] ? cdb[4] : 256;
		f->len_byte = 4;
		return;
	case SCSI_READ_10:
	case SCSI_WRITE_10:
		f->lba = get_be32(cdb + 2);
		f->nblocks = get_be16(cdb + 7);
		f->len_byte = 7;
		break;
	case SCSI_READ_12:
	case SCSI_WRITE_12:
		f->lba = get_be32(cdb + 2);
		f->nblocks = get_be32(cdb + 6);
		f->len_byte = 6;
		break;
	default:
		f->lba = get_be64(cdb + 2);
		f->nblocks = get_be32(cdb + 10);
		f->len_byte = 10;
		break;
	}
	f->fua = cdb[1] & 0x08;
	f->protect = cdb[1] & 0xe0;
}

static void cmd_rw(const struct scsi_cmd_in *in, struct scsi_cmd_out *out)
{
	const struct scsi_lun_props *l = in->lun;
	struct rw_fields f;
	uint64_t bytes;

	decode_rw(in->cdb, &f);
	if (f.protect)
		return scsi_invalid_cdb(out, 1, 7);
	if (!range_ok(l, f.lba, f.nblocks))
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_LBA_OUT_OF_RANGE);
	if (f.write && l->ro)
		return scsi_cmd_check(out, SCSI_SK_DATA_PROTECT,
				      SCSI_ASC_WRITE_PROTECTED);
	if (f.nblocks == 0)
		return good(out);
	bytes = (uint64_t)f.nblocks * l->block_size;
	/* Too long for us, or for the buffer the initiator gave. */
	if (bytes > SCSI_MAX_XFER_BYTES ||
	    bytes > (f.write ? in->dout_len : in->din_len))
		return scsi_invalid_cdb(out, f.len_byte, -1);
	start_io(out, f.write ? SCSI_IO_WRITE : SCSI_IO_READ);
	out->fua = f.write && f.fua;
	out->xfer_bytes = bytes;
	out->ext[0] = (struct scsi_extent){ f.lba, f.nblocks };
	out->next = 1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* WRITE SAME(16): we can only repeat zeroes, with or without UNMAP. */
static void cmd_write_same(const struct scsi_cmd_in *in,
			   struct scsi_cmd_out *out)
{
	const struct scsi_lun_props *l = in->lun;
	const uint8_t *cdb = in->cdb;
	bool unmap = cdb[1] & 0x08, ndob = cdb[1] & 0x01;
	uint64_t lba = get_be64(cdb + 2);
	uint32_t n = get_be32(cdb + 10);

	if (cdb[1] & 0xe0)
		return scsi_invalid_cdb(out, 1, 7);
	if (cdb[1] & 0x10) /* ANCHOR */
		return scsi_invalid_cdb(out, 1, 4);
	/* WSNZ is set in the block limits page: zero is not "to the end". */
	if (n == 0 || n > SCSI_WS_MAX_BLOCKS)
		return scsi_invalid_cdb(out, 10, -1);
	if (!range_ok(l, lba, n))
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_LBA_OUT_OF_RANGE);
	if (l->ro)
		return scsi_cmd_check(out, SCSI_SK_DATA_PROTECT,
				      SCSI_ASC_WRITE_PROTECTED);
	if (!ndob) {
		if (in->dout_len < l->block_size ||
		    in->param_len < l->block_size)
			return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
					      SCSI_ASC_PARAM_LIST_LENGTH);
		if (!all_zero(in->param, l->block_size))
			return scsi_invalid_param(out, 0);
	}
	start_io(out, SCSI_IO_WRITE_ZEROES);
	out->may_unmap = unmap && l->thin;
	out->ext[0] = (struct scsi_extent){ lba, n };
	out->next = 1;
}

/* Checks every UNMAP block descriptor before any of them runs. */
static void unmap_descriptors(const struct scsi_cmd_in *in,
			      struct scsi_cmd_out *out, const uint8_t *p,
			      unsigned int ndesc)
{
	start_io(out, SCSI_IO_UNMAP);
	for (unsigned int i = 0; i < ndesc; i++) {
		const uint8_t *d = p + 8 + 16 * i;
		uint64_t lba = get_be64(d);
		uint32_t n = get_be32(d + 8);

		if (n == 0)
			continue;
		if (n > SCSI_UNMAP_MAX_BLOCKS)
			return scsi_invalid_param(out, 8 + 16 * i + 8);
		if (!range_ok(in->lun, lba, n))
			return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
					      SCSI_ASC_LBA_OUT_OF_RANGE);
		out->ext[out->next++] = (struct scsi_extent){ lba, n };
	}
	if (out->next == 0)
		good(out);
}

static void cmd_unmap(const struct scsi_cmd_in *in, struct scsi_cmd_out *out)
{
	const uint8_t *cdb = in->cdb;
	uint16_t plen = get_be16(cdb + 7);
	uint16_t bdlen;

	/* Without logical block provisioning the command does not exist. */
	if (!in->lun->thin)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_INVALID_OPCODE);
	if (cdb[1] & 0x01) /* ANCHOR */
		return scsi_invalid_cdb(out, 1, 0);
	if (in->lun->ro)
		return scsi_cmd_check(out, SCSI_SK_DATA_PROTECT,
				      SCSI_ASC_WRITE_PROTECTED);
	if (plen == 0)
		return good(out);
	if (plen < 8 || plen > in->dout_len || plen > in->param_len)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_PARAM_LIST_LENGTH);
	bdlen = get_be16(in->param + 2);
	if (bdlen > plen - 8)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_PARAM_LIST_LENGTH);
	/* A trailing partial descriptor is ignored (SBC). */
	if (bdlen / 16 > SCSI_UNMAP_MAX_DESC)
		return scsi_invalid_param(out, 2);
	unmap_descriptors(in, out, in->param, bdlen / 16);
}

static void cmd_sync_cache(const struct scsi_cmd_in *in,
			   struct scsi_cmd_out *out, bool sixteen)
{
	const uint8_t *cdb = in->cdb;
	uint64_t lba = sixteen ? get_be64(cdb + 2) : get_be32(cdb + 2);
	uint32_t n = sixteen ? get_be32(cdb + 10) : get_be16(cdb + 7);

	/* A zero count means "to the end": only the start must exist. */
	if (!range_ok(in->lun, lba, n))
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_LBA_OUT_OF_RANGE);
	/* The whole backend is flushed: cheaper than tracking ranges, and
	 * IMMED is honoured by simply finishing before we answer. */
	start_io(out, SCSI_IO_FLUSH);
}

static void cmd_service_action_in(const struct scsi_cmd_in *in,
				  struct scsi_cmd_out *out)
{
	if ((in->cdb[1] & 0x1f) != SCSI_SAI_READ_CAPACITY_16)
		return scsi_invalid_cdb(out, 1, 4);
	scsi_info_read_capacity(in, out, true);
}

/* Commands that need the logical unit to exist. */
static void dispatch_lun(const struct scsi_cmd_in *in, struct scsi_cmd_out *out)
{
	switch (in->cdb[0]) {
	case SCSI_TEST_UNIT_READY:
	case SCSI_START_STOP_UNIT:
		return good(out);
	case SCSI_READ_6: case SCSI_READ_10: case SCSI_READ_12: case SCSI_READ_16:
	case SCSI_WRITE_6: case SCSI_WRITE_10: case SCSI_WRITE_12: case SCSI_WRITE_16:
		return cmd_rw(in, out);
	case SCSI_WRITE_SAME_16:
		return cmd_write_same(in, out);
	case SCSI_UNMAP:
		return cmd_unmap(in, out);
	case SCSI_SYNC_CACHE_10:
		return cmd_sync_cache(in, out, false);
	case SCSI_SYNC_CACHE_16:
		return cmd_sync_cache(in, out, true);
	case SCSI_READ_CAPACITY_10:
		return scsi_info_read_capacity(in, out, false);
	case SCSI_SERVICE_ACTION_IN_16:
		return cmd_service_action_in(in, out);
	case SCSI_MODE_SENSE_6:
		return scsi_info_mode_sense(in, out, false);
	case SCSI_MODE_SENSE_10:
		return scsi_info_mode_sense(in, out, true);
	default:
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_INVALID_OPCODE);
	}
}

void scsi_cmd_exec(const struct scsi_cmd_in *in, struct scsi_cmd_out *out)
{
	size_t need;

	out->kind = SCSI_CMD_DONE;
	out->next = 0;
	if (in->cdb_len == 0)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_INVALID_OPCODE);
	need = cdb_len_of(in->cdb[0]);
	if (need == 0 || need > in->cdb_len)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_INVALID_OPCODE);
	/* NACA and LINK ask for ACA and linked commands: not supported. */
	if (in->cdb[need - 1] & 0x05)
		return scsi_invalid_cdb(out, (unsigned int)need - 1,
					in->cdb[need - 1] & 0x04 ? 2 : 0);
	switch (in->cdb[0]) {
	case SCSI_INQUIRY:
		return scsi_info_inquiry(in, out);
	case SCSI_REPORT_LUNS:
		return scsi_info_report_luns(in, out);
	case SCSI_REQUEST_SENSE:
		return scsi_info_request_sense(in, out);
	}
	if (!in->lun)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_LUN_NOT_SUPPORTED);
	dispatch_lun(in, out);
}

void scsi_cmd_io_result(struct scsi_cmd_out *out, int err)
{
	bool read = out->op == SCSI_IO_READ;

	out->kind = SCSI_CMD_DONE;
	if (err == 0)
		return good(out);
	switch (err) {
	case -ENOSPC:
	case -EDQUOT:
		/* Thin backing store ran out of room. */
		return scsi_cmd_check(out, SCSI_SK_DATA_PROTECT,
				      SCSI_ASC_SPACE_ALLOC_FAILED);
	case -EROFS:
	case -EPERM:
	case -EACCES:
		return scsi_cmd_check(out, SCSI_SK_DATA_PROTECT,
				      SCSI_ASC_WRITE_PROTECTED);
	case -ECANCELED:
		return scsi_cmd_check(out, SCSI_SK_ABORTED_COMMAND,
				      SCSI_ASC_NONE);
	default:
		return scsi_cmd_check(out, SCSI_SK_MEDIUM_ERROR,
				      read ? SCSI_ASC_UNRECOVERED_READ_ERROR :
					     SCSI_ASC_WRITE_ERROR);
	}
}

int scsi_lun_decode(const uint8_t lun[8], bool *bad_target)
{
	*bad_target = lun[0] != 1 || lun[1] != 0;
	if (*bad_target)
		return -1;
	if (lun[4] | lun[5] | lun[6] | lun[7])
		return -1;
	if ((lun[2] & 0xc0) == 0x40) /* flat space addressing */
		return (lun[2] & 0x3f) << 8 | lun[3];
	if (lun[2] == 0)             /* peripheral device addressing */
		return lun[3];
	return -1;
}

const char *scsi_opcode_name(uint8_t opcode)
{
	switch (opcode) {
	case SCSI_TEST_UNIT_READY: return "TEST UNIT READY";
	case SCSI_REQUEST_SENSE: return "REQUEST SENSE";
	case SCSI_READ_6: return "READ(6)";
	case SCSI_WRITE_6: return "WRITE(6)";
	case SCSI_INQUIRY: return "INQUIRY";
	case SCSI_MODE_SENSE_6: return "MODE SENSE(6)";
	case SCSI_START_STOP_UNIT: return "START STOP UNIT";
	case SCSI_READ_CAPACITY_10: return "READ CAPACITY(10)";
	case SCSI_READ_10: return "READ(10)";
	case SCSI_WRITE_10: return "WRITE(10)";
	case SCSI_SYNC_CACHE_10: return "SYNCHRONIZE CACHE(10)";
	case SCSI_UNMAP: return "UNMAP";
	case SCSI_MODE_SENSE_10: return "MODE SENSE(10)";
	case SCSI_READ_16: return "READ(16)";
	case SCSI_WRITE_16: return "WRITE(16)";
	case SCSI_SYNC_CACHE_16: return "SYNCHRONIZE CACHE(16)";
	case SCSI_WRITE_SAME_16: return "WRITE SAME(16)";
	case SCSI_SERVICE_ACTION_IN_16: return "SERVICE ACTION IN(16)";
	case SCSI_REPORT_LUNS: return "REPORT LUNS";
	case SCSI_READ_12: return "READ(12)";
	case SCSI_WRITE_12: return "WRITE(12)";
	default: return "unsupported";
	}
}
