/* SPDX-License-Identifier: MIT */
/* vmio disk info's NUMA lines, from disk_info's "placement" object. */
#ifndef VMIO_CTL_PLACE_H
#define VMIO_CTL_PLACE_H

#include <jansson.h>

/* Prints nothing for a vmiod too old to report placement. */
void ctl_print_placement(json_t *placement);

#endif
