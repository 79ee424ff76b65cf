#!/usr/bin/env bash
# e2e: vmiod dies under a guest's I/O and comes back; the guest loses
# nothing. A guest runs fio random writes (mixed sizes, queue depth 32,
# crc32c verify); vmiod is stopped twice mid-run — SIGKILL (mode kill) or
# SIGTERM (mode term) — and restarted with the same arguments; QEMU
# reconnects. fio must finish and verify with no I/O error, the image must
# hold exactly what the guest reads, and each restarted vmiod must be
# serving again within a second of starting. Completions are held 20 ms
# (delay-us) so that requests are in flight at each kill: a restart then
# has to resubmit them from the inflight region. With `packed`, the guest's
# device uses packed virtqueues, whose region also holds copies of the
# descriptors in flight (used entries overwrite them in the ring).
# Usage: test-restart.sh [kill|term] [packed]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mode=${1:-kill}
case $mode in kill) sig=KILL ;; term) sig=TERM ;; *) e2e_die "mode must be kill or term" ;; esac
ring=${2:-split}
case $ring in split) packed=off ;; packed) packed=on ;; *) e2e_die "ring must be split or packed" ;; esac

FIO_MB=32
LOOPS=6
e2e_setup_scratch
img=$E2E_TMP/disk.img
sock=$E2E_TMP/sock
truncate -s 64M "$img"
[ -n "${VMIOD:-}" ] || VMIOD=${VMIO_BUILD:-$here/../../build}/vmiod
args=(-v --disk "id=d0,path=$img,socket=$sock,queues=2,delay-us=20000")

start_vmiod()
{
	"$VMIOD" "${args[@]}" >"$E2E_TMP/vmiod.$1.log" 2>&1 &
	E2E_TARGET_PID=$!
	e2e_wait_socket "$sock" 10
}

start_vmiod 0
"$here/boot-guest.sh" --socket "$sock" --queues 2 --reconnect 1 --timeout 240 \
	--packed $packed \
	--workload "$here/workloads/restart-fio.sh" --log "$E2E_TMP/console.log" \
	--env FIO_MB=$FIO_MB --env LOOPS=$LOOPS >"$E2E_TMP/result" 2>&1 &
guest=$!
e2e_wait_console "$E2E_TMP/console.log" "E2E-FIO-START" 120 "$guest"
for n in 1 2; do
	sleep 3
	kill -0 "$guest" 2>/dev/null || e2e_die "the guest finished before restart $n; make the workload longer"
	kill -$sig "$E2E_TARGET_PID"
	wait "$E2E_TARGET_PID" 2>/dev/null || true
	e2e_log "vmiod stopped with SIG$sig (restart $n)"
	start_vmiod "$n"
done
rc=0
wait "$guest" || rc=$?
cat "$E2E_TMP/result"
e2e_target_stop || true
[ "$rc" = 0 ] || e2e_die "the guest run failed (exit $rc)"

r=$E2E_TMP/result
e2e_expect "guest fio status" 0 "$(e2e_result "$r" fio_rc)"
e2e_expect "sha256 of fio's region (guest vs image)" \
	"$(e2e_result "$r" region_sha256)" "$(e2e_sha256 "$img" $FIO_MB)"
# Each restarted vmiod served again within a second of starting.
for n in 1 2; do
	l=$E2E_TMP/vmiod.$n.log
	t0=$(sed -n '1s/^\([0-9:.]*\) .*/\1/p' "$l")
	t1=$(sed -n 's/^\([0-9:.]*\) .*queue 0 started.*/\1/p' "$l" | head -1)
	[ -n "$t1" ] || { cat "$l"; e2e_die "restart $n: vmiod never started a queue"; }
	ms=$(python3 -c "
import sys
def s(t):
    h, m, x = t.split(':'); return (int(h) * 60 + int(m)) * 60 + float(x)
print(int((s('$t1') - s('$t0')) * 1000))")
	e2e_log "restart $n: serving again $ms ms after vmiod started"
	[ "$ms" -le 1500 ] || e2e_die "restart $n: the guest's I/O resumed only after $ms ms"
done
resubmitted=$(grep -h "resubmitting" "$E2E_TMP"/vmiod.[12].log | sed -n 's/.*resubmitting \([0-9]*\).*/\1/p' | paste -sd+ | bc 2>/dev/null || echo 0)
e2e_log "requests resubmitted after restarts: ${resubmitted:-0}"
if [ "$mode" = kill ]; then
	[ "${resubmitted:-0}" -gt 0 ] || e2e_die "no request was in flight at either kill: the test did not exercise resubmission"
fi
if [ "$ring" = packed ]; then
	grep -q "the front-end chose packed virtqueues" "$E2E_TMP"/vmiod.0.log ||
		e2e_die "the guest did not use packed virtqueues"
	! grep -q "marked broken\|does not add up" "$E2E_TMP"/vmiod.*.log ||
		e2e_die "a packed ring or its region broke: $(grep -h 'marked broken\|does not add up' "$E2E_TMP"/vmiod.*.log | head -1)"
fi
echo "restart-$mode ($ring rings): fio verified across 2 restarts, ${resubmitted:-0} requests resubmitted, max clat $(e2e_result "$r" max_clat_msec)"
