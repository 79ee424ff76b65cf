/* SPDX-License-Identifier: MIT */
#include "endpoint.h"

#include <errno.h>
#include <poll.h>

#include "util/clock.h"

/* How long a held vhost-user message or a disconnect may wait for
 * requests in flight before the log says so. */
#define DRAIN_REPORT_MS 10000

static void on_conn(void *arg, uint32_t events);
static void on_listen(void *arg, uint32_t events);

/* Watches what the device wants read now. */
static void endpoint_sync(struct endpoint *ep)
{
	struct vu_dev *vu = ep->vu;
	int want = vu_dev_reading(vu) ? vu->conn_fd : -1;
	bool listen = vu_dev_accepting(vu) && !ep->retiring;

	if (ep->conn_fd_watched >= 0 &&
	    (ep->conn_fd_watched != want ||
	     ep->conn_watched_gen != vu->connections)) {
		loop_unwatch(ep->loop, ep->conn_fd_watched);
		ep->conn_fd_watched = -1;
	}
	if (want >= 0 && ep->conn_fd_watched < 0) {
		if (loop_watch(ep->loop, want, on_conn, ep)) {
			vu_dev_disconnect(vu, "cannot watch the connection");
		} else {
			ep->conn_fd_watched = want;
			ep->conn_watched_gen = vu->connections;
		}
	}
	if (listen != ep->listen_watched) {
		if (ep->listen_watched)
			loop_unwatch(ep->loop, vu->listen_fd);
		else if (loop_watch(ep->loop, vu->listen_fd, on_listen, ep))
			return;
		ep->listen_watched = listen;
	}
}

static void on_conn(void *arg, uint32_t events)
{
	struct endpoint *ep = arg;

	if (vu_dev_conn_readable(ep->vu) == 0 && ep->place)
		placement_check_guest(ep->placement, ep->place, ep->vu->mem);
	endpoint_sync(ep);
}

/* A ring finished stopping: a held message goes on, or a disconnect
 * completes. */
static void on_wake(void *arg, uint32_t events)
{
	struct endpoint *ep = arg;

	if (vu_dev_wake(ep->vu) == 0 && vu_dev_reading(ep->vu))
		vu_dev_conn_readable(ep->vu);
	if (ep->retiring && !vu_dev_waiting(ep->vu)) {
		ep->retired(ep); /* may free ep */
		return;
	}
	endpoint_sync(ep);
}

static void on_listen(void *arg, uint32_t events)
{
	struct endpoint *ep = arg;
	struct pollfd old = { .fd = ep->conn_fd_watched,
			      .events = POLLIN | POLLRDHUP };

	/* A front-end that connects right after another hung up (a start-up
	 * probe, a quick reconnect) may be seen before that hang-up, both
	 * in one epoll batch: read what the old connection left first, its
	 * end included, so the new one is not refused as a second front-end. */
	if (ep->conn_fd_watched >= 0 && poll(&old, 1, 0) == 1)
		vu_dev_conn_readable(ep->vu);
	vu_dev_accept(ep->vu);
	endpoint_sync(ep);
}

int endpoint_open(struct endpoint *ep, struct loop *l, struct vu_dev *vu,
		  struct placement *placement, struct queue_place *place)
{
	int ret;

	ep->loop = l;
	ep->vu = vu;
	ep->placement = placement;
	ep->place = place;
	ep->conn_fd_watched = -1;
	ep->listen_watched = false;
	ep->retiring = false;
	ret = loop_watch(l, vu->wake_fd, on_wake, ep);
	if (ret)
		return ret;
	endpoint_sync(ep);
	if (!ep->listen_watched) {
		loop_unwatch(l, vu->wake_fd);
		return -ENOMEM;
	}
	return 0;
}

void endpoint_close(struct endpoint *ep)
{
	if (!ep->vu)
		return;
	if (ep->conn_fd_watched >= 0)
		loop_unwatch(ep->loop, ep->conn_fd_watched);
	if (ep->listen_watched)
		loop_unwatch(ep->loop, ep->vu->listen_fd);
	loop_unwatch(ep->loop, ep->vu->wake_fd);
	ep->vu = NULL;
}

bool endpoint_retire(struct endpoint *ep, void (*retired)(struct endpoint *))
{
	ep->retiring = true;
	ep->retired = retired;
	/* Its front-end goes at once; the device goes once the requests in
	 * flight are done (on_wake), which a slow backend may take a while
	 * to do: nobody else waits for that. */
	vu_dev_disconnect(ep->vu, "device removed");
	if (!vu_dev_waiting(ep->vu)) {
		retired(ep);
		return true;
	}
	endpoint_sync(ep);
	return false;
}

void endpoint_tick(struct endpoint *ep)
{
	vu_dev_report_wait(ep->vu, clock_now_ns(), DRAIN_REPORT_MS);
}
