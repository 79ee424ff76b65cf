/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "util/log.h"

struct daemon {
	struct loop *loop;
	struct device_env env;
	bool devices_ready;
};

struct loop *daemon_loop(struct daemon *dm)
{
	return dm->loop;
}

struct device_registry *daemon_devices(struct daemon *dm)
{
	return &dm->env.devices;
}

int daemon_watch(struct daemon *dm, int fd, daemon_watch_fn fn, void *arg)
{
	return loop_watch(dm->loop, fd, fn, arg);
}

void daemon_unwatch(struct daemon *dm, int fd)
{
	loop_unwatch(dm->loop, fd);
}

int daemon_disk_add(struct daemon *dm, const struct disk_config *c, char *err,
		    size_t errlen)
{
	return disk_create(&dm->env, c, err, errlen);
}

int daemon_scsi_add(struct daemon *dm, const struct scsi_config *c, char *err,
		    size_t errlen)
{
	return scsi_target_create(&dm->env, c, err, errlen);
}

static int remove_kind(struct daemon *dm, const char *id,
		       const struct device_ops *kind)
{
	struct device *dev = registry_find(&dm->env.devices, id, kind);

	return dev ? registry_remove(&dm->env.devices, dev) : -ENOENT;
}

int daemon_disk_remove(struct daemon *dm, const char *id)
{
	return remove_kind(dm, id, &disk_ops);
}

int daemon_scsi_remove(struct daemon *dm, const char *id)
{
	return remove_kind(dm, id, &scsi_target_ops);
}

void daemon_lock(struct daemon *dm)
{
	pthread_mutex_lock(&dm->env.devices.lock);
}

void daemon_unlock(struct daemon *dm)
{
	pthread_mutex_unlock(&dm->env.devices.lock);
}

unsigned int daemon_ndisks(const struct daemon *dm)
{
	return registry_count(&dm->env.devices, &disk_ops);
}

struct disk *daemon_disk_at(struct daemon *dm, unsigned int i)
{
	return disk_of(registry_at(&dm->env.devices, &disk_ops, i));
}

struct disk *daemon_disk_find(struct daemon *dm, const char *id)
{
	return disk_of(registry_find(&dm->env.devices, id, &disk_ops));
}

unsigned int daemon_nscsi(const struct daemon *dm)
{
	return registry_count(&dm->env.devices, &scsi_target_ops);
}

struct scsi_target *daemon_scsi_at(struct daemon *dm, unsigned int i)
{
	return scsi_target_of(registry_at(&dm->env.devices, &scsi_target_ops, i));
}

struct scsi_target *daemon_scsi_find(struct daemon *dm, const char *id)
{
	return scsi_target_of(registry_find(&dm->env.devices, id,
					    &scsi_target_ops));
}

unsigned int daemon_nreactors(const struct daemon *dm)
{
	return dm->env.nreactors;
}

struct reactor *daemon_reactor(struct daemon *dm, unsigned int i)
{
	return i < dm->env.nreactors ? dm->env.reactors[i] : NULL;
}

int daemon_reactor_node(const struct daemon *dm, const struct reactor *r)
{
	return placement_reactor_node(dm->env.placement, r);
}

void daemon_check_guest(struct daemon *dm, struct device *dev)
{
	if (dev->ep.vu && dev->ep.vu->conn_fd >= 0)
		placement_check_guest(dm->env.placement, &dev->place,
				      dev->ep.vu->mem);
}

static int create_reactors(struct daemon *dm, const struct vmiod_config *cfg)
{
	unsigned int n = cfg->ncpus ? cfg->ncpus : 1;

	dm->env.reactors = calloc(n, sizeof(*dm->env.reactors));
	if (!dm->env.reactors)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		int cpu = cfg->ncpus ? cfg->cpus[i] : -1;
		struct reactor **r = &dm->env.reactors[i];
		int ret = reactor_create(i, cpu, cfg->poll_us, r);

		if (!ret) {
			reactor_set_fixed_files(*r, !cfg->no_fixed_files);
			if (cfg->fixed_buffers && reactor_set_fixed_buffers(*r, true))
				log_warn("reactor %u: this kernel has no sparse "
					 "io_uring buffer table (5.19+); "
					 "--fixed-buffers ignored", i);
			ret = reactor_start(*r);
		}
		if (ret)
			return ret;
		dm->env.nreactors++;
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

	ret = vdev_qos_domain_create(&sc, &dm->env.qos);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < cfg->nqos_groups; i++) {
		const struct qos_group_config *g = &cfg->qos_groups[i];
		struct qos_group *out;

		ret = vdev_qos_group_get(dm->env.qos, g->name, &g->lim, &out, err,
					 sizeof(err));
		if (ret) {
			log_error("--qos-group name=%s: %s", g->name, err);
			return ret;
		}
		log_info("QoS group %s created", g->name);
	}
	log_info("QoS on: every device is scheduled (best-effort outstanding "
		 "cap %u per device and reactor)",
		 cfg->qos_depth ? cfg->qos_depth : 128);
	return 0;
}

int daemon_create(const struct vmiod_config *cfg, struct daemon **out)
{
	struct daemon *dm = calloc(1, sizeof(*dm));
	char err[512];
	int ret;

	if (!dm)
		return -ENOMEM;
	ret = loop_create(&dm->loop);
	if (!ret)
		ret = create_reactors(dm, cfg);
	if (!ret)
		ret = placement_create(cfg->sysfs_root, dm->env.reactors,
				       dm->env.nreactors, &dm->env.placement);
	if (!ret && cfg->qos)
		ret = create_qos(dm, cfg);
	if (!ret)
		ret = registry_init(&dm->env.devices, dm->loop, dm->env.placement);
	if (ret)
		goto err;
	dm->devices_ready = true;
	if (!ret)
		ret = loop_every_second(dm->loop, registry_tick, &dm->env.devices);
	for (unsigned int i = 0; !ret && i < cfg->ndisks; i++) {
		ret = daemon_disk_add(dm, &cfg->disks[i], err, sizeof(err));
		if (ret)
			log_error("--disk %s: %s", cfg->disks[i].id, err);
	}
	for (unsigned int i = 0; !ret && i < cfg->nscsi; i++) {
		ret = daemon_scsi_add(dm, &cfg->scsi[i], err, sizeof(err));
		if (ret)
			log_error("--scsi %s: %s", cfg->scsi[i].id, err);
	}
	if (ret)
		goto err;
	*out = dm;
	return 0;
err:
	daemon_destroy(dm);
	return ret;
}

void daemon_request_stop(struct daemon *dm)
{
	loop_stop(dm->loop);
}

int daemon_run(struct daemon *dm)
{
	unsigned int nd = daemon_ndisks(dm), ns = daemon_nscsi(dm);

	log_info("vmiod %s ready: %u disk%s, %u scsi target%s, %u reactor%s",
		 VMIO_VERSION, nd, nd == 1 ? "" : "s", ns, ns == 1 ? "" : "s",
		 dm->env.nreactors, dm->env.nreactors == 1 ? "" : "s");
	return loop_run(dm->loop);
}

void daemon_destroy(struct daemon *dm)
{
	if (!dm)
		return;
	/* Devices first: stopping their queues drains in-flight I/O through
	 * the reactors, which must still be running. */
	if (dm->devices_ready)
		registry_fini(&dm->env.devices);
	vdev_qos_domain_destroy(dm->env.qos);
	for (unsigned int i = 0; i < dm->env.nreactors; i++)
		reactor_destroy(dm->env.reactors[i]);
	free(dm->env.reactors);
	placement_destroy(dm->env.placement);
	loop_destroy(dm->loop);
	free(dm);
}
