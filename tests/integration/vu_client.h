/* SPDX-License-Identifier: MIT */
/*
 * A deliberately minimal vhost-user front-end for protocol tests: it sends
 * exactly the bytes and fds a test asks for (well-formed or hostile) and
 * lays out one split ring in memfd guest memory by hand. The full frontend
 * used by `vmio bench` lives in src/lib/vufront; this one exists so tests
 * can break the rules on purpose.
 */
#ifndef VMIO_TEST_VU_CLIENT_H
#define VMIO_TEST_VU_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/virtio_ring.h>

#include "vhost/vhost_user_proto.h"

#define VC_MEM_SIZE (4u << 20)
#define VC_GPA 0x40000000ull
#define VC_QVA 0x7e0000000000ull
#define VC_RING 64

struct vc_queue {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, used_seen;
	int kick, call;
	uint64_t ring_off; /* offset of this queue's rings in guest memory */
};

struct vc {
	int fd;
	int memfd;
	unsigned int seals; /* set before vc_setup: guest memory's memfd
			     * is created sealable and sealed with these */
	uint8_t *mem; /* our mapping of guest memory at VC_GPA */
	struct vc_queue q[4];
	uint64_t features, protocol_features;
};

/* Starts vmiod (from $VMIOD) with the given arguments, waits until every
 * socket named by wait_socks accepts, returns its pid. */
pid_t vc_spawn_vmiod(const char *const *args, const char *const *wait_socks);
/* SIGTERM, then waits; returns the exit status (or -1 if killed). */
int vc_stop_vmiod(pid_t pid);
bool vc_alive(pid_t pid);

int vc_connect(struct vc *c, const char *sock);
void vc_close(struct vc *c);
/* Sends a raw message; size may lie about payload_len on purpose. */
int vc_send_raw(struct vc *c, uint32_t req, uint32_t flags, uint32_t size,
		const void *payload, uint32_t payload_len, const int *fds,
		int nfds);
int vc_send(struct vc *c, uint32_t req, const void *payload, uint32_t len,
	    const int *fds, int nfds);
/* Receives a reply; returns payload size or -errno (-ECONNRESET when the
 * peer closed). Waits at most timeout_ms. */
int vc_recv(struct vc *c, struct vhost_user_msg *m, int timeout_ms);
/* Request + u64 reply. */
int vc_get_u64(struct vc *c, uint32_t req, uint64_t *out);
/* True when the server has closed the connection (within timeout_ms). */
bool vc_closed_by_peer(struct vc *c, int timeout_ms);

/* Negotiates features, shares memory and starts nq queues of VC_RING. */
int vc_setup(struct vc *c, unsigned int nq);

/* (Re)starts queue i with fresh, zeroed rings (after vc_setup's memory). */
int vc_start_queue(struct vc *c, unsigned int i);

/* Writes a descriptor of queue q. */
void vc_desc(struct vc *c, unsigned int q, uint16_t i, uint64_t gpa,
	     uint32_t len, uint16_t flags, uint16_t next);
/* Makes head available on queue q and kicks. */
void vc_avail(struct vc *c, unsigned int q, uint16_t head);
/* Kicks queue q without touching guest memory. */
void vc_kick(struct vc *c, unsigned int q);
/* Sets queue q's avail->idx directly (hostile tests). */
void vc_set_avail_idx(struct vc *c, unsigned int q, uint16_t idx);
/* Waits up to timeout_ms for a used entry on q; returns 1 and fills
 * id/len, or 0 on timeout. */
int vc_wait_used(struct vc *c, unsigned int q, uint32_t *id, uint32_t *len,
		 int timeout_ms);
/* Guest-physical address of byte off of guest memory, and our pointer. */
static inline uint64_t vc_gpa(uint64_t off) { return VC_GPA + off; }
static inline void *vc_ptr(struct vc *c, uint64_t off) { return c->mem + off; }

/* One virtio-blk request on queue q using descriptors base..base+2 and
 * data at guest offset data_off; returns the status byte or -1 on
 * timeout. */
int vc_blk_rw(struct vc *c, unsigned int q, uint16_t base, uint32_t type,
	      uint64_t sector, uint64_t data_off, uint32_t len);


/* Keeps qd requests (type, bs bytes, sequential sectors) in flight on
 * queue q for seconds; returns the number completed with status OK, or -1
 * on a protocol failure (timeout, bad status). qd <= 16. */
long vc_closed_loop(struct vc *c, unsigned int q, unsigned int qd,
		    uint32_t type, uint32_t bs, double seconds);

#endif
