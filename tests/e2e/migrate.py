#!/usr/bin/env python3
"""Drives a live migration between two QEMUs over their QMP sockets.

  migrate.py SRC_QMP DST_QMP [--cancel|--cancel-stopped] [--compare DIR MEM_BYTES]

The destination was started with -incoming defer: it is told to listen on
127.0.0.1 (a port the kernel picks), the source migrates to it, and the
script waits for the end and prints one JSON line: status, total-time and
downtime (ms), RAM transferred. The source QEMU is told to quit after a
completed migration. With --cancel the migration is cancelled once it is
active: the guest goes on on the source, which must say "cancelled".
With --cancel-stopped it is cancelled at the last moment instead: the
source pauses before the switch-over (its guest stopped, its back-ends
told to stop and hand the disk over) and is cancelled there, so the
guest resumes on the source after its back-end released the image.

With --compare the destination was started paused (-S): once the
migration completed, both sides' guest memory is saved to DIR and
compared page by page before the destination runs. Every page must be
equal: a page a back-end wrote without logging it differs (QEMU sent it
before the write and never again). The count is in the JSON line.
"""
import mmap
import os
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("migrate.py: no QMP socket at %s" % path)
                time.sleep(0.1)
        self.file = self.sock.makefile("rw")
        self.read()  # the greeting
        self.cmd("qmp_capabilities")

    def read(self):
        while True:
            line = self.file.readline()
            if not line:
                sys.exit("migrate.py: QEMU closed its QMP socket")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        reply = self.read()
        if "error" in reply:
            sys.exit("migrate.py: %s failed: %s" % (name, reply["error"]["desc"]))
        return reply["return"]


def differing_pages(a, b, size):
    """Guest-physical addresses of the 4 KiB pages that differ between
    files a and b."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        ma = mmap.mmap(fa.fileno(), size, access=mmap.ACCESS_READ)
        mb = mmap.mmap(fb.fileno(), size, access=mmap.ACCESS_READ)
        return [off for off in range(0, size, 4096)
                if ma[off:off + 4096] != mb[off:off + 4096]]


def differing_bytes(a, b, page):
    """The first bytes that differ in one page: offset, source, destination."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        fa.seek(page)
        fb.seek(page)
        pa, pb = fa.read(4096), fb.read(4096)
    diff = [i for i in range(4096) if pa[i] != pb[i]]
    return {"count": len(diff),
            "first": ["+0x%x: %02x/%02x" % (i, pa[i], pb[i]) for i in diff[:24]]}


def main():
    src, dst = Qmp(sys.argv[1]), Qmp(sys.argv[2])
    cancel_stopped = "--cancel-stopped" in sys.argv[3:]
    cancel = "--cancel" in sys.argv[3:] or cancel_stopped
    compare = None
    if "--compare" in sys.argv[3:]:
        i = sys.argv.index("--compare")
        compare = (sys.argv[i + 1], int(sys.argv[i + 2]))
    for q in (src, dst):
        # Fast enough that a TCG guest converges; downtime as QEMU's default.
        q.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 30,
                                           "downtime-limit": 300})
    if cancel_stopped:
        src.cmd("migrate-set-capabilities", capabilities=[
            {"capability": "pause-before-switchover", "state": True}])
    dst.cmd("migrate-incoming", uri="tcp:127.0.0.1:0")
    addr = dst.cmd("query-migrate")["socket-address"][0]
    src.cmd("migrate", uri="tcp:%s:%s" % (addr["host"], addr["port"]))
    deadline = time.time() + 120
    cancelled = False
    while True:
        info = src.cmd("query-migrate")
        status = info.get("status")
        cancel_now = "pre-switchover" if cancel_stopped else "active"
        if cancel and not cancelled and status == cancel_now:
            src.cmd("migrate_cancel")
            cancelled = True
        if status in ("completed", "failed", "cancelled"):
            break
        if time.time() > deadline:
            sys.exit("migrate.py: still %s after 120 s" % status)
        time.sleep(0.05)
    out = {"status": status,
           "total_ms": info.get("total-time"),
           "downtime_ms": info.get("downtime"),
           "ram_mib": info.get("ram", {}).get("transferred", 0) >> 20}
    if status == "completed" and compare:
        d, size = compare
        paths = [os.path.join(d, n) for n in ("src.mem", "dst.mem")]
        for q, path in zip((src, dst), paths):
            q.cmd("pmemsave", val=0, size=size, filename=path)
        pages = differing_pages(paths[0], paths[1], size)
        out["differing_pages"] = len(pages)
        if pages:
            # Where they are and what differs, to tell rings (16-byte
            # descriptors, flags) from data buffers.
            out["differing_gpas"] = ["0x%x" % p for p in pages[:16]]
            out["first_page_bytes"] = differing_bytes(paths[0], paths[1],
                                                      pages[0])
        # E2E_KEEP keeps the two dumps of a failed comparison, to study.
        if not (pages and os.environ.get("E2E_KEEP")):
            for path in paths:
                os.unlink(path)
        dst.cmd("cont")
    print(json.dumps(out), flush=True)
    if status == "completed":
        src.cmd("quit")
    elif cancel:
        # The destination usually gives up on its own once the stream
        # breaks; make sure it does.
        try:
            dst.cmd("quit")
        except (OSError, SystemExit):
            pass
    return 0 if status == ("cancelled" if cancel else "completed") else 1


if __name__ == "__main__":
    sys.exit(main())
