/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "placement.h"
#include "scsi/scsi_opts.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

/* What an epoll event is about. */
struct watch {
	daemon_watch_fn fn;
	void *arg;
	int fd;
	struct watch *next;
};

/* A vhost-user socket the control loop serves (a disk, a scsi target). */
struct endpoint {
	struct daemon *dm;
	struct vu_dev *vu;
	int conn_fd_watched;       /* -1: none */
	uint64_t conn_watched_gen; /* which connection (fd numbers recur) */
	bool listen_watched;
	bool retiring;             /* being removed: accepts nobody */
	/* Called once a retiring device is quiet; frees the endpoint. */
	void (*retired)(struct endpoint *ep);
	struct queue_place *place; /* its device's NUMA placement */
	struct endpoint *next;     /* the daemon's list of them */
};

/* How long a held vhost-user message or a disconnect may wait for
 * requests in flight before the log says so. */
#define DRAIN_REPORT_MS 10000

struct disk {
	struct endpoint ep;
	struct disk *next_removing;
	struct daemon *dm;
	struct disk_config cfg;
	struct blk_dev *blk;
	struct vu_dev *vu;
	struct queue_place place; /* its queues' reactors, NUMA nodes */
};

struct scsi_target {
	struct endpoint ep;
	struct scsi_dev *dev;
	struct queue_place place; /* its request queues' reactors, nodes */
	struct scsi_target *next;
};

struct daemon {
	struct reactor **reactors;
	unsigned int nreactors;
	unsigned int next_reactor; /* where the next disk's queue 0 goes */

	pthread_mutex_t lock;      /* guards disks[] against other threads */
	struct disk **disks;
	unsigned int ndisks, cap;

	int epfd;
	int sigfd;
	int timerfd;               /* once a second: reports, removals */
	struct watch *watches;
	struct endpoint *endpoints;
	struct disk *removing;     /* disks draining before they are freed */
	bool stop;

	struct vdev_qos_domain *qos; /* NULL: QoS off */
	struct scsi_target *scsi;
	struct placement *placement; /* NUMA topology (docs/numa.md) */
};

static int disk_config_copy(struct disk_config *dst, const struct disk_config *src)
{
	*dst = *src;
	dst->id = strdup(src->id);
	dst->socket = strdup(src->socket);
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->qos = src->qos ? strdup(src->qos) : NULL;
	if (!dst->id || !dst->socket || (src->path && !dst->path) ||
	    (src->qos && !dst->qos)) {
		disk_config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

static int open_backend(const struct disk_config *c, struct bdev **out)
{
	struct bdev_open_opts o = {
		.path = c->path,
		.size = c->size,
		.ro = c->ro,
		.direct = c->direct,
	};

	struct bdev *b;
	int ret;

	if (c->backend == DISK_BACKEND_NULL)
		ret = bdev_null_open(c->size, &b);
	else
		ret = bdev_uring_open(&o, &b);
	if (ret || !c->delay_us) {
		*out = ret ? NULL : b;
		return ret;
	}
	ret = bdev_delay_wrap(b, c->delay_us * 1000, out);
	if (ret)
		bdev_destroy(b);
	return ret;
}

static int disk_open(struct daemon *dm, struct disk *k)
{
	const struct disk_config *c = &k->cfg;
	struct blk_dev_opts o = {
		.id = c->id,
		.socket = c->socket,
		.num_queues = c->queues,
		.ro = c->ro,
		.reactors = dm->reactors,
		.nreactors = dm->nreactors,
		/* Spread disks' first queues over the reactors too. */
		.first_reactor = dm->next_reactor % dm->nreactors,
	};
	struct place_store store = {
		.path = c->backend == DISK_BACKEND_NULL ? NULL : c->path,
	};
	struct qos_limits lim;
	struct bdev *b;
	char err[256], who[96];
	int ret;

	/* Each queue's reactor, chosen by NUMA node (placement.h): blk_dev
	 * maps queue q to reactors[(first_reactor + q) % nreactors]. */
	snprintf(who, sizeof(who), "disk %s", c->id);
	ret = placement_queues(dm->placement, who, &store, 1, c->queues,
			       dm->next_reactor, &k->place);
	if (ret)
		return ret;
	o.reactors = k->place.queue_reactor;
	o.nreactors = c->queues;
	o.first_reactor = 0;
	if (c->qos && !dm->qos) {
		log_error("disk %s: QoS options need QoS on; start vmiod with --qos",
			  c->id);
		return -EINVAL;
	}
	if (dm->qos) {
		ret = qos_limits_parse(c->qos ? c->qos : "", &lim, err, sizeof(err));
		if (ret) {
			log_error("disk %s: %s", c->id, err);
			return ret;
		}
		o.qos = dm->qos;
		o.qos_limits = &lim;
	}
	ret = open_backend(c, &b);
	if (ret)
		return ret;
	o.bdev = b;
	o.blk_size = c->blk_size ? c->blk_size : (b->align > 512 ? 4096 : 512);
	if (o.blk_size < b->align) {
		log_error("disk %s: blk-size=%u is smaller than the %u bytes "
			  "O_DIRECT needs on %s; use blk-size=4096 or direct=off",
			  c->id, o.blk_size, b->align, c->path);
		bdev_destroy(b);
		return -EINVAL;
	}
	ret = blk_dev_create(&o, &k->blk, err, sizeof(err));
	if (ret) {
		if (err[0])
			log_error("disk %s: %s", c->id, err);
		bdev_destroy(b);
		return ret;
	}
	k->vu = blk_dev_vu(k->blk);
	dm->next_reactor++;
	log_info("disk %s: %s%s, %llu MiB, %u-byte blocks, %u queue%s%s, "
		 "listening on %s", c->id,
		 c->backend == DISK_BACKEND_NULL ? "null backend" : c->path,
		 c->backend == DISK_BACKEND_NULL ? "" : (c->direct ? " (O_DIRECT)" : " (cached)"),
		 (unsigned long long)(b->size >> 20), o.blk_size, c->queues,
		 c->queues == 1 ? "" : "s", o.ro || b->ro ? ", read-only" : "",
		 c->socket);
	if (c->qos)
		log_info("disk %s: QoS contract %s", c->id, c->qos);
	return 0;
}

int daemon_watch(struct daemon *dm, int fd, daemon_watch_fn fn, void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	w->fd = fd;
	ev.data.ptr = w;
	if (epoll_ctl(dm->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -errno;
	}
	w->next = dm->watches;
	dm->watches = w;
	return 0;
}

void daemon_unwatch(struct daemon *dm, int fd)
{
	for (struct watch **pw = &dm->watches; *pw; pw = &(*pw)->next) {
		struct watch *w = *pw;

		if (w->fd != fd)
			continue;
		epoll_ctl(dm->epfd, EPOLL_CTL_DEL, fd, NULL);
		*pw = w->next;
		/* Events already fetched for it are dropped in daemon_run. */
		w->fn = NULL;
		w->next = NULL;
		free(w);
		return;
	}
}

static void on_conn(void *arg, uint32_t events);
static void on_listen(void *arg, uint32_t events);

/* Watches what the device wants read now: its connection unless a
 * message waits for rings to stop, its listening socket unless a
 * disconnect is completing. */
static void endpoint_sync(struct endpoint *ep)
{
	struct vu_dev *vu = ep->vu;
	int want = vu_dev_reading(vu) ? vu->conn_fd : -1;

	if (ep->conn_fd_watched >= 0 &&
	    (ep->conn_fd_watched != want ||
	     ep->conn_watched_gen != vu->connections)) {
		daemon_unwatch(ep->dm, ep->conn_fd_watched);
		ep->conn_fd_watched = -1;
	}
	if (want >= 0 && ep->conn_fd_watched < 0) {
		if (daemon_watch(ep->dm, want, on_conn, ep)) {
			vu_dev_disconnect(vu, "cannot watch the connection");
		} else {
			ep->conn_fd_watched = want;
			ep->conn_watched_gen = vu->connections;
		}
	}
	if ((vu_dev_accepting(vu) && !ep->retiring) != ep->listen_watched) {
		if (ep->listen_watched)
			daemon_unwatch(ep->dm, vu->listen_fd);
		else if (daemon_watch(ep->dm, vu->listen_fd, on_listen, ep))
			return;
		ep->listen_watched = !ep->listen_watched;
	}
}

static void on_conn(void *arg, uint32_t events)
{
	struct endpoint *ep = arg;

	if (vu_dev_conn_readable(ep->vu) == 0 && ep->place)
		placement_check_guest(ep->dm->placement, ep->place, ep->vu->mem);
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
		ep->retired(ep); /* frees ep */
		return;
	}
	endpoint_sync(ep);
}

/* Once a second: waits that last too long are reported. */
static void on_timer(void *arg, uint32_t events)
{
	struct daemon *dm = arg;
	uint64_t ticks;

	if (read(dm->timerfd, &ticks, sizeof(ticks)) < 0)
		return;
	for (struct endpoint *ep = dm->endpoints; ep; ep = ep->next)
		vu_dev_report_wait(ep->vu, clock_now_ns(), DRAIN_REPORT_MS);
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

static int endpoint_open(struct daemon *dm, struct endpoint *ep,
			 struct vu_dev *vu, struct queue_place *place)
{
	int ret;

	ep->dm = dm;
	ep->vu = vu;
	ep->place = place;
	ep->conn_fd_watched = -1;
	ep->listen_watched = false;
	ret = daemon_watch(dm, vu->wake_fd, on_wake, ep);
	if (ret)
		return ret;
	endpoint_sync(ep);
	if (!ep->listen_watched) {
		daemon_unwatch(dm, vu->wake_fd);
		return -ENOMEM;
	}
	ep->next = dm->endpoints;
	dm->endpoints = ep;
	return 0;
}

/* Stops watching; the caller then destroys the device (which disconnects). */
static void endpoint_close(struct endpoint *ep)
{
	if (!ep->vu)
		return;
	for (struct endpoint **p = &ep->dm->endpoints; *p; p = &(*p)->next)
		if (*p == ep) {
			*p = ep->next;
			break;
		}
	if (ep->conn_fd_watched >= 0)
		daemon_unwatch(ep->dm, ep->conn_fd_watched);
	if (ep->listen_watched)
		daemon_unwatch(ep->dm, ep->vu->listen_fd);
	daemon_unwatch(ep->dm, ep->vu->wake_fd);
	ep->vu = NULL;
}

static void on_signal(void *arg, uint32_t events)
{
	struct daemon *dm = arg;
	struct signalfd_siginfo si;

	if (read(dm->sigfd, &si, sizeof(si)) == sizeof(si)) {
		log_info("received %s: finishing in-flight I/O and exiting",
			 strsignal((int)si.ssi_signo));
		dm->stop = true;
	}
}

static void disk_free(struct disk *k)
{
	endpoint_close(&k->ep);
	blk_dev_destroy(k->blk);
	queue_place_free(&k->place);
	disk_config_free(&k->cfg);
	free(k);
}

static int check_unique(struct daemon *dm, const struct disk_config *c,
			char *err, unsigned long errlen)
{
	for (unsigned int i = 0; i < dm->ndisks; i++) {
		if (!strcmp(dm->disks[i]->cfg.id, c->id)) {
			snprintf(err, errlen, "a disk named '%s' already exists",
				 c->id);
			return -EEXIST;
		}
		if (!strcmp(dm->disks[i]->cfg.socket, c->socket)) {
			snprintf(err, errlen, "disk '%s' already uses socket %s",
				 dm->disks[i]->cfg.id, c->socket);
			return -EEXIST;
		}
	}
	return 0;
}

int daemon_disk_add(struct daemon *dm, const struct disk_config *c, char *err,
		    unsigned long errlen)
{
	struct disk *k;
	int ret;

	ret = check_unique(dm, c, err, errlen);
	if (ret)
		return ret;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->dm = dm;
	ret = disk_config_copy(&k->cfg, c);
	if (ret) {
		free(k);
		return ret;
	}
	log_capture_begin(err, errlen);
	ret = disk_open(dm, k);
	log_capture_end();
	if (ret)
		goto err;
	ret = endpoint_open(dm, &k->ep, k->vu, &k->place);
	if (ret)
		goto err;
	if (dm->ndisks == dm->cap) {
		unsigned int cap = dm->cap ? 2 * dm->cap : 8;
		struct disk **disks;

		/* Under the lock: realloc frees the old array, which the
		 * metrics thread may be reading. */
		pthread_mutex_lock(&dm->lock);
		disks = realloc(dm->disks, cap * sizeof(*disks));
		if (disks) {
			dm->disks = disks;
			dm->cap = cap;
		}
		pthread_mutex_unlock(&dm->lock);
		if (!disks) {
			ret = -ENOMEM;
			goto err;
		}
	}
	pthread_mutex_lock(&dm->lock);
	dm->disks[dm->ndisks++] = k;
	pthread_mutex_unlock(&dm->lock);
	return 0;
err:
	if (err[0] == '\0')
		snprintf(err, errlen, "%s", strerror(-ret));
	disk_free(k);
	return ret;
}

static void disk_retired(struct endpoint *ep)
{
	struct disk *k = container_of(ep, struct disk, ep);
	struct daemon *dm = k->dm;

	for (struct disk **p = &dm->removing; *p; p = &(*p)->next_removing)
		if (*p == k) {
			*p = k->next_removing;
			break;
		}
	log_info("disk %s: removed", k->cfg.id);
	disk_free(k);
}

int daemon_disk_remove(struct daemon *dm, const char *id)
{
	for (unsigned int i = 0; i < dm->ndisks; i++) {
		struct disk *k = dm->disks[i];

		if (strcmp(k->cfg.id, id))
			continue;
		pthread_mutex_lock(&dm->lock);
		memmove(&dm->disks[i], &dm->disks[i + 1],
			(dm->ndisks - i - 1) * sizeof(dm->disks[0]));
		dm->ndisks--;
		pthread_mutex_unlock(&dm->lock);
		log_info("disk %s: removing", id);
		/* Its front-end goes at once; the device goes once the
		 * requests in flight are done (on_wake), which a slow backend
		 * may take a while to do: nobody else waits for that. */
		k->ep.retiring = true;
		k->ep.retired = disk_retired;
		vu_dev_disconnect(k->vu, "device removed");
		if (!vu_dev_waiting(k->vu)) {
			disk_free(k);
			return 0;
		}
		endpoint_sync(&k->ep);
		k->next_removing = dm->removing;
		dm->removing = k;
		return -EINPROGRESS;
	}
	return -ENOENT;
}

void daemon_lock(struct daemon *dm)
{
	pthread_mutex_lock(&dm->lock);
}

void daemon_unlock(struct daemon *dm)
{
	pthread_mutex_unlock(&dm->lock);
}

unsigned int daemon_ndisks(const struct daemon *dm)
{
	return dm->ndisks;
}

struct disk *daemon_disk_at(struct daemon *dm, unsigned int i)
{
	return i < dm->ndisks ? dm->disks[i] : NULL;
}

struct disk *daemon_disk_find(struct daemon *dm, const char *id)
{
	for (unsigned int i = 0; i < dm->ndisks; i++)
		if (!strcmp(dm->disks[i]->cfg.id, id))
			return dm->disks[i];
	return NULL;
}

void disk_get_info(struct disk *k, struct disk_info *out)
{
	struct bdev *b = blk_dev_bdev(k->blk);

	out->id = k->cfg.id;
	out->path = k->cfg.path;
	out->socket = k->cfg.socket;
	out->backend = k->cfg.backend == DISK_BACKEND_NULL ? "null" : "uring";
	out->size = b->size;
	out->blk_size = blk_dev_blk_size(k->blk);
	out->queues = k->cfg.queues;
	out->ro = k->cfg.ro || b->ro;
	out->direct = k->cfg.direct && k->cfg.backend != DISK_BACKEND_NULL;
	out->connected = k->vu->conn_fd >= 0;
	out->features = out->connected ? k->vu->features : 0;
	out->protocol_features = out->connected ? k->vu->protocol_features : 0;
	out->qos = k->cfg.qos;
	out->place = &k->place;
	out->guest_mem = k->vu->mem;
}

int daemon_reactor_node(const struct daemon *dm, const struct reactor *r)
{
	return placement_reactor_node(dm->placement, r);
}

void daemon_disk_check_guest(struct daemon *dm, struct disk *k)
{
	if (k->vu->conn_fd >= 0)
		placement_check_guest(dm->placement, &k->place, k->vu->mem);
}

static struct scsi_target *scsi_target_named(struct daemon *dm, const char *id);

unsigned int daemon_nscsi(const struct daemon *dm)
{
	unsigned int n = 0;

	for (const struct scsi_target *t = dm->scsi; t; t = t->next)
		n++;
	return n;
}

static void scsi_target_get_info(struct daemon *dm, struct scsi_target *t,
				 struct scsi_target_info *out)
{
	struct vu_dev *vu = scsi_dev_vu(t->dev);

	if (vu->conn_fd >= 0)
		placement_check_guest(dm->placement, &t->place, vu->mem);
	out->id = scsi_dev_id(t->dev);
	out->socket = vu->socket_path;
	out->queues = t->place.nqueues;
	out->connected = vu->conn_fd >= 0;
	out->features = out->connected ? vu->features : 0;
	out->dev = t->dev;
	out->place = &t->place;
	out->guest_mem = vu->mem;
}

bool daemon_scsi_at(struct daemon *dm, unsigned int i,
		    struct scsi_target_info *out)
{
	/* The list is newest first; number them in the order given. */
	unsigned int n = daemon_nscsi(dm);
	struct scsi_target *t = dm->scsi;

	if (i >= n)
		return false;
	for (unsigned int k = n - 1; k > i; k--)
		t = t->next;
	scsi_target_get_info(dm, t, out);
	return true;
}

bool daemon_scsi_find(struct daemon *dm, const char *id,
		      struct scsi_target_info *out)
{
	struct scsi_target *t = scsi_target_named(dm, id);

	if (t)
		scsi_target_get_info(dm, t, out);
	return t != NULL;
}

static struct scsi_target *scsi_target_named(struct daemon *dm, const char *id)
{
	for (struct scsi_target *t = dm->scsi; t; t = t->next)
		if (!strcmp(scsi_dev_id(t->dev), id))
			return t;
	return NULL;
}

int daemon_scsi_lun_add(struct daemon *dm, const char *id, unsigned int lun,
			const char *path, uint64_t null_size, bool ro,
			char *err, unsigned long errlen)
{
	struct scsi_target *t = scsi_target_named(dm, id);
	struct bdev_open_opts bo = { .path = path, .ro = ro, .direct = true };
	struct scsi_lun_opts lo = { .lun = (uint16_t)lun, .ro = ro };
	int ret;

	if (!t) {
		snprintf(err, errlen, "scsi target '%s' not found", id);
		return -ENOENT;
	}
	if (lun >= SCSI_MAX_LUNS) {
		snprintf(err, errlen, "LUN %u: LUNs are 0 to %d", lun,
			 SCSI_MAX_LUNS - 1);
		return -EINVAL;
	}
	ret = path ? bdev_uring_open(&bo, &lo.bdev)
		   : bdev_null_open(null_size, &lo.bdev);
	if (ret) {
		snprintf(err, errlen, "cannot open %s: %s (vmiod's log says more)",
			 path ? path : "a null backend", strerror(-ret));
		return ret;
	}
	ret = scsi_dev_lun_add(t->dev, &lo);
	if (ret) {
		bdev_destroy(lo.bdev);
		if (ret == -EEXIST)
			snprintf(err, errlen, "scsi target '%s' already has LUN %u; "
				 "remove it first", id, lun);
		else
			snprintf(err, errlen, "cannot add LUN %u to '%s': %s", lun,
				 id, strerror(-ret));
	}
	return ret;
}

int daemon_scsi_lun_remove(struct daemon *dm, const char *id, unsigned int lun,
			   char *err, unsigned long errlen)
{
	struct scsi_target *t = scsi_target_named(dm, id);
	int ret;

	if (!t) {
		snprintf(err, errlen, "scsi target '%s' not found", id);
		return -ENOENT;
	}
	ret = lun < SCSI_MAX_LUNS ? scsi_dev_lun_remove(t->dev, (uint16_t)lun)
				  : -ENOENT;
	if (ret == -ENOENT)
		snprintf(err, errlen, "scsi target '%s' has no LUN %u", id, lun);
	else if (ret)
		snprintf(err, errlen, "cannot remove LUN %u from '%s': %s", lun,
			 id, strerror(-ret));
	return ret;
}

struct blk_dev *disk_blk(struct disk *k)
{
	return k->blk;
}

const struct disk_config *disk_config(const struct disk *k)
{
	return &k->cfg;
}

unsigned int daemon_nreactors(const struct daemon *dm)
{
	return dm->nreactors;
}

struct reactor *daemon_reactor(struct daemon *dm, unsigned int i)
{
	return i < dm->nreactors ? dm->reactors[i] : NULL;
}

static int create_reactors(struct daemon *dm, const struct vmiod_config *cfg)
{
	unsigned int n = cfg->ncpus ? cfg->ncpus : 1;

	dm->reactors = calloc(n, sizeof(*dm->reactors));
	if (!dm->reactors)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		int cpu = cfg->ncpus ? cfg->cpus[i] : -1;
		int ret = reactor_create(i, cpu, cfg->poll_us, &dm->reactors[i]);

		if (!ret) {
			reactor_set_fixed_files(dm->reactors[i],
						!cfg->no_fixed_files);
			if (cfg->fixed_buffers &&
			    reactor_set_fixed_buffers(dm->reactors[i], true))
				log_warn("reactor %u: this kernel has no sparse "
					 "io_uring buffer table (5.19+); "
					 "--fixed-buffers ignored", i);
			ret = reactor_start(dm->reactors[i]);
		}
		if (ret)
			return ret;
		dm->nreactors++;
		if (cpu < 0)
			log_info("reactor %u: not pinned (use --cpus to pin)", i);
		else
			log_info("reactor %u: pinned to cpu %d", i, cpu);
	}
	return 0;
}

static int create_qos(struct daemon *dm, const struct vmiod_config *cfg)
{
	/* --qos-depth is the best-effort cap (the device's knee); requests
	 * owed a minimum or a latency target may go some way past it. */
	struct qos_sched_config sc = {
		.depth = cfg->qos_depth,
		.depth_max = cfg->qos_depth ? cfg->qos_depth + 16 : 0,
		.capacity_iops = cfg->qos_capacity_iops,
	};
	char err[256];
	int ret;

	ret = vdev_qos_domain_create(&sc, &dm->qos);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < cfg->nqos_groups; i++) {
		struct qos_limits lim;
		struct qos_group *g;
		char *spec = cfg->qos_groups[i], *rest, name[QOS_NAME_MAX];

		if (strncmp(spec, "name=", 5)) {
			log_error("--qos-group %s: start with name=GROUP", spec);
			return -EINVAL;
		}
		rest = strchr(spec, ',');
		snprintf(name, sizeof(name), "%.*s",
			 (int)((rest ? rest : spec + strlen(spec)) - spec - 5), spec + 5);
		ret = qos_limits_parse(rest ? rest + 1 : "", &lim, err, sizeof(err));
		if (!ret)
			ret = vdev_qos_group_get(dm->qos, name, &lim, &g, err,
						sizeof(err));
		if (ret) {
			log_error("--qos-group %s: %s", spec, err);
			return ret;
		}
		log_info("QoS group %s: %s", name, rest ? rest + 1 : "(no limits)");
	}
	log_info("QoS on: every disk is scheduled (best-effort outstanding cap "
		 "%u per device and reactor)", cfg->qos_depth ? cfg->qos_depth : 128);
	return 0;
}

int daemon_disk_resize(struct daemon *dm, const char *id, uint64_t bytes,
		       char *err, unsigned long errlen)
{
	struct disk *k = daemon_disk_find(dm, id);
	int ret;

	if (!k) {
		snprintf(err, errlen, "disk '%s' not found", id);
		return -ENOENT;
	}
	ret = blk_dev_resize(k->blk, bytes, err, errlen);
	if (!ret)
		k->cfg.size = bytes;
	return ret;
}

int daemon_disk_qos_set(struct daemon *dm, const char *id, const char *spec,
			char *err, unsigned long errlen)
{
	struct disk *k = daemon_disk_find(dm, id);
	struct qos_limits lim;
	int ret;

	if (!k) {
		snprintf(err, errlen, "disk '%s' not found", id);
		return -ENOENT;
	}
	ret = qos_limits_parse(spec, &lim, err, errlen);
	if (!ret)
		ret = blk_dev_qos_set(k->blk, &lim, err, errlen);
	if (ret)
		return ret;
	free(k->cfg.qos);
	k->cfg.qos = spec[0] ? strdup(spec) : NULL;
	log_info("disk %s: QoS contract now %s", id, spec[0] ? spec : "(none)");
	return 0;
}

int daemon_disk_qos_get(struct daemon *dm, const char *id, char *buf,
			unsigned long len)
{
	struct disk *k = daemon_disk_find(dm, id);
	struct qos_limits lim;

	if (!k)
		return -ENOENT;
	if (!blk_dev_qos_get(k->blk, &lim))
		return -ENOTSUP;
	return qos_limits_format(&lim, buf, len) < 0 ? -ENOSPC : 0;
}

static void scsi_target_free(struct scsi_target *t)
{
	endpoint_close(&t->ep);
	scsi_dev_destroy(t->dev);
	queue_place_free(&t->place);
	free(t);
}

/* The target's request queues, placed by its LUNs' node like a disk's
 * queues (placement.h); null LUNs have no device and do not count. */
static int scsi_target_place(struct daemon *dm, const struct scsi_config *c,
			     struct scsi_target *t)
{
	struct place_store stores[SCSI_OPTS_MAX_LUNS];
	char names[SCSI_OPTS_MAX_LUNS][16], who[96];

	for (unsigned int i = 0; i < c->nluns; i++) {
		snprintf(names[i], sizeof(names[i]), "LUN %u", c->luns[i].lun);
		stores[i] = (struct place_store){ .name = names[i],
						  .path = c->luns[i].path };
	}
	snprintf(who, sizeof(who), "scsi target %s", c->id);
	return placement_queues(dm->placement, who, stores, c->nluns, c->queues,
				dm->next_reactor, &t->place);
}

static int scsi_target_add(struct daemon *dm, const char *spec)
{
	struct scsi_lun_opts luns[SCSI_OPTS_MAX_LUNS];
	struct scsi_config c;
	struct scsi_target *t;
	const char *why = NULL;
	int ret;

	ret = scsi_config_parse(spec, &c, &why);
	if (ret) {
		log_error("--scsi %s: %s", spec, why ? why : strerror(-ret));
		return ret;
	}
	t = calloc(1, sizeof(*t));
	ret = t ? scsi_target_place(dm, &c, t) : -ENOMEM;
	if (!ret)
		ret = scsi_config_open_luns(&c, luns);
	if (!ret) {
		/* scsi_dev maps request queue q to reactors[q] (control and
		 * events share request queue 0's). */
		struct scsi_dev_opts o = {
			.id = c.id,
			.socket = c.socket,
			.num_queues = c.queues,
			.luns = luns,
			.nluns = c.nluns,
			.reactors = t->place.queue_reactor,
			.nreactors = t->place.nqueues,
			.first_reactor = 0,
		};

		ret = scsi_dev_create(&o, &t->dev);
		if (ret)
			scsi_config_close_luns(luns, c.nluns);
	}
	if (!ret)
		ret = endpoint_open(dm, &t->ep, scsi_dev_vu(t->dev), &t->place);
	if (ret) {
		if (t)
			scsi_target_free(t);
		scsi_config_free(&c);
		return ret;
	}
	dm->next_reactor++;
	log_info("scsi target %s: %u LUN%s, %u request queue%s, listening on %s",
		 c.id, c.nluns, c.nluns == 1 ? "" : "s", c.queues,
		 c.queues == 1 ? "" : "s", c.socket);
	t->next = dm->scsi;
	dm->scsi = t;
	scsi_config_free(&c);
	return 0;
}

static int block_signals(struct daemon *dm)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Reactor threads inherit the mask, so signals reach only signalfd. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	dm->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return dm->sigfd < 0 ? -errno : 0;
}

static int start_timer(struct daemon *dm)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };

	dm->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (dm->timerfd < 0 || timerfd_settime(dm->timerfd, 0, &its, NULL) < 0)
		return -errno;
	return daemon_watch(dm, dm->timerfd, on_timer, dm);
}

int daemon_create(const struct vmiod_config *cfg, struct daemon **out)
{
	struct daemon *dm = calloc(1, sizeof(*dm));
	char err[512];
	int ret;

	if (!dm)
		return -ENOMEM;
	pthread_mutex_init(&dm->lock, NULL);
	dm->sigfd = -1;
	dm->timerfd = -1;
	dm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dm->epfd < 0) {
		ret = -errno;
		goto err;
	}
	ret = block_signals(dm);
	if (!ret)
		ret = daemon_watch(dm, dm->sigfd, on_signal, dm);
	if (!ret)
		ret = start_timer(dm);
	if (!ret)
		ret = create_reactors(dm, cfg);
	if (!ret)
		ret = placement_create(cfg->sysfs_root, dm->reactors,
				       dm->nreactors, &dm->placement);
	if (!ret && cfg->qos)
		ret = create_qos(dm, cfg);
	if (ret)
		goto err;
	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		ret = daemon_disk_add(dm, &cfg->disks[i], err, sizeof(err));
		if (ret)
			goto err;
	}
	for (unsigned int i = 0; i < cfg->nscsi; i++) {
		ret = scsi_target_add(dm, cfg->scsi[i]);
		if (ret)
			goto err;
	}
	*out = dm;
	return 0;
err:
	daemon_destroy(dm);
	return ret;
}

void daemon_request_stop(struct daemon *dm)
{
	dm->stop = true;
}

int daemon_run(struct daemon *dm)
{
	unsigned int nscsi = 0;

	for (struct scsi_target *t = dm->scsi; t; t = t->next)
		nscsi++;
	log_info("vmiod %s ready: %u disk%s, %u scsi target%s, %u reactor%s",
		 VMIO_VERSION, dm->ndisks, dm->ndisks == 1 ? "" : "s", nscsi,
		 nscsi == 1 ? "" : "s", dm->nreactors,
		 dm->nreactors == 1 ? "" : "s");
	while (!dm->stop) {
		struct epoll_event evs[32];
		int n = epoll_wait(dm->epfd, evs, 32, -1);

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			bool live = false;

			/* A handler earlier in this batch may have removed it. */
			for (struct watch *x = dm->watches; x && !live; x = x->next)
				live = x == w;
			if (live)
				w->fn(w->arg, evs[i].events);
		}
	}
	return 0;
}

void daemon_destroy(struct daemon *dm)
{
	if (!dm)
		return;
	/* Disks first: stopping their queues drains in-flight I/O through
	 * the reactors, which must still be running. At exit, waiting is
	 * what is left to do. */
	while (dm->ndisks)
		daemon_disk_remove(dm, dm->disks[dm->ndisks - 1]->cfg.id);
	while (dm->removing) {
		struct disk *k = dm->removing;

		vu_dev_wait(k->vu, -1);
		disk_retired(&k->ep);
	}
	while (dm->scsi) {
		struct scsi_target *t = dm->scsi;

		dm->scsi = t->next;
		scsi_target_free(t);
	}
	free(dm->disks);
	vdev_qos_domain_destroy(dm->qos);
	for (unsigned int i = 0; i < dm->nreactors; i++)
		reactor_destroy(dm->reactors[i]);
	free(dm->reactors);
	placement_destroy(dm->placement);
	while (dm->watches)
		daemon_unwatch(dm, dm->watches->fd);
	if (dm->sigfd >= 0)
		close(dm->sigfd);
	if (dm->timerfd >= 0)
		close(dm->timerfd);
	if (dm->epfd >= 0)
		close(dm->epfd);
	pthread_mutex_destroy(&dm->lock);
	free(dm);
}
