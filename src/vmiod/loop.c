/* SPDX-License-Identifier: MIT */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/log.h"

#define LOOP_TICKERS 8

struct watch {
	loop_fn fn;
	void *arg;
	int fd;
	struct watch *next;
};

struct ticker {
	void (*fn)(void *arg);
	void *arg;
};

struct loop {
	int epfd, sigfd, timerfd;
	struct watch *watches;
	struct ticker tickers[LOOP_TICKERS];
	unsigned int ntickers;
	bool stop;
};

int loop_watch(struct loop *l, int fd, loop_fn fn, void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	w->fd = fd;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -errno;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	for (struct watch **pw = &l->watches; *pw; pw = &(*pw)->next) {
		struct watch *w = *pw;

		if (w->fd != fd)
			continue;
		/* Fails harmlessly for an fd already closed. */
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		*pw = w->next;
		free(w);
		return;
	}
}

int loop_every_second(struct loop *l, void (*fn)(void *arg), void *arg)
{
	if (l->ntickers == LOOP_TICKERS)
		return -ENOSPC;
	l->tickers[l->ntickers++] = (struct ticker){ fn, arg };
	return 0;
}

static void on_signal(void *arg, uint32_t events)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	if (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		log_info("received %s: finishing in-flight I/O and exiting",
			 strsignal((int)si.ssi_signo));
		l->stop = true;
	}
}

static void on_timer(void *arg, uint32_t events)
{
	struct loop *l = arg;
	uint64_t ticks;

	if (read(l->timerfd, &ticks, sizeof(ticks)) < 0)
		return;
	for (unsigned int i = 0; i < l->ntickers; i++)
		l->tickers[i].fn(l->tickers[i].arg);
}

/* SIGINT and SIGTERM reach only the signalfd: reactor threads, created
 * later, inherit the mask. */
static int block_signals(struct loop *l)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return l->sigfd < 0 ? -errno : 0;
}

static int start_timer(struct loop *l)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };

	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->timerfd < 0 || timerfd_settime(l->timerfd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

int loop_create(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	l->sigfd = l->timerfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	ret = l->epfd < 0 ? -errno : block_signals(l);
	if (!ret)
		ret = start_timer(l);
	if (!ret)
		ret = loop_watch(l, l->sigfd, on_signal, l);
	if (!ret)
		ret = loop_watch(l, l->timerfd, on_timer, l);
	if (ret) {
		loop_destroy(l);
		return ret;
	}
	*out = l;
	return 0;
}

void loop_destroy(struct loop *l)
{
	if (!l)
		return;
	while (l->watches)
		loop_unwatch(l, l->watches->fd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

int loop_run(struct loop *l)
{
	while (!l->stop) {
		struct epoll_event evs[32];
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			bool live = false;

			/* A handler earlier in this batch may have removed it. */
			for (struct watch *x = l->watches; x && !live; x = x->next)
				live = x == w;
			if (live)
				w->fn(w->arg, evs[i].events);
		}
	}
	return 0;
}
