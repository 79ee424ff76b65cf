/* SPDX-License-Identifier: MIT */
#include "metrics/prom_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_http {
	struct MHD_Daemon *mhd;
	prom_render_fn render;
	void *arg;
};

/* libmicrohttpd itself leaves the body out of an answer to HEAD. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     char *text, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), text,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct prom_http *h = cls;
	char *text;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     strdup("only GET and HEAD are served\n"),
			     "text/plain");
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, strdup("vmiod: metrics at /metrics\n"),
			     "text/plain");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND,
			     strdup("not found: vmiod serves /metrics\n"),
			     "text/plain");
	text = h->render(h->arg);
	if (!text)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     strdup("cannot render the metrics (out of memory)\n"),
			     "text/plain");
	return reply(c, MHD_HTTP_OK, text, CONTENT_TYPE);
}

/* "1.2.3.4:N" or "[v6]:N" into a socket address. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss,
		      bool *v6, char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	char host[64], *end;
	long port;

	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(host))
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port <= 0 || port > 65535)
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	memset(ss, 0, sizeof(*ss));
	*v6 = host[0] == '[';
	if (*v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t n = strlen(host);

		if (host[n - 1] != ']')
			goto bad;
		host[n - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1)
			return (int)port;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) == 1)
			return (int)port;
	}
bad:
	snprintf(err, errlen, "--metrics %s: expected ADDRESS:PORT with a numeric "
		 "address, e.g. 127.0.0.1:9464 or [::1]:9464", addr);
	return -EINVAL;
}

int prom_http_start(const char *addr, prom_render_fn render, void *arg,
		    struct prom_http **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct prom_http *h;
	bool v6;
	int port = parse_addr(addr, &ss, &v6, err, errlen);

	if (port < 0)
		return port;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->render = render;
	h->arg = arg;
	/* One thread polls every connection: a slow scraper delays only
	 * itself, and the limits bound what scrapers can hold. */
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
				  (uint16_t)port, NULL, NULL, answer, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "--metrics %s: cannot listen there (is the "
			 "port in use, or the address not this host's?)", addr);
		free(h);
		return -EADDRINUSE;
	}
	*out = h;
	return 0;
}

void prom_http_stop(struct prom_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
