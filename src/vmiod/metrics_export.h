/* SPDX-License-Identifier: MIT */
/* vmiod's counters as Prometheus metrics: GET /metrics on --metrics. */
#ifndef VMIOD_METRICS_EXPORT_H
#define VMIOD_METRICS_EXPORT_H

#include "daemon.h"

struct prom_http;

/* addr is HOST:PORT (see prom_http_start). */
int metrics_export_start(struct daemon *d, const char *addr,
			 struct prom_http **out);
void metrics_export_stop(struct prom_http *h);
/* The text GET /metrics serves (caller frees), from any thread. */
char *metrics_export_render(struct daemon *d);

#endif
