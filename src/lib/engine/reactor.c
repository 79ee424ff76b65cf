/* SPDX-License-Identifier: MIT */
#include "engine/reactor_uring.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/numa_alloc.h"
#include "util/clock.h"
#include "util/log.h"

#define REACTOR_RING_ENTRIES 4096
#define REACTOR_CQE_BATCH 64
/* Slots of the ring's fixed-file table: backends register their fds so
 * each I/O skips the kernel's per-request file lookup and refcount. */
#define REACTOR_FIXED_FILES 256
/* Slots of the ring's registered-buffer table (--fixed-buffers): guest
 * memory regions, cut in 1 GiB pieces (the kernel's limit per buffer);
 * 509 regions of a few GiB each fit. */
#define REACTOR_FIXED_BUFS 4096
/* user_data of the poll on the epoll fd that ends a sleep (pointers are
 * aligned, so an odd tag can never be a uring_op). */
#define REACTOR_UD_WAKE ((uint64_t)1)

struct reactor_msg {
	void (*fn)(void *arg);
	void *arg;
	struct completion *done; /* NULL for reactor_post */
	struct reactor_msg *next;
};

struct reactor {
	unsigned int id;
	int cpu;
	uint64_t poll_ns;         /* poll this long after work (--poll-us) */
	pthread_t thread;
	bool started;

	struct io_uring ring;
	unsigned int sq_pending; /* SQEs prepared but not yet submitted */
	int epfd;                /* wake fds of pollers + msg_fd */
	int msg_fd;              /* eventfd: messages are waiting */
	bool wake_armed;         /* a poll on epfd is in the ring */

	pthread_mutex_t msg_lock;
	struct reactor_msg *msg_head, *msg_tail;
	bool msgs_pending; /* atomic: checked every pass without the lock */
	bool stopping;     /* atomic */

	struct reactor_poller *pollers;
	unsigned int npollers;
	unsigned int nmust_poll;

	struct reactor_stats stats; /* written by the reactor thread only */

	bool fixed_files;   /* the ring has a sparse fixed-file table */
	bool fixed_used[REACTOR_FIXED_FILES];
	bool fixed_bufs;    /* the ring has a sparse buffer table */
	bool buf_used[REACTOR_FIXED_BUFS];
};

unsigned int reactor_id(const struct reactor *r)
{
	return r->id;
}

int reactor_cpu(const struct reactor *r)
{
	return r->cpu;
}

struct io_uring *reactor_uring(struct reactor *r)
{
	return &r->ring;
}

struct io_uring_sqe *reactor_get_sqe(struct reactor *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe) {
		io_uring_submit(&r->ring);
		r->sq_pending = 0;
		sqe = io_uring_get_sqe(&r->ring);
	}
	if (sqe)
		r->sq_pending++;
	return sqe;
}

void reactor_get_stats(const struct reactor *r, struct reactor_stats *out)
{
	out->busy_ns = __atomic_load_n(&r->stats.busy_ns, __ATOMIC_RELAXED);
	out->idle_ns = __atomic_load_n(&r->stats.idle_ns, __ATOMIC_RELAXED);
	out->passes = __atomic_load_n(&r->stats.passes, __ATOMIC_RELAXED);
	out->sleeps = __atomic_load_n(&r->stats.sleeps, __ATOMIC_RELAXED);
	out->pollers = __atomic_load_n(&r->npollers, __ATOMIC_RELAXED);
}

int reactor_fixed_file_add(struct reactor *r, int fd)
{
	if (!r->fixed_files)
		return -ENXIO;
	for (int i = 0; i < REACTOR_FIXED_FILES; i++) {
		int ret;

		if (r->fixed_used[i])
			continue;
		ret = io_uring_register_files_update(&r->ring, (unsigned int)i,
						     &fd, 1);
		if (ret < 0)
			return ret;
		r->fixed_used[i] = true;
		return i;
	}
	return -ENOSPC;
}

void reactor_fixed_file_remove(struct reactor *r, int slot)
{
	int none = -1;

	if (slot < 0 || slot >= REACTOR_FIXED_FILES || !r->fixed_used[slot])
		return;
	/* In-flight requests hold their own reference to the file. */
	io_uring_register_files_update(&r->ring, (unsigned int)slot, &none, 1);
	r->fixed_used[slot] = false;
}

void reactor_set_fixed_files(struct reactor *r, bool on)
{
	if (!on && r->fixed_files) {
		io_uring_unregister_files(&r->ring);
		r->fixed_files = false;
	}
}

int reactor_set_fixed_buffers(struct reactor *r, bool on)
{
	int ret;

	if (!on || r->fixed_bufs)
		return 0;
	ret = io_uring_register_buffers_sparse(&r->ring, REACTOR_FIXED_BUFS);
	if (ret)
		return ret;
	r->fixed_bufs = true;
	return 0;
}

/* n free slots in a row, or -ENOSPC. */
static int find_free_bufs(const struct reactor *r, unsigned int n)
{
	unsigned int run = 0;

	for (unsigned int i = 0; i < REACTOR_FIXED_BUFS; i++) {
		run = r->buf_used[i] ? 0 : run + 1;
		if (run == n)
			return (int)(i + 1 - n);
	}
	return -ENOSPC;
}

int reactor_buffers_add(struct reactor *r, const struct iovec *bufs,
			unsigned int n)
{
	int first, ret;

	if (!r->fixed_bufs)
		return -ENXIO;
	if (n == 0 || n > REACTOR_FIXED_BUFS)
		return -EINVAL;
	first = find_free_bufs(r, n);
	if (first < 0)
		return first;
	/* Pins every page: the kernel then skips looking pages up and
	 * pinning them again on each request. */
	ret = io_uring_register_buffers_update_tag(&r->ring, (unsigned int)first,
						   bufs, NULL, n);
	if (ret < 0)
		return ret;
	if ((unsigned int)ret != n) {
		reactor_buffers_remove(r, first, (unsigned int)ret);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++)
		r->buf_used[first + (int)i] = true;
	return first;
}

void reactor_buffers_remove(struct reactor *r, int first, unsigned int n)
{
	if (first < 0 || !r->fixed_bufs)
		return;
	for (unsigned int i = 0; i < n && first + i < REACTOR_FIXED_BUFS; i++) {
		/* An empty iovec clears the slot; requests still in flight
		 * keep their own reference to the pages. */
		struct iovec none = { 0 };

		io_uring_register_buffers_update_tag(&r->ring, first + i, &none,
						     NULL, 1);
		r->buf_used[first + i] = false;
	}
}

void reactor_add_poller(struct reactor *r, struct reactor_poller *p)
{
	p->reactor = r;
	p->prev = NULL;
	p->next = r->pollers;
	if (r->pollers)
		r->pollers->prev = p;
	r->pollers = p;
	__atomic_add_fetch(&r->npollers, 1, __ATOMIC_RELAXED);
	if (p->must_poll)
		r->nmust_poll++;
	if (p->wake_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = p->wake_fd };

		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, p->wake_fd, &ev) < 0) {
			/* Not pollable: fall back to polling it forever. */
			log_warn("reactor %u: cannot wait on fd %d (%s); polling "
				 "it instead", r->id, p->wake_fd, strerror(errno));
			p->must_poll = true;
			r->nmust_poll++;
		}
	}
}

void reactor_remove_poller(struct reactor *r, struct reactor_poller *p)
{
	if (p->wake_fd >= 0)
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, p->wake_fd, NULL);
	if (p->must_poll)
		r->nmust_poll--;
	if (p->prev)
		p->prev->next = p->next;
	else
		r->pollers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	p->reactor = NULL;
	__atomic_sub_fetch(&r->npollers, 1, __ATOMIC_RELAXED);
}

int reactor_post(struct reactor *r, void (*fn)(void *arg), void *arg)
{
	struct reactor_msg *m = calloc(1, sizeof(*m));
	uint64_t one = 1;

	if (!m)
		return -ENOMEM;
	m->fn = fn;
	m->arg = arg;
	pthread_mutex_lock(&r->msg_lock);
	if (r->msg_tail)
		r->msg_tail->next = m;
	else
		r->msg_head = m;
	r->msg_tail = m;
	__atomic_store_n(&r->msgs_pending, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&r->msg_lock);
	if (write(r->msg_fd, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

struct call_ctx {
	void (*fn)(void *arg);
	void *arg;
	struct completion done;
};

static void call_trampoline(void *arg)
{
	struct call_ctx *c = arg;

	c->fn(c->arg);
	completion_signal(&c->done);
}

int reactor_call(struct reactor *r, void (*fn)(void *arg), void *arg)
{
	struct call_ctx c = { .fn = fn, .arg = arg };
	int ret;

	if (!r->started) {
		/* No thread yet: nothing can race with us. */
		fn(arg);
		return 0;
	}
	ret = completion_init(&c.done);
	if (ret)
		return ret;
	ret = reactor_post(r, call_trampoline, &c);
	if (!ret)
		completion_wait(&c.done);
	completion_destroy(&c.done);
	return ret;
}

static void run_messages(struct reactor *r)
{
	struct reactor_msg *m;

	pthread_mutex_lock(&r->msg_lock);
	m = r->msg_head;
	r->msg_head = r->msg_tail = NULL;
	__atomic_store_n(&r->msgs_pending, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->msg_lock);
	while (m) {
		struct reactor_msg *next = m->next;

		m->fn(m->arg);
		free(m);
		m = next;
	}
}

static int reap_completions(struct reactor *r)
{
	struct io_uring_cqe *cqes[REACTOR_CQE_BATCH];
	unsigned int n, total = 0;

	do {
		n = io_uring_peek_batch_cqe(&r->ring, cqes, REACTOR_CQE_BATCH);
		for (unsigned int i = 0; i < n; i++) {
			uint64_t ud = cqes[i]->user_data;
			int res = cqes[i]->res;

			/* Mark seen before the callback: it may submit more. */
			io_uring_cqe_seen(&r->ring, cqes[i]);
			if (ud == REACTOR_UD_WAKE) {
				r->wake_armed = false;
				continue;
			}
			if (ud) {
				struct uring_op *op = (struct uring_op *)(uintptr_t)ud;

				op->done(op, res);
			}
		}
		total += n;
	} while (n == REACTOR_CQE_BATCH);
	return (int)total;
}

static void submit_pending(struct reactor *r)
{
	if (r->sq_pending) {
		io_uring_submit(&r->ring);
		r->sq_pending = 0;
	}
}

/* One pass over every poller and the ring. Returns the work done. */
static int reactor_pass(struct reactor *r)
{
	struct reactor_poller *p, *next;
	int work = 0;

	if (__atomic_load_n(&r->msgs_pending, __ATOMIC_ACQUIRE)) {
		run_messages(r);
		work++;
	}
	for (p = r->pollers; p; p = next) {
		next = p->next;
		work += p->poll(p);
	}
	/* One io_uring_enter per pass, however many requests it carries. */
	submit_pending(r);
	work += reap_completions(r);
	/* Every pass: a poller may have completed requests without counting
	 * them as work, and a completion left unpublished would never reach
	 * the guest once we sleep. A flush with nothing to do is a load. */
	for (p = r->pollers; p; p = next) {
		next = p->next;
		if (p->flush)
			p->flush(p);
	}
	return work;
}

int reactor_poll_once(struct reactor *r)
{
	if (r->started)
		return -EBUSY;
	return reactor_pass(r);
}

static void drain_wake_fds(struct reactor *r)
{
	struct epoll_event evs[64];
	int n = epoll_wait(r->epfd, evs, 64, 0);

	for (int i = 0; i < n; i++) {
		uint64_t v;

		/* Level-triggered: clear kicks so the next sleep can block. */
		if (read(evs[i].data.fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_debug("reactor %u: read fd %d: %s", r->id,
				  evs[i].data.fd, strerror(errno));
	}
}

/* Sleeps until a kick, a message or an I/O completion. */
static void reactor_sleep(struct reactor *r)
{
	struct reactor_poller *p;
	uint64_t wake_at = UINT64_MAX;
	bool work = false;

	if (r->nmust_poll)
		return;
	for (p = r->pollers; p; p = p->next) {
		if (p->arm && p->arm(p))
			work = true;
		if (p->wake_at_ns && p->wake_at_ns < wake_at)
			wake_at = p->wake_at_ns;
	}
	if (!work && !__atomic_load_n(&r->msgs_pending, __ATOMIC_ACQUIRE) &&
	    !io_uring_cq_ready(&r->ring)) {
		if (!r->wake_armed) {
			struct io_uring_sqe *sqe = reactor_get_sqe(r);

			if (sqe) {
				io_uring_prep_poll_add(sqe, r->epfd, POLLIN);
				io_uring_sqe_set_data64(sqe, REACTOR_UD_WAKE);
				r->wake_armed = true;
			}
		}
		r->sq_pending = 0;
		r->stats.sleeps++;
		if (wake_at == UINT64_MAX) {
			io_uring_submit_and_wait(&r->ring, 1);
		} else {
			uint64_t now = clock_now_ns();
			uint64_t ns = wake_at > now ? wake_at - now : 0;
			struct __kernel_timespec ts = {
				.tv_sec = (long long)(ns / NSEC_PER_SEC),
				.tv_nsec = (long long)(ns % NSEC_PER_SEC),
			};
			struct io_uring_cqe *cqe;

			if (ns)
				io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1,
								 &ts, NULL);
		}
		drain_wake_fds(r);
	}
	for (p = r->pollers; p; p = p->next)
		if (p->disarm)
			p->disarm(p);
}

/* A poller's timed wake (a throttled request's release) within the poll
 * window is met by polling: a timer wake-up lands late by the scheduler's
 * latency, which would shave a cap's rate. */
static bool wake_due_soon(struct reactor *r, uint64_t now)
{
	for (struct reactor_poller *p = r->pollers; p; p = p->next)
		if (p->wake_at_ns && p->wake_at_ns <= now + r->poll_ns)
			return true;
	return false;
}

static void pin_to_cpu(struct reactor *r)
{
	cpu_set_t set;
	int ret;

	if (r->cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (ret)
		log_warn("reactor %u: cannot pin to cpu %d: %s; running unpinned",
			 r->id, r->cpu, strerror(ret));
}

static void *reactor_thread(void *arg)
{
	struct reactor *r = arg;
	/* last_work starts the poll window: work, or a wake-up. */
	uint64_t last = clock_now_ns(), last_work = last;
	char name[16];

	snprintf(name, sizeof(name), "vmio-reactor%u", r->id);
	pthread_setname_np(pthread_self(), name);
	/* Timed wakes (QoS releases) as precise as the kernel can: the
	 * default 50 µs slack is a quarter of a 5000-IOPS cap's spacing. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	pin_to_cpu(r);

	while (!__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE) || r->pollers) {
		int work = reactor_pass(r);
		uint64_t now = clock_now_ns();

		r->stats.passes++;
		if (work) {
			__atomic_add_fetch(&r->stats.busy_ns, now - last, __ATOMIC_RELAXED);
			last_work = now;
		} else {
			__atomic_add_fetch(&r->stats.idle_ns, now - last, __ATOMIC_RELAXED);
			if (now - last_work >= r->poll_ns &&
			    !wake_due_soon(r, now) &&
			    !__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
				uint64_t asleep_from = now;

				reactor_sleep(r);
				now = clock_now_ns();
				__atomic_add_fetch(&r->stats.idle_ns, now - asleep_from,
						   __ATOMIC_RELAXED);
				/* A wake-up starts a new window: the next work
				 * often follows the one that woke us. (Sleeping
				 * after one empty pass once exposed a lost guest
				 * interrupt, since fixed in h_set_vring_call.) */
				last_work = now;
			}
		}
		last = now;
	}
	run_messages(r);
	return NULL;
}

/* Creates the ring from the reactor's CPU: the kernel allocates its
 * submission and completion rings from the node of the CPU that asks (or
 * by the process's memory policy, if it has one), so a reactor pinned to
 * another node would otherwise reach its ring across the interconnect on
 * every pass. */
static int ring_init_on_cpu(struct io_uring *ring, int cpu)
{
	cpu_set_t old, one;
	bool moved = false;
	int ret;

	if (cpu >= 0 && cpu < CPU_SETSIZE &&
	    pthread_getaffinity_np(pthread_self(), sizeof(old), &old) == 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		moved = pthread_setaffinity_np(pthread_self(), sizeof(one),
					       &one) == 0;
	}
	ret = io_uring_queue_init(REACTOR_RING_ENTRIES, ring, 0);
	if (moved)
		pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	return ret;
}

int reactor_create(unsigned int id, int cpu, unsigned int poll_us,
		   struct reactor **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct reactor *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->id = id;
	r->cpu = cpu;
	r->poll_ns = (uint64_t)poll_us * NSEC_PER_USEC;
	r->epfd = r->msg_fd = -1;
	pthread_mutex_init(&r->msg_lock, NULL);
	ret = ring_init_on_cpu(&r->ring, cpu);
	if (ret) {
		log_error("reactor %u: io_uring_queue_init failed: %s (is "
			  "io_uring disabled by sysctl kernel.io_uring_disabled "
			  "or a seccomp profile?)", id, strerror(-ret));
		free(r);
		return ret;
	}
	/* Kernels before 5.19 have no sparse table: plain fds then. */
	r->fixed_files = io_uring_register_files_sparse(&r->ring,
							REACTOR_FIXED_FILES) == 0;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->msg_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->epfd < 0 || r->msg_fd < 0)
		goto err;
	ev.data.fd = r->msg_fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->msg_fd, &ev) < 0)
		goto err;
	if (cpu >= 0)
		log_debug("reactor %u: io_uring rings on NUMA node %d (cpu %d "
			  "is on node %d)", id, numa_node_of_reactor_ring(r),
			  cpu, numa_node_of_reactor(r));
	*out = r;
	return 0;
err:
	ret = -errno;
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->msg_fd >= 0)
		close(r->msg_fd);
	io_uring_queue_exit(&r->ring);
	free(r);
	return ret;
}

int reactor_start(struct reactor *r)
{
	int ret = pthread_create(&r->thread, NULL, reactor_thread, r);

	if (ret)
		return -ret;
	r->started = true;
	return 0;
}

static void wake(void *arg)
{
	(void)arg;
}

void reactor_destroy(struct reactor *r)
{
	if (!r)
		return;
	if (r->started) {
		__atomic_store_n(&r->stopping, true, __ATOMIC_RELEASE);
		reactor_post(r, wake, NULL);
		pthread_join(r->thread, NULL);
		/* The wake-up may land after the thread's last look. */
		run_messages(r);
	}
	close(r->epfd);
	close(r->msg_fd);
	io_uring_queue_exit(&r->ring);
	pthread_mutex_destroy(&r->msg_lock);
	free(r);
}
