/* SPDX-License-Identifier: MIT */
/* GET /metrics over HTTP (libmicrohttpd, on its own thread). */
#ifndef VMIO_METRICS_PROM_HTTP_H
#define VMIO_METRICS_PROM_HTTP_H

#include <stddef.h>

/* Called on the server's thread for every scrape; returns the text
 * (malloc'd; the server frees it) or NULL when it cannot. */
typedef char *(*prom_render_fn)(void *arg);

struct prom_http;

/* addr is HOST:PORT, HOST an IPv4 address or a bracketed IPv6 one
 * ("127.0.0.1:9464", "[::1]:9464"). On failure returns -errno with a
 * sentence in err. */
int prom_http_start(const char *addr, prom_render_fn render, void *arg,
		    struct prom_http **out, char *err, size_t errlen);
void prom_http_stop(struct prom_http *h);

#endif
