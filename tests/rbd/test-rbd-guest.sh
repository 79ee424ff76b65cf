#!/usr/bin/env bash
# rbd: a Linux guest (QEMU, TCG) on a vmiod disk whose image lives in the
# test's own Ceph cluster.
#   verify   fio random writes of mixed sizes with crc32c verify on two
#            queues; then the image, read back with `rbd export`, must hold
#            what the guest read (its checksum of fio's region) and the
#            patterns it wrote, one in the last MiB.
#   restart  fio with crc32c verify while vmiod is SIGKILLed twice and
#            restarted: QEMU reconnects, vmiod resubmits what was in
#            flight to RBD from the inflight region, fio verifies, and the
#            image holds what the guest reads. Completions are held 20 ms
#            (delay-us) so requests are in flight at each kill.
# Usage: test-rbd-guest.sh verify|restart
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../e2e/lib.sh"
mode=${1:-verify}
case $mode in verify | restart) ;; *) rbd_fail "mode must be verify or restart" ;; esac
e2e_need qemu-system-x86_64 qemu-system-x86
rbd_cluster_start
E2E_TMP=$RBD_DIR
S=$RBD_DIR
sock=$S/d0.sock
DISK_MB=128
rbd_image vm1 ${DISK_MB}M

start() {
	rm -f "$sock"
	start_vmiod "vmiod.$1" "$sock" -v --disk \
		"id=d0,backend=rbd,pool=rbd,image=vm1,conf=$CEPH_CONF,socket=$sock,queues=2$2"
	E2E_TARGET_PID=$VMIOD_PID
}

if [ "$mode" = verify ]; then
	FIO_MB=24
	PAT_OFF_A=$((100 * 1048576 + 4096))
	PAT_OFF_B=$(((DISK_MB - 1) * 1048576))
	start 0 ""
	"$E2E_DIR/boot-guest.sh" --socket "$sock" --queues 2 --timeout 200 \
		--workload "$E2E_DIR/workloads/fio-verify.sh" --log "$S/console.log" \
		--env FIO_MB=$FIO_MB --env PAT_OFF_A=$PAT_OFF_A \
		--env PAT_OFF_B=$PAT_OFF_B >"$S/result" || {
		cat "$S/result"
		rbd_fail "the guest run failed"
	}
	region_mb=$((2 * FIO_MB))
else
	FIO_MB=32
	start 0 ",delay-us=20000"
	"$E2E_DIR/boot-guest.sh" --socket "$sock" --queues 2 --reconnect 1 --timeout 240 \
		--workload "$E2E_DIR/workloads/restart-fio.sh" --log "$S/console.log" \
		--env FIO_MB=$FIO_MB --env LOOPS=6 >"$S/result" 2>&1 &
	guest=$!
	RBD_PIDS+=("$guest")
	e2e_wait_console "$S/console.log" "E2E-FIO-START" 150 "$guest"
	for n in 1 2; do
		sleep 3
		kill -0 "$guest" 2>/dev/null || rbd_fail "the guest finished before kill $n; make the workload longer"
		kill -KILL "$VMIOD_PID"
		wait "$VMIOD_PID" 2>/dev/null || true
		rbd_log "vmiod SIGKILLed ($n)"
		start "$n" ",delay-us=20000"
	done
	wait "$guest" || { cat "$S/result"; rbd_fail "the guest run failed"; }
	region_mb=$FIO_MB
fi
cat "$S/result"
stop_vmiod
r=$S/result
e2e_expect "guest fio status" 0 "$(e2e_result "$r" fio_rc)"
rbdc export rbd/vm1 "$S/vm1.raw" >/dev/null 2>&1
zeros=$(head -c $((region_mb * 1048576)) /dev/zero | sha256sum | cut -d' ' -f1)
host_sum=$(e2e_sha256 "$S/vm1.raw" "$region_mb")
[ "$host_sum" != "$zeros" ] || rbd_fail "fio's region of the image is all zeros"
e2e_expect "sha256 of fio's region (guest vs rbd export)" "$(e2e_result "$r" region_sha256)" "$host_sum"
if [ "$mode" = verify ]; then
	yes vmio-e2e-pattern | head -c 1048576 >"$S/pattern" || true
	for off in $PAT_OFF_A $PAT_OFF_B; do
		cmp -s "$S/pattern" <(tail -c +$((off + 1)) "$S/vm1.raw" | head -c 1048576) ||
			rbd_fail "the pattern the guest wrote at offset $off is not in the image"
	done
	rbd_log "ok: the guest's patterns are in the image, one in its last MiB"
	echo "rbd-guest verify: write $(e2e_result "$r" write_iops) IOPS, verify-read $(e2e_result "$r" verify_iops) IOPS (TCG guest)"
else
	resubmitted=$(grep -h "resubmitting" "$S"/vmiod.[12].log | sed -n 's/.*resubmitting \([0-9]*\).*/\1/p' | paste -sd+ | bc 2>/dev/null || echo 0)
	[ "${resubmitted:-0}" -gt 0 ] || rbd_fail "no request was in flight at either kill: resubmission untested"
	echo "rbd-guest restart: fio verified across 2 SIGKILLs, ${resubmitted} requests resubmitted to RBD"
fi
