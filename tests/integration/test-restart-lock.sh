#!/usr/bin/env bash
# vmiod SIGKILLed under I/O and restarted at once with the same arguments
# takes its image again every time. The image lock of the killed process
# outlives it for a moment (the kernel drops its io_uring's file
# references after the process is gone); a restart that refused the image
# then would turn a crash into an outage.
set -euo pipefail
VMIO=${VMIO:?set by meson}
VMIOD=${VMIOD:?set by meson}
tmp=$(mktemp -d /tmp/vmio-relock.XXXXXX)
pid= load=
cleanup() {
	[ -n "$load" ] && kill "$load" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$tmp/vmiod.log" >&2; exit 1; }

# The exact situation, made deterministic: a "write" lock (QEMU's byte
# 101) held by an open file description that no process has in its fd
# table (it sits in a unix socket's queue, as a dead process's file sits
# in its io_uring for a moment), released 0.8 s later.
# vmiod must wait for it and start, not refuse the image.
: >"$tmp/held.img"
truncate -s 16M "$tmp/held.img"
python3 - "$tmp/held.img" "$tmp/released" "$tmp/locked" <<'PY' &
import fcntl, os, socket, struct, sys, time
F_OFD_SETLK = 37
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, F_OFD_SETLK, struct.pack("=hh4xqqi4x", fcntl.F_RDLCK, 0, 101, 1, 0))
a, b = socket.socketpair()
socket.send_fds(a, [b"x"], [fd])
os.close(fd)          # now only the message in flight holds the file
open(sys.argv[3], "w").close()
time.sleep(0.8)
a.close(); b.close()  # the description, and its lock, go
open(sys.argv[2], "w").close()
PY
holder=$!
for _ in $(seq 200); do [ -e "$tmp/locked" ] && break; sleep 0.025; done
[ -e "$tmp/locked" ] || fail "the lock holder did not start"
t0=$(date +%s%N)
"$VMIOD" --disk "id=h,path=$tmp/held.img,socket=$tmp/h.sock" >"$tmp/vmiod.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
	grep -q "vmiod .* ready" "$tmp/vmiod.log" && break
	kill -0 "$pid" 2>/dev/null || fail "vmiod refused an image whose lock no live process held"
	sleep 0.025
done
grep -q "vmiod .* ready" "$tmp/vmiod.log" || fail "not ready in 5 s"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$holder"
[ -e "$tmp/released" ] || fail "the holder did not run"
[ "$ms" -ge 300 ] || fail "vmiod started in $ms ms, before the lock was released"
kill "$pid"; wait "$pid" || fail "vmiod did not stop cleanly"
pid=
echo "ok: an image locked by a description no process holds: vmiod waited $ms ms for it and started"

args=(--disk "id=d0,path=$tmp/d.img,size=64M,socket=$tmp/d.sock,queues=2" --fixed-files on)
rounds=${1:-12}
for i in $(seq "$rounds"); do
	"$VMIOD" "${args[@]}" >"$tmp/vmiod.log" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		grep -q "vmiod .* ready" "$tmp/vmiod.log" && break
		kill -0 "$pid" 2>/dev/null || fail "restart $i: vmiod exited at start"
		sleep 0.025
	done
	grep -q "vmiod .* ready" "$tmp/vmiod.log" || fail "restart $i: not ready in 5 s"
	"$VMIO" bench run --target "socket:$tmp/d.sock" --rw randwrite --bs 4K --iodepth 32 \
		--queues 2 --runtime 5 >/dev/null 2>&1 &
	load=$!
	sleep 0.$((2 + RANDOM % 6))
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	kill "$load" 2>/dev/null || true
	wait "$load" 2>/dev/null || true
	load=
done
echo "ok: $rounds SIGKILLs under QD32 writes, each restarted at once, each took its image"
