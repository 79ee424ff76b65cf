/* SPDX-License-Identifier: MIT */
#include "vdev/vdev_qos.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

#define VDEV_QOS_MAX_GROUPS 256

struct vdev_qos_sched {
	struct vdev_qos_domain *dom;
	struct reactor *reactor;
	uint64_t dev_id;
	int refs;
	qos_dispatch_fn dispatch;
	struct qos_sched sched;
	struct reactor_poller poller;
	struct vdev_qos_sched *next;
};

struct vdev_qos_domain {
	struct qos_sched_config cfg;
	struct vdev_qos_sched *scheds;  /* control thread only */
	struct qos_group *groups[VDEV_QOS_MAX_GROUPS];
	unsigned int ngroups;
};

int vdev_qos_domain_create(const struct qos_sched_config *cfg,
			  struct vdev_qos_domain **out)
{
	struct vdev_qos_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	*out = d;
	return 0;
}

void vdev_qos_domain_destroy(struct vdev_qos_domain *d)
{
	if (!d)
		return;
	if (d->scheds)
		log_warn("QoS: schedulers still in use at shutdown");
	for (unsigned int i = 0; i < d->ngroups; i++)
		free(d->groups[i]);
	free(d);
}

struct qos_group *vdev_qos_group_find(struct vdev_qos_domain *d,
				     const char *name)
{
	for (unsigned int i = 0; i < d->ngroups; i++)
		if (!strcmp(d->groups[i]->name, name))
			return d->groups[i];
	return NULL;
}

int vdev_qos_group_get(struct vdev_qos_domain *d, const char *name,
		      const struct qos_limits *lim, struct qos_group **out,
		      char *err, size_t errlen)
{
	static const struct qos_limits none;
	struct qos_group *g = vdev_qos_group_find(d, name);
	int ret;

	if (g) {
		*out = g;
		return lim ? qos_group_set(g, lim, err, errlen) : 0;
	}
	if (d->ngroups >= VDEV_QOS_MAX_GROUPS) {
		snprintf(err, errlen, "too many QoS groups (at most %d)",
			 VDEV_QOS_MAX_GROUPS);
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
	struct vdev_qos_sched *s = container_of(p, struct vdev_qos_sched, poller);
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
	struct vdev_qos_sched *s = arg;

	reactor_add_poller(s->reactor, &s->poller);
}

static void detach_on_reactor(void *arg)
{
	struct vdev_qos_sched *s = arg;

	reactor_remove_poller(s->reactor, &s->poller);
}

struct vdev_qos_sched *vdev_qos_sched_get(struct vdev_qos_domain *d,
					struct reactor *r, uint64_t dev_id,
					qos_dispatch_fn dispatch)
{
	struct vdev_qos_sched *s;

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

void vdev_qos_sched_put(struct vdev_qos_sched *s)
{
	struct vdev_qos_sched **ps;

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

struct qos_sched *vdev_qos_sched_raw(struct vdev_qos_sched *s)
{
	return &s->sched;
}

int vdev_qos_contract_init(struct vdev_qos_contract *c,
			   struct vdev_qos_domain *dom, const char *kind,
			   const char *id, unsigned int nqueues,
			   const struct qos_limits *lim, char *err, size_t errlen)
{
	struct qos_limits glim;
	char gname[QOS_NAME_MAX];

	memset(c, 0, sizeof(*c));
	c->dom = dom;
	if (lim)
		c->lim = *lim;
	if (nqueues == 1) {
		c->entity_lim = c->lim;
		if (!c->lim.group[0])
			return 0;
		return vdev_qos_group_get(dom, c->lim.group, NULL, &c->group,
					  err, errlen);
	}
	if (c->lim.group[0]) {
		snprintf(err, errlen, "%s %s has %u queues and names group '%s': "
			 "a multi-queue device is a group of its own; give it "
			 "queues=1 to join a group", kind, id, nqueues,
			 c->lim.group);
		return -EINVAL;
	}
	/* The device's caps, minimum and weight hold across its queues; a
	 * latency target is each queue's. */
	snprintf(gname, sizeof(gname), "%s:%.26s", kind, id);
	c->entity_lim.lat_target_us = c->lim.lat_target_us;
	snprintf(c->entity_lim.group, sizeof(c->entity_lim.group), "%s", gname);
	glim = c->lim;
	glim.lat_target_us = 0;
	snprintf(glim.group, sizeof(glim.group), "%s", gname);
	c->implicit_group = true;
	return vdev_qos_group_get(dom, gname, &glim, &c->group, err, errlen);
}

int vdev_qos_contract_prepare(struct vdev_qos_contract *c, const char *kind,
			      const char *id, const struct qos_limits *lim,
			      struct qos_limits *ent, char *err, size_t errlen)
{
	struct qos_limits glim = *lim;
	int ret = qos_limits_validate(lim, err, errlen);

	if (ret)
		return ret;
	*ent = *lim;
	if (c->implicit_group) {
		if (lim->group[0] && strcmp(lim->group, c->entity_lim.group)) {
			snprintf(err, errlen, "%s %s has several queues and "
				 "cannot join group '%s'", kind, id, lim->group);
			return -EINVAL;
		}
		memset(ent, 0, sizeof(*ent));
		ent->lat_target_us = lim->lat_target_us;
		snprintf(ent->group, sizeof(ent->group), "%s", c->entity_lim.group);
		glim.lat_target_us = 0;
		snprintf(glim.group, sizeof(glim.group), "%s", c->entity_lim.group);
		return qos_group_set(c->group, &glim, err, errlen);
	}
	if (strcmp(lim->group, c->lim.group)) {
		snprintf(err, errlen, "moving %s %s between groups at run time "
			 "is not supported; remove and re-add it", kind, id);
		return -EINVAL;
	}
	return 0;
}

void vdev_qos_contract_commit(struct vdev_qos_contract *c,
			      const struct qos_limits *lim,
			      const struct qos_limits *ent)
{
	c->lim = *lim;
	c->entity_lim = *ent;
}
