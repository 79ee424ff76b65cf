/* SPDX-License-Identifier: MIT */
/*
 * Ceph RBD images through librbd's asynchronous API: readv/writev straight
 * from guest memory, flush, discard and write-zeroes as RBD's own.
 *
 * librbd runs a request's callback on one of its threads. The callback
 * only pushes the request onto its channel's list of finished requests (a
 * lock-free stack) and, if the reactor said it is going to sleep, writes
 * the channel's eventfd, which the reactor sleeps on. The reactor's pass
 * takes the whole list and completes the requests on its own thread, so
 * device models see completions exactly as from io_uring, and a reactor
 * never waits for the cluster.
 *
 * Connections: one rados_t per conf file, user and timeout, shared by all
 * images opened through it and shut down with the last. Opening, creating
 * and resizing wait for the cluster (bounded by the timeout) on the caller's
 * thread; closing an image happens on a thread of its own, so removing a
 * disk of a cluster that went away does not hold the control thread.
 */
#include <errno.h>
#include <pthread.h>
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bdev/bdev_rbd.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

/* A cluster connection, shared. */
struct rbd_conn {
	char *conf;              /* NULL: librados' default search */
	char *user;              /* NULL: admin */
	unsigned int timeout_s;
	bool cache;
	rados_t cluster;
	char fsid[64];
	int refs;
	struct rbd_conn *next;
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rbd_conn *conns;

/* Image closes running on their own threads, waited for at exit. */
static pthread_mutex_t closing_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closing_cond = PTHREAD_COND_INITIALIZER;
static unsigned int closing;
static bool atexit_set;

struct rbd_bdev {
	struct bdev b;
	struct bdev_rbd_opts opts;   /* strings owned below */
	char *pool, *ns, *image;
	struct rbd_conn *conn;
	rados_ioctx_t ioctx;
	rbd_image_t img;
	uint64_t last_err_log_ns;    /* atomic: I/O errors logged at most 1/10s */
};

struct rbd_channel {
	struct bdev_channel base;
	struct reactor_poller poller;
	int efd;
	struct rbd_io *done;         /* atomic: finished, newest first */
	bool armed;                  /* atomic: the reactor may sleep */
	unsigned int in_cb;          /* atomic: librbd threads touching us */
};

/* Per request (bdev_io_ctx). */
struct rbd_io {
	struct rbd_io *next;         /* on the channel's finished list */
	ssize_t ret;
	bool flushing;               /* a FUA write's flush is running */
};

_Static_assert(sizeof(struct rbd_io) <= BDEV_IO_CTX_MAX,
	       "the RBD context must fit every device model's slots");

static inline struct rbd_bdev *rb_of(struct bdev *b)
{
	return container_of(b, struct rbd_bdev, b);
}

static inline struct rbd_channel *rb_chan(struct bdev_channel *ch)
{
	return container_of(ch, struct rbd_channel, base);
}

/* --- connections --------------------------------------------------------- */

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

static int conf_set_u(rados_t c, const char *key, unsigned int v)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", v);
	return rados_conf_set(c, key, s);
}

static int conn_connect(struct rbd_conn *c, const struct bdev_rbd_opts *o)
{
	size_t fsid_len = sizeof(c->fsid);
	char why[512];
	int ret;

	ret = rados_create(&c->cluster, c->user);
	if (ret < 0) {
		log_error("%s", bdev_rbd_explain(RBD_STAGE_CONNECT, ret, o, why,
						  sizeof(why)));
		return ret;
	}
	ret = rados_conf_read_file(c->cluster, c->conf);
	if (ret < 0 && c->conf) {
		log_error("%s", bdev_rbd_explain(RBD_STAGE_CONF, ret, o, why,
						  sizeof(why)));
		goto err;
	}
	/* Bounded waits: a cluster that is gone fails requests after the
	 * timeout instead of hanging the guest, and connecting to a wrong
	 * address gives up. */
	conf_set_u(c->cluster, "client_mount_timeout",
		   c->timeout_s ? c->timeout_s : BDEV_RBD_CONNECT_TIMEOUT);
	conf_set_u(c->cluster, "rados_mon_op_timeout",
		   c->timeout_s ? c->timeout_s : BDEV_RBD_CONNECT_TIMEOUT);
	conf_set_u(c->cluster, "rados_osd_op_timeout", c->timeout_s);
	rados_conf_set(c->cluster, "rbd_cache", c->cache ? "true" : "false");
	/* Our own messages say what failed; keep librados' off the terminal. */
	rados_conf_set(c->cluster, "log_to_stderr", "false");
	rados_conf_set(c->cluster, "err_to_stderr", "false");
	ret = rados_connect(c->cluster);
	if (ret < 0) {
		log_error("%s", bdev_rbd_explain(RBD_STAGE_CONNECT, ret, o, why,
						  sizeof(why)));
		goto err;
	}
	if (rados_cluster_fsid(c->cluster, c->fsid, fsid_len) < 0)
		c->fsid[0] = '\0';
	return 0;
err:
	rados_shutdown(c->cluster);
	return ret;
}

static void conn_free(struct rbd_conn *c)
{
	free(c->conf);
	free(c->user);
	free(c);
}

/* The connection for o's conf, user and timeout: shared, or made. */
static int conn_get(const struct bdev_rbd_opts *o, struct rbd_conn **out)
{
	const char *conf = or_null(o->conf), *user = or_null(o->user);
	struct rbd_conn *c;
	int ret;

	pthread_mutex_lock(&conns_lock);
	for (c = conns; c; c = c->next)
		if (same(c->conf, conf) && same(c->user, user) &&
		    c->timeout_s == o->timeout_s && c->cache == o->cache)
			break;
	if (c) {
		c->refs++;
		pthread_mutex_unlock(&conns_lock);
		*out = c;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	ret = -ENOMEM;
	if (!c || (conf && !(c->conf = strdup(conf))) ||
	    (user && !(c->user = strdup(user))))
		goto err;
	c->timeout_s = o->timeout_s;
	c->cache = o->cache;
	ret = conn_connect(c, o);
	if (ret)
		goto err;
	c->refs = 1;
	c->next = conns;
	conns = c;
	pthread_mutex_unlock(&conns_lock);
	log_info("RBD: connected to cluster %s as client.%s", c->fsid,
		 user ? user : "admin");
	*out = c;
	return 0;
err:
	pthread_mutex_unlock(&conns_lock);
	if (c)
		conn_free(c);
	return ret;
}

static void conn_put(struct rbd_conn *c)
{
	struct rbd_conn **pc;

	pthread_mutex_lock(&conns_lock);
	if (--c->refs) {
		pthread_mutex_unlock(&conns_lock);
		return;
	}
	for (pc = &conns; *pc; pc = &(*pc)->next)
		if (*pc == c) {
			*pc = c->next;
			break;
		}
	pthread_mutex_unlock(&conns_lock);
	rados_shutdown(c->cluster);
	conn_free(c);
}

/* --- the data path --------------------------------------------------------- */

/* On a librbd thread: hand the request to its reactor. */
static void rb_cb(rbd_completion_t comp, void *arg)
{
	struct rbd_io *rio = arg;
	struct rbd_channel *rc = rb_chan(bdev_io_of_ctx(rio)->ch);
	struct rbd_io *head;
	uint64_t one = 1;

	rio->ret = rbd_aio_get_return_value(comp);
	rbd_aio_release(comp);
	/* Once pushed, the request may complete and its channel close: the
	 * close waits until we are out. */
	__atomic_add_fetch(&rc->in_cb, 1, __ATOMIC_SEQ_CST);
	head = __atomic_load_n(&rc->done, __ATOMIC_RELAXED);
	do
		rio->next = head;
	while (!__atomic_compare_exchange_n(&rc->done, &head, rio, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/* Paired with rb_arm: either it sees our push, or we see it may
	 * sleep and wake it. While it polls, no system call. */
	if (__atomic_load_n(&rc->armed, __ATOMIC_SEQ_CST))
		while (write(rc->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	__atomic_sub_fetch(&rc->in_cb, 1, __ATOMIC_RELEASE);
}

static void log_io_error(struct rbd_bdev *rb, struct bdev_io *io, int err)
{
	uint64_t now = clock_now_ns();
	uint64_t last = __atomic_load_n(&rb->last_err_log_ns, __ATOMIC_RELAXED);
	char why[512];

	/* A cluster that went away fails every request: say so once in a
	 * while, not thousands of times. */
	if (last && now - last < 10 * NSEC_PER_SEC)
		return;
	__atomic_store_n(&rb->last_err_log_ns, now, __ATOMIC_RELAXED);
	log_warn("%s (%s at byte %llu)", bdev_rbd_explain(RBD_STAGE_IO, err,
		 &rb->opts, why, sizeof(why)), bdev_op_name(io->op),
		 (unsigned long long)io->offset);
}

static int rb_start(struct rbd_bdev *rb, struct bdev_io *io, struct rbd_io *rio,
		     rbd_completion_t comp)
{
	rbd_image_t img = rb->img;

	if (rio->flushing)
		return rbd_aio_flush(img, comp);
	switch (io->op) {
	case BDEV_OP_READ:
		return rbd_aio_readv(img, io->iov, (int)io->iovcnt, io->offset, comp);
	case BDEV_OP_WRITE:
		return rbd_aio_writev(img, io->iov, (int)io->iovcnt, io->offset, comp);
	case BDEV_OP_FLUSH:
		return rbd_aio_flush(img, comp);
	case BDEV_OP_DISCARD:
		return rbd_aio_discard(img, io->offset, io->len, comp);
	case BDEV_OP_WRITE_ZEROES:
		/* Whole objects are removed, partial ones zeroed: reads give
		 * zeroes either way, as may_unmap or not asks. */
		return rbd_aio_write_zeroes(img, io->offset, io->len, comp, 0, 0);
	}
	return -EINVAL;
}

/* Starts io (or its FUA flush); an error librbd finds at once completes
 * it at the next pass, never from here. */
static void rb_send(struct bdev_io *io)
{
	struct rbd_bdev *rb = rb_of(io->ch->bdev);
	struct rbd_io *rio = bdev_io_ctx(io);
	rbd_completion_t comp;
	int ret = rbd_aio_create_completion(rio, rb_cb, &comp);

	if (ret >= 0) {
		ret = rb_start(rb, io, rio, comp);
		if (ret < 0)
			rbd_aio_release(comp);
		else
			reactor_device_io(io->ch->reactor, 1);
	}
	if (ret < 0) {
		log_io_error(rb, io, ret);
		bdev_io_complete_later(io, ret);
	}
}

static void rb_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	struct rbd_io *rio = bdev_io_ctx(io);

	rio->flushing = false;
	rb_send(io);
}

/* On the reactor: a request librbd finished. */
static void rb_finish(struct bdev_io *io, struct rbd_io *rio)
{
	if (unlikely(rio->ret < 0)) {
		log_io_error(rb_of(io->ch->bdev), io, (int)rio->ret);
		bdev_io_complete(io, (int)rio->ret);
		return;
	}
	if (io->op == BDEV_OP_WRITE && io->fua && !rio->flushing) {
		/* Durable before it completes: RBD's cache may hold it. */
		rio->flushing = true;
		rb_send(io);
		return;
	}
	bdev_io_complete(io, 0);
}

static int rb_poll(struct reactor_poller *p)
{
	struct rbd_channel *rc = container_of(p, struct rbd_channel, poller);
	struct rbd_io *list, *rev = NULL;
	int n = 0;

	if (!__atomic_load_n(&rc->done, __ATOMIC_RELAXED))
		return 0;
	list = __atomic_exchange_n(&rc->done, NULL, __ATOMIC_ACQUIRE);
	/* Oldest first, as they finished. */
	while (list) {
		struct rbd_io *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
		n++;
	}
	/* Before finishing: a FUA write's flush counts again when sent. */
	reactor_device_io(rc->base.reactor, -n);
	while (rev) {
		struct rbd_io *next = rev->next;

		rb_finish(bdev_io_of_ctx(rev), rev);
		rev = next;
	}
	return n;
}

static bool rb_arm(struct reactor_poller *p)
{
	struct rbd_channel *rc = container_of(p, struct rbd_channel, poller);

	__atomic_store_n(&rc->armed, true, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&rc->done, __ATOMIC_SEQ_CST) != NULL;
}

static void rb_disarm(struct reactor_poller *p)
{
	struct rbd_channel *rc = container_of(p, struct rbd_channel, poller);

	__atomic_store_n(&rc->armed, false, __ATOMIC_RELAXED);
}

static int rb_channel_open(struct bdev *b, struct reactor *r,
			    struct bdev_mem *mem, struct bdev_channel **out)
{
	struct rbd_channel *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return -ENOMEM;
	rc->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rc->efd < 0) {
		free(rc);
		return -errno;
	}
	rc->poller = (struct reactor_poller){
		.poll = rb_poll,
		.arm = rb_arm,
		.disarm = rb_disarm,
		.wake_fd = rc->efd,
	};
	reactor_add_poller(r, &rc->poller);
	*out = &rc->base;
	return 0;
}

static void rb_channel_close(struct bdev_channel *ch)
{
	struct rbd_channel *rc = rb_chan(ch);

	/* Nothing in flight: librbd holds no request of ours, but the
	 * thread that handed over the last one may still be leaving. */
	while (__atomic_load_n(&rc->in_cb, __ATOMIC_ACQUIRE))
		sched_yield();
	reactor_remove_poller(ch->reactor, &rc->poller);
	close(rc->efd);
	free(rc);
}

/* --- opening, resizing, closing ------------------------------------------- */

static int rb_resize(struct bdev *b, uint64_t size)
{
	struct rbd_bdev *rb = rb_of(b);
	char why[512];
	int ret;

	if (b->ro)
		return -EROFS;
	if (size < b->size)
		return -EINVAL; /* shrinking would destroy guest data */
	ret = rbd_resize(rb->img, size);
	if (ret < 0) {
		log_error("%s", bdev_rbd_explain(RBD_STAGE_RESIZE, ret, &rb->opts,
						  why, sizeof(why)));
		return ret;
	}
	b->size = size;
	return 0;
}

static void rb_free(struct rbd_bdev *rb)
{
	if (rb->img)
		rbd_close(rb->img);
	if (rb->ioctx)
		rados_ioctx_destroy(rb->ioctx);
	if (rb->conn)
		conn_put(rb->conn);
	free(rb->b.path);
	free(rb->pool);
	free(rb->ns);
	free(rb->image);
	free(rb);
}

static void *close_thread(void *arg)
{
	rb_free(arg);
	pthread_mutex_lock(&closing_lock);
	closing--;
	pthread_cond_broadcast(&closing_cond);
	pthread_mutex_unlock(&closing_lock);
	return NULL;
}

/* At exit: images being closed finish (so their locks and watches are
 * released), for as long as a healthy cluster needs. */
static void wait_closes(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&closing_lock);
	while (closing &&
	       pthread_cond_timedwait(&closing_cond, &closing_lock, &until) == 0)
		;
	pthread_mutex_unlock(&closing_lock);
}

static void rb_destroy(struct bdev *b)
{
	struct rbd_bdev *rb = rb_of(b);
	pthread_attr_t attr;
	pthread_t t;

	/* rbd_close waits for the cluster; a cluster that is gone must not
	 * hold the caller (the control thread) for the timeout. */
	pthread_mutex_lock(&closing_lock);
	closing++;
	if (!atexit_set)
		atexit_set = atexit(wait_closes) == 0;
	pthread_mutex_unlock(&closing_lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, close_thread, rb))
		close_thread(rb);
	pthread_attr_destroy(&attr);
}

static const struct bdev_ops rb_ops = {
	.name = "rbd",
	.io_ctx_size = sizeof(struct rbd_io),
	.channel_open = rb_channel_open,
	.channel_close = rb_channel_close,
	.submit = rb_submit,
	.resize = rb_resize,
	.destroy = rb_destroy,
};

/* Disks in one pool of one cluster share a QoS scheduler per reactor:
 * they share the OSDs. High bit set, so no st_dev is ever equal. */
static uint64_t pool_dev_id(const char *fsid, int64_t pool_id)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *p = fsid; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ (uint64_t)pool_id) * 1099511628211ull;
	return h | (1ull << 63);
}

static int open_pool(struct rbd_bdev *rb)
{
	const struct bdev_rbd_opts *o = &rb->opts;
	char why[512];
	int ret = rados_ioctx_create(rb->conn->cluster, o->pool, &rb->ioctx);

	if (ret < 0) {
		rb->ioctx = NULL;
		log_error("%s", bdev_rbd_explain(RBD_STAGE_POOL, ret, o, why,
						  sizeof(why)));
		return ret;
	}
	if (o->ns && *o->ns)
		rados_ioctx_set_namespace(rb->ioctx, o->ns);
	rb->b.dev_id = pool_dev_id(rb->conn->fsid, rados_ioctx_get_id(rb->ioctx));
	return 0;
}

static int open_image(struct rbd_bdev *rb)
{
	const struct bdev_rbd_opts *o = &rb->opts;
	char why[512];
	int ret;

	ret = o->ro ? rbd_open_read_only(rb->ioctx, o->image, &rb->img, NULL)
		    : rbd_open(rb->ioctx, o->image, &rb->img, NULL);
	if (ret == -ENOENT && o->size && !o->ro) {
		rbd_image_options_t io;

		/* Default features and object size, from the cluster's conf. */
		rbd_image_options_create(&io);
		ret = rbd_create4(rb->ioctx, o->image, o->size, io);
		rbd_image_options_destroy(io);
		if (ret < 0) {
			log_error("%s", bdev_rbd_explain(RBD_STAGE_CREATE, ret, o,
							  why, sizeof(why)));
			return ret;
		}
		log_info("RBD: created image %s (%llu bytes)", rb->b.path,
			 (unsigned long long)o->size);
		ret = rbd_open(rb->ioctx, o->image, &rb->img, NULL);
	}
	if (ret < 0) {
		rb->img = NULL;
		log_error("%s", bdev_rbd_explain(RBD_STAGE_OPEN, ret, o, why,
						  sizeof(why)));
		return ret;
	}
	ret = rbd_get_size(rb->img, &rb->b.size);
	if (!ret && o->size > rb->b.size && !o->ro) {
		ret = rbd_resize(rb->img, o->size);
		if (ret < 0)
			log_error("%s", bdev_rbd_explain(RBD_STAGE_RESIZE, ret, o,
							  why, sizeof(why)));
		else
			rb->b.size = o->size;
	}
	return ret;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

int bdev_rbd_open(const struct bdev_rbd_opts *o, struct bdev **out)
{
	struct rbd_bdev *rb = calloc(1, sizeof(*rb));
	char name[512];
	int ret = -ENOMEM;

	if (!rb)
		return -ENOMEM;
	if (!o->pool || !o->image || bdev_rbd_name(o, name, sizeof(name))) {
		free(rb);
		return -EINVAL;
	}
	rb->b.ops = &rb_ops;
	rb->b.io_ctx_size = rb_ops.io_ctx_size;
	rb->b.ro = o->ro;
	rb->b.align = 1;
	rb->opts = *o;
	rb->pool = strdup(o->pool);
	rb->image = strdup(o->image);
	rb->ns = dup_or_null(o->ns);
	rb->b.path = strdup(name);
	if (!rb->pool || !rb->image || (o->ns && *o->ns && !rb->ns) ||
	    !rb->b.path)
		goto err;
	rb->opts.pool = rb->pool;
	rb->opts.image = rb->image;
	rb->opts.ns = rb->ns;
	/* conf and user live in the shared connection. */
	ret = conn_get(o, &rb->conn);
	if (ret)
		goto err;
	rb->opts.conf = rb->conn->conf;
	rb->opts.user = rb->conn->user;
	ret = open_pool(rb);
	if (!ret)
		ret = open_image(rb);
	if (ret)
		goto err;
	*out = &rb->b;
	return 0;
err:
	rb_free(rb);
	return ret;
}
