/* SPDX-License-Identifier: MIT */
/*
 * The I/O engine: one thread per queue keeps iodepth requests in flight
 * (closed loop) or issues them at Poisson-distributed times (open loop,
 * --rate-iops), records the latency of every completion in a histogram,
 * and counts errors. The same loop drives a vhost-user target (through
 * vufront) or the host's io_uring on the file, so every target is measured
 * by the same code.
 */
#include "bench/job.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <sys/ioctl.h>

#include "util/clock.h"
#include "vufront/vufront.h"
#include "vufront/vufront_scsi.h"

#define MAX_DEPTH 256
#define BATCH 64
/* How long a worker polls for completions before it sleeps. */
#define SPIN_NS (50 * NSEC_PER_USEC)

/* How one queue thread reaches its target. */
struct engine {
	int (*submit)(struct engine *e, unsigned int slot, bool write,
		      uint64_t off, uint32_t len);
	void (*kick)(struct engine *e);
	/* Fills done slots and statuses (0 ok); returns count or -errno. */
	int (*reap)(struct engine *e, unsigned int *slots, int *status,
		    unsigned int max);
	/* Sleeps until a completion may be there, at most timeout_ns. */
	void (*wait)(struct engine *e, uint64_t timeout_ns);
	void *ctx;
	uint64_t spin_ns;       /* poll this long before sleeping */
	bool wakes;             /* wait() returns on a completion */
};

struct worker {
	const struct job_params *p;
	struct engine eng;
	unsigned int index;
	uint64_t span;          /* bytes this worker addresses */
	uint64_t seq_off;
	uint64_t rng;
	uint64_t start_ns, measure_ns, end_ns;
	uint64_t submit_ns[MAX_DEPTH];
	bool busy[MAX_DEPTH];
	uint64_t ios, bytes, errors;
	unsigned int inflight;
	double inflight_area;   /* in-flight count x ns, over the window */
	uint64_t last_sample_ns;
	struct hist lat;
	char error[200];
	int ret;
	volatile uint64_t *progress_ios;
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: plenty for offsets and arrival times. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static bool next_is_write(struct worker *w)
{
	switch (w->p->rw) {
	case RW_READ:
	case RW_RANDREAD:
		return false;
	case RW_WRITE:
	case RW_RANDWRITE:
		return true;
	default:
		return rng_next(&w->rng) % 100 >= w->p->read_pct;
	}
}

static uint64_t next_offset(struct worker *w)
{
	uint64_t blocks = w->span / w->p->bs;
	uint64_t off;

	if (w->p->rw == RW_READ || w->p->rw == RW_WRITE) {
		off = w->seq_off;
		w->seq_off = (w->seq_off + w->p->bs) % (blocks * w->p->bs);
	} else {
		off = (rng_next(&w->rng) % blocks) * w->p->bs;
	}
	return off;
}

/* Integrates the in-flight count over the measured window, at every
 * change: an independent L for Little's law (L = IOPS x mean latency). */
static void account(struct worker *w, uint64_t now)
{
	uint64_t from, to;

	if (now < w->last_sample_ns)
		now = w->last_sample_ns; /* a batch shares one timestamp */
	from = w->last_sample_ns > w->measure_ns ? w->last_sample_ns : w->measure_ns;
	to = now < w->end_ns ? now : w->end_ns;
	if (to > from)
		w->inflight_area += (double)w->inflight * (double)(to - from);
	w->last_sample_ns = now;
}

static int issue(struct worker *w, unsigned int slot)
{
	uint64_t now = clock_now_ns();
	int ret;

	account(w, now);
	w->busy[slot] = true;
	w->inflight++;
	w->submit_ns[slot] = now;
	ret = w->eng.submit(&w->eng, slot, next_is_write(w), next_offset(w),
			    w->p->bs);
	return ret;
}

static double exp_gap_ns(struct worker *w, double rate)
{
	double u = ((double)(rng_next(&w->rng) >> 11) + 1.0) / 9007199254740993.0;

	return -log(u) / rate * 1e9;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int depth = w->p->iodepth, slots[BATCH];
	double rate = w->p->rate_iops / w->p->queues;
	uint64_t next_arrival = w->start_ns, last_done = w->start_ns;
	int status[BATCH];

	if (!rate)
		for (unsigned int i = 0; i < depth; i++)
			if ((w->ret = issue(w, i)))
				return NULL;
	w->eng.kick(&w->eng);
	for (;;) {
		uint64_t now = clock_now_ns();
		bool stop = now >= w->end_ns;
		int n;

		if (rate) {
			/* Open loop: arrivals on their own schedule, as many
			 * in flight as the depth allows. */
			for (unsigned int i = 0; i < depth && now >= next_arrival && !stop; i++)
				if (!w->busy[i]) {
					uint64_t at = next_arrival;

					if ((w->ret = issue(w, i)))
						return NULL;
					/* Latency counts from the arrival, so
					 * waiting for a free slot is included. */
					w->submit_ns[i] = at;
					next_arrival += (uint64_t)exp_gap_ns(w, rate);
				}
			w->eng.kick(&w->eng);
		}
		n = w->eng.reap(&w->eng, slots, status, BATCH);
		if (n < 0) {
			w->ret = n;
			return NULL;
		}
		if (n == 0 && !stop) {
			/* Nothing yet: spin briefly (lowest latency), then
			 * sleep until a completion or the next arrival, so
			 * idle frontends leave the cores to the target. */
			uint64_t t = clock_now_ns();

			/* A polling frontend (--no-irq) gets no call: it may
			 * only sleep while nothing is in flight. */
			if (t - last_done >= w->eng.spin_ns &&
			    (w->eng.wakes || !w->inflight)) {
				uint64_t until = w->end_ns + NSEC_PER_SEC;

				if (rate && next_arrival < until)
					until = next_arrival;
				if (until > t)
					w->eng.wait(&w->eng, until - t < NSEC_PER_MSEC
							      ? until - t : NSEC_PER_MSEC);
			}
			continue;
		}
		if (n)
			last_done = clock_now_ns();
		now = clock_now_ns();
		/* Every completion of the batch ends at the same instant, in
		 * the latency and in the in-flight count alike; resubmitting
		 * comes after. */
		if (n)
			account(w, now);
		for (int i = 0; i < n; i++) {
			unsigned int s = slots[i];

			w->busy[s] = false;
			w->inflight--;
			if (w->submit_ns[s] >= w->measure_ns && now <= w->end_ns) {
				hist_add(&w->lat, now - w->submit_ns[s]);
				w->ios++;
				w->bytes += w->p->bs;
				if (status[i])
					w->errors++;
				if (w->progress_ios)
					__atomic_add_fetch(w->progress_ios, 1,
							   __ATOMIC_RELAXED);
			}
		}
		for (int i = 0; i < n && !rate && !stop; i++)
			if ((w->ret = issue(w, slots[i])))
				return NULL;
		if (n && !rate)
			w->eng.kick(&w->eng);
		if (stop) {
			bool idle = true;

			for (unsigned int i = 0; i < depth; i++)
				idle = idle && !w->busy[i];
			if (idle)
				return NULL;
			if (now > w->end_ns + 5 * NSEC_PER_SEC) {
				snprintf(w->error, sizeof(w->error),
					 "requests still in flight 5 s after the end");
				w->ret = -ETIMEDOUT;
				return NULL;
			}
		}
	}
}

/* ---- the vhost-user engine ---- */

static int vu_submit(struct engine *e, unsigned int slot, bool write,
		     uint64_t off, uint32_t len)
{
	vufront_submit(e->ctx, slot, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
		       off / 512, len);
	return 0;
}

static void vu_kick(struct engine *e)
{
	vufront_kick(e->ctx);
}

static void vu_wait(struct engine *e, uint64_t timeout_ns)
{
	vufront_wait(e->ctx, timeout_ns);
}

static int vu_reap(struct engine *e, unsigned int *slots, int *status,
		   unsigned int max)
{
	struct vufront_completion c[BATCH];
	int n = vufront_reap(e->ctx, c, max < BATCH ? max : BATCH);

	for (int i = 0; i < n; i++) {
		slots[i] = c[i].slot;
		status[i] = c[i].status;
	}
	return n;
}

/* ---- the vhost-user-scsi engine ---- */

struct scsi_ctx {
	struct vufront_queue *q;
	uint16_t lun;
	uint32_t block;         /* the LUN's logical block size */
};

static int scsi_submit(struct engine *e, unsigned int slot, bool write,
		       uint64_t off, uint32_t len)
{
	struct scsi_ctx *c = e->ctx;

	vufront_scsi_submit_rw(c->q, slot, c->lun, write, off / c->block,
			       len / c->block, len);
	return 0;
}

static void scsi_kick(struct engine *e)
{
	vufront_kick(((struct scsi_ctx *)e->ctx)->q);
}

static void scsi_wait(struct engine *e, uint64_t timeout_ns)
{
	vufront_wait(((struct scsi_ctx *)e->ctx)->q, timeout_ns);
}

static int scsi_reap(struct engine *e, unsigned int *slots, int *status,
		     unsigned int max)
{
	struct vufront_scsi_completion c[BATCH];
	int n = vufront_scsi_reap(((struct scsi_ctx *)e->ctx)->q, c,
				  max < BATCH ? max : BATCH);

	/* CHECK CONDITION or a transport failure is an I/O error, counted
	 * like a blk IOERR; a wrong answer (n < 0) stops the run. */
	for (int i = 0; i < n; i++) {
		slots[i] = c[i].slot;
		status[i] = !vufront_scsi_good(&c[i]);
	}
	return n;
}

/* Connects to either kind of target; q[i] is request queue i. */
static int vhost_connect(const char *path, const struct job_params *p,
			 const struct vufront_opts *o, struct vufront **f,
			 char *err, size_t errlen)
{
	int ret = p->scsi ? vufront_scsi_connect(path, o, p->lun, f, err, errlen)
			  : vufront_connect(path, o, f, err, errlen);

	if (ret)
		return ret;
	if (p->scsi && p->bs % vufront_info(*f)->blk_size) {
		snprintf(err, errlen, "--bs %u is not a whole number of LUN %u's "
			 "%u-byte blocks", p->bs, p->lun,
			 vufront_info(*f)->blk_size);
		vufront_close(*f);
		return -EINVAL;
	}
	return 0;
}

static struct vufront_queue *request_queue(struct vufront *f, unsigned int i)
{
	return vufront_is_scsi(f) ? vufront_scsi_queue(f, i) : vufront_queue(f, i);
}

/* ---- the host io_uring engine ---- */

struct host_ctx {
	struct io_uring ring;
	int fd;
	void *buf[MAX_DEPTH];
	unsigned int pending;
};

static int host_submit(struct engine *e, unsigned int slot, bool write,
		       uint64_t off, uint32_t len)
{
	struct host_ctx *h = e->ctx;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&h->ring);

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write(sqe, h->fd, h->buf[slot], len, off);
	else
		io_uring_prep_read(sqe, h->fd, h->buf[slot], len, off);
	io_uring_sqe_set_data64(sqe, slot);
	h->pending++;
	return 0;
}

static void host_kick(struct engine *e)
{
	struct host_ctx *h = e->ctx;

	if (h->pending) {
		io_uring_submit(&h->ring);
		h->pending = 0;
	}
}

static void host_wait(struct engine *e, uint64_t timeout_ns)
{
	struct host_ctx *h = e->ctx;
	struct __kernel_timespec ts = { (long long)(timeout_ns / NSEC_PER_SEC),
					(long long)(timeout_ns % NSEC_PER_SEC) };
	struct io_uring_cqe *cqe;

	io_uring_wait_cqe_timeout(&h->ring, &cqe, &ts);
}

static int host_reap(struct engine *e, unsigned int *slots, int *status,
		     unsigned int max)
{
	struct host_ctx *h = e->ctx;
	struct io_uring_cqe *cqes[BATCH];
	unsigned int n = io_uring_peek_batch_cqe(&h->ring, cqes,
						 max < BATCH ? max : BATCH);

	for (unsigned int i = 0; i < n; i++) {
		slots[i] = (unsigned int)cqes[i]->user_data;
		status[i] = cqes[i]->res < 0 ? 1 : 0;
		io_uring_cqe_seen(&h->ring, cqes[i]);
	}
	return (int)n;
}

/* ---- running workers ---- */

static double cpu_self_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *progress_main(void *arg)
{
	struct worker *w = arg;
	uint64_t last = 0, t0 = w->start_ns;

	while (clock_now_ns() < w->end_ns) {
		uint64_t n;

		usleep(1000000);
		n = __atomic_load_n(w->progress_ios, __ATOMIC_RELAXED);
		fprintf(stderr, "\r%s: %5.1fs  %9.0f IOPS   ",
			w->p->label ? w->p->label : "bench",
			(clock_now_ns() - t0) / 1e9, (double)(n - last));
		last = n;
	}
	fprintf(stderr, "\r%60s\r", "");
	return NULL;
}

static int run_workers(struct worker *w, unsigned int n,
		       const struct job_params *p, struct job_result *r)
{
	pthread_t th[64], prog;
	volatile uint64_t progress_ios = 0;
	double cpu0 = cpu_self_s();
	uint64_t t0 = clock_now_ns();
	bool show = p->progress && isatty(2);

	for (unsigned int i = 0; i < n; i++) {
		w[i].start_ns = t0;
		w[i].measure_ns = t0 + (uint64_t)(p->ramp_s * 1e9);
		w[i].end_ns = w[i].measure_ns + (uint64_t)(p->runtime_s * 1e9);
		w[i].progress_ios = &progress_ios;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	if (show)
		pthread_create(&prog, NULL, progress_main, &w[0]);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (show)
		pthread_join(prog, NULL);
	r->frontend_cpu_s = cpu_self_s() - cpu0;
	r->elapsed_s = p->runtime_s;
	hist_init(&r->lat);
	for (unsigned int i = 0; i < n; i++) {
		r->ios += w[i].ios;
		r->bytes += w[i].bytes;
		r->errors += w[i].errors;
		r->avg_inflight += w[i].inflight_area / (p->runtime_s * 1e9);
		hist_merge(&r->lat, &w[i].lat);
		if (w[i].ret && !r->error[0])
			snprintf(r->error, sizeof(r->error), "%s",
				 w[i].error[0] ? w[i].error : strerror(-w[i].ret));
	}
	return r->error[0] ? -EIO : 0;
}

static void worker_init(struct worker *w, const struct job_params *p,
			unsigned int i, uint64_t span)
{
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->index = i;
	w->span = span;
	w->rng = 0x9e3779b97f4a7c15ull * (i + 1) + clock_now_ns();
	w->seq_off = 0;
	hist_init(&w->lat);
}

static int check_params(const struct job_params *p, char *err, size_t len)
{
	if (p->iodepth == 0 || p->iodepth > 64 || p->queues == 0 || p->queues > 16) {
		snprintf(err, len, "iodepth must be 1-64 and queues 1-16");
		return -EINVAL;
	}
	if (p->bs < 512 || p->bs % 512 || p->bs > (1u << 20)) {
		snprintf(err, len, "block size must be a multiple of 512 up to 1M");
		return -EINVAL;
	}
	return 0;
}

int job_run_vhost(const char *path, const struct job_params *p,
		  struct job_result *r)
{
	struct vufront_opts o = {
		.queues = p->queues,
		.queue_size = 256,
		.max_inflight = p->iodepth,
		.max_io = p->bs,
		.want_irq = p->want_irq,
		.dirty_log = p->dirty_log,
		.packed = p->packed,
	};
	struct scsi_ctx *sc;
	struct worker *w;
	struct vufront *f;
	uint64_t span;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = check_params(p, r->error, sizeof(r->error));
	if (ret)
		return ret;
	ret = vhost_connect(path, p, &o, &f, r->error, sizeof(r->error));
	if (ret)
		return ret;
	span = vufront_info(f)->capacity * 512;
	if (p->size && p->size < span)
		span = p->size;
	if (span < p->bs) {
		snprintf(r->error, sizeof(r->error), "the disk is smaller than one block");
		vufront_close(f);
		return -EINVAL;
	}
	w = calloc(p->queues, sizeof(*w));
	sc = calloc(p->queues, sizeof(*sc));
	for (unsigned int i = 0; i < p->queues; i++) {
		worker_init(&w[i], p, i, span);
		sc[i] = (struct scsi_ctx){ request_queue(f, i), p->lun,
					   vufront_info(f)->blk_size };
		if (p->scsi)
			w[i].eng = (struct engine){ scsi_submit, scsi_kick,
						    scsi_reap, scsi_wait, &sc[i],
						    SPIN_NS, p->want_irq };
		else
			w[i].eng = (struct engine){ vu_submit, vu_kick, vu_reap,
						    vu_wait, vufront_queue(f, i),
						    SPIN_NS, p->want_irq };
	}
	ret = run_workers(w, p->queues, p, r);
	for (unsigned int i = 0; i < p->queues; i++) {
		struct vufront_queue *q = request_queue(f, i);

		/* The target's wrong answer says more than the worker's
		 * -EPROTO ("Protocol error"). */
		if (vufront_target_errors(q) && !r->target_errors)
			snprintf(r->error, sizeof(r->error),
				 "the target answered wrongly: %s",
				 vufront_last_error(q));
		r->target_errors += vufront_target_errors(q);
	}
	free(w);
	free(sc);
	vufront_close(f);
	return ret;
}

static int open_host(const char *file, uint64_t *size, char *err, size_t len)
{
	struct stat st;
	int fd = open(file, O_RDWR | O_DIRECT | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, len, "cannot open %s with O_DIRECT: %s", file,
			 strerror(errno));
		return -errno;
	}
	fstat(fd, &st);
	*size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode))
		ioctl(fd, BLKGETSIZE64, size);
	return fd;
}

int job_run_host(const char *file, const struct job_params *p,
		 struct job_result *r)
{
	struct host_ctx *h;
	struct worker *w;
	uint64_t span;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	ret = check_params(p, r->error, sizeof(r->error));
	if (ret)
		return ret;
	fd = open_host(file, &span, r->error, sizeof(r->error));
	if (fd < 0)
		return fd;
	if (p->size && p->size < span)
		span = p->size;
	h = calloc(p->queues, sizeof(*h));
	w = calloc(p->queues, sizeof(*w));
	for (unsigned int i = 0; i < p->queues; i++) {
		h[i].fd = fd;
		io_uring_queue_init(2 * MAX_DEPTH, &h[i].ring, 0);
		for (unsigned int s = 0; s < p->iodepth; s++)
			if (posix_memalign(&h[i].buf[s], 4096, p->bs))
				return -ENOMEM;
		worker_init(&w[i], p, i, span);
		/* No spinning: the kernel completes host I/O by interrupt,
		 * and fio's io_uring engine (the meter's reference) sleeps
		 * in io_uring_enter too. */
		w[i].eng = (struct engine){ host_submit, host_kick, host_reap,
					    host_wait, &h[i], 0, true };
	}
	ret = run_workers(w, p->queues, p, r);
	for (unsigned int i = 0; i < p->queues; i++) {
		io_uring_queue_exit(&h[i].ring);
		for (unsigned int s = 0; s < p->iodepth; s++)
			free(h[i].buf[s]);
	}
	free(h);
	free(w);
	close(fd);
	return ret;
}

/* ---- verification ---- */

static void fill_pattern(uint8_t *buf, uint32_t bs, uint64_t off)
{
	for (uint32_t i = 0; i < bs; i += 8) {
		uint64_t v = (off + i) * 0x9e3779b97f4a7c15ull ^ 0x766d696f;

		memcpy(buf + i, &v, 8);
	}
}

/* How long verify waits for one request before it calls the target hung. */
#define VERIFY_IO_TIMEOUT_NS (30 * NSEC_PER_SEC)

/* Between looks at the ring while a request is out: whether the target
 * still lives (a dead one never answers), and whether it took too long.
 * 0 to look again, or -errno with err set. */
static int verify_still_waiting(struct vufront *f, struct vufront_queue *q,
				uint64_t deadline, char *err, size_t errlen)
{
	if (vufront_peer_closed(f, 0)) {
		snprintf(err, errlen, "the target closed the connection in the "
			 "middle of the verify (did it exit or crash?)");
		return -ECONNRESET;
	}
	if (clock_now_ns() > deadline) {
		snprintf(err, errlen, "the target has not answered a request "
			 "in %llu s; it looks hung",
			 (unsigned long long)(VERIFY_IO_TIMEOUT_NS / NSEC_PER_SEC));
		return -ETIMEDOUT;
	}
	vufront_wait(q, 50 * NSEC_PER_USEC);
	return 0;
}

/* One request in slot 0, waited for; 0 done (*failed set when the
 * target said no), or -errno (err set). */
static int verify_io(struct vufront *f, struct vufront_queue *q,
		     const struct job_params *p, uint32_t block, bool write,
		     uint64_t off, bool *failed, char *err, size_t errlen)
{
	uint64_t deadline = clock_now_ns() + VERIFY_IO_TIMEOUT_NS;
	int ret, wait = 0;

	if (p->scsi) {
		struct vufront_scsi_completion c;

		vufront_scsi_submit_rw(q, 0, p->lun, write, off / block,
				       p->bs / block, p->bs);
		vufront_kick(q);
		while (!wait && (ret = vufront_scsi_reap(q, &c, 1)) == 0)
			wait = verify_still_waiting(f, q, deadline, err, errlen);
		*failed = !wait && ret == 1 && !vufront_scsi_good(&c);
	} else {
		struct vufront_completion c;

		vufront_submit(q, 0, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
			       off / 512, p->bs);
		vufront_kick(q);
		while (!wait && (ret = vufront_reap(q, &c, 1)) == 0)
			wait = verify_still_waiting(f, q, deadline, err, errlen);
		*failed = !wait && ret == 1 && c.status;
	}
	if (wait)
		return wait;
	if (ret < 0) {
		snprintf(err, errlen, "the target answered wrongly: %s",
			 vufront_last_error(q));
		return ret;
	}
	return 0;
}

long job_verify_vhost(const char *path, const struct job_params *p,
		      uint64_t size, char *err, size_t errlen)
{
	struct vufront_opts o = { .queues = 1, .max_inflight = 1, .max_io = p->bs,
				  .packed = p->packed };
	struct vufront_queue *q;
	struct vufront *f;
	uint32_t bs = p->bs;
	long bad = 0;
	uint8_t *expect = malloc(bs);
	int ret;

	ret = vhost_connect(path, p, &o, &f, err, errlen);
	if (ret) {
		free(expect);
		return ret;
	}
	q = request_queue(f, 0);
	if (size > vufront_info(f)->capacity * 512)
		size = vufront_info(f)->capacity * 512;
	for (int pass = 0; pass < 2 && ret >= 0; pass++) {
		for (uint64_t off = 0; off + bs <= size; off += bs) {
			uint8_t *buf = vufront_buf(q, 0);
			bool failed;

			if (pass == 0)
				fill_pattern(buf, bs, off);
			ret = verify_io(f, q, p, vufront_info(f)->blk_size, pass == 0,
					off, &failed, err, errlen);
			if (ret < 0)
				break;
			if (failed) {
				bad++;
				continue;
			}
			if (pass == 1) {
				fill_pattern(expect, bs, off);
				bad += memcmp(expect, buf, bs) != 0;
			}
		}
	}
	vufront_close(f);
	free(expect);
	return ret < 0 ? ret : bad;
}

int job_parse_rw(const char *s, struct job_params *p)
{
	static const char *const names[] = { "read", "write", "randread",
					      "randwrite", "randrw" };

	p->read_pct = 50;
	for (int i = 0; i < 5; i++) {
		size_t n = strlen(names[i]);

		if (strncmp(s, names[i], n))
			continue;
		if (s[n] == '\0') {
			p->rw = (enum job_rw)i;
			return 0;
		}
		if (i == RW_RANDRW && s[n] == ':') {
			char *end;
			long pct = strtol(s + n + 1, &end, 10);

			if (*end || pct < 0 || pct > 100)
				return -EINVAL;
			p->rw = RW_RANDRW;
			p->read_pct = (unsigned int)pct;
			return 0;
		}
	}
	return -EINVAL;
}

const char *job_rw_name(const struct job_params *p, char *buf, size_t len)
{
	static const char *const names[] = { "read", "write", "randread",
					      "randwrite", "randrw" };

	if (p->rw == RW_RANDRW)
		snprintf(buf, len, "randrw:%u", p->read_pct);
	else
		snprintf(buf, len, "%s", names[p->rw]);
	return buf;
}
