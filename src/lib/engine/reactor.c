/* SPDX-License-Identifier: MIT */
#include "engine/reactor_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
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
/* The CPU seen by the policy is sampled (three small reads of /proc and
 * getrusage) after this much time awake, or this much time in all: a
 * reactor that is mostly asleep does not pay for samples per wake-up. */
#define REACTOR_SAMPLE_AWAKE_NS (1 * NSEC_PER_MSEC)
#define REACTOR_SAMPLE_WALL_NS (50 * NSEC_PER_MSEC)
/* The CPU one sleep costs is measured on one sleep in this many (two
 * reads of the thread's CPU clock, each a system call). */
#define REACTOR_SLEEP_CPU_EVERY 16
/* Timed sleeps at start that seed the wake-up latency and sleep CPU. */
#define REACTOR_CALIBRATE_SLEEPS 4
#define REACTOR_CALIBRATE_NS (50 * NSEC_PER_USEC)

struct reactor_msg {
	void (*fn)(void *arg);
	void *arg;
	struct completion *done; /* NULL for reactor_post */
	struct reactor_msg *next;
};

struct reactor {
	unsigned int id;
	int cpu;
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

	/* Polling policy and what it is fed (reactor thread only). */
	struct reactor_policy pol;
	unsigned int dev_inflight; /* I/O SQEs handed out, not completed */
	uint64_t work_total;       /* work done by every pass so far */
	int schedstat_fd;          /* /proc/thread-self/schedstat, or -1 */
	int loadavg_fd;            /* /proc/loadavg, or -1 */
	unsigned int cpus_online;
	uint64_t sample_ns, sample_awake_ns, sample_delay_ns, sample_nivcsw;
	unsigned int sleep_count;
	uint64_t cpu_clock_cost_ns; /* two reads of the thread CPU clock */

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

static struct io_uring_sqe *get_sqe(struct reactor *r)
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

struct io_uring_sqe *reactor_get_sqe(struct reactor *r)
{
	struct io_uring_sqe *sqe = get_sqe(r);

	/* Each one is a request at the device until its CQE comes back. */
	if (sqe)
		r->dev_inflight++;
	return sqe;
}

void reactor_device_io(struct reactor *r, int n)
{
	if (n < 0 && (unsigned int)-n > r->dev_inflight)
		r->dev_inflight = 0;
	else
		r->dev_inflight += (unsigned int)n;
}

/* Counters have one writer, the reactor thread; others read them with
 * relaxed loads, so a plain store (no locked add) is enough. */
static inline void stat_add(uint64_t *v, uint64_t d)
{
	__atomic_store_n(v, *v + d, __ATOMIC_RELAXED);
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline void store_double(double *x, double v)
{
	__atomic_store(x, &v, __ATOMIC_RELAXED);
}

static inline double load_double(const double *x)
{
	double v;

	__atomic_load(x, &v, __ATOMIC_RELAXED);
	return v;
}

/* The policy's figures, copied for readers on other threads (about once
 * a millisecond while the reactor is awake). */
static void publish_policy(struct reactor *r)
{
	const struct reactor_policy *p = &r->pol;
	struct reactor_stats *s = &r->stats;

	STORE(s->mode, reactor_policy_mode(p));
	for (int h = 0; h < RP_CLASSES; h++)
		STORE(s->poll_budget_ns[h], p->budget_ns[h]);
	STORE(s->wake_latency_ns, (uint64_t)p->wake_lat_ns);
	STORE(s->sleep_cpu_ns, (uint64_t)p->sleep_cpu_ns);
	store_double(&s->cpu_price, p->price);
	store_double(&s->wait_share, p->wait_share);
	store_double(&s->work_share, p->work_share);
	store_double(&s->inflight_avg, p->inflight_avg);
	STORE(s->closed_loop, p->closed_loop);
	STORE(s->trials, p->trials);
	STORE(s->trials_batch, p->trials_batch);
}

void reactor_get_stats(const struct reactor *r, struct reactor_stats *out)
{
	const struct reactor_stats *s = &r->stats;

	out->busy_ns = LOAD(s->busy_ns);
	out->poll_idle_ns = LOAD(s->poll_idle_ns);
	out->sleep_ns = LOAD(s->sleep_ns);
	out->idle_ns = out->poll_idle_ns + out->sleep_ns;
	out->passes = LOAD(s->passes);
	out->sleeps = LOAD(s->sleeps);
	out->pollers = LOAD(r->npollers);
	out->policy = r->pol.kind; /* set before the thread starts */
	out->mode = LOAD(s->mode);
	out->asleep = LOAD(s->asleep);
	for (int h = 0; h < RP_CLASSES; h++)
		out->poll_budget_ns[h] = LOAD(s->poll_budget_ns[h]);
	out->wake_latency_ns = LOAD(s->wake_latency_ns);
	out->sleep_cpu_ns = LOAD(s->sleep_cpu_ns);
	out->cpu_price = load_double(&s->cpu_price);
	out->wait_share = load_double(&s->wait_share);
	out->work_share = load_double(&s->work_share);
	out->inflight_avg = load_double(&s->inflight_avg);
	out->closed_loop = LOAD(s->closed_loop);
	out->trials = LOAD(s->trials);
	out->trials_batch = LOAD(s->trials_batch);
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
			if (r->dev_inflight)
				r->dev_inflight--;
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

/* One pass over every poller and the ring. Returns the work done, of
 * which *reaped completions. */
static int reactor_pass(struct reactor *r, int *reaped)
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
	*reaped = reap_completions(r);
	work += *reaped;
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
	int reaped;

	if (r->started)
		return -EBUSY;
	return reactor_pass(r, &reaped);
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

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

enum sleep_end { SLEEP_SKIPPED, SLEEP_WOKEN, SLEEP_TIMED_OUT };

/*
 * Sleeps until a kick, a message, an I/O completion or, with timeout_ns,
 * that long; *late: how long after the timeout it returned; *arm_ns, if
 * not NULL: how long getting ready to block took. The kick
 * eventfds are drained only once the poll on them has fired, and before
 * kicks are enabled again: a kick after the drain stays in its eventfd
 * and ends the next sleep, and a sleep a completion ends costs no
 * epoll_wait.
 */
static enum sleep_end reactor_sleep(struct reactor *r, uint64_t timeout_ns,
				    uint64_t *late, uint64_t *arm_ns)
{
	enum sleep_end end = SLEEP_SKIPPED;
	uint64_t t0 = arm_ns ? clock_now_ns() : 0;
	struct reactor_poller *p;
	bool work = false;

	if (r->nmust_poll)
		return SLEEP_SKIPPED;
	if (!r->wake_armed)
		drain_wake_fds(r);
	for (p = r->pollers; p; p = p->next)
		if (p->arm && p->arm(p))
			work = true;
	if (!work && !__atomic_load_n(&r->msgs_pending, __ATOMIC_ACQUIRE) &&
	    !io_uring_cq_ready(&r->ring)) {
		if (!r->wake_armed) {
			struct io_uring_sqe *sqe = get_sqe(r);

			if (sqe) {
				io_uring_prep_poll_add(sqe, r->epfd, POLLIN);
				io_uring_sqe_set_data64(sqe, REACTOR_UD_WAKE);
				r->wake_armed = true;
			}
		}
		r->sq_pending = 0;
		stat_add(&r->stats.sleeps, 1);
		STORE(r->stats.asleep, true);
		if (arm_ns)
			*arm_ns = clock_now_ns() - t0;
		if (!timeout_ns) {
			io_uring_submit_and_wait(&r->ring, 1);
			end = SLEEP_WOKEN;
		} else {
			struct __kernel_timespec ts = {
				.tv_sec = (long long)(timeout_ns / NSEC_PER_SEC),
				.tv_nsec = (long long)(timeout_ns % NSEC_PER_SEC),
			};
			uint64_t deadline = clock_now_ns() + timeout_ns, now;
			struct io_uring_cqe *cqe;

			/* Not -ETIME: when the same call submits SQEs, it
			 * returns their count even after a timeout. */
			io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, &ts,
							 NULL);
			now = clock_now_ns();
			end = now >= deadline && !io_uring_cq_ready(&r->ring) &&
			      !__atomic_load_n(&r->msgs_pending, __ATOMIC_ACQUIRE) ?
			      SLEEP_TIMED_OUT : SLEEP_WOKEN;
			*late = now > deadline ? now - deadline : 0;
		}
		STORE(r->stats.asleep, false);
	}
	for (p = r->pollers; p; p = p->next)
		if (p->disarm)
			p->disarm(p);
	return end;
}

/* Sleeps as the policy decided and tells it what the sleep cost: the
 * thread's CPU (one sleep in REACTOR_SLEEP_CPU_EVERY, and only with no
 * request at the device: a completion's kernel work runs on waking and
 * would be charged to the sleep, though polling pays it too) and, when a
 * timeout ended it, how late the wake-up landed. Returns the time after. */
static uint64_t policy_sleep(struct reactor *r, uint64_t now,
			     const struct rp_decision *d)
{
	bool measure = !r->dev_inflight &&
		       ++r->sleep_count % REACTOR_SLEEP_CPU_EVERY == 0;
	uint64_t cpu0 = measure ? thread_cpu_ns() : 0, late = 0, arm = 0, after;
	enum sleep_end end = reactor_sleep(r, d->timeout_ns, &late,
					   measure ? &arm : NULL);

	if (measure && end != SLEEP_SKIPPED) {
		uint64_t cpu = thread_cpu_ns() - cpu0;

		reactor_policy_sleep_cpu(&r->pol, cpu > r->cpu_clock_cost_ns ?
					 cpu - r->cpu_clock_cost_ns : 0);
		reactor_policy_sleep_arm(&r->pol, arm);
	}
	after = clock_now_ns();
	if (end == SLEEP_TIMED_OUT)
		reactor_policy_wake_latency(&r->pol, after, late);
	if (end == SLEEP_SKIPPED)
		stat_add(&r->stats.poll_idle_ns, after - now);
	else
		stat_add(&r->stats.sleep_ns, after - now);
	return after;
}

/* Time until the soonest timed wake of a poller (a throttled request's
 * release): 0 when due, UINT64_MAX when there is none. */
static uint64_t next_timer_ns(const struct reactor *r, uint64_t now)
{
	uint64_t soonest = UINT64_MAX;

	for (const struct reactor_poller *p = r->pollers; p; p = p->next)
		if (p->wake_at_ns && p->wake_at_ns < soonest)
			soonest = p->wake_at_ns;
	if (soonest == UINT64_MAX)
		return UINT64_MAX;
	return soonest > now ? soonest - now : 0;
}

static int read_proc(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, len - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* What the policy learns of the CPU since the last sample: our run delay
 * (second field of /proc/thread-self/schedstat: time runnable but not
 * running), our preemptions (involuntary context switches), and how many
 * threads the machine has runnable now (/proc/loadavg's fourth field).
 * feed false: only take the starting values. */
static void sample_cpu(struct reactor *r, uint64_t now, bool feed)
{
	struct rp_cpu_sample s = { .wall_ns = now - r->sample_ns,
				   .runnable = -1, .cpus = r->cpus_online };
	unsigned long long run, delay;
	struct rusage ru;
	char buf[128];
	int running;

	if (!read_proc(r->schedstat_fd, buf, sizeof(buf)) &&
	    sscanf(buf, "%llu %llu", &run, &delay) == 2) {
		if (delay >= r->sample_delay_ns)
			s.run_delay_ns = delay - r->sample_delay_ns;
		r->sample_delay_ns = delay;
	}
	if (!getrusage(RUSAGE_THREAD, &ru)) {
		s.preemptions = (uint64_t)ru.ru_nivcsw - r->sample_nivcsw;
		r->sample_nivcsw = (uint64_t)ru.ru_nivcsw;
	}
	if (!read_proc(r->loadavg_fd, buf, sizeof(buf)) &&
	    sscanf(buf, "%*s %*s %*s %d/", &running) == 1)
		s.runnable = running;
	if (feed)
		reactor_policy_cpu_sample(&r->pol, &s);
	r->sample_ns = now;
	r->sample_awake_ns = r->stats.busy_ns + r->stats.poll_idle_ns;
}

/* About once a millisecond while awake: new budgets from what was
 * measured, the work rate, a batching trial's epoch, and figures for
 * readers. */
static void policy_tick(struct reactor *r, uint64_t now)
{
	uint64_t awake = r->stats.busy_ns + r->stats.poll_idle_ns;

	if (awake - r->sample_awake_ns >= REACTOR_SAMPLE_AWAKE_NS ||
	    now - r->sample_ns >= REACTOR_SAMPLE_WALL_NS)
		sample_cpu(r, now, true);
	reactor_policy_rate(&r->pol, now, r->work_total);
	if (reactor_policy_epoch_due(&r->pol, now))
		reactor_policy_epoch(&r->pol, now, r->work_total, thread_cpu_ns());
	reactor_policy_update(&r->pol);
	publish_policy(r);
}

/* A few timed sleeps at start: what a sleep costs this thread in CPU and
 * how late a wake-up lands, measured before the first request rather
 * than guessed. A message (work) cuts it short. */
static void calibrate(struct reactor *r)
{
	uint64_t best = UINT64_MAX;

	if (r->pol.kind != REACTOR_POLICY_ADAPTIVE)
		return;
	for (int i = 0; i < 3; i++) {
		uint64_t a = thread_cpu_ns(), b = thread_cpu_ns();

		if (b - a < best)
			best = b - a;
	}
	r->cpu_clock_cost_ns = best;
	for (int i = 0; i < REACTOR_CALIBRATE_SLEEPS; i++) {
		uint64_t cpu0 = thread_cpu_ns(), late = 0, arm = 0, cpu;
		enum sleep_end end = reactor_sleep(r, REACTOR_CALIBRATE_NS, &late,
						   &arm);

		if (end != SLEEP_TIMED_OUT)
			break;
		cpu = thread_cpu_ns() - cpu0;
		reactor_policy_sleep_cpu(&r->pol, cpu > best ? cpu - best : 0);
		reactor_policy_sleep_arm(&r->pol, arm);
		reactor_policy_wake_latency(&r->pol, clock_now_ns(), late);
	}
	reactor_policy_update(&r->pol);
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
	/* The idle gap in progress: since last_work, requests in flight at
	 * the device when it began, when (into it) the reactor slept. */
	uint64_t last, last_work, tick, slept_at = UINT64_MAX;
	bool gap_open = false, gap_device = false;
	char name[16];

	snprintf(name, sizeof(name), "vmio-reactor%u", r->id);
	pthread_setname_np(pthread_self(), name);
	/* Timed wakes (QoS releases) as precise as the kernel can: the
	 * default 50 µs slack is a quarter of a 5000-IOPS cap's spacing. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	pin_to_cpu(r);
	/* thread-self: this thread's figures, whatever its id. */
	r->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	r->loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	if (r->schedstat_fd < 0)
		log_debug("reactor %u: no /proc/thread-self/schedstat (%s): the "
			  "polling policy cannot see its run delay", r->id,
			  strerror(errno));
	calibrate(r);
	if (r->pol.kind == REACTOR_POLICY_ADAPTIVE)
		log_info("reactor %u: adaptive polling; a wake-up lands %.1f µs "
			 "late and a sleep costs %.1f µs of CPU here", r->id,
			 r->pol.wake_lat_ns / 1e3, r->pol.sleep_cpu_ns / 1e3);
	last = last_work = tick = clock_now_ns();
	sample_cpu(r, last, false);
	publish_policy(r);

	while (!__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE) || r->pollers) {
		int reaped, work = reactor_pass(r, &reaped);
		uint64_t now = clock_now_ns();

		stat_add(&r->stats.passes, 1);
		reactor_policy_pass(&r->pol, work > 0, r->dev_inflight);
		if (work) {
			stat_add(&r->stats.busy_ns, now - last);
			r->work_total += (uint64_t)work;
			if (gap_open) {
				struct rp_gap g = {
					.idle_ns = last - last_work,
					.slept_at_ns = slept_at, .device = gap_device,
					.arrival = work > reaped,
				};

				reactor_policy_gap(&r->pol, now, &g);
			}
			gap_open = false;
			slept_at = UINT64_MAX;
			last_work = now;
			gap_device = r->dev_inflight > 0;
		} else {
			struct rp_idle in = {
				.now_ns = now, .idle_ns = now - last_work,
				.inflight = r->dev_inflight,
				.timer_ns = next_timer_ns(r, now),
			};
			struct rp_decision d = reactor_policy_idle(&r->pol, &in);

			stat_add(&r->stats.poll_idle_ns, now - last);
			gap_open = true;
			if (d.sleep && !__atomic_load_n(&r->stopping, __ATOMIC_ACQUIRE)) {
				now = policy_sleep(r, now, &d);
				if (slept_at == UINT64_MAX)
					slept_at = in.idle_ns;
				/* A fixed window starts again at a wake-up: the
				 * next work often follows the one that woke us. */
				if (r->pol.kind == REACTOR_POLICY_FIXED)
					last_work = now;
			}
		}
		if (now - tick >= NSEC_PER_MSEC) {
			policy_tick(r, now);
			tick = now;
		}
		last = now;
	}
	run_messages(r);
	if (r->schedstat_fd >= 0)
		close(r->schedstat_fd);
	if (r->loadavg_fd >= 0)
		close(r->loadavg_fd);
	r->schedstat_fd = r->loadavg_fd = -1;
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
	reactor_policy_init(&r->pol, poll_us);
	r->epfd = r->msg_fd = -1;
	r->schedstat_fd = r->loadavg_fd = -1;
	r->cpus_online = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
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

static void wake(void *arg)
{
	(void)arg;
}

int reactor_start(struct reactor *r)
{
	int ret = pthread_create(&r->thread, NULL, reactor_thread, r);

	if (ret)
		return -ret;
	r->started = true;
	/* Back once the thread has opened its files and calibrated (it runs
	 * messages only after): whoever started it sees it whole, and a
	 * test counting open fds does not race its start. */
	reactor_call(r, wake, NULL);
	return 0;
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
