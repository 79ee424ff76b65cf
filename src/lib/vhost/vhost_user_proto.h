/* SPDX-License-Identifier: MIT */
/*
 * vhost-user wire protocol: message numbers, flags and payload layouts,
 * as specified in QEMU's docs/interop/vhost-user.rst. Shared by the server
 * (vmiod) and the user-space frontend (vmio bench, tests), so both sides
 * agree on every byte. Everything is little-endian on the wire; vmio only
 * targets little-endian hosts (x86_64, aarch64).
 */
#ifndef VMIO_VHOST_USER_PROTO_H
#define VMIO_VHOST_USER_PROTO_H

#include <stdint.h>

/* Front-end -> back-end requests. */
enum vhost_user_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_CREATE_CRYPTO_SESSION = 26,
	VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_POSTCOPY_LISTEN = 29,
	VHOST_USER_POSTCOPY_END = 30,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_GPU_SET_SOCKET = 33,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_VRING_KICK = 35,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_MAX_REQUEST
};

/* Back-end -> front-end requests (on the BACKEND_REQ channel). */
enum vhost_user_backend_request {
	VHOST_USER_BACKEND_NONE = 0,
	VHOST_USER_BACKEND_IOTLB_MSG = 1,
	VHOST_USER_BACKEND_CONFIG_CHANGE_MSG = 2,
	VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG = 3,
};

/* Virtio feature bit that announces the vhost-user protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
/* The back-end logs its writes into guest memory (live migration). */
#define VHOST_F_LOG_ALL 26
/* SET_VRING_ADDR flags: log writes to this ring's used area. */
#define VHOST_VRING_F_LOG 0

/* Protocol feature bits. */
enum vhost_user_protocol_feature {
	VHOST_USER_PROTOCOL_F_MQ = 0,
	VHOST_USER_PROTOCOL_F_LOG_SHMFD = 1,
	VHOST_USER_PROTOCOL_F_RARP = 2,
	VHOST_USER_PROTOCOL_F_REPLY_ACK = 3,
	VHOST_USER_PROTOCOL_F_NET_MTU = 4,
	VHOST_USER_PROTOCOL_F_BACKEND_REQ = 5,
	VHOST_USER_PROTOCOL_F_CROSS_ENDIAN = 6,
	VHOST_USER_PROTOCOL_F_CRYPTO_SESSION = 7,
	VHOST_USER_PROTOCOL_F_PAGEFAULT = 8,
	VHOST_USER_PROTOCOL_F_CONFIG = 9,
	VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD = 10,
	VHOST_USER_PROTOCOL_F_HOST_NOTIFIER = 11,
	VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD = 12,
	VHOST_USER_PROTOCOL_F_RESET_DEVICE = 13,
	VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS = 14,
	VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS = 15,
	VHOST_USER_PROTOCOL_F_STATUS = 16,
};

/* Header flags. */
#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_REPLY_MASK (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK (1u << 3)

/* SET_VRING_KICK/CALL/ERR payload: index in bits 0..7, bit 8 = no fd. */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD_MASK (1u << 8)

/* SET_MEM_TABLE carries at most this many regions (and fds). */
#define VHOST_USER_MEM_TABLE_MAX_REGIONS 8
/* The most fds any single message carries. */
#define VHOST_USER_MAX_FDS 8
/* Largest config space read/write (VHOST_USER_GET/SET_CONFIG). */
#define VHOST_USER_MAX_CONFIG_SIZE 256

struct vhost_user_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* bytes of payload that follow */
} __attribute__((packed));

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

/* Ring addresses are front-end *virtual* addresses (QEMU's userspace
 * addresses), not guest-physical ones: they are translated through each
 * region's userspace_addr, while descriptors use guest_phys_addr. */
struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags; /* bit 0: VHOST_VRING_F_LOG */
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vhost_user_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MEM_TABLE_MAX_REGIONS];
} __attribute__((packed));

/* ADD_MEM_REG / REM_MEM_REG payload. */
struct vhost_user_single_mem_region {
	uint64_t padding;
	struct vhost_user_mem_region region;
} __attribute__((packed));

struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t payload[VHOST_USER_MAX_CONFIG_SIZE];
} __attribute__((packed));
#define VHOST_USER_CONFIG_HDR_SIZE 12u

/* SET_CONFIG flags */
#define VHOST_SET_CONFIG_TYPE_FRONTEND 0
#define VHOST_SET_CONFIG_TYPE_MIGRATION 1

/* SET_LOG_BASE: where the dirty log is in the fd sent with it. */
struct vhost_user_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vhost_user_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
	uint32_t padding; /* QEMU sends the naturally aligned size, 24 */
} __attribute__((packed));

union vhost_user_payload {
	uint64_t u64;
	struct vhost_user_vring_state state;
	struct vhost_user_vring_addr addr;
	struct vhost_user_mem_table mem;
	struct vhost_user_single_mem_region mem_reg;
	struct vhost_user_config config;
	struct vhost_user_inflight inflight;
	struct vhost_user_log log;
};

struct vhost_user_msg {
	struct vhost_user_header hdr;
	union vhost_user_payload payload;
} __attribute__((packed));

#define VHOST_USER_HDR_SIZE ((uint32_t)sizeof(struct vhost_user_header))
#define VHOST_USER_MAX_PAYLOAD ((uint32_t)sizeof(union vhost_user_payload))

#endif
