/* SPDX-License-Identifier: MIT */
/* Shared by scsi_cmd.c (dispatch, data transfer, UNMAP) and scsi_info.c
 * (commands answered from memory). */
#ifndef VMIO_SCSI_SCSI_CMD_INTERNAL_H
#define VMIO_SCSI_SCSI_CMD_INTERNAL_H

#include <string.h>

#include "scsi/scsi_cmd.h"

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

/* ILLEGAL REQUEST, INVALID FIELD IN CDB, pointing at byte (and bit, or -1)
 * so the initiator's log says which field was wrong. */
void scsi_invalid_cdb(struct scsi_cmd_out *out, unsigned int byte, int bit);
void scsi_invalid_param(struct scsi_cmd_out *out, unsigned int byte);

/* Finishes a data-in command: din holds len bytes, the initiator asked for
 * at most alloc, and its buffer holds din_len. */
void scsi_din_done(const struct scsi_cmd_in *in, struct scsi_cmd_out *out,
		   uint32_t len, uint32_t alloc);

void scsi_info_inquiry(const struct scsi_cmd_in *in, struct scsi_cmd_out *out);
void scsi_info_read_capacity(const struct scsi_cmd_in *in,
			     struct scsi_cmd_out *out, bool long_form);
void scsi_info_mode_sense(const struct scsi_cmd_in *in,
			  struct scsi_cmd_out *out, bool ten);
void scsi_info_report_luns(const struct scsi_cmd_in *in,
			   struct scsi_cmd_out *out);
void scsi_info_request_sense(const struct scsi_cmd_in *in,
			     struct scsi_cmd_out *out);

#endif
