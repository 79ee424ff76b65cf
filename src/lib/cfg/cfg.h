/* SPDX-License-Identifier: MIT */
/*
 * Typed configuration: one table of keys per kind of object (a disk, a
 * scsi target) fills a struct from any source and writes it back, so that
 * `--disk id=vm1,...`, a disk_add request's JSON, the config file and
 * config_get all go through the same checks and give the same result:
 *
 *   --disk STRING --kvopts_parse--\
 *   JSON object   --cfg_kv_from_json--> kvopts --cfg_apply--> struct
 *   struct --cfg_to_json--> JSON (config_get, config save)
 *
 * Values are never joined into one string and split again: a JSON value
 * becomes one pair whatever it holds, and a command-line value may hold a
 * comma written as "\,".
 */
#ifndef VMIO_CFG_CFG_H
#define VMIO_CFG_CFG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/parse.h"

enum cfg_type {
	CFG_NAME,   /* char *: letters, digits, '.', '_', '-', ':'; 1-64 */
	CFG_PATH,   /* char *: no control characters, < PATH_MAX */
	CFG_U32,    /* uint32_t in [min, max] */
	CFG_U64,    /* uint64_t in [min, max] */
	CFG_SIZE,   /* uint64_t bytes with K/M/G/T units, in [min, max] */
	CFG_BOOL,   /* bool: on/off, true/false, yes/no, 1/0 */
	CFG_CHOICE, /* unsigned int: index in choices[] */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;                  /* of the field in the struct */
	uint64_t min, max;           /* numbers; max 0: no limit */
	const char *const *choices;  /* CFG_CHOICE, NULL-terminated */
	const char *what;            /* "the number of queues": for errors */
};

#define CFG_KEYS_END { NULL, 0, 0, 0, 0, NULL, NULL }

/* The largest size a file can have (off_t), rounded to 4K. */
#define CFG_SIZE_MAX ((uint64_t)INT64_MAX & ~4095ull)

/* Fills obj's fields from the pairs in kv that keys name (marking them
 * used). Fields whose key is absent keep their value. 0, or -EINVAL /
 * -ENOMEM with a sentence in err. */
int cfg_apply(const struct cfg_key *keys, void *obj, struct kvopts *kv,
	      char *err, size_t errlen);
/* The JSON object's members as pairs: strings as they are, integers in
 * decimal, booleans as on/off. Members named in skip (NULL-terminated, or
 * NULL) are left for the caller (nested objects and arrays). -EINVAL for
 * a member of another type, with err set. */
int cfg_kv_from_json(json_t *obj, const char *const *skip, struct kvopts *kv,
		     char *err, size_t errlen);
/* The pairs not used by anyone: "unknown option 'x' (known: ...)". */
int cfg_check_unused(const struct kvopts *kv, const struct cfg_key *keys,
		     const char *extra_known, char *err, size_t errlen);
/* Sets obj's fields, as keys describe them, in a JSON object: strings,
 * numbers, booleans; NULL strings and fields equal to those of dflt (if
 * not NULL) are left out. */
int cfg_to_json(const struct cfg_key *keys, const void *obj, const void *dflt,
		json_t *out);
/* Frees the strings keys point at in obj. */
void cfg_free(const struct cfg_key *keys, void *obj);
/* Copies obj into dst, duplicating its strings. 0 or -ENOMEM. */
int cfg_copy(const struct cfg_key *keys, void *dst, const void *obj,
	     size_t size);

/* Checks a name or a path as CFG_NAME / CFG_PATH do. */
bool cfg_name_ok(const char *s);
bool cfg_path_ok(const char *s);

#endif
