/* SPDX-License-Identifier: MIT */
/*
 * Every state a killed vmiod can leave behind, and what the next one makes
 * of it.
 *
 * The device side (vhost, virtio-blk, virtio-scsi) is compiled into this
 * program with VMIO_CRASH_POINTS: every store it makes to memory that
 * outlives the process (guest memory, the inflight region) and every
 * interrupt it sends first passes crash_point() (vhost/shm.h). A back-end
 * incarnation is a child process that plays vmiod: a never-started
 * reactor stepped one pass at a time on the parent's command, a null
 * backend, and an in-process front-end that negotiates the way QEMU 7.2
 * does on every (re)connect. The parent plays the guest (vufront, built
 * detached: it posts requests and takes completions only when
 * interrupted, re-enabling interrupts as Linux does) and QEMU's side of a
 * reconnect.
 *
 * For a scenario (blk or scsi, split or packed rings, EVENT_IDX or not,
 * one or two queues) the parent first runs the whole script without a
 * crash, counting the crash points N. Then, for every k in 1..N, it runs
 * the script again with the back-end killed just before its k-th store or
 * interrupt (_exit, so the kernel reclaims everything as it would after a
 * SIGKILL), starts a new back-end with the vring base QEMU would send
 * after "ring restore failed" (split: the used index in guest memory;
 * packed: the base of the last start) and the same inflight region, and
 * finishes the script. With --double, a second crash is enumerated inside
 * the recovery too.
 *
 * Each run must end with every request the guest posted completed exactly
 * once with the right status and length, the guest interrupted for every
 * completion (a completion nobody is told about stalls a real guest just
 * as a lost request does), and GET_VRING_BASE answering the ring position
 * the driver is at.
 *
 *   crash_points [--double] [--at K[,K2]] [SCENARIO...]
 *
 * (default: every scenario; --at runs one kill, at the first incarnation's
 * point K and the recovery's point K2; CRASH_POINTS_TRACE=1 prints where.)
 */
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "bdev/bdev.h"
#include "blk/blk_dev.h"
#include "engine/reactor.h"
#include "scsi/scsi_dev.h"
#include "util/log.h"
#include "vhost/inflight.h"
#include "vhost/vhost_user_proto.h"
#include "vhost/vu_dev.h"
#include "inproc_front.h"
#include "vufront/vufront.h"
#include "vufront/vufront_scsi.h"

#define CRASH_EXIT 77
#define MAX_TAGS 256
#define DRAIN_PASSES 100
#define MAX_INCARNATIONS 3
#define QSIZE 16                /* ring entries */
#define SLOTS 5                 /* requests in flight per queue (3 descs each) */
#define MAX_QUEUES 2
#define DATA_LEN 512
#define GET_ID_LEN 20

enum kind { BLK, SCSI };
enum op { OP_READ, OP_WRITE, OP_FLUSH, OP_SYNC }; /* SYNC: answered at once */

/* --- the back-end side: crash points ------------------------------------ */

static unsigned long crash_count, crash_at; /* 0: never */
static bool crash_armed;

void crash_point(void)
{
	if (!crash_armed)
		return;
	if (++crash_count != crash_at)
		return;
	if (getenv("CRASH_POINTS_TRACE")) {
		/* Where the back-end dies: run one point to see it. */
		void *frames[16];

		backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
	}
	_exit(CRASH_EXIT);
}

struct scenario {
	const char *name;
	enum kind kind;
	bool packed;
	bool event_idx;
	unsigned int nqueues;
};

static const struct scenario scenarios[] = {
	{ "blk-split", BLK, false, false, 1 },
	{ "blk-split-event-idx-2q", BLK, false, true, 2 },
	{ "blk-packed", BLK, true, false, 1 },
	{ "blk-packed-event-idx-2q", BLK, true, true, 2 },
	{ "scsi-split-event-idx", SCSI, false, true, 1 },
	{ "scsi-split-2q", SCSI, false, false, 2 },
	{ "scsi-packed-event-idx", SCSI, true, true, 1 },
	{ "scsi-packed-2q", SCSI, true, false, 2 },
};

/*
 * The guest's script: "qO" posts operation O (R read, W write, F flush,
 * S one the device answers at once: GET_ID / TEST UNIT READY) on queue q;
 * "." is one reactor pass, after which the guest takes its interrupts.
 * Completions come back out of order (S before the I/O posted ahead of
 * it), rings wrap, and a pass finds several chains at once.
 */
static const char script[] =
	"0R 0W 0S 1W 1F . . 0F 0R 1S . 0W 0R 0W 1R 1R 1W . . . "
	"0S 0R 0W 0W 0R 1F 1W 1R 1S . . 0R 0S . 1W 1S 1R . . "
	"0W 0W 0W 0W 0W 1R 1R 1R 1R 1R . 0S . 1F . . .";

/* The guest: vufront's rings and request slots, and the request (tag)
 * each slot holds, so that a completion twice, never, or with the wrong
 * status or length is told against the request it belongs to. */
struct guest {
	const struct scenario *sc;
	struct vufront *f;
	struct vufront_queue *q[MAX_QUEUES];
	int tag[MAX_QUEUES][SLOTS];   /* -1: free */
	enum op op[MAX_QUEUES][SLOTS];
	unsigned int outstanding;
	uint8_t done[MAX_TAGS];       /* completions seen, by tag */
	char error[256];              /* the first thing that went wrong */
};

struct run_cfg {
	const struct scenario *sc;
	int inflight_fd;
	size_t inflight_size;
	struct guest *g;
};

static void die(const char *what)
{
	fprintf(stderr, "crash_points: back-end: %s\n", what);
	_exit(2);
}

/* What the guest's rings are driven with (VERSION_1, RING_PACKED and
 * EVENT_IDX as the scenario says), and flushes for virtio-blk. */
static uint64_t features_of(const struct scenario *sc, struct vufront *g)
{
	uint64_t f = vufront_info(g)->features |
		     (1ull << VHOST_USER_F_PROTOCOL_FEATURES);

	if (sc->kind == BLK)
		f |= 1ull << VIRTIO_BLK_F_FLUSH;
	return f;
}

static unsigned int first_vring(const struct scenario *sc)
{
	return sc->kind == SCSI ? 2 : 0; /* scsi: control, event, requests */
}

/* QEMU's start sequence (vhost_user_blk_start / vhost_dev_start) on a
 * back-end that just connected, rings from bases[]: guest memory and
 * rings are where the guest's vufront put them. */
static void negotiate(struct inproc_front *f, const struct run_cfg *c,
		      const uint32_t *bases)
{
	const struct scenario *sc = c->sc;
	struct guest *g = c->g;
	struct vhost_user_inflight in = {
		.mmap_size = c->inflight_size,
		.num_queues = (uint16_t)(first_vring(sc) + sc->nqueues),
		.queue_size = QSIZE,
	};
	struct vhost_user_mem_table t = { .nregions = vufront_regions(g->f) };
	int memfds[VHOST_USER_MAX_FDS];

	inproc_u64(f, VHOST_USER_SET_PROTOCOL_FEATURES,
		   1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD, -1);
	inproc_request(f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL);
	inproc_u64(f, VHOST_USER_SET_FEATURES, features_of(sc, g->f), -1);
	inproc_request(f, VHOST_USER_SET_INFLIGHT_FD, &in, sizeof(in),
		       &c->inflight_fd, 1, NULL);
	/* Guest notifiers are unmasked before the rings start. */
	for (unsigned int i = 0; i < sc->nqueues; i++)
		inproc_u64(f, VHOST_USER_SET_VRING_CALL,
			   vufront_ring_addr(g->q[i]).index,
			   vufront_call_fd(g->q[i]));
	for (unsigned int i = 0; i < t.nregions; i++) {
		t.regions[i] = vufront_region(g->f, i);
		memfds[i] = vufront_memfd(g->f, i);
	}
	inproc_request(f, VHOST_USER_SET_MEM_TABLE, &t,
		       8 + t.nregions * sizeof(t.regions[0]), memfds, t.nregions,
		       NULL);
	for (unsigned int i = 0; i < sc->nqueues; i++) {
		struct vufront_queue *q = g->q[i];
		struct vhost_user_vring_addr a = vufront_ring_addr(q);

		inproc_state(f, VHOST_USER_SET_VRING_NUM, a.index,
			     vufront_queue_size(q));
		inproc_state(f, VHOST_USER_SET_VRING_BASE, a.index, bases[i]);
		inproc_request(f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL,
			       0, NULL);
		inproc_u64(f, VHOST_USER_SET_VRING_KICK, a.index,
			   vufront_kick_fd(q));
	}
	for (unsigned int i = 0; i < sc->nqueues; i++)
		inproc_state(f, VHOST_USER_SET_VRING_ENABLE,
			     vufront_ring_addr(g->q[i]).index, 1);
}

/* The device, on a never-started reactor and a null backend. */
static struct vu_dev *device_create(const struct scenario *sc,
				    struct reactor **r)
{
	char path[64], err[256];
	struct bdev *b;
	struct vu_dev *vu;

	snprintf(path, sizeof(path), "/tmp/vmio-crash-%d.sock", (int)getpid());
	if (reactor_create(0, -1, 0, r) || bdev_null_open(1u << 20, &b))
		die("cannot create a reactor and a null bdev");
	if (sc->kind == BLK) {
		struct blk_dev_opts o = {
			.id = "crash", .socket = path, .num_queues = sc->nqueues,
			.blk_size = 512, .bdev = b, .reactors = r, .nreactors = 1,
		};
		struct blk_dev *d;

		if (blk_dev_create(&o, &d, err, sizeof(err)))
			die(err);
		vu = blk_dev_vu(d);
	} else {
		struct scsi_lun_opts lun = { .lun = 0, .bdev = b, .block_size = 512 };
		struct scsi_dev_opts o = {
			.id = "crash", .socket = path, .num_queues = sc->nqueues,
			.luns = &lun, .nluns = 1, .reactors = r, .nreactors = 1,
		};
		struct scsi_dev *d;

		if (scsi_dev_create(&o, &d))
			die("cannot create a scsi target");
		vu = scsi_dev_vu(d);
	}
	unlink(path); /* the connection is a socketpair */
	return vu;
}

/* Requests the back-end will resubmit from the region, over all queues. */
static unsigned int resubmissions(const struct vu_dev *vu)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vu->num_queues; i++)
		n += vu->vrings[i].vq.nresubmit;
	return n;
}

/* A back-end incarnation: commands on cmd ('P' one pass, 'Q' stop the
 * rings and report), answers on rep. */
static void backend_main(const struct run_cfg *c, const uint32_t *bases,
			 unsigned long target, int cmd, int rep)
{
	const struct scenario *sc = c->sc;
	struct reactor *r;
	struct inproc_front f;
	char op;

	log_set_level(getenv("CRASH_POINTS_TRACE") ? LOG_DEBUG : LOG_ERROR);
	crash_count = 0;
	crash_at = target;
	crash_armed = true;
	inproc_connect(&f, device_create(sc, &r));
	negotiate(&f, c, bases);
	{
		uint32_t n = resubmissions(f.vu);

		if (write(rep, &n, sizeof(n)) != sizeof(n))
			die("reply");
	}
	while (read(cmd, &op, 1) == 1) {
		if (op == 'P') {
			if (reactor_poll_once(r) < 0)
				die("reactor_poll_once");
			if (write(rep, "D", 1) != 1)
				die("reply");
			continue;
		}
		/* 'Q': stopping needs the reactor's own thread (it waits for
		 * requests in flight there); the crash points end here. */
		uint64_t out[MAX_QUEUES + 1];

		crash_armed = false;
		if (reactor_start(r))
			die("reactor_start");
		for (unsigned int i = 0; i < sc->nqueues; i++) {
			struct vhost_user_vring_state s = {
				vufront_ring_addr(c->g->q[i]).index, 0 };
			struct vhost_user_msg m;

			inproc_request(&f, VHOST_USER_GET_VRING_BASE, &s,
				       sizeof(s), NULL, 0, &m);
			out[i] = m.payload.state.num;
		}
		out[sc->nqueues] = crash_count;
		if (write(rep, out, sizeof(out)) != sizeof(out))
			die("reply");
		_exit(0);
	}
	_exit(0);
}

/* --- the guest and QEMU side --------------------------------------------- */

static int guest_fail(struct guest *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int guest_fail(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->error[0]) {
		va_start(ap, fmt);
		vsnprintf(g->error, sizeof(g->error), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Fresh guest memory and rings, built by vufront without a connection:
 * the back-end incarnations are told about them in negotiate. */
static void guest_init(struct guest *g, const struct scenario *sc)
{
	struct vufront_opts o = {
		.queues = sc->nqueues, .queue_size = QSIZE,
		.max_inflight = SLOTS, .max_io = DATA_LEN, .want_irq = true,
		.packed = sc->packed, .no_event_idx = !sc->event_idx,
	};
	char err[256];

	memset(g, 0, sizeof(*g));
	g->sc = sc;
	if (vufront_detached(&o, sc->kind == SCSI, &g->f, err, sizeof(err))) {
		fprintf(stderr, "crash_points: guest memory: %s\n", err);
		exit(2);
	}
	for (unsigned int i = 0; i < sc->nqueues; i++) {
		g->q[i] = sc->kind == SCSI ? vufront_scsi_queue(g->f, i)
					   : vufront_queue(g->f, i);
		for (unsigned int s = 0; s < SLOTS; s++)
			g->tag[i][s] = -1;
	}
}

/* READ(10) or WRITE(10) of one 512-byte block at lba. */
static void scsi_rw10(uint8_t cdb[10], bool write, uint32_t lba)
{
	cdb[0] = write ? 0x2a : 0x28;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[8] = 1;
}

/* Posts a request tagged tag on queue qi; false when no slot is free. */
static bool guest_post(struct guest *g, unsigned int qi, enum op op, int tag)
{
	static const uint32_t blk_type[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
					     VIRTIO_BLK_T_FLUSH,
					     VIRTIO_BLK_T_GET_ID };
	struct vufront_queue *q = g->q[qi];
	bool rw = op == OP_READ || op == OP_WRITE;
	unsigned int s;

	for (s = 0; s < SLOTS && g->tag[qi][s] >= 0; s++)
		;
	if (s == SLOTS || tag < 0 || tag >= MAX_TAGS)
		return false;
	if (op == OP_WRITE)
		memset(vufront_buf(q, s), tag & 0xff, DATA_LEN);
	if (g->sc->kind == BLK) {
		vufront_submit(q, s, blk_type[op], (uint64_t)tag % 1024,
			       rw ? DATA_LEN : op == OP_SYNC ? GET_ID_LEN : 0);
	} else {
		/* SYNCHRONIZE CACHE(10); TEST UNIT READY is all zeroes. */
		uint8_t cdb[10] = { op == OP_FLUSH ? 0x35 : 0 };

		if (rw)
			scsi_rw10(cdb, op == OP_WRITE, (uint32_t)tag % 1024);
		vufront_scsi_submit(q, s, 0, cdb, sizeof(cdb),
				    op == OP_WRITE ? VUFRONT_SCSI_TO_DEV :
				    op == OP_READ ? VUFRONT_SCSI_FROM_DEV :
				    VUFRONT_SCSI_NONE, rw ? DATA_LEN : 0);
	}
	g->op[qi][s] = op;
	g->tag[qi][s] = tag;
	g->outstanding++;
	return true;
}

/* Checks one completion of slot s (good: the status said success). */
static int guest_complete(struct guest *g, unsigned int qi, unsigned int s,
			  bool good, unsigned int status, uint32_t len)
{
	enum op op = g->op[qi][s];
	int tag = g->tag[qi][s];
	uint32_t want = op == OP_READ ? DATA_LEN : 0;

	if (tag < 0)
		return guest_fail(g, "queue %u: completion for slot %u, which "
				     "has no request out (completed twice?)",
				  qi, s);
	if (g->done[tag]++)
		return guest_fail(g, "queue %u: request %d completed twice", qi,
				  tag);
	if (!good)
		return guest_fail(g, "queue %u: request %d: status %u", qi, tag,
				  status);
	if (g->sc->kind == BLK)
		want += 1 + (op == OP_SYNC ? GET_ID_LEN : 0);
	else
		want += (uint32_t)sizeof(struct virtio_scsi_cmd_resp);
	if (len != want)
		return guest_fail(g, "queue %u: request %d: used length %u, "
				     "want %u", qi, tag, len, want);
	g->tag[qi][s] = -1;
	g->outstanding--;
	return 0;
}

/* Takes the completions of every queue that was interrupted. Returns
 * how many, -1 on a wrong one (g->error says which). */
static int guest_service(struct guest *g)
{
	int total = 0;

	for (unsigned int i = 0; i < g->sc->nqueues; i++) {
		struct vufront_queue *q = g->q[i];
		struct vufront_scsi_completion sc[SLOTS];
		struct vufront_completion c[SLOTS];
		int n = g->sc->kind == BLK ? vufront_reap_irq(q, c, SLOTS)
					   : vufront_scsi_reap_irq(q, sc, SLOTS);

		if (n < 0)
			return guest_fail(g, "%s", vufront_last_error(q));
		for (int k = 0; k < n; k++) {
			int ret = g->sc->kind == BLK ?
				guest_complete(g, i, c[k].slot,
					       c[k].status == VIRTIO_BLK_S_OK,
					       c[k].status, c[k].used_len) :
				guest_complete(g, i, sc[k].slot,
					       vufront_scsi_good(&sc[k]),
					       sc[k].response << 8 | sc[k].status,
					       sc[k].used_len);

			if (ret)
				return -1;
		}
		total += n;
	}
	return total;
}

/* Completions in a used ring that the guest was never told about. */
static bool guest_unseen(const struct guest *g)
{
	for (unsigned int i = 0; i < g->sc->nqueues; i++)
		if (vufront_used_pending(g->q[i]))
			return true;
	return false;
}

struct run_result {
	bool ok;
	char why[320];
	unsigned long points;      /* crash points of the first incarnation */
	unsigned int crashes;
	unsigned int resubmitted;  /* by recovering incarnations */
	unsigned int requests;
};

struct run {
	struct run_cfg c;
	struct guest g;
	const unsigned long *targets; /* per incarnation; 0: never */
	uint32_t bases[MAX_QUEUES];
	unsigned int inc;             /* incarnations after the first */
	pid_t pid;                    /* the back-end now */
	int cmd, rep;
	bool up;
	struct run_result res;
};

static bool verdict(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records why the run failed (the first reason); returns false. */
static bool verdict(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->res.ok) {
		r->res.ok = false;
		va_start(ap, fmt);
		vsnprintf(r->res.why, sizeof(r->res.why), fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Starts incarnation r->inc; r->up says whether it got ready. */
static void spawn(struct run *r)
{
	unsigned long target = r->inc < MAX_INCARNATIONS ? r->targets[r->inc] : 0;
	uint32_t resubmitted;
	int cmd[2], rep[2];

	if (pipe2(cmd, O_CLOEXEC) || pipe2(rep, O_CLOEXEC)) {
		perror("pipe");
		exit(2);
	}
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0) {
		perror("fork");
		exit(2);
	}
	if (r->pid == 0) {
		close(cmd[1]);
		close(rep[0]);
		backend_main(&r->c, r->bases, target, cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	r->cmd = cmd[1];
	r->rep = rep[0];
	r->up = read(r->rep, &resubmitted, sizeof(resubmitted)) ==
		sizeof(resubmitted);
	if (r->up && r->inc)
		r->res.resubmitted += resubmitted;
}

static void backend_close(struct run *r, int *status)
{
	close(r->cmd);
	close(r->rep);
	if (waitpid(r->pid, status, 0) != r->pid)
		*status = -1;
}

/* QEMU after "ring restore failed": split rings restart from the used
 * index in guest memory, packed ones from the base they last started
 * with (there is no index in shared memory to go by). */
static void qemu_restore_bases(struct run *r)
{
	for (unsigned int i = 0; i < r->c.sc->nqueues; i++)
		if (!r->c.sc->packed)
			r->bases[i] = vufront_used_idx(r->g.q[i]);
}

/* After a crash: the back-end must have died at its crash point; QEMU
 * sees the socket close and reconnects a new one. */
static bool ensure_up(struct run *r)
{
	while (!r->up) {
		int st;

		backend_close(r, &st);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != CRASH_EXIT)
			return verdict(r, "the back-end died on its own (wait "
					  "status 0x%x)", st);
		r->res.crashes++;
		qemu_restore_bases(r);
		r->inc++;
		spawn(r);
	}
	return true;
}

/* One reactor pass, then the guest takes its interrupts. A crash in the
 * pass leaves r->up false for the next step to recover from. */
static bool step(struct run *r)
{
	char done;

	if (!ensure_up(r))
		return false;
	if (write(r->cmd, "P", 1) != 1 || read(r->rep, &done, 1) != 1) {
		r->up = false;
		return true;
	}
	if (guest_service(&r->g) < 0)
		return verdict(r, "%s", r->g.error);
	return true;
}

/* Runs the script, drains, stops the rings and checks the end state. */
static bool play(struct run *r)
{
	const struct scenario *sc = r->c.sc;
	uint64_t out[MAX_QUEUES + 1];
	unsigned int tag = 0;
	int st;

	for (const char *p = script; *p; p++) {
		if (*p == ' ')
			continue;
		if (*p == '.') {
			if (!step(r))
				return false;
			continue;
		}
		unsigned int qi = (unsigned int)(p[0] - '0');
		enum op op = p[1] == 'R' ? OP_READ : p[1] == 'W' ? OP_WRITE :
			     p[1] == 'F' ? OP_FLUSH : OP_SYNC;

		if (qi < sc->nqueues && guest_post(&r->g, qi, op, (int)tag))
			tag++;
		r->res.requests = tag;
		p++;
	}
	/* The script is over: the guest waits for what it has out. */
	for (unsigned int n = 0; r->g.outstanding && n < DRAIN_PASSES; n++)
		if (!step(r))
			return false;
	if (!ensure_up(r))
		return false;
	if (r->g.outstanding)
		return verdict(r, "%u request(s) never completed%s",
			       r->g.outstanding,
			       guest_unseen(&r->g) ? ": completions sit in the used "
						  "ring but the guest was never "
						  "interrupted" : "");
	/* A clean stop must report where the driver is. */
	if (write(r->cmd, "Q", 1) != 1 ||
	    read(r->rep, out, sizeof(out)) != sizeof(out))
		return verdict(r, "the back-end failed to stop its rings");
	backend_close(r, &st);
	r->up = false;
	if (r->inc == 0)
		r->res.points = out[sc->nqueues];
	for (unsigned int i = 0; i < sc->nqueues; i++)
		if (out[i] != vufront_ring_state(r->g.q[i]))
			return verdict(r, "queue %u: GET_VRING_BASE says 0x%llx, "
					  "the driver is at 0x%x", i,
				       (unsigned long long)out[i],
				       vufront_ring_state(r->g.q[i]));
	for (unsigned int t = 0; t < tag; t++)
		if (r->g.done[t] != 1)
			return verdict(r, "request %u completed %u times", t,
				       r->g.done[t]);
	return true;
}

/* One run: incarnation i is killed at its targets[i]-th crash point. */
static struct run_result run_once(const struct scenario *sc,
				  const unsigned long *targets)
{
	static struct run r;
	unsigned int qbytes = sc->packed ? inflight_packed_queue_bytes(QSIZE)
					 : inflight_queue_bytes(QSIZE);

	memset(&r, 0, sizeof(r));
	r.res.ok = true;
	r.targets = targets;
	r.c.sc = sc;
	r.c.g = &r.g;
	guest_init(&r.g, sc);
	/* What GET_INFLIGHT_FD hands QEMU the first time: zeroes. */
	r.c.inflight_size = (size_t)(first_vring(sc) + sc->nqueues) * qbytes;
	r.c.inflight_fd = memfd_create("inflight", MFD_CLOEXEC);
	if (r.c.inflight_fd < 0 ||
	    ftruncate(r.c.inflight_fd, (off_t)r.c.inflight_size)) {
		perror("inflight region");
		exit(2);
	}
	/* Where a fresh ring starts (packed: both wrap counters at 1). */
	for (unsigned int i = 0; i < sc->nqueues; i++)
		r.bases[i] = vufront_ring_state(r.g.q[i]);
	spawn(&r);
	play(&r);
	if (r.up) {
		int st;

		kill(r.pid, SIGKILL);
		backend_close(&r, &st);
	}
	close(r.c.inflight_fd);
	vufront_close(r.g.f);
	return r.res;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every single crash point of the first incarnation; with dbl, every
 * crash point of the recovery after each of them too. Returns failures. */
static unsigned int enumerate(const struct scenario *sc, bool dbl)
{
	unsigned long none[MAX_INCARNATIONS] = { 0 };
	struct run_result clean = run_once(sc, none);
	unsigned int failures = 0, runs = 0, resubmitting = 0, resubmitted = 0;
	double t0 = now_s();

	if (!clean.ok) {
		printf("FAIL %s: without any crash: %s\n", sc->name, clean.why);
		return 1;
	}
	for (unsigned long k = 1; k <= clean.points; k++) {
		unsigned long t[MAX_INCARNATIONS] = { k, 0, 0 };
		struct run_result res = run_once(sc, t);
		unsigned long second = 0;

		runs++;
		if (res.resubmitted)
			resubmitting++;
		resubmitted += res.resubmitted;
		if (!res.ok && failures++ < 5)
			printf("FAIL %s: killed at crash point %lu of %lu: %s\n",
			       sc->name, k, clean.points, res.why);
		if (!dbl || !res.ok)
			continue;
		/* Kill the recovering back-end at each of its points too,
		 * until one run shows it got through without reaching it. */
		for (unsigned long k2 = 1;; k2++) {
			unsigned long t2[MAX_INCARNATIONS] = { k, k2, 0 };
			struct run_result r2 = run_once(sc, t2);

			runs++;
			if (!r2.ok && failures++ < 5)
				printf("FAIL %s: killed at point %lu, then the "
				       "recovery killed at its point %lu: %s\n",
				       sc->name, k, k2, r2.why);
			if (r2.crashes < 2)
				break; /* the recovery ended before point k2 */
			second = k2;
		}
		(void)second;
	}
	printf("%s %s: %lu crash points, %u runs, %u failed; %u runs resubmitted "
	       "requests (%u in all), %u requests per run, %.1f s\n",
	       failures ? "FAIL" : "ok", sc->name, clean.points, runs, failures,
	       resubmitting, resubmitted, clean.requests, now_s() - t0);
	fflush(stdout);
	return failures;
}

/* --at K[,K2]: one run, killed at those points, told in full. */
static unsigned int run_at(const struct scenario *sc, const char *spec)
{
	unsigned long t[MAX_INCARNATIONS] = { 0 };
	struct run_result res;
	char *end;

	t[0] = strtoul(spec, &end, 10);
	if (*end == ',')
		t[1] = strtoul(end + 1, NULL, 10);
	res = run_once(sc, t);
	printf("%s %s at %lu,%lu: %u crashes, %u resubmitted, %u requests%s%s\n",
	       res.ok ? "ok" : "FAIL", sc->name, t[0], t[1], res.crashes,
	       res.resubmitted, res.requests, res.ok ? "" : ": ", res.why);
	return !res.ok;
}

int main(int argc, char **argv)
{
	bool dbl = false, any = false;
	const char *at = NULL;
	unsigned int failures = 0;

	signal(SIGPIPE, SIG_IGN); /* a back-end that died mid-command */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--double"))
			dbl = true;
		else if (!strcmp(argv[i], "--at") && i + 1 < argc)
			at = argv[++i];
	}
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		unsigned int names = 0, matches = 0;

		for (int i = 1; i < argc; i++) {
			if (argv[i][0] == '-') {
				i += !strcmp(argv[i], "--at");
				continue;
			}
			names++;
			matches += !strcmp(argv[i], scenarios[s].name);
		}
		if (names && !matches)
			continue;
		any = true;
		failures += at ? run_at(&scenarios[s], at)
			       : enumerate(&scenarios[s], dbl);
	}
	if (!any) {
		fprintf(stderr, "crash_points: no such scenario\n");
		return 2;
	}
	return failures ? 1 : 0;
}
