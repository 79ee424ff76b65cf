/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC socket: accepts clients, frames their bytes into lines and
 * answers them, without ever blocking the loop that runs it.
 *
 * Every fd lives in the server's own epoll set, so it can ask for EPOLLOUT
 * and run a timer while the owner watches a single fd. Per client:
 *  - input is capped at max_request bytes per line (then the error, the
 *    rest of the request read and dropped, and the connection closed:
 *    closing with unread input would reset it before the error is read);
 *  - a request must arrive whole within request_ms of its first byte (a
 *    client trickling a byte at a time cannot hold a slot);
 *  - replies queue in an output buffer; while it holds more than
 *    OUT_HIGH bytes no further request is read (a client that sends
 *    but never reads stops itself, not the daemon);
 *  - a client that makes no progress either way for idle_ms is dropped;
 *  - when every slot is taken, the client idle the longest makes room
 *    for a new one (nobody can hold every slot by waiting).
 */
#include "rpc/rpc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/listen_fds.h"
#include "util/log.h"
#include "util/unix_listen.h"

#define OUT_HIGH (256u << 10) /* stop reading requests above this backlog */
#define READ_CHUNK (64u << 10)
#define TAG_LISTEN 0
#define TAG_TIMER 1
#define TAG_CLIENT 2 /* + slot */

struct rpc_conn {
	int fd;
	unsigned int slot;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	uint64_t last_ns;  /* last byte moved either way */
	uint64_t req_ns;   /* first byte of the request being read; 0: none */
	uint32_t events;   /* what epoll watches now */
	bool closing;      /* drop once the output is flushed */
	bool discarding;   /* refused: read and drop the rest, then close */
};

struct rpc_server {
	char *path;
	char *where;        /* path, and the file of a socket handed in */
	struct unix_listener listener;
	int fd, epfd, tfd;  /* fd: listener.fd */
	const struct rpc_method *methods;
	void *ctx;
	struct rpc_hooks hooks;
	struct rpc_server_opts o;
	struct rpc_conn **conns;
	unsigned int nconns;
};

static void conn_drop(struct rpc_server *s, struct rpc_conn *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	s->conns[c->slot] = NULL;
	s->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

static int conn_set_events(struct rpc_server *s, struct rpc_conn *c,
			   uint32_t events)
{
	struct epoll_event ev = {
		.events = events, .data.u64 = TAG_CLIENT + c->slot
	};

	if (events == c->events)
		return 0;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->events = events;
	return 0;
}

/* Sends what the output buffer holds; -errno when the client is gone. */
static int conn_flush(struct rpc_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->out_off += (size_t)n;
		c->last_ns = clock_now_ns();
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Appends one reply line (takes resp). */
static int conn_queue(struct rpc_conn *c, char *resp)
{
	size_t n = strlen(resp);
	char *p;

	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	p = realloc(c->out, c->out_len + n + 1);
	if (!p) {
		free(resp);
		return -ENOMEM;
	}
	c->out = p;
	memcpy(c->out + c->out_len, resp, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(resp);
	return 0;
}

static size_t backlog(const struct rpc_conn *c)
{
	return c->out_len - c->out_off;
}

/* Answers the complete lines in the input buffer, as long as the client
 * keeps reading what we send. */
static int conn_serve_lines(struct rpc_server *s, struct rpc_conn *c)
{
	size_t start = 0;
	char *nl;
	int ret = 0;

	while (!ret && backlog(c) < OUT_HIGH &&
	       (nl = memchr(c->in + start, '\n', c->in_len - start))) {
		size_t len = (size_t)(nl - (c->in + start));
		char *resp = NULL;

		/* Blank lines (and a CR before the LF) are framing only. */
		if (len && c->in[start + len - 1] == '\r')
			len--;
		if (len)
			resp = rpc_handle_line(s->methods, s->ctx, c->in + start, len);
		start = (size_t)(nl - c->in) + 1;
		if (resp)
			ret = conn_queue(c, resp);
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	/* What is left is the start of the next request. */
	if (start)
		c->req_ns = c->in_len ? clock_now_ns() : 0;
	return ret;
}

/* A last request the client sent without a newline before shutting its
 * side down still gets its answer. */
static int conn_serve_tail(struct rpc_server *s, struct rpc_conn *c)
{
	char *resp;

	if (!c->in_len || memchr(c->in, '\n', c->in_len))
		return 0;
	resp = rpc_handle_line(s->methods, s->ctx, c->in, c->in_len);
	c->in_len = 0;
	return resp ? conn_queue(c, resp) : 0;
}

/* Answers with an error, then reads and drops whatever the client still
 * sends until it closes (or the request deadline): the error arrives. */
static void conn_refuse(struct rpc_server *s, struct rpc_conn *c,
			const char *why)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
		 "{\"code\":%d,\"message\":\"%s; closing the connection\"}}",
		 RPC_INVALID_REQUEST, why);
	c->in_len = 0;
	c->discarding = true;
	if (!c->req_ns)
		c->req_ns = clock_now_ns();
	conn_queue(c, strdup(msg));
}

static void conn_refuse_oversized(struct rpc_server *s, struct rpc_conn *c)
{
	char why[100];

	log_warn("rpc: closing a client whose request exceeds %zu bytes",
		 s->o.max_request);
	snprintf(why, sizeof(why), "request larger than %zu bytes",
		 s->o.max_request);
	conn_refuse(s, c, why);
}

/* Room for one more chunk, growing the buffer by doubling up to the
 * cap (most requests are a few hundred bytes: no client holds 1 MiB
 * unless it sends that much). */
static size_t in_room(struct rpc_server *s, struct rpc_conn *c)
{
	size_t limit = s->o.max_request + 1, want = c->in_len + READ_CHUNK;
	size_t cap = c->in_cap ? c->in_cap : 4096;
	char *p;

	if (want > limit)
		want = limit;
	while (cap < want)
		cap *= 2;
	if (cap > limit)
		cap = limit;
	if (cap > c->in_cap) {
		p = realloc(c->in, cap);
		if (!p)
			return 0;
		c->in = p;
		c->in_cap = cap;
	}
	return c->in_cap - c->in_len;
}

/* Reads one chunk; returns -errno when the client must go. */
static int conn_read(struct rpc_server *s, struct rpc_conn *c)
{
	size_t room = in_room(s, c);
	ssize_t n;

	if (!room)
		return -ENOMEM;
	if (c->discarding) {
		char drop[4096];

		n = recv(c->fd, drop, sizeof(drop), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0) /* the client read our error and closed */
			c->closing = true;
		return 0;
	}
	n = recv(c->fd, c->in + c->in_len, room < READ_CHUNK ? room : READ_CHUNK,
		 MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		c->closing = true;
		return conn_serve_tail(s, c);
	}
	c->last_ns = clock_now_ns();
	if (!c->in_len)
		c->req_ns = c->last_ns;
	c->in_len += (size_t)n;
	if (conn_serve_lines(s, c))
		return -ENOMEM;
	if (c->in_len > s->o.max_request)
		conn_refuse_oversized(s, c);
	return 0;
}

/* After any event: flush, pick what to wait for next, or drop. */
static void conn_settle(struct rpc_server *s, struct rpc_conn *c, int ret)
{
	uint32_t want;

	if (!ret)
		ret = conn_flush(c);
	/* Output drained: requests held back by the backlog may go now. */
	if (!ret && !c->closing && backlog(c) < OUT_HIGH && c->in_len) {
		ret = conn_serve_lines(s, c);
		if (!ret)
			ret = conn_flush(c);
	}
	if (ret || (c->closing && !backlog(c))) {
		conn_drop(s, c);
		return;
	}
	/* Our side is done once a refusal is sent: the client sees it,
	 * then EOF. */
	if (c->discarding && !backlog(c))
		shutdown(c->fd, SHUT_WR);
	want = backlog(c) ? EPOLLOUT : 0;
	if (!c->closing && (backlog(c) < OUT_HIGH || c->discarding))
		want |= EPOLLIN;
	if (conn_set_events(s, c, want))
		conn_drop(s, c);
}

static void conn_event(struct rpc_server *s, unsigned int slot, uint32_t ev)
{
	struct rpc_conn *c = slot < s->o.max_clients ? s->conns[slot] : NULL;
	int ret = 0;

	if (!c)
		return; /* dropped earlier in this batch */
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c->closing)
		ret = conn_read(s, c);
	/* A refused client that hung up: nothing more to read or send. */
	if (c->discarding && (ev & (EPOLLHUP | EPOLLERR)))
		c->closing = true;
	conn_settle(s, c, ret);
}

/* A client over the limit hears why before it is closed. */
static void refuse_busy(struct rpc_server *s, int fd)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":null,"
			 "\"error\":{\"code\":%d,\"message\":\"too many clients "
			 "(%u); try again later\"}}\n", RPC_APP_ERROR,
			 s->o.max_clients);

	(void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static int conn_add(struct rpc_server *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct rpc_conn *c;
	unsigned int slot = 0;

	while (s->conns[slot])
		slot++;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->slot = slot;
	c->events = EPOLLIN;
	c->last_ns = clock_now_ns();
	ev.data.u64 = TAG_CLIENT + slot;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		return -errno;
	}
	s->conns[slot] = c;
	s->nconns++;
	return 0;
}

/* Every slot is taken: the client that has waited the longest without
 * sending a request (at least a second) makes room. Busy clients keep
 * theirs. */
static void evict_idlest(struct rpc_server *s)
{
	struct rpc_conn *victim = NULL;
	uint64_t now = clock_now_ns();

	for (unsigned int i = 0; i < s->o.max_clients; i++) {
		struct rpc_conn *c = s->conns[i];

		if (c && !backlog(c) && now - c->last_ns > NSEC_PER_SEC &&
		    (!victim || c->last_ns < victim->last_ns))
			victim = c;
	}
	if (victim) {
		log_info("rpc: all %u slots taken: dropping the client idle the "
			 "longest", s->o.max_clients);
		conn_drop(s, victim);
	}
}

static void on_accept(struct rpc_server *s)
{
	/* A bounded number per wake-up: a connect storm cannot hog the loop. */
	for (int i = 0; i < 16; i++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (s->nconns >= s->o.max_clients)
			evict_idlest(s);
		if (s->nconns >= s->o.max_clients) {
			log_warn("rpc: refusing a client: %u already connected",
				 s->nconns);
			refuse_busy(s, fd);
		} else if (conn_add(s, fd)) {
			close(fd);
		}
	}
}

static void on_timer(struct rpc_server *s)
{
	uint64_t ticks, now = clock_now_ns();

	(void)!read(s->tfd, &ticks, sizeof(ticks));
	for (unsigned int i = 0; i < s->o.max_clients; i++) {
		struct rpc_conn *c = s->conns[i];

		if (!c)
			continue;
		if (now - c->last_ns > s->o.idle_ms * NSEC_PER_MSEC) {
			log_info("rpc: dropping a client idle for %u ms", s->o.idle_ms);
			conn_drop(s, c);
		} else if (c->req_ns &&
			   now - c->req_ns > s->o.request_ms * NSEC_PER_MSEC) {
			if (c->discarding) {
				conn_drop(s, c);
				continue;
			}
			log_info("rpc: a request took more than %u ms to arrive; "
				 "refusing it", s->o.request_ms);
			conn_refuse(s, c, "request not received whole in time");
			conn_settle(s, c, 0);
		}
	}
}

static void on_epoll(void *arg, unsigned int events)
{
	struct rpc_server *s = arg;
	struct epoll_event evs[64];
	int n = epoll_wait(s->epfd, evs, 64, 0);

	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;

		if (tag == TAG_LISTEN)
			on_accept(s);
		else if (tag == TAG_TIMER)
			on_timer(s);
		else
			conn_event(s, (unsigned int)(tag - TAG_CLIENT), evs[i].events);
	}
}

/* A socket file left by an earlier run is replaced; one a live process
 * still listens on, or any other file, is not. With its mode and owner
 * in place before anyone can connect, through paths nobody else can swap
 * (util/unix_listen.h). Or a socket handed in: "fd:N", or "systemd" for
 * the one named "rpc". */
static int listen_on(struct rpc_server *s)
{
	struct unix_listen_opts o = {
		.mode = s->o.mode,
		.uid = s->o.set_owner ? s->o.uid : -1,
		.gid = s->o.set_owner ? s->o.gid : -1,
		.backlog = 64,
		.sd_name = LISTEN_FDS_RPC_NAME,
		.who = "the RPC server",
	};
	int ret;

	if (strlen(s->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		log_error("rpc: socket path '%s' is longer than the %zu bytes a "
			  "unix socket allows; use a shorter path", s->path,
			  sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	ret = unix_listen(&s->listener, s->path, &o);
	s->fd = s->listener.fd;
	if (!ret && s->listener.bound &&
	    asprintf(&s->where, "%s (%s)", s->path, s->listener.bound) < 0)
		s->where = NULL;
	return ret;
}

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* The idle sweep runs a few times per timeout, at most every second. */
static int start_timer(struct rpc_server *s)
{
	unsigned int ms = s->o.idle_ms / 4 ? s->o.idle_ms / 4 : 1;
	struct itimerspec its;

	if (ms > 1000)
		ms = 1000;
	its.it_interval.tv_sec = ms / 1000;
	its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->tfd < 0 || timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		return -errno;
	return epoll_add(s->epfd, s->tfd, TAG_TIMER);
}

static void set_defaults(struct rpc_server_opts *o)
{
	if (!o->mode)
		o->mode = 0660;
	if (!o->max_request)
		o->max_request = RPC_MAX_REQUEST;
	if (!o->max_clients)
		o->max_clients = RPC_MAX_CLIENTS;
	if (!o->idle_ms)
		o->idle_ms = RPC_IDLE_MS;
	if (!o->request_ms)
		o->request_ms = RPC_REQUEST_MS;
}

int rpc_server_create(const char *path, const struct rpc_method *methods,
		      void *ctx, const struct rpc_hooks *hooks,
		      const struct rpc_server_opts *opts,
		      struct rpc_server **out)
{
	struct rpc_server *s = calloc(1, sizeof(*s));
	int ret = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->fd = s->epfd = s->tfd = -1;
	s->listener.fd = s->listener.dirfd = s->listener.handed = -1;
	s->methods = methods;
	s->ctx = ctx;
	s->hooks = *hooks;
	if (opts)
		s->o = *opts;
	set_defaults(&s->o);
	s->path = strdup(path);
	s->conns = calloc(s->o.max_clients, sizeof(*s->conns));
	if (!s->path || !s->conns)
		goto err;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		ret = -errno;
		goto err;
	}
	ret = start_timer(s);
	if (!ret)
		ret = listen_on(s);
	if (ret)
		goto err;
	ret = epoll_add(s->epfd, s->fd, TAG_LISTEN);
	if (!ret)
		ret = hooks->watch(hooks->loop, s->epfd, on_epoll, s);
	if (ret)
		goto err;
	*out = s;
	return 0;
err:
	unix_listener_close(&s->listener);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->conns);
	free(s->where);
	free(s->path);
	free(s);
	return ret;
}

void rpc_server_destroy(struct rpc_server *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->o.max_clients; i++)
		if (s->conns[i])
			conn_drop(s, s->conns[i]);
	s->hooks.unwatch(s->hooks.loop, s->epfd);
	close(s->tfd);
	close(s->epfd);
	/* Another vmiod may have taken the path over since: leave its. */
	unix_listener_close(&s->listener);
	free(s->conns);
	free(s->where);
	free(s->path);
	free(s);
}

const char *rpc_server_where(const struct rpc_server *s)
{
	return s->where ? s->where : s->path;
}

unsigned int rpc_server_nclients(const struct rpc_server *s)
{
	return s->nconns;
}
