/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes SCSI command emulation (scsi_cmd_exec: every CDB a virtio-scsi
 * guest sends) and the virtio-scsi LUN field decoder. The CDB, the
 * parameter list and the data-in buffer are exact-size heap blocks, so
 * AddressSanitizer sees a byte read or written past any of them.
 *
 * The input:
 *   byte 0     bit 0: 4096-byte blocks (else 512); bit 1: read-only;
 *              bit 2: thin; bit 3: write cache on; bit 4: no unit at
 *              that address; bit 5: a backend error to report
 *   bytes 1-4  the unit's size in blocks (u32, plus one)
 *   bytes 5-8  data-out and data-in buffer sizes (u16 each, in 16 bytes)
 *   byte 9     number of LUNs present (REPORT LUNS)
 *   byte 10    CDB length (modulo 33), then the CDB
 *   then       the parameter list (up to SCSI_PARAM_MAX bytes), whose first
 *              8 bytes are also decoded as a virtio-scsi LUN field
 *
 * Oracles: the answer is GOOD, or CHECK CONDITION with 18 bytes of sense;
 * data-in fits SCSI_DIN_MAX; a backend operation only for a unit that
 * exists, never a write-class one on a read-only unit, with 1..32 extents
 * (a FLUSH needs none)
 * that each lie inside the unit, and a READ/WRITE moving exactly its
 * extent's bytes, within the transfer limit and the guest's buffer; after
 * the backend's result the command is finished; a decoded LUN is in range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scsi/scsi_cmd.h"

static void check_answer(const struct scsi_cmd_out *out)
{
	FUZZ_CHECK(out->status == SCSI_STATUS_GOOD ||
		   out->status == SCSI_STATUS_CHECK_CONDITION);
	if (out->status == SCSI_STATUS_CHECK_CONDITION)
		FUZZ_CHECK(out->sense_len == SCSI_SENSE_LEN);
	FUZZ_CHECK(out->din_len <= SCSI_DIN_MAX);
}

static void check_io(const struct scsi_cmd_in *in, const struct scsi_cmd_out *out)
{
	const struct scsi_lun_props *l = in->lun;
	uint64_t blocks = 0;

	FUZZ_CHECK(l);
	if (l->ro)
		FUZZ_CHECK(out->op == SCSI_IO_READ || out->op == SCSI_IO_FLUSH);
	if (out->op == SCSI_IO_FLUSH)
		return;
	FUZZ_CHECK(out->next >= 1 && out->next <= SCSI_UNMAP_MAX_DESC);
	for (unsigned int i = 0; i < out->next; i++) {
		const struct scsi_extent *e = &out->ext[i];

		FUZZ_CHECK(e->lba <= l->nblocks && e->nblocks <= l->nblocks - e->lba);
		blocks += e->nblocks;
	}
	if (out->op == SCSI_IO_READ || out->op == SCSI_IO_WRITE) {
		FUZZ_CHECK(out->next == 1 && blocks > 0);
		FUZZ_CHECK(out->xfer_bytes == blocks * l->block_size);
		FUZZ_CHECK(out->xfer_bytes <= SCSI_MAX_XFER_BYTES);
		FUZZ_CHECK(out->xfer_bytes <= (out->op == SCSI_IO_READ ? in->din_len
							      : in->dout_len));
	}
}

static void check_lun_field(struct fuzz_in *in)
{
	uint8_t field[8];
	bool bad_target = false;
	int lun;

	fuzz_bytes(in, field, sizeof(field));
	lun = scsi_lun_decode(field, &bad_target);
	FUZZ_CHECK(lun >= -1 && lun < 16384);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in fin = { data, size };
	struct scsi_lun_props props = { .name = "fuzz-lun" };
	uint16_t luns[SCSI_MAX_LUNS];
	struct scsi_cmd_in in = { 0 };
	struct scsi_cmd_out out;
	uint8_t flags, *cdb, *param, *din;
	size_t cdb_len, param_len;

	flags = fuzz_u8(&fin);
	props.block_size = (flags & 1) ? 4096 : 512;
	props.ro = flags & 2;
	props.thin = flags & 4;
	props.writeback = flags & 8;
	props.nblocks = (uint64_t)(fuzz_u16(&fin) | (uint32_t)fuzz_u16(&fin) << 16) + 1;
	in.dout_len = (uint64_t)fuzz_u16(&fin) * 16;
	in.din_len = (uint64_t)fuzz_u16(&fin) * 16;
	in.nluns = fuzz_u8(&fin);
	for (unsigned int i = 0; i < in.nluns; i++)
		luns[i] = (uint16_t)i;
	in.luns = luns;
	in.lun = (flags & 0x10) ? NULL : &props;

	cdb_len = fuzz_u8(&fin) % 33;
	cdb = malloc(cdb_len ? cdb_len : 1);
	FUZZ_CHECK(cdb);
	fuzz_bytes(&fin, cdb, cdb_len);
	in.cdb = cdb;
	in.cdb_len = cdb_len;

	param_len = fin.left < SCSI_PARAM_MAX ? fin.left : SCSI_PARAM_MAX;
	param = malloc(param_len ? param_len : 1);
	FUZZ_CHECK(param);
	memcpy(param, fin.p, param_len);
	if (cdb_len && scsi_cmd_wants_param(cdb[0])) {
		in.param = param;
		in.param_len = param_len;
	}
	check_lun_field(&fin);

	din = malloc(SCSI_DIN_MAX);
	FUZZ_CHECK(din);
	memset(&out, 0xa5, sizeof(out));
	out.din = din;
	scsi_cmd_exec(&in, &out);
	check_answer(&out);
	if (out.kind == SCSI_CMD_IO) {
		check_io(&in, &out);
		scsi_cmd_io_result(&out, (flags & 0x20) ? -EIO : 0);
		check_answer(&out);
	} else {
		FUZZ_CHECK(out.kind == SCSI_CMD_DONE);
	}
	(void)scsi_opcode_name(cdb_len ? cdb[0] : 0);
	free(din);
	free(param);
	free(cdb);
	return 0;
}
