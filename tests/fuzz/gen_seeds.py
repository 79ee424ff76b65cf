#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz harnesses' seed corpora (corpus/<harness>/) and the
regression inputs (regress/<harness>/) in the input formats the harness
comments describe. Seeds are small well-formed cases the fuzzer mutates
from; rerun this after changing a harness's input format.
Usage: tests/fuzz/gen_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, harness, name, data):
    d = os.path.join(HERE, kind, harness)
    os.makedirs(d, exist_ok=True)
    # Inputs read as zeroes past their end: trailing zeroes need no bytes.
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.rstrip(b"\0"))


# --- vu_msg: ctl, pages, req, size (u16), payload -------------------------
MEMFD, EVENTFD = 0x00, 0x10
NEED_REPLY = 0x80

(GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE) = (1, 2, 3, 4, 5)
(SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE) = (8, 9, 10, 11)
(SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR) = (12, 13, 14)
(GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM) = (15, 16, 17)
SET_VRING_ENABLE, SET_BACKEND_REQ_FD = 18, 21
GET_CONFIG, SET_CONFIG = 24, 25
GET_INFLIGHT_FD, SET_INFLIGHT_FD, RESET_DEVICE = 31, 32, 34
GET_MAX_MEM_SLOTS, ADD_MEM_REG, REM_MEM_REG = 36, 37, 38
SET_LOG_BASE, SET_LOG_FD = 6, 7
LOG_ALL, LOG_SHMFD = 1 << 26, 1 << 1

FEATURES = (1 << 32) | (1 << 30) | (1 << 29) | (1 << 28)
PROTO = (1 << 0) | (1 << 3) | (1 << 5) | (1 << 12) | (1 << 13) | (1 << 15)
QVA = 0x7F0000000000


def msg(req, payload=b"", nfds=0, kind=MEMFD, pages=0, flags=0):
    return bytes([nfds | kind | flags, pages, req]) + struct.pack("<H", len(payload)) + payload


def u64(v):
    return struct.pack("<Q", v)


def state(i, n):
    return struct.pack("<II", i, n)


def region(gpa, size, uaddr, off=0):
    return struct.pack("<QQQQ", gpa, size, uaddr, off)


def inflight_bytes(qs):
    n = 16 + qs * 16
    return (n + 63) & ~63


def ring_setup(i, num=128, base=0):
    desc = QVA + i * 0x4000
    return (msg(SET_VRING_NUM, state(i, num)) +
            msg(SET_VRING_BASE, state(i, base)) +
            msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", i, 0, desc, desc + 0x1000,
                                            desc + 0x800, 0)) +
            msg(SET_VRING_CALL, u64(i), 1, EVENTFD) +
            msg(SET_VRING_KICK, u64(i), 1, EVENTFD) +
            msg(SET_VRING_ENABLE, state(i, 1)))


def handshake():
    return (msg(GET_FEATURES) + msg(GET_PROTOCOL_FEATURES) +
            msg(SET_PROTOCOL_FEATURES, u64(PROTO)) + msg(GET_QUEUE_NUM) +
            msg(SET_OWNER) + msg(SET_BACKEND_REQ_FD, b"", 1, EVENTFD) +
            msg(GET_CONFIG, struct.pack("<III", 0, 60, 0) + bytes(60)) +
            msg(SET_FEATURES, u64(FEATURES)))


def mem_table(n=1):
    regs = b"".join(region(i * 0x10000, 0x10000, QVA + i * 0x10000) for i in range(n))
    return msg(SET_MEM_TABLE, struct.pack("<II", n, 0) + regs, n, MEMFD, 15)


def vu_msg_seeds():
    inflight = struct.pack("<QQHHI", 0, 0, 2, 128, 0)
    set_inflight = struct.pack("<QQHHI", 2 * inflight_bytes(128), 0, 2, 128, 0)
    added = struct.pack("<Q", 0) + region(0x100000, 0x4000, QVA + 0x100000)
    write("corpus", "vu_msg", "session",
          handshake() + mem_table() + ring_setup(0) + ring_setup(1) + ring_setup(3) +
          msg(ADD_MEM_REG, added, 1, MEMFD, 3) +
          msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, QVA, QVA + 0x1000, QVA + 0x800, 0)) +
          msg(REM_MEM_REG, added) + msg(GET_VRING_BASE, state(0, 0)) +
          msg(SET_VRING_KICK, u64(0), 1, EVENTFD) + msg(RESET_DEVICE) +
          msg(GET_MAX_MEM_SLOTS) + msg(RESET_OWNER))
    write("corpus", "vu_msg", "inflight",
          handshake() + msg(GET_INFLIGHT_FD, inflight) +
          msg(SET_INFLIGHT_FD, set_inflight, 1, MEMFD, 1) + mem_table(2) +
          ring_setup(0) + ring_setup(1) + msg(GET_VRING_BASE, state(1, 0)) +
          msg(SET_VRING_ENABLE, state(0, 0)))
    write("corpus", "vu_msg", "mem-slots",
          handshake() + msg(ADD_MEM_REG, struct.pack("<Q", 0) + region(0, 0x10000, QVA), 1, MEMFD, 15) +
          ring_setup(0, 256) + msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(0, 0x8000, QVA), 1, MEMFD, 7) +
          msg(SET_VRING_ERR, u64(0x100)) + msg(SET_CONFIG, struct.pack("<III", 0, 4, 0) + bytes(4)))
    write("corpus", "vu_msg", "need-reply",
          msg(GET_PROTOCOL_FEATURES) + msg(SET_PROTOCOL_FEATURES, u64(PROTO)) +
          msg(SET_OWNER, b"", flags=NEED_REPLY) + msg(42, b"", flags=NEED_REPLY) +
          msg(SET_VRING_NUM, state(9, 128), flags=NEED_REPLY))
    # A header cut over two chunks, then a message with too many fds.
    hdr = struct.pack("<III", GET_FEATURES, 1, 0)
    write("corpus", "vu_msg", "partial",
          bytes([0x40, 0, 5]) + hdr[:5] + bytes([0x40, 0, 7]) + hdr[5:] +
          msg(SET_OWNER, b"", 9))
    write("corpus", "vu_msg", "bad-size", msg(SET_FEATURES, u64(0)[:4]))
    # A migration as QEMU runs it: a log, logging on while a ring runs,
    # the log replaced, the ring stopped, logging off.
    log = struct.pack("<QQ", 16, 0)
    write("corpus", "vu_msg", "dirty-log",
          handshake() + msg(SET_PROTOCOL_FEATURES, u64(PROTO | LOG_SHMFD)) +
          mem_table() + ring_setup(0) + msg(SET_LOG_BASE, log, 1, MEMFD, 0) +
          msg(SET_LOG_FD, b"", 1, EVENTFD) +
          msg(SET_FEATURES, u64(FEATURES | LOG_ALL)) +
          msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 1, QVA, QVA + 0x1000,
                                          QVA + 0x800, 0x800)) +
          msg(SET_LOG_BASE, log, 1, MEMFD, 0) + msg(GET_VRING_BASE, state(0, 0)) +
          msg(SET_FEATURES, u64(FEATURES)))
    # Found by fuzzing: a memory region larger than the 4 KiB memfd that
    # backs it maps fine (MAP_NORESERVE), but starting a ring placed past
    # the end of the file reads used->idx there: SIGBUS kills the daemon.
    write("regress", "vu_msg", "region-past-eof",
          msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(0, 0x10000, QVA), 1, MEMFD, 0) +
          msg(SET_VRING_NUM, state(0, 8)) +
          msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, QVA + 0x4000, QVA + 0x5000,
                                          QVA + 0x4800, 0)) +
          msg(SET_VRING_KICK, u64(0), 1, EVENTFD))
    # Found by fuzzing: the inflight region QEMU hands over may be smaller
    # than the mmap_size it announces: the mmap succeeds and attaching a
    # ring to it touches the pages past the end of the file: SIGBUS
    # (virtq_inflight_attach). Here 4 KiB behind a 4160-byte region.
    write("regress", "vu_msg", "inflight-past-eof",
          handshake() +
          msg(SET_INFLIGHT_FD, struct.pack("<QQHHI", inflight_bytes(256), 0, 1, 256, 0),
              1, MEMFD, 0) +
          mem_table() + ring_setup(0, 256))
    # Found by fuzzing (the harness's ring oracle): GET_INFLIGHT_FD while a
    # ring runs with an inflight region attached replaces the region
    # without stopping the ring: vq->inflight still points into the
    # unmapped old one, where the reactor would go on writing flags.
    write("regress", "vu_msg", "get-inflight-running",
          handshake() +
          msg(SET_INFLIGHT_FD, struct.pack("<QQHHI", 2 * inflight_bytes(128), 0, 2, 128, 0),
              1, MEMFD, 1) +
          mem_table() + ring_setup(0) +
          msg(GET_INFLIGHT_FD, struct.pack("<QQHHI", 0, 0, 2, 128, 0)))
    # Found by fuzzing: a region whose userspace_addr is not aligned like
    # its mapping (here off by one) turns aligned ring addresses into
    # misaligned host pointers: vu_vring_start loads used->idx misaligned
    # (undefined behaviour; UBSan reports it, gcc's and clang's alike).
    write("regress", "vu_msg", "region-misaligned-qva",
          msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(0, 0x10000, QVA + 1), 1, MEMFD, 15) +
          msg(SET_VRING_NUM, state(0, 8)) +
          msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, QVA + 0x4000, QVA + 0x5000,
                                          QVA + 0x4800, 0)) +
          msg(SET_VRING_KICK, u64(0), 1, EVENTFD))


# --- virtq: flags, per_pass, base (u16), guest memory from gpa 0 ----------
NEXT, WRITE, INDIRECT = 1, 2, 4


class Guest:
    def __init__(self, qsize):
        self.mem = bytearray(0x9000)
        self.qsize = qsize
        self.navail = 0

    def desc(self, i, addr, length, flags=0, nxt=0, table=0):
        struct.pack_into("<QIHH", self.mem, table + 16 * i, addr, length, flags, nxt)

    def avail(self, head):
        struct.pack_into("<H", self.mem, 0x1000 + 4 + 2 * (self.navail % self.qsize), head)
        self.navail += 1
        struct.pack_into("<H", self.mem, 0x1000 + 2, self.navail)

    def blob(self, flags, per_pass=64, base=0):
        log2 = self.qsize.bit_length() - 1
        return bytes([flags | log2, per_pass]) + struct.pack("<H", base) + bytes(self.mem)


def virtq_seeds():
    g = Guest(16)
    g.desc(0, 0x4000, 16, NEXT, 1)
    g.desc(1, 0x5000, 512, WRITE | NEXT, 2)
    g.desc(2, 0x6000, 1, WRITE)
    g.avail(0)
    write("corpus", "virtq", "chain3", g.blob(0x20))

    g = Guest(16)
    g.desc(0, 0xFF00, 0x200, NEXT, 1)  # straddles the two adjacent regions
    g.desc(1, 0x100000, 0x2000, WRITE, 0)
    g.desc(5, 0xFFFFFFFFFFFFEFF0, 0x20, 0)  # runs off the top of memory
    g.desc(6, 0x20000, 16, 0)  # in the hole
    for h in (0, 5, 6):
        g.avail(h)
    write("corpus", "virtq", "regions", g.blob(0x00, 1))

    g = Guest(8)
    g.desc(0, 0x2c00, 48, INDIRECT)
    g.desc(0, 0x4000, 16, NEXT, 1, table=0x2c00)
    g.desc(1, 0x5000, 4096, WRITE | NEXT, 2, table=0x2c00)
    g.desc(2, 0x6000, 1, WRITE, 0, table=0x2c00)
    g.avail(0)
    write("corpus", "virtq", "indirect", g.blob(0x10 | 0x20))

    g = Guest(4)
    g.desc(0, 0x4000, 16, NEXT, 1)
    g.desc(1, 0x4010, 16, NEXT, 0)
    g.avail(0)
    g.avail(3)
    write("corpus", "virtq", "loop", g.blob(0x80, 2))

    # Inflight region left by an earlier back-end: heads 2 and 1 in flight.
    g = Guest(16)
    struct.pack_into("<QHHHH", g.mem, 0x3000, 0, 1, 16, 0, 0)
    struct.pack_into("<B5xHQ", g.mem, 0x3000 + 16 + 16 * 2, 1, 0, 3)
    struct.pack_into("<B5xHQ", g.mem, 0x3000 + 16 + 16 * 1, 1, 0, 5)
    for h in (1, 2):
        g.desc(h, 0x4000 + 0x100 * h, 16, NEXT, h + 4)
        g.desc(h + 4, 0x5000 + 0x100 * h, 1, WRITE)
    g.avail(1)
    g.avail(2)
    g.avail(3)
    write("corpus", "virtq", "inflight", g.blob(0x40 | 0x20, 4))

    g = Guest(256)
    for h in range(256):
        g.desc(h, 0x4000 + 16 * h, 16, 0)
        g.avail(h)
    write("corpus", "virtq", "full-ring", g.blob(0x20, 64, 0))

    # Found by fuzzing (the earlier harness): an indirect table at an even
    # address that is not 8-aligned made the descriptor field loads
    # misaligned (undefined behaviour; UBSan reports it).
    g = Guest(2)
    g.desc(0, 0x2c02, 32, INDIRECT)
    g.desc(0, 0x4000, 16, NEXT, 1, table=0x2c02)
    g.desc(1, 0x5000, 1, WRITE, 0, table=0x2c02)
    g.avail(0)
    write("regress", "virtq", "misaligned-indirect", g.blob(0x10))

    # Found with this harness (a crafted input; the fuzzer had not reached
    # it in its first minutes): with inflight tracking, a ring of 4 whose
    # inflight region holds 4 heads to resubmit and whose avail ring offers
    # 4 more (bad chains, completed at once) pushes 8 completions before a
    # publish; vq->batch holds only vq->size heads: heap overflow in
    # virtq_push. The blk data path publishes once per reactor pass after
    # up to 64 pops, so a guest reaches it the same way.
    g = Guest(4)
    struct.pack_into("<QHHHH", g.mem, 0x3000, 0, 1, 4, 0, 0)
    for h in range(4):
        struct.pack_into("<B5xHQ", g.mem, 0x3000 + 16 + 16 * h, 1, 0, h + 1)
        g.desc(h, 0x20000, 16, 0)  # in no region: a bad chain
    struct.pack_into("<H", g.mem, 0x1000 + 2, 8)
    write("regress", "virtq", "inflight-batch-overflow", g.blob(0x40, 63))
    # The same through the whole data path (blk_queue harness format).
    write("regress", "blk_queue", "inflight-batch-overflow",
          bytes([2 | 0x40]) + bytes(g.mem))


# --- blk_req: n_out, n_in, lengths, bytes ----------------------------------
def blk(out, inn, hdr_type, sector=0, fill=b""):
    lens = out + inn
    hdr = struct.pack("<IIQ", hdr_type, 0, sector)
    body = (hdr + fill).ljust(sum(lens), b"\xab")
    return bytes([len(out), len(inn)] + lens) + body


def blk_req_seeds():
    write("corpus", "blk_req", "read", blk([16], [64, 1], 0, 8))
    write("corpus", "blk_req", "write", blk([16, 64], [1], 1, 16))
    write("corpus", "blk_req", "split-header", blk([5, 11, 32], [1], 1, 2))
    write("corpus", "blk_req", "combined", blk([48], [65], 0))
    write("corpus", "blk_req", "flush", blk([16], [1], 4))
    write("corpus", "blk_req", "get-id", blk([16], [20, 1], 8))
    seg = struct.pack("<QII", 8, 8, 0)
    write("corpus", "blk_req", "discard", blk([16, 16], [1], 11, 0, seg))
    write("corpus", "blk_req", "both-ways", blk([20], [0, 1], 1))
    write("corpus", "blk_req", "short", blk([15], [1], 0))


# --- blk_queue: flags, guest memory from gpa 0 -----------------------------
def blk_queue_seeds():
    T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WZ = 0, 1, 4, 8, 11, 13

    def req(g, head, table, typ, sector, bufs, n=0):
        """A request chain at descriptors n.. of table: header, bufs, status."""
        hdr = 0x4000 + 0x40 * head
        struct.pack_into("<IIQ", g.mem, hdr, typ, 0, sector)
        chain = [(hdr, 16, 0)] + bufs + [(0x7000 + head, 1, WRITE)]
        for i, (addr, length, flags) in enumerate(chain):
            last = i == len(chain) - 1
            g.desc(n + i, addr, length, flags | (0 if last else NEXT), n + i + 1, table)

    g = Guest(16)
    req(g, 0, 0, T_IN, 0, [(0x5000, 4096, WRITE)], 0)
    req(g, 1, 0, T_OUT, 8, [(0x8000, 512, 0)], 3)
    req(g, 2, 0, T_FLUSH, 0, [], 6)
    req(g, 3, 0, T_GET_ID, 0, [(0x7100, 20, WRITE)], 8)
    struct.pack_into("<QII", g.mem, 0x4500, 16, 8, 0)
    req(g, 4, 0, T_DISCARD, 0, [(0x4500, 16, 0)], 11)
    g.desc(14, 0x2c00, 48, INDIRECT)
    req(g, 5, 0x2c00, T_IN, 16, [(0xFF00, 0x200, WRITE)])
    for h in (0, 3, 6, 8, 11, 14):
        g.avail(h)
    write("corpus", "blk_queue", "mixed", bytes([4 | 0x08 | 0x10]) + bytes(g.mem))
    write("corpus", "blk_queue", "hang-up", bytes([4 | 0x08 | 0x10 | 0x80]) + bytes(g.mem))

    g = Guest(8)
    req(g, 0, 0, T_IN, 2047, [(0x5000, 1024, WRITE)], 0)  # past the end
    req(g, 1, 0, T_OUT, 1, [(0x5000, 100, 0)], 3)  # not whole sectors
    req(g, 2, 0, 77, 0, [], 6)  # unknown type
    g.desc(7, 0x20000, 16, 0)  # in no region
    for h in (0, 3, 6, 7):
        g.avail(h)
    write("corpus", "blk_queue", "errors", bytes([3 | 0x20]) + bytes(g.mem))

    g = Guest(4)
    struct.pack_into("<QII", g.mem, 0x4500, 0, 8, 1)
    req(g, 0, 0, T_WZ, 0, [(0x4500, 16, 0)], 0)
    g.avail(0)
    g.avail(0)  # the same head twice: the ring is broken
    write("corpus", "blk_queue", "twice", bytes([2 | 0x10]) + bytes(g.mem))

    # After a restart: heads 3 and 0 left in flight (in that order), head 6
    # newly available.
    g = Guest(8)
    struct.pack_into("<QHHHH", g.mem, 0x3000, 0, 1, 8, 0, 0)
    struct.pack_into("<B5xHQ", g.mem, 0x3000 + 16 + 16 * 3, 1, 0, 7)
    struct.pack_into("<B5xHQ", g.mem, 0x3000 + 16 + 16 * 0, 1, 0, 9)
    req(g, 0, 0, T_OUT, 0, [(0x5000, 512, 0)], 0)
    req(g, 1, 0, T_IN, 0, [(0x5000, 512, WRITE)], 3)
    req(g, 2, 0, T_FLUSH, 0, [], 6)
    for h in (0, 3, 6):
        g.avail(h)
    write("corpus", "blk_queue", "inflight", bytes([3 | 0x40]) + bytes(g.mem))


# --- scsi_cmd: flags, nblocks-1 (u32), dout/16, din/16, nluns, cdb_len, cdb,
# parameter list (its first 8 bytes also a LUN field) -----------------------
def scsi(cdb, param=b"", flags=0, nblocks=2048, dout=4096, din=4096, nluns=2):
    return (bytes([flags]) + struct.pack("<IHHB", nblocks - 1, dout // 16, din // 16, nluns) +
            bytes([len(cdb)]) + cdb + param)


def scsi_cmd_seeds():
    lun0 = bytes([1, 0, 0x40, 0, 0, 0, 0, 0])
    cdb16 = lambda op, rest: (bytes([op]) + rest).ljust(16, b"\0")
    cdb10 = lambda op, rest: (bytes([op]) + rest).ljust(10, b"\0")
    seeds = {
        "inquiry": scsi(bytes([0x12, 0, 0, 0, 96, 0])),
        "inquiry-vpd-b0": scsi(bytes([0x12, 1, 0xb0, 0, 64, 0])),
        "report-luns": scsi(bytes([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]), nluns=9),
        "read-capacity-16": scsi(cdb16(0x9e, bytes([0x10]) + bytes(8) + struct.pack(">I", 32))),
        "read-10": scsi(cdb10(0x28, bytes([0]) + struct.pack(">IBH", 8, 0, 8))),
        "write-16-fua": scsi(cdb16(0x8a, bytes([0x08]) + struct.pack(">QI", 16, 4)), flags=8),
        "write-ro": scsi(cdb10(0x2a, bytes([0]) + struct.pack(">IBH", 0, 0, 1)), flags=2),
        "unmap": scsi(cdb10(0x42, bytes([0, 0, 0, 0, 0, 0]) + struct.pack(">H", 24)),
                      struct.pack(">HH4x", 22, 16) + struct.pack(">QI4x", 100, 8), flags=4),
        "write-same-unmap": scsi(cdb16(0x93, bytes([0x08]) + struct.pack(">QI", 64, 32)),
                                 bytes(512), flags=4),
        "mode-sense-10": scsi(cdb10(0x5a, bytes([0, 0x3f, 0, 0, 0, 0]) + struct.pack(">H", 200))),
        "sync-cache": scsi(cdb10(0x35, b""), flags=8),
        "request-sense": scsi(bytes([0x03, 0, 0, 0, 18, 0]), flags=0x10),
        "lun-field": scsi(bytes([0x00, 0, 0, 0, 0, 0]), lun0),
    }
    for name, data in seeds.items():
        write("corpus", "scsi_cmd", name, data)


# --- scsi_queue: flags, vring, guest memory from gpa 0 ----------------------
def scsi_queue_seeds():
    def lun(n):
        return bytes([1, 0, 0x40 | (n >> 8), n & 0xFF, 0, 0, 0, 0])

    def cmd(g, slot, n, lun_field, cdb, data=None):
        """A request at descriptors n..: header, response, optional data."""
        hdr = 0x4000 + 0x80 * slot
        g.mem[hdr:hdr + 51] = lun_field + struct.pack("<QBBB", slot, 0, 0, 0) + cdb.ljust(32, b"\0")
        chain = [(hdr, 51, 0)]
        if data and not data[2] & WRITE:
            chain.append(data)
        chain.append((0x6000 + 0x80 * slot, 108, WRITE))
        if data and data[2] & WRITE:
            chain.append(data)
        for i, (addr, length, flags) in enumerate(chain):
            last = i == len(chain) - 1
            g.desc(n + i, addr, length, flags | (0 if last else NEXT), n + i + 1)
        g.avail(n)
        return n + len(chain)

    g = Guest(16)
    n = cmd(g, 0, 0, lun(0), bytes([0x12, 0, 0, 0, 96, 0]), (0x8000, 96, WRITE))
    n = cmd(g, 1, n, lun(0), bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0]), (0x9000, 4096, WRITE))
    n = cmd(g, 2, n, lun(1), bytes([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]), (0x9000, 4096, 0))
    n = cmd(g, 3, n, lun(0), bytes([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]), (0x8100, 256, WRITE))
    n = cmd(g, 4, n, bytes([1, 5, 0x40, 0, 0, 0, 0, 0]), bytes([0, 0, 0, 0, 0, 0]))
    write("corpus", "scsi_queue", "requests", bytes([4 | 0x10, 2]) + bytes(g.mem))
    write("corpus", "scsi_queue", "requests-hang-up", bytes([4 | 0x10 | 0x80, 2]) + bytes(g.mem))

    g = Guest(8)
    struct.pack_into("<II8sQ", g.mem, 0x4000, 0, 0, lun(0), 7)  # TMF abort task
    g.desc(0, 0x4000, 24, NEXT, 1)
    g.desc(1, 0x6000, 1, WRITE)
    g.avail(0)
    struct.pack_into("<I8sI", g.mem, 0x4100, 1, lun(0), 0x10)  # AN query
    g.desc(2, 0x4100, 16, NEXT, 3)
    g.desc(3, 0x6100, 5, WRITE)
    g.avail(2)
    write("corpus", "scsi_queue", "control", bytes([3, 0]) + bytes(g.mem))

    g = Guest(4)
    for h in range(4):
        g.desc(h, 0x5000 + 0x20 * h, 16, WRITE)
        g.avail(h)
    write("corpus", "scsi_queue", "events", bytes([2, 1]) + bytes(g.mem))


# --- parse: parser number, string ------------------------------------------
def parse_seeds():
    seeds = {
        "u64": b"\x0018446744073709551615",
        "u64-overflow": b"\x0018446744073709551616",
        "size": b"\x01512M",
        "size-kib": b"\x014KiB",
        "size-huge": b"\x0117179869184T",
        "bool": b"\x02off",
        "cpus": b"\x030,2-4,7",
        "cpus-reversed": b"\x039-3",
        "kvopts": b"\x04id=d0,path=/var/lib/img,ro,queues=2,size=1G",
        "kvopts-dup": b"\x04a=1,,b,a=2",
    }
    for name, data in seeds.items():
        write("corpus", "parse", name, data)


if __name__ == "__main__":
    parse_seeds()
    scsi_queue_seeds()
    scsi_cmd_seeds()
    blk_queue_seeds()
    vu_msg_seeds()
    virtq_seeds()
    blk_req_seeds()
