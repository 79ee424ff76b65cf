/* SPDX-License-Identifier: MIT */
/*
 * SCSI command emulation for one logical unit, as a pure function: a CDB
 * and the unit's properties in, and out either a finished answer (status,
 * fixed-format sense, data-in built in memory) or a backend operation for
 * the caller to run. No I/O, no allocation, no global state: everything a
 * guest can send is checked here and can be unit tested byte by byte.
 */
#ifndef VMIO_SCSI_SCSI_CMD_H
#define VMIO_SCSI_SCSI_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status byte values (SAM). */
#define SCSI_STATUS_GOOD		0x00
#define SCSI_STATUS_CHECK_CONDITION	0x02

/* Sense keys. */
#define SCSI_SK_NO_SENSE		0x0
#define SCSI_SK_NOT_READY		0x2
#define SCSI_SK_MEDIUM_ERROR		0x3
#define SCSI_SK_HARDWARE_ERROR		0x4
#define SCSI_SK_ILLEGAL_REQUEST		0x5
#define SCSI_SK_UNIT_ATTENTION		0x6
#define SCSI_SK_DATA_PROTECT		0x7
#define SCSI_SK_ABORTED_COMMAND		0xb

/* Additional sense code and qualifier, as (ASC << 8) | ASCQ. */
#define SCSI_ASC_NONE			0x0000
#define SCSI_ASC_WRITE_ERROR		0x0c00
#define SCSI_ASC_UNRECOVERED_READ_ERROR	0x1100
#define SCSI_ASC_PARAM_LIST_LENGTH	0x1a00
#define SCSI_ASC_INVALID_OPCODE		0x2000
#define SCSI_ASC_LBA_OUT_OF_RANGE	0x2100
#define SCSI_ASC_INVALID_FIELD_IN_CDB	0x2400
#define SCSI_ASC_LUN_NOT_SUPPORTED	0x2500
#define SCSI_ASC_INVALID_FIELD_IN_PARAM	0x2600
#define SCSI_ASC_WRITE_PROTECTED	0x2700
#define SCSI_ASC_SPACE_ALLOC_FAILED	0x2707
#define SCSI_ASC_SAVING_PARAMS_UNSUP	0x3900
#define SCSI_ASC_INTERNAL_TARGET_FAILURE 0x4400

/* Opcodes we implement. */
#define SCSI_TEST_UNIT_READY	0x00
#define SCSI_REQUEST_SENSE	0x03
#define SCSI_READ_6		0x08
#define SCSI_WRITE_6		0x0a
#define SCSI_INQUIRY		0x12
#define SCSI_MODE_SENSE_6	0x1a
#define SCSI_START_STOP_UNIT	0x1b
#define SCSI_READ_CAPACITY_10	0x25
#define SCSI_READ_10		0x28
#define SCSI_WRITE_10		0x2a
#define SCSI_SYNC_CACHE_10	0x35
#define SCSI_UNMAP		0x42
#define SCSI_MODE_SENSE_10	0x5a
#define SCSI_READ_16		0x88
#define SCSI_WRITE_16		0x8a
#define SCSI_SYNC_CACHE_16	0x91
#define SCSI_WRITE_SAME_16	0x93
#define SCSI_SERVICE_ACTION_IN_16 0x9e
#define SCSI_SAI_READ_CAPACITY_16 0x10
#define SCSI_REPORT_LUNS	0xa0
#define SCSI_READ_12		0xa8
#define SCSI_WRITE_12		0xaa

/* Fixed-format sense data is 18 bytes. */
#define SCSI_SENSE_LEN 18
/* Largest data-in answer built in memory (REPORT LUNS of every LUN). */
#define SCSI_DIN_MAX 4096
/* Most data-out bytes a parameter-list command (UNMAP, WRITE SAME) may
 * carry; the caller gathers at most this many. */
#define SCSI_PARAM_MAX 4096
/* Limits reported in the block limits VPD page and enforced here. */
#define SCSI_MAX_XFER_BYTES (4u << 20)
#define SCSI_UNMAP_MAX_DESC 32
#define SCSI_UNMAP_MAX_BLOCKS (1u << 22)
#define SCSI_WS_MAX_BLOCKS (1u << 22)
/* LUN numbers are 14-bit flat space; we serve fewer. */
#define SCSI_MAX_LUNS 256

/* Backend operations a command maps to. */
enum scsi_io_op {
	SCSI_IO_READ,
	SCSI_IO_WRITE,
	SCSI_IO_FLUSH,
	SCSI_IO_UNMAP,        /* deallocate; reads back as zeroes */
	SCSI_IO_WRITE_ZEROES, /* may_unmap tells whether deallocating is fine */
};

struct scsi_lun_props {
	uint64_t nblocks;     /* logical blocks */
	uint32_t block_size;  /* 512 or 4096 */
	uint16_t lun;         /* its number, for identification */
	bool ro;
	bool thin;            /* UNMAP / WRITE SAME(UNMAP) reach the backend */
	bool writeback;       /* write cache on: SYNCHRONIZE CACHE needed */
	const char *name;     /* device name: serial and designators */
};

/* What the command was sent with. lun NULL: no unit at that address. */
struct scsi_cmd_in {
	const struct scsi_lun_props *lun;
	const uint16_t *luns;  /* every LUN number present (REPORT LUNS) */
	unsigned int nluns;
	const uint8_t *cdb;
	size_t cdb_len;
	const uint8_t *param;  /* gathered data-out of parameter-list commands */
	size_t param_len;
	uint64_t dout_len;     /* size of the data-out buffer */
	uint64_t din_len;      /* size of the data-in buffer */
};

struct scsi_extent {
	uint64_t lba;
	uint32_t nblocks;
};

enum scsi_cmd_kind {
	SCSI_CMD_DONE, /* status, sense and din are final */
	SCSI_CMD_IO,   /* run op over ext[0..next), then scsi_cmd_io_result */
};

struct scsi_cmd_out {
	enum scsi_cmd_kind kind;
	uint8_t status;
	uint8_t sense[SCSI_SENSE_LEN];
	uint8_t sense_len;     /* 0 unless CHECK CONDITION */
	uint8_t *din;          /* caller's buffer of SCSI_DIN_MAX bytes */
	uint32_t din_len;      /* bytes of din to return */
	/* SCSI_CMD_IO */
	enum scsi_io_op op;
	bool fua;
	bool may_unmap;
	uint64_t xfer_bytes;   /* READ/WRITE: bytes moved with the guest */
	struct scsi_extent ext[SCSI_UNMAP_MAX_DESC];
	unsigned int next;
};

/* Does this opcode take a parameter list the caller must gather (up to
 * SCSI_PARAM_MAX bytes) into in->param? */
bool scsi_cmd_wants_param(uint8_t opcode);

/* Decodes and, when it can, answers the command. out->din must point to
 * SCSI_DIN_MAX bytes. Never fails: every problem is a CHECK CONDITION. */
void scsi_cmd_exec(const struct scsi_cmd_in *in, struct scsi_cmd_out *out);

/* Turns the backend's result (0 or -errno) for an SCSI_CMD_IO into the
 * final status and sense. */
void scsi_cmd_io_result(struct scsi_cmd_out *out, int err);

/* Fills out with CHECK CONDITION and fixed-format sense. */
void scsi_cmd_check(struct scsi_cmd_out *out, uint8_t key, uint16_t asc_ascq);

/* The LUN a virtio-scsi 8-byte LUN field addresses (target 0 only), or -1
 * for another target or a form we do not accept. */
int scsi_lun_decode(const uint8_t lun[8], bool *bad_target);

const char *scsi_opcode_name(uint8_t opcode);

#endif
