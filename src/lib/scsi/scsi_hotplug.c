/* SPDX-License-Identifier: MIT */
/*
 * Adding and removing logical units while the guest runs. Reactors read
 * the LUN table without locks, so a LUN is published only once every
 * running request queue has a backend channel for it, and unpublished in
 * three steps: mark it removed, let every reactor finish the pass that
 * might have started a command on it, and once those commands are done
 * (the last completion pokes the control thread, which never waits for
 * them) close its channels and free it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/scsi_internal.h"
#include "util/log.h"

struct lun_call {
	struct scsi_queue *q;
	struct scsi_lun *lun;
	int ret;
};

static void open_on_reactor(void *arg)
{
	struct lun_call *c = arg;
	c->ret = bdev_channel_open(c->lun->bdev, c->q->vdev.reactor,
				   c->q->vdev.mem, &c->q->ch[c->lun->props.lun]);
}

static void close_on_reactor(void *arg)
{
	struct lun_call *c = arg;
	struct bdev_channel **ch = &c->q->ch[c->lun->props.lun];

	bdev_channel_close(*ch);
	*ch = NULL;
}

static void nothing(void *arg)
{
	(void)arg;
}

/* Runs fn on the reactor of every running request queue (fn NULL: just
 * waits for each to finish its current pass). */
static int each_queue(struct scsi_dev *d, struct scsi_lun *l,
		      void (*fn)(void *))
{
	for (unsigned int i = SCSI_VQ_REQ0; i < d->nqueues; i++) {
		struct lun_call c = { &d->queues[i], l, 0 };

		if (!c.q->vdev.attached)
			continue;
		reactor_call(c.q->vdev.reactor, fn ? fn : nothing, &c);
		if (c.ret)
			return c.ret;
	}
	return 0;
}

int scsi_dev_lun_add(struct scsi_dev *d, const struct scsi_lun_opts *lo)
{
	struct scsi_lun *l = NULL;
	int ret;

	if (lo->lun < SCSI_MAX_LUNS && d->luns[lo->lun]) {
		if (d->luns[lo->lun]->removed) {
			log_error("scsi %s: LUN %u is still being removed (its "
				  "commands in flight are finishing); add it "
				  "again once it is gone", d->id, lo->lun);
			return -EBUSY;
		}
		log_error("scsi %s: LUN %u already exists", d->id, lo->lun);
		return -EEXIST;
	}
	ret = scsi_lun_create(d, lo, &l);
	if (ret)
		return ret;
	ret = each_queue(d, l, open_on_reactor);
	if (ret) {
		log_error("scsi %s: LUN %u: cannot open its backend on every "
			  "queue: %s", d->id, lo->lun, strerror(-ret));
		for (unsigned int i = SCSI_VQ_REQ0; i < d->nqueues; i++) {
			struct lun_call c = { &d->queues[i], l, 0 };

			if (c.q->vdev.attached)
				reactor_call(c.q->vdev.reactor, close_on_reactor, &c);
		}
		free(l);
		return ret;
	}
	__atomic_store_n(&d->luns[lo->lun], l, __ATOMIC_RELEASE);
	log_info("scsi %s: LUN %u added (%llu blocks of %u bytes%s)", d->id,
		 lo->lun, (unsigned long long)l->props.nblocks,
		 l->props.block_size, l->props.ro ? ", read-only" : "");
	scsi_event_post(d, VIRTIO_SCSI_T_TRANSPORT_RESET,
			VIRTIO_SCSI_EVT_RESET_RESCAN, lo->lun);
	return 0;
}

/* The LUN's last command is done: close it on every queue, unpublish it,
 * free it and tell the guest. Control thread. */
static void finish_removal(struct scsi_dev *d, struct scsi_lun *l)
{
	uint16_t lun = l->props.lun;

	each_queue(d, l, close_on_reactor);
	__atomic_store_n(&d->luns[lun], NULL, __ATOMIC_RELEASE);
	/* The control queue may have loaded the pointer in its last pass. */
	each_queue(d, l, NULL);
	bdev_destroy(l->bdev);
	free(l);
	log_info("scsi %s: LUN %u removed", d->id, lun);
	scsi_event_post(d, VIRTIO_SCSI_T_TRANSPORT_RESET,
			VIRTIO_SCSI_EVT_RESET_REMOVED, lun);
	if (d->lun_gone)
		d->lun_gone(d->lun_gone_arg, lun);
}

static bool drained(const struct scsi_lun *l)
{
	return __atomic_load_n(&l->removed, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&l->inflight, __ATOMIC_ACQUIRE);
}

int scsi_dev_lun_remove(struct scsi_dev *d, uint16_t lun)
{
	struct scsi_lun *l = lun < SCSI_MAX_LUNS ? d->luns[lun] : NULL;

	if (!l) {
		log_error("scsi %s: there is no LUN %u to remove", d->id, lun);
		return -ENOENT;
	}
	if (l->removed)
		return -EINPROGRESS;
	__atomic_store_n(&l->removed, true, __ATOMIC_RELEASE);
	/* After this, every command that saw the LUN is counted in
	 * inflight (control and events share request queue 0's reactor),
	 * and the completion that takes it to zero sees removed and pokes
	 * the control thread (scsi_dev_reap). */
	each_queue(d, l, NULL);
	if (drained(l)) {
		finish_removal(d, l);
		return 0;
	}
	log_info("scsi %s: LUN %u: removing once its %u commands in flight "
		 "are done", d->id, lun, __atomic_load_n(&l->inflight,
							 __ATOMIC_ACQUIRE));
	return -EINPROGRESS;
}

void scsi_dev_reap(struct scsi_dev *d)
{
	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		struct scsi_lun *l = d->luns[i];

		if (l && drained(l))
			finish_removal(d, l);
	}
}

bool scsi_dev_lun_removing(const struct scsi_dev *d, uint16_t lun)
{
	const struct scsi_lun *l = lun < SCSI_MAX_LUNS ? d->luns[lun] : NULL;

	return l && l->removed;
}
