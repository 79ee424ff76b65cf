/* SPDX-License-Identifier: MIT */
/*
 * A stand-alone virtio-scsi target for the scsi tests, built from the
 * libraries alone: reactors, vmiod's --scsi parser and backends, the
 * device and a control loop of its own, so that the socket tests see the
 * device model without vmiod's control plane around it. Signals drive hotplug:
 * SIGUSR1 adds the LUN given with --hotplug N=FILE, SIGUSR2 removes it.
 *
 * Usage: scsi_target --scsi OPTS [--reactors N] [--hotplug N=FILE] [-v]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backend.h"
#include "devcfg.h"
#include "scsi/scsi_dev.h"
#include "util/log.h"
#include "util/parse.h"

#define MAX_REACTORS 8

struct target {
	struct scsi_config cfg;
	struct scsi_lun_opts luns[SCSI_CFG_MAX_LUNS];
	struct reactor *reactors[MAX_REACTORS];
	unsigned int nreactors;
	struct scsi_dev *dev;
	int epfd, sigfd, conn_fd;
	int hp_lun;
	const char *hp_path;
	bool hp_added;
};

static int parse_args(struct target *t, int argc, char **argv)
{
	char why[256];
	uint64_t n;

	t->nreactors = 1;
	t->hp_lun = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			log_set_level(LOG_DEBUG);
			continue;
		}
		if (!v)
			goto usage;
		i++;
		if (!strcmp(a, "--scsi")) {
			if (scsi_config_from_opts(v, &t->cfg, why, sizeof(why))) {
				fprintf(stderr, "--scsi %s: %s\n", v, why);
				return -1;
			}
		} else if (!strcmp(a, "--reactors") && !parse_u64(v, &n) && n &&
			   n <= MAX_REACTORS) {
			t->nreactors = (unsigned int)n;
		} else if (!strcmp(a, "--hotplug") && strchr(v, '=')) {
			t->hp_lun = atoi(v);
			t->hp_path = strchr(v, '=') + 1;
		} else {
			goto usage;
		}
	}
	if (t->cfg.id)
		return 0;
usage:
	fprintf(stderr, "usage: %s --scsi OPTS [--reactors N] "
		"[--hotplug N=FILE] [-v]\n", argv[0]);
	return -1;
}

static int start_reactors(struct target *t)
{
	for (unsigned int i = 0; i < t->nreactors; i++) {
		int ret = reactor_create(i, -1, 50, &t->reactors[i]);

		if (!ret)
			ret = reactor_start(t->reactors[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int watch(struct target *t, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void hotplug(struct target *t, bool add)
{
	struct bdev_open_opts o = { .path = t->hp_path, .direct = false };
	struct scsi_lun_opts lo = { .lun = (uint16_t)t->hp_lun };

	if (t->hp_lun < 0 || add == t->hp_added)
		return;
	if (!add) {
		int ret = scsi_dev_lun_remove(t->dev, lo.lun);

		/* -EINPROGRESS: it goes once its commands are done (wake). */
		t->hp_added = ret && ret != -EINPROGRESS;
		return;
	}
	if (bdev_uring_open(&o, &lo.bdev))
		return;
	if (scsi_dev_lun_add(t->dev, &lo)) {
		bdev_destroy(lo.bdev);
		return;
	}
	t->hp_added = true;
}

/* Returns false when it is time to exit. */
static bool on_signal(struct target *t)
{
	struct signalfd_siginfo si;

	if (read(t->sigfd, &si, sizeof(si)) != sizeof(si))
		return true;
	if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
		hotplug(t, si.ssi_signo == SIGUSR1);
		return true;
	}
	return false;
}

static void on_fd(struct target *t, int fd)
{
	struct vu_dev *vu = scsi_dev_vu(t->dev);

	if (fd == vu->listen_fd) {
		if (vu_dev_accept(vu) > 0) {
			t->conn_fd = vu->conn_fd;
			watch(t, t->conn_fd);
		}
		return;
	}
	if (fd == vu->wake_fd) {
		/* A removed LUN's last command is done, or a stop. */
		if (vu_dev_wake(vu) == 0 && vu_dev_reading(vu))
			vu_dev_conn_readable(vu);
		return;
	}
	if (fd != t->conn_fd)
		return;
	/* This test target may block: a message held for a ring to stop
	 * (vmiod's loop would watch the wake eventfd instead). */
	if (vu_dev_conn_readable(vu) == 0)
		while (vu_dev_waiting(vu) && vu_dev_wait(vu, -1) == 0 &&
		       vu_dev_reading(vu) && vu_dev_conn_readable(vu) == 0)
			;
	if (vu->conn_fd < 0) {
		/* vu_dev closed it (epoll forgets closed fds). */
		vu_dev_wait(vu, -1);
		t->conn_fd = -1;
	}
}

static void run(struct target *t)
{
	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(t->epfd, evs, 8, -1);

		if (n < 0 && errno != EINTR)
			return;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == t->sigfd) {
				if (!on_signal(t))
					return;
				continue;
			}
			on_fd(t, evs[i].data.fd);
		}
	}
}

/* Before any thread starts, so that the reactors inherit the mask and the
 * signals reach only the signalfd. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigprocmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int setup_loop(struct target *t, const sigset_t *set)
{
	t->sigfd = signalfd(-1, set, SFD_CLOEXEC);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->conn_fd = -1;
	if (t->sigfd < 0 || t->epfd < 0 || watch(t, t->sigfd) ||
	    watch(t, scsi_dev_vu(t->dev)->listen_fd) ||
	    watch(t, scsi_dev_vu(t->dev)->wake_fd))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct target t;
	struct scsi_dev_opts o = { 0 };
	sigset_t set;
	int ret;

	log_init("scsi_target", LOG_INFO);
	block_signals(&set);
	if (parse_args(&t, argc, argv) || start_reactors(&t))
		return 2;
	for (unsigned int i = 0; i < t.cfg.nluns; i++) {
		struct backend_created made;
		struct image_claim claim;

		if (backend_open_lun(&t.cfg, &t.cfg.luns[i], &t.luns[i].bdev,
				     &made, &claim, false))
			return 1;
		backend_created_free(&made);
		/* Held for as long as the process lives. */
		(void)claim;
		t.luns[i].lun = t.cfg.luns[i].lun;
		t.luns[i].ro = t.cfg.ro;
		t.luns[i].block_size = t.cfg.blk_size;
	}
	o.id = t.cfg.id;
	o.socket = t.cfg.socket;
	o.num_queues = t.cfg.queues;
	o.luns = t.luns;
	o.nluns = t.cfg.nluns;
	o.reactors = t.reactors;
	o.nreactors = t.nreactors;
	ret = scsi_dev_create(&o, &t.dev);
	if (ret)
		return 1;
	if (setup_loop(&t, &set))
		return 1;
	run(&t);
	scsi_dev_destroy(t.dev);
	for (unsigned int i = 0; i < t.nreactors; i++)
		reactor_destroy(t.reactors[i]);
	scsi_config_free(&t.cfg);
	return 0;
}
