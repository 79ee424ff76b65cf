/* SPDX-License-Identifier: MIT */
#include "metrics/prom_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Each request must arrive and be answered within this many seconds of
 * the connection opening or of the previous answer. libmicrohttpd's own
 * timeout counts silence only: a client sending a byte every few seconds
 * would otherwise hold one of the per-address slots forever. */
#define REQUEST_DEADLINE_S 10

/* A connection the watchdog may cut short. */
struct watched {
	struct watched *prev, *next;
	int fd;
	uint64_t deadline_ns;
	bool cut;
};

struct prom_http {
	struct MHD_Daemon *mhd;
	prom_render_fn render;
	void *arg;
	/* The watchdog: conns is every open connection, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t watchdog;
	bool watchdog_running, stopping;
	struct watched conns;
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

/* On libmicrohttpd's thread: a connection opened or closed. It calls
 * CLOSED before it closes the socket, so while a connection is on the
 * list under the lock, its fd is still its own. */
static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	struct prom_http *h = cls;
	struct watched *w = *ctx;

	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (!info || !(w = calloc(1, sizeof(*w))))
			return; /* unwatched: only the idle timeout applies */
		w->fd = info->connect_fd;
		w->deadline_ns = clock_now_ns() + REQUEST_DEADLINE_S * NSEC_PER_SEC;
		pthread_mutex_lock(&h->lock);
		w->next = h->conns.next;
		w->prev = &h->conns;
		w->next->prev = w;
		h->conns.next = w;
		pthread_mutex_unlock(&h->lock);
		*ctx = w;
	} else if (w) {
		pthread_mutex_lock(&h->lock);
		w->prev->next = w->next;
		w->next->prev = w->prev;
		pthread_mutex_unlock(&h->lock);
		free(w);
		*ctx = NULL;
	}
}

/* A request answered: the next one has its own deadline. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req,
			 enum MHD_RequestTerminationCode why)
{
	struct prom_http *h = cls;
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct watched *w = info ? info->socket_context : NULL;

	if (!w)
		return;
	pthread_mutex_lock(&h->lock);
	w->deadline_ns = clock_now_ns() + REQUEST_DEADLINE_S * NSEC_PER_SEC;
	pthread_mutex_unlock(&h->lock);
}

/* Shuts down connections past their deadline; libmicrohttpd then sees
 * the socket fail and closes it itself. */
static void *watchdog(void *arg)
{
	struct prom_http *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		struct timespec until;
		uint64_t now = clock_now_ns();

		for (struct watched *w = h->conns.next; w != &h->conns; w = w->next)
			if (!w->cut && now > w->deadline_ns) {
				w->cut = true;
				shutdown(w->fd, SHUT_RDWR);
			}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
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
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->conns.next = h->conns.prev = &h->conns;
	/* One thread polls every connection: a slow scraper delays only
	 * itself, and the limits bound what scrapers can hold. */
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
				  (uint16_t)port, NULL, NULL, answer, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "--metrics %s: cannot listen there (is the "
			 "port in use, or the address not this host's?)", addr);
		free(h);
		return -EADDRINUSE;
	}
	h->watchdog_running = !pthread_create(&h->watchdog, NULL, watchdog, h);
	*out = h;
	return 0;
}

void prom_http_stop(struct prom_http *h)
{
	if (!h)
		return;
	if (h->watchdog_running) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->watchdog, NULL);
	}
	MHD_stop_daemon(h->mhd);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}
