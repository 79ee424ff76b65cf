/* SPDX-License-Identifier: MIT */
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include "util/listen_fds.h"
#include "util/log.h"

int registry_init(struct device_registry *r, struct loop *l,
		  struct placement *placement)
{
	memset(r, 0, sizeof(*r));
	r->loop = l;
	r->placement = placement;
	return -pthread_mutex_init(&r->lock, NULL);
}

int registry_check_unique(const struct device_registry *r, const char *id,
			  const char *socket, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < r->n; i++) {
		const struct device *d = r->devs[i];

		if (!strcmp(d->id, id)) {
			snprintf(err, errlen, "a %s named '%s' already exists",
				 d->ops->kind, id);
			return -EEXIST;
		}
		if (listen_fds_same_socket(d->socket, socket)) {
			snprintf(err, errlen, "%s '%s' already uses socket %s",
				 d->ops->kind, d->id, socket);
			return -EEXIST;
		}
	}
	return 0;
}

int registry_add(struct device_registry *r, struct device *dev,
		 struct vu_dev *vu)
{
	int ret;

	if (r->n == r->cap) {
		unsigned int cap = r->cap ? 2 * r->cap : 8;
		struct device **devs;

		/* Under the lock: realloc frees the old array, which the
		 * metrics thread may be reading. */
		pthread_mutex_lock(&r->lock);
		devs = realloc(r->devs, cap * sizeof(*devs));
		if (devs) {
			r->devs = devs;
			r->cap = cap;
		}
		pthread_mutex_unlock(&r->lock);
		if (!devs)
			return -ENOMEM;
	}
	dev->reg = r;
	ret = endpoint_open(&dev->ep, r->loop, vu, r->placement, &dev->place);
	if (ret)
		return ret;
	pthread_mutex_lock(&r->lock);
	r->devs[r->n++] = dev;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* A retiring device is quiet: destroy it. */
static void retired(struct endpoint *ep)
{
	struct device *dev = container_of(ep, struct device, ep);
	struct device_registry *r = dev->reg;

	for (struct device **p = &r->retiring; *p; p = &(*p)->next_retiring)
		if (*p == dev) {
			*p = dev->next_retiring;
			break;
		}
	log_info("%s %s: removed", dev->ops->kind, dev->id);
	endpoint_close(ep);
	dev->ops->destroy(dev);
}

int registry_remove(struct device_registry *r, struct device *dev)
{
	unsigned int i;

	for (i = 0; i < r->n && r->devs[i] != dev; i++)
		;
	if (i == r->n)
		return -ENOENT;
	pthread_mutex_lock(&r->lock);
	memmove(&r->devs[i], &r->devs[i + 1], (r->n - i - 1) * sizeof(r->devs[0]));
	r->n--;
	pthread_mutex_unlock(&r->lock);
	log_info("%s %s: removing", dev->ops->kind, dev->id);
	dev->next_retiring = r->retiring;
	r->retiring = dev;
	return endpoint_retire(&dev->ep, retired) ? 0 : -EINPROGRESS;
}

struct device *registry_find(const struct device_registry *r, const char *id,
			     const struct device_ops *kind)
{
	for (unsigned int i = 0; i < r->n; i++)
		if ((!kind || r->devs[i]->ops == kind) &&
		    !strcmp(r->devs[i]->id, id))
			return r->devs[i];
	return NULL;
}

unsigned int registry_count(const struct device_registry *r,
			    const struct device_ops *kind)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->n; i++)
		n += !kind || r->devs[i]->ops == kind;
	return n;
}

struct device *registry_at(const struct device_registry *r,
			   const struct device_ops *kind, unsigned int i)
{
	for (unsigned int k = 0; k < r->n; k++)
		if (!kind || r->devs[k]->ops == kind) {
			if (!i)
				return r->devs[k];
			i--;
		}
	return NULL;
}

void registry_tick(void *arg)
{
	struct device_registry *r = arg;

	for (unsigned int i = 0; i < r->n; i++)
		endpoint_tick(&r->devs[i]->ep);
	for (struct device *d = r->retiring; d; d = d->next_retiring)
		endpoint_tick(&d->ep);
}

void registry_fini(struct device_registry *r)
{
	/* Newest first, as they were added in reverse. */
	while (r->n)
		registry_remove(r, r->devs[r->n - 1]);
	/* At exit, waiting is what is left to do. */
	while (r->retiring) {
		struct device *d = r->retiring;

		vu_dev_wait(d->ep.vu, -1);
		retired(&d->ep);
	}
	free(r->devs);
	r->devs = NULL;
	pthread_mutex_destroy(&r->lock);
}
