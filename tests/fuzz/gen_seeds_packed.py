#!/usr/bin/env python3
# Seeds for fuzz_virtq_packed (input format at the top of that file):
# well-formed packed rings and a few hostile ones, written to
# corpus/virtq_packed. Run from anywhere; rewrites the files.
import os
import struct

AVAIL, USED = 1 << 7, 1 << 15
NEXT, WRITE, INDIRECT = 1, 2, 4
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "virtq_packed")


class Guest:
    def __init__(self, size, flags=0, opts=0, base=0x80008000):
        self.size, self.flags, self.opts, self.base = size, flags, opts, base
        self.mem = bytearray(0x10000)
        self.pos, self.wrap = base & 0x7fff, bool(base & 0x8000)

    def desc(self, off, addr, length, id_, flags):
        struct.pack_into("<QIHH", self.mem, off, addr, length, id_, flags)

    def chain(self, id_, bufs):
        """bufs: (addr, len, flags); marked available with our wrap."""
        for i, (addr, length, f) in enumerate(bufs):
            f |= (AVAIL if self.wrap else USED) | (NEXT if i + 1 < len(bufs) else 0)
            self.desc(self.pos * 16, addr, length, id_, f)
            self.pos += 1
            if self.pos == self.size:
                self.pos, self.wrap = 0, not self.wrap

    def blob(self):
        head = struct.pack("<BBI", (self.size - 1) | self.flags, self.opts, self.base)
        return (head + bytes(self.mem)).rstrip(b"\0")


def write(name, g):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name), "wb") as f:
        f.write(g.blob())


g = Guest(16, flags=0x80)
g.chain(5, [(0x2000, 16, 0), (0x3000, 4096, WRITE), (0x4000, 1, WRITE)])
g.chain(2, [(0x5000, 16, 0), (0x5100, 1, WRITE)])
struct.pack_into("<HH", g.mem, 0x1000, 1, 2)  # driver event: DESC at 1
write("chains", g)

g = Guest(16, flags=0x40)
g.chain(3, [(0x3000, 3 * 16, INDIRECT)])
g.desc(0x3000, 0x6000, 16, 0, 0)
g.desc(0x3010, 0x7000, 512, 0, WRITE)
g.desc(0x3020, 0x8000, 1, 0, WRITE)
write("indirect", g)

g = Guest(5, flags=0x80, base=0x80038003)  # odd size, a chain over the wrap
g.chain(1, [(0x2000, 16, 0), (0x2100, 8, WRITE), (0x2200, 1, WRITE)])
g.chain(4, [(0x2300, 16, 0)])
write("odd-size-wrap", g)

g = Guest(8, opts=0x80 | 2)  # held, completed out of order
for i in range(8):
    g.chain(7 - i, [(0x2000 + 0x100 * i, 16, 0), (0x2080 + 0x100 * i, 1, WRITE)] if i % 2 else [(0x2000 + 0x100 * i, 16, 0)])
write("out-of-order", g)

g = Guest(4)
g.chain(9, [(0x2000, 16, 0)])  # id past the ring
write("id-past-ring", g)

g = Guest(8)
g.chain(1, [(0x2000, 16, 0)])
g.chain(1, [(0x2000, 16, 0)])  # in flight twice (held)
g.opts = 0x80
write("id-twice", g)

g = Guest(8, opts=0x40)
g.chain(0, [(0xfff0, 0x20, 0), (0xffff_ffff_ffff_eff0, 0x20, WRITE)] + [(0x2000, 1, WRITE)] * 3)
write("straddle-and-e2big", g)

# Inflight tracking (byte 0x7fff bit 0; region from 0x8000 in
# vhost-user.rst's packed layout).
g = Guest(16, flags=0x80)
g.chain(5, [(0x2000, 16, 0), (0x3000, 4096, WRITE), (0x4000, 1, WRITE)])
g.chain(2, [(0x5000, 16, 0), (0x5100, 1, WRITE)])
g.mem[0x7fff] = 1  # a fresh (zeroed) region
write("inflight-fresh", g)


def region(mem, size, free_head, used_idx, used_wrap, entries):
    """entries: {index: (inflight, next, last, num, counter, id, flags, len, addr)}"""
    struct.pack_into("<QHHHHHHBB", mem, 0x8000, 0, 1, size, free_head, free_head,
                     used_idx, used_idx, used_wrap, used_wrap)
    for j in range(size):
        e = entries.get(j, (0, j + 1, 0, 0, 0, 0, 0, 0, 0))
        struct.pack_into("<BBHHHQHHIQ", mem, 0x8020 + 32 * j, e[0], 0, *e[1:])


# A back-end died with id 5 (3 descriptors) in flight after id 2
# completed into slot 0, over id 5's first descriptor.
g = Guest(16)
g.chain(5, [(0x2000, 16, 0), (0x3000, 4096, WRITE), (0x4000, 1, WRITE)])
g.chain(2, [(0x5000, 16, 0)])
g.desc(0, 0, 0, 2, AVAIL | USED)  # the used element for id 2
g.mem[0x7fff] = 1
region(g.mem, 16, free_head=3, used_idx=1, used_wrap=1, entries={
    0: (1, 1, 2, 3, 1, 5, AVAIL | NEXT, 16, 0x2000),
    1: (0, 2, 0, 0, 0, 5, AVAIL | NEXT | WRITE, 4096, 0x3000),
    2: (0, 4, 0, 0, 0, 5, AVAIL | WRITE, 1, 0x4000),
    3: (0, 4, 3, 1, 2, 2, AVAIL, 16, 0x5000),
})
write("inflight-recover", g)
