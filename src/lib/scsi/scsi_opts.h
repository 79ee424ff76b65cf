/* SPDX-License-Identifier: MIT */
/*
 * vmiod's --scsi option:
 *
 *   id=NAME,socket=SOCK[,queues=N],lun0=FILE[,lun1=FILE...]
 *       [,ro=on][,direct=on|off][,blk-size=512|4096]
 *
 * lunN=FILE serves FILE as LUN N (0-255); lunN=null:SIZE serves a null
 * backend of SIZE bytes (a data-path cost probe). ro and direct apply to
 * every file LUN.
 */
#ifndef VMIO_SCSI_SCSI_OPTS_H
#define VMIO_SCSI_SCSI_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "scsi/scsi_dev.h"

/* Keys are limited by util/parse's kvopts; this leaves room for them. */
#define SCSI_OPTS_MAX_LUNS 28

struct scsi_lun_config {
	uint16_t lun;
	char *path;          /* NULL: null backend */
	uint64_t null_size;
};

struct scsi_config {
	char *id;
	char *socket;
	unsigned int queues;
	bool ro;
	bool direct;
	uint32_t blk_size;   /* 0: 4096 if O_DIRECT needs it, else 512 */
	struct scsi_lun_config luns[SCSI_OPTS_MAX_LUNS];
	unsigned int nluns;  /* sorted by LUN number */
};

/* Parses one --scsi value into c (zeroed first). Returns 0, or -EINVAL
 * with *why saying what is wrong (-ENOMEM without). */
int scsi_config_parse(const char *s, struct scsi_config *c, const char **why);
void scsi_config_free(struct scsi_config *c);

/* Opens every LUN's backend into luns[0..c->nluns). Returns 0, or -errno
 * after closing what it opened (the backend logs why). */
int scsi_config_open_luns(const struct scsi_config *c,
			  struct scsi_lun_opts *luns);
void scsi_config_close_luns(struct scsi_lun_opts *luns, unsigned int n);

#endif
