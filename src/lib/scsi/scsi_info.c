/* SPDX-License-Identifier: MIT */
/*
 * Commands answered from memory: INQUIRY and its VPD pages, READ CAPACITY,
 * MODE SENSE, REPORT LUNS and REQUEST SENSE. Each builds its whole answer
 * in out->din and lets scsi_din_done() cut it to the allocation length
 * and the initiator's buffer.
 */
#include <stdio.h>

#include "scsi/scsi_cmd_internal.h"

#define INQ_VENDOR  "VMIO    "         /* 8 bytes */
#define INQ_PRODUCT "vmio-scsi-disk  " /* 16 bytes */
#define INQ_REV     "0001"             /* 4 bytes */
#define INQ_STD_LEN 36

#define DEVTYPE_DISK 0x00
#define DEVTYPE_NONE 0x7f /* qualifier 3: no unit at this LUN */

static const uint8_t vpd_pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };

static void inquiry_standard(const struct scsi_cmd_in *in, uint8_t *d)
{
	memset(d, 0, INQ_STD_LEN);
	d[0] = in->lun ? DEVTYPE_DISK : DEVTYPE_NONE;
	d[2] = 0x06;               /* SPC-4 */
	d[3] = 0x10 | 0x02;        /* HISUP, response data format 2 */
	d[4] = INQ_STD_LEN - 5;
	d[7] = 0x02;               /* CMDQUE: tagged commands */
	memcpy(d + 8, INQ_VENDOR, 8);
	memcpy(d + 16, INQ_PRODUCT, 16);
	memcpy(d + 32, INQ_REV, 4);
}

/* A stable 60-bit identifier from the unit's name (FNV-1a). */
static uint64_t name_hash(const char *s, uint16_t lun)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	h = (h ^ lun) * 0x100000001b3ull;
	return h & ((1ull << 60) - 1);
}

/* Device identification: a T10 vendor ID and a locally assigned NAA
 * name, both derived from the unit's name so they survive restarts. */
static uint32_t vpd_device_id(const struct scsi_lun_props *l, uint8_t *d)
{
	size_t nlen = strlen(l->name);
	uint8_t *p = d + 4;

	if (nlen > 200)
		nlen = 200;
	p[0] = 0x02;                   /* ASCII */
	p[1] = 0x01;                   /* LU association, T10 vendor ID */
	p[3] = (uint8_t)(8 + nlen);
	memcpy(p + 4, INQ_VENDOR, 8);
	memcpy(p + 12, l->name, nlen);
	p += 4 + p[3];
	p[0] = 0x01;                   /* binary */
	p[1] = 0x03;                   /* LU association, NAA */
	p[3] = 8;
	put_be64(p + 4, 3ull << 60 | name_hash(l->name, l->lun));
	p += 12;
	return (uint32_t)(p - d);
}

static uint32_t vpd_block_limits(const struct scsi_lun_props *l, uint8_t *d)
{
	d[4] = 0x01;                                 /* WSNZ */
	put_be32(d + 8, SCSI_MAX_XFER_BYTES / l->block_size);
	if (l->thin) {
		put_be32(d + 20, SCSI_UNMAP_MAX_BLOCKS);
		put_be32(d + 24, SCSI_UNMAP_MAX_DESC);
		/* Holes are punched in whole 4 KiB file-system blocks. */
		put_be32(d + 28, 4096 / l->block_size);
		put_be32(d + 32, 0x80000000u);       /* UGAVALID, offset 0 */
	}
	put_be64(d + 36, SCSI_WS_MAX_BLOCKS);
	return 64;
}

static uint32_t vpd_characteristics(uint8_t *d)
{
	put_be16(d + 4, 0x0001);                     /* non-rotating */
	return 64;
}

static uint32_t vpd_provisioning(const struct scsi_lun_props *l, uint8_t *d)
{
	if (l->thin) {
		d[5] = 0x80 | 0x40 | 0x04;           /* LBPU, LBPWS, LBPRZ */
		d[6] = 0x02;                         /* thin provisioned */
	}
	return 8;
}

/* Builds VPD page `page` into d; returns its length or 0 if unknown. */
static uint32_t vpd_page(const struct scsi_lun_props *l, uint8_t page,
			 uint8_t *d)
{
	uint32_t len;

	memset(d, 0, 256);
	switch (page) {
	case 0x00:
		memcpy(d + 4, vpd_pages, sizeof(vpd_pages));
		len = 4 + sizeof(vpd_pages);
		break;
	case 0x80:
		len = (uint32_t)snprintf((char *)d + 4, 61, "%s", l->name);
		if (len > 60)
			len = 60;
		len += 4;
		break;
	case 0x83:
		len = vpd_device_id(l, d);
		break;
	case 0xb0:
		len = vpd_block_limits(l, d);
		break;
	case 0xb1:
		len = vpd_characteristics(d);
		break;
	case 0xb2:
		len = vpd_provisioning(l, d);
		break;
	default:
		return 0;
	}
	d[0] = DEVTYPE_DISK;
	d[1] = page;
	put_be16(d + 2, (uint16_t)(len - 4));
	return len;
}

void scsi_info_inquiry(const struct scsi_cmd_in *in, struct scsi_cmd_out *out)
{
	const uint8_t *cdb = in->cdb;
	bool evpd = cdb[1] & 0x01;
	uint16_t alloc = get_be16(cdb + 3);
	uint32_t len;

	if (cdb[1] & 0x02) /* CMDDT, obsolete */
		return scsi_invalid_cdb(out, 1, 1);
	if (!evpd) {
		if (cdb[2])
			return scsi_invalid_cdb(out, 2, -1);
		inquiry_standard(in, out->din);
		return scsi_din_done(in, out, INQ_STD_LEN, alloc);
	}
	if (!in->lun)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_LUN_NOT_SUPPORTED);
	len = vpd_page(in->lun, cdb[2], out->din);
	if (!len)
		return scsi_invalid_cdb(out, 2, -1);
	scsi_din_done(in, out, len, alloc);
}

void scsi_info_read_capacity(const struct scsi_cmd_in *in,
			     struct scsi_cmd_out *out, bool long_form)
{
	const struct scsi_lun_props *l = in->lun;
	uint64_t last = l->nblocks ? l->nblocks - 1 : 0;
	uint8_t *d = out->din;

	if (!long_form) {
		/* PMI is obsolete; a non-zero LBA without it is invalid. */
		if (!(in->cdb[8] & 0x01) && get_be32(in->cdb + 2))
			return scsi_invalid_cdb(out, 2, -1);
		memset(d, 0, 8);
		/* All ones tells the initiator to use the 16-byte form. */
		put_be32(d, last > 0xffffffffull ? 0xffffffffu : (uint32_t)last);
		put_be32(d + 4, l->block_size);
		return scsi_din_done(in, out, 8, 8);
	}
	memset(d, 0, 32);
	put_be64(d, last);
	put_be32(d + 8, l->block_size);
	if (l->thin)
		d[14] = 0x80 | 0x40;       /* LBPME, LBPRZ */
	scsi_din_done(in, out, 32, get_be32(in->cdb + 10));
}

/* Mode pages, as current (changeable == false) or changeable values.
 * Nothing is changeable: we have no MODE SELECT. */
static uint32_t mode_page(const struct scsi_lun_props *l, uint8_t page,
			  bool changeable, uint8_t *p)
{
	if (page == 0x08) {
		memset(p, 0, 20);
		p[0] = 0x08;
		p[1] = 0x12;
		if (!changeable && l->writeback)
			p[2] = 0x04;               /* WCE */
		return 20;
	}
	/* Control page: fixed-format sense, unrestricted reordering. */
	memset(p, 0, 12);
	p[0] = 0x0a;
	p[1] = 0x0a;
	if (!changeable)
		p[3] = 0x10;
	return 12;
}

static uint32_t mode_block_descriptor(const struct scsi_lun_props *l,
				      uint8_t *p)
{
	memset(p, 0, 8);
	put_be32(p, l->nblocks > 0xffffffffull ? 0xffffffffu :
						 (uint32_t)l->nblocks);
	p[5] = (uint8_t)(l->block_size >> 16);
	put_be16(p + 6, (uint16_t)l->block_size);
	return 8;
}

void scsi_info_mode_sense(const struct scsi_cmd_in *in,
			  struct scsi_cmd_out *out, bool ten)
{
	const struct scsi_lun_props *l = in->lun;
	const uint8_t *cdb = in->cdb;
	bool dbd = cdb[1] & 0x08;
	uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3f, sub = cdb[3];
	uint32_t alloc = ten ? get_be16(cdb + 7) : cdb[4];
	uint32_t hdr = ten ? 8 : 4, len, bdlen = 0;
	uint8_t *d = out->din;

	if (pc == 3)
		return scsi_cmd_check(out, SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_SAVING_PARAMS_UNSUP);
	if (page != 0x08 && page != 0x0a && page != 0x3f)
		return scsi_invalid_cdb(out, 2, 5);
	if (sub && !(page == 0x3f && sub == 0xff))
		return scsi_invalid_cdb(out, 3, -1);
	memset(d, 0, hdr);
	len = hdr;
	if (!dbd) {
		bdlen = mode_block_descriptor(l, d + len);
		len += bdlen;
	}
	if (page == 0x08 || page == 0x3f)
		len += mode_page(l, 0x08, pc == 1, d + len);
	if (page == 0x0a || page == 0x3f)
		len += mode_page(l, 0x0a, pc == 1, d + len);
	/* Device-specific: write protect, and FUA is honoured. */
	d[ten ? 3 : 2] = (l->ro ? 0x80 : 0) | 0x10;
	if (ten) {
		put_be16(d, (uint16_t)(len - 2));
		put_be16(d + 6, (uint16_t)bdlen);
	} else {
		d[0] = (uint8_t)(len - 1);
		d[3] = (uint8_t)bdlen;
	}
	scsi_din_done(in, out, len, alloc);
}

void scsi_info_report_luns(const struct scsi_cmd_in *in,
			   struct scsi_cmd_out *out)
{
	uint32_t alloc = get_be32(in->cdb + 6);
	uint8_t select = in->cdb[2];
	unsigned int n = in->nluns;
	uint8_t *d = out->din;

	if (select > 0x02)
		return scsi_invalid_cdb(out, 2, -1);
	if (alloc < 16)
		return scsi_invalid_cdb(out, 6, -1);
	if (select == 0x01 || n > SCSI_MAX_LUNS) /* no well-known units */
		n = select == 0x01 ? 0 : SCSI_MAX_LUNS;
	memset(d, 0, 8 + 8 * n);
	put_be32(d, 8 * n);
	for (unsigned int i = 0; i < n; i++) {
		uint16_t lun = in->luns[i];
		uint8_t *e = d + 8 + 8 * i;

		/* Peripheral addressing below 256, flat space above. */
		if (lun < 256) {
			e[1] = (uint8_t)lun;
		} else {
			e[0] = 0x40 | (lun >> 8);
			e[1] = lun & 0xff;
		}
	}
	scsi_din_done(in, out, 8 + 8 * n, alloc);
}

void scsi_info_request_sense(const struct scsi_cmd_in *in,
			     struct scsi_cmd_out *out)
{
	uint8_t *d = out->din;

	/* We only produce fixed-format sense. */
	if (in->cdb[1] & 0x01)
		return scsi_invalid_cdb(out, 1, 0);
	/* Sense is reported with each command (autosense), so nothing is
	 * pending: NO SENSE, or that the addressed unit does not exist. */
	memset(d, 0, SCSI_SENSE_LEN);
	d[0] = 0x70;
	d[7] = SCSI_SENSE_LEN - 8;
	if (!in->lun) {
		d[2] = SCSI_SK_ILLEGAL_REQUEST;
		d[12] = SCSI_ASC_LUN_NOT_SUPPORTED >> 8;
	}
	scsi_din_done(in, out, SCSI_SENSE_LEN, in->cdb[4]);
}
