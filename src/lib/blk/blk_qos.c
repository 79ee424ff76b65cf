/* SPDX-License-Identifier: MIT */
#include "blk/blk_qos.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

#define BLK_QOS_MAX_GROUPS 256

struct blk_qos_sched {
	struct blk_qos_domain *dom;
	struct reactor *reactor;
	uint64_t dev_id;
	int refs;
	qos_dispatch_fn dispatch;
	struct qos_sched sched;
	struct reactor_poller poller;
	struct blk_qos_sched *next;
};

struct blk_qos_domain {
	struct qos_sched_config cfg;
	struct blk_qos_sched *scheds;  /* control thread only */
	struct qos_group *groups[BLK_QOS_MAX_GROUPS];
	unsigned int ngroups;
};

int blk_qos_domain_create(const struct qos_sched_config *cfg,
			  struct blk_qos_domain **out)
{
	struct blk_qos_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	*out = d;
	return 0;
}

void blk_qos_domain_destroy(struct blk_qos_domain *d)
{
	if (!d)
		return;
	if (d->scheds)
		log_warn("QoS: schedulers still in use at shutdown");
	for (unsigned int i = 0; i < d->ngroups; i++)
		free(d->groups[i]);
	free(d);
}

struct qos_group *blk_qos_group_find(struct blk_qos_domain *d,
				     const char *name)
{
	for (unsigned int i = 0; i < d->ngroups; i++)
		if (!strcmp(d->groups[i]->name, name))
			return d->groups[i];
	return NULL;
}

int blk_qos_group_get(struct blk_qos_domain *d, const char *name,
		      const struct qos_limits *lim, struct qos_group **out,
		      char *err, size_t errlen)
{
	static const struct qos_limits none;
	struct qos_group *g = blk_qos_group_find(d, name);
	int ret;

	if (g) {
		*out = g;
		return lim ? qos_group_set(g, lim, err, errlen) : 0;
	}
	if (d->ngroups >= BLK_QOS_MAX_GROUPS) {
		snprintf(err, errlen, "too many QoS groups (at most %d)",
			 BLK_QOS_MAX_GROUPS);
		return -ENOSPC;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	ret = qos_group_init(g, name, lim ? lim : &none, err, errlen);
	if (ret) {
		free(g);
		return ret;
	}
	d->groups[d->ngroups++] = g;
	*out = g;
	return 0;
}

/* Releases throttled requests whose time has come; tells the reactor when
 * to look again if nothing else wakes it. */
static int sched_poll(struct reactor_poller *p)
{
	struct blk_qos_sched *s = container_of(p, struct blk_qos_sched, poller);
	uint64_t now;
	int before, n = 0;

	if (!s->sched.nparked) {
		p->wake_at_ns = 0;
		return 0;
	}
	now = clock_now_ns();
	if (qos_poll_due(&s->sched, now)) {
		before = (int)s->sched.nparked;
		qos_poll(&s->sched, now, s->dispatch, NULL);
		n = before - (int)s->sched.nparked;
	}
	p->wake_at_ns = s->sched.nparked && s->sched.wake_ns != QOS_NEVER
				? s->sched.wake_ns : 0;
	return n;
}

static void attach_on_reactor(void *arg)
{
	struct blk_qos_sched *s = arg;

	reactor_add_poller(s->reactor, &s->poller);
}

static void detach_on_reactor(void *arg)
{
	struct blk_qos_sched *s = arg;

	reactor_remove_poller(s->reactor, &s->poller);
}

struct blk_qos_sched *blk_qos_sched_get(struct blk_qos_domain *d,
					struct reactor *r, uint64_t dev_id,
					qos_dispatch_fn dispatch)
{
	struct blk_qos_sched *s;

	for (s = d->scheds; s; s = s->next)
		if (s->reactor == r && s->dev_id == dev_id) {
			s->refs++;
			return s;
		}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (qos_sched_init(&s->sched, &d->cfg)) {
		free(s);
		return NULL;
	}
	s->dom = d;
	s->reactor = r;
	s->dev_id = dev_id;
	s->refs = 1;
	s->dispatch = dispatch;
	s->poller.poll = sched_poll;
	s->poller.wake_fd = -1;
	reactor_call(r, attach_on_reactor, s);
	s->next = d->scheds;
	d->scheds = s;
	return s;
}

void blk_qos_sched_put(struct blk_qos_sched *s)
{
	struct blk_qos_sched **ps;

	if (--s->refs)
		return;
	reactor_call(s->reactor, detach_on_reactor, s);
	for (ps = &s->dom->scheds; *ps; ps = &(*ps)->next)
		if (*ps == s) {
			*ps = s->next;
			break;
		}
	free(s);
}

struct qos_sched *blk_qos_sched_raw(struct blk_qos_sched *s)
{
	return &s->sched;
}
