#!/usr/bin/env bash
# e2e: vmiod killed at random moments across a whole guest run loses
# nothing and stalls nothing.
#
# A guest (QEMU reconnects after 1 s) runs restart-random.sh: a paced
# phase of mixed sizes, then a queue-depth-32 burst, each verifying what it
# wrote. The same workload runs twice: once untouched, for its time, then
# with vmiod SIGKILLed at random intervals of 0.2-3 s from the start of
# the workload to its end, at least --kills times, and restarted at once
# with the same arguments. Some kills land while QEMU negotiates with the
# fresh vmiod (right after its first message), some while an RPC is in
# flight (a QoS change or a disk resize).
#
# (Kills during QEMU's very first exchange with a fresh back-end,
# vhost_dev_init, are left out: QEMU 7.2 then drops its reconnect handler
# and never reconnects, with any back-end. See docs/architecture.md.)
#
# Passes when both runs verify with no guest I/O error, the image holds
# what the guest reads, and the killed run takes at most 10% more than the
# untouched one plus 1.5 s per kill (a request lost or never signalled
# would stall the guest much longer: Linux never times out a virtio-blk
# request).
#
# Usage: test-restart-random.sh [--kills N] [--seed S] [--packed on]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# Each kill also costs its restart (the dead process's io_uring may hold
# the image's lock for a moment), so a loaded machine fits fewer kills in
# the same workload: 28-38 here when quiet, 15 beside a build.
kills_min=12 seed=$((RANDOM * 32768 + RANDOM)) packed=off
while [ $# -gt 0 ]; do
	case $1 in
	--kills) kills_min=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--packed) packed=$2; shift 2 ;;
	*) e2e_die "usage: $0 [--kills N] [--seed S] [--packed on]" ;;
	esac
done
RANDOM=$seed
e2e_log "seed $seed (rerun with --seed $seed)"

PACED_MB=24 PACED_RATE=200 BURST_MB=32 BURST_LOOPS=8
e2e_setup_scratch
img=$E2E_TMP/disk.img
sock=$E2E_TMP/sock
rpc=$E2E_TMP/rpc.sock
truncate -s 96M "$img"
[ -n "${VMIOD:-}" ] || VMIOD=${VMIO_BUILD:-$here/../../build}/vmiod
[ -n "${VMIO:-}" ] || VMIO=${VMIO_BUILD:-$here/../../build}/vmio
args=(-v --rpc "$rpc" --qos --disk "id=d0,path=$img,socket=$sock,queues=2")
n_started=0

# Starts vmiod and waits until it serves (a killed one leaves its socket
# file behind, so the file says nothing).
start_vmiod()
{
	local log=$E2E_TMP/vmiod.$n_started.log i

	"$VMIOD" "${args[@]}" >"$log" 2>&1 &
	E2E_TARGET_PID=$!
	n_started=$((n_started + 1))
	for ((i = 0; i < 100; i++)); do
		# -s: the child opens the log; it may not have yet.
		grep -qs "vmiod .* ready" "$log" && return 0
		kill -0 "$E2E_TARGET_PID" 2>/dev/null || { cat "$log"; e2e_die "vmiod exited at start"; }
		sleep 0.05
	done
	e2e_die "vmiod did not get ready within 5 s (log: $log)"
}

kill_vmiod()
{
	kill -KILL "$E2E_TARGET_PID" 2>/dev/null || true
	wait "$E2E_TARGET_PID" 2>/dev/null || true
}

# Messages of QEMU's device start on a fresh vmiod, in order.
start_msgs=(SET_INFLIGHT_FD SET_VRING_CALL SET_MEM_TABLE SET_VRING_ADDR SET_VRING_KICK)

# A random delay of 0.2-3 s.
random_interval()
{
	local ms=$((200 + RANDOM % 2801))

	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# run NAME KILL: boots the guest; with KILL=1 kills vmiod until the guest
# finishes. Sets kills and the result file $E2E_TMP/NAME.result.
run()
{
	local name=$1 do_kill=$2 guest kind log
	kills=0 negotiation_kills=0 rpc_kills=0

	start_vmiod
	"$here/boot-guest.sh" --socket "$sock" --queues 2 --reconnect 1 --timeout 400 \
		--packed "$packed" --workload "$here/workloads/restart-random.sh" \
		--log "$E2E_TMP/$name.console" --env PACED_MB=$PACED_MB \
		--env PACED_RATE=$PACED_RATE --env BURST_MB=$BURST_MB \
		--env BURST_LOOPS=$BURST_LOOPS >"$E2E_TMP/$name.result" 2>&1 &
	guest=$!
	e2e_wait_console "$E2E_TMP/$name.console" "E2E-FIO-START" 120 "$guest"
	while [ "$do_kill" = 1 ] && kill -0 "$guest" 2>/dev/null &&
		! grep -q E2E-FIO-DONE "$E2E_TMP/$name.console"; do
		sleep "$(random_interval)"
		kill -0 "$guest" 2>/dev/null || break
		kind=$((kills % 5))
		if [ "$kind" = 3 ]; then
			# An RPC in flight: a QoS change or a resize.
			if [ $((rpc_kills % 2)) = 0 ]; then
				VMIO_RPC=$rpc "$VMIO" qos set d0 "iops=$((50000 + RANDOM))" >/dev/null 2>&1 &
			else
				VMIO_RPC=$rpc "$VMIO" disk resize d0 "$((96 + rpc_kills))M" >/dev/null 2>&1 &
			fi
			sleep 0.0$((RANDOM % 10))
			rpc_kills=$((rpc_kills + 1))
		fi
		kill_vmiod
		kills=$((kills + 1))
		start_vmiod
		if [ "$kind" = 1 ]; then
			# Kill the new vmiod while QEMU starts the device on it:
			# at a different message each time. Not earlier: QEMU 7.2
			# never reconnects when the back-end dies during its
			# first exchange (vhost_dev_init), whoever the back-end.
			log=$E2E_TMP/vmiod.$((n_started - 1)).log
			msg=${start_msgs[$((negotiation_kills % ${#start_msgs[@]}))]}
			for ((i = 0; i < 300; i++)); do
				grep -qs "$msg" "$log" && break
				sleep 0.01
			done
			kill_vmiod
			kills=$((kills + 1))
			negotiation_kills=$((negotiation_kills + 1))
			start_vmiod
		fi
	done
	wait "$guest" || { cat "$E2E_TMP/$name.result"; e2e_die "$name: the guest run failed"; }
	kill -TERM "$E2E_TARGET_PID"
	wait "$E2E_TARGET_PID" || true
}

check_run()
{
	local name=$1 r=$E2E_TMP/$1.result phase

	for phase in paced burst; do
		e2e_expect "$name: fio $phase status" 0 "$(e2e_result "$r" ${phase}_rc)"
	done
	e2e_expect "$name: guest I/O errors" 0 "$(e2e_result "$r" guest_io_errors)"
	e2e_expect "$name: sha256 of the region (guest vs image)" \
		"$(e2e_result "$r" region_sha256)" "$(e2e_sha256 "$img" $((PACED_MB + BURST_MB)))"
}

phase_cs()
{
	echo $(($(e2e_result "$1" paced_cs) + $(e2e_result "$1" burst_cs)))
}

run untouched 0
check_run untouched
base_cs=$(phase_cs "$E2E_TMP/untouched.result")
e2e_log "untouched: paced $(e2e_result "$E2E_TMP/untouched.result" paced_cs)0 ms, burst $(e2e_result "$E2E_TMP/untouched.result" burst_cs)0 ms"

run killed 1
check_run killed
killed_cs=$(phase_cs "$E2E_TMP/killed.result")
[ "$kills" -ge "$kills_min" ] ||
	e2e_die "only $kills kills fit in the run (want $kills_min); make the workload longer"
resubmitted=$(cat "$E2E_TMP"/vmiod.*.log | sed -n 's/.*resubmitting \([0-9]*\) request.*/\1/p' | paste -sd+ | bc 2>/dev/null || echo 0)
limit_cs=$((base_cs * 110 / 100 + kills * 150))
summary="$kills kills ($negotiation_kills during negotiation, $rpc_kills with an RPC in flight), ${resubmitted:-0} requests resubmitted; workload ${killed_cs}0 ms against ${base_cs}0 ms untouched (limit ${limit_cs}0 ms); max completion latency paced $(e2e_result "$E2E_TMP/killed.result" paced_max_clat), burst $(e2e_result "$E2E_TMP/killed.result" burst_max_clat)"
[ "$killed_cs" -le "$limit_cs" ] || e2e_die "the killed run stalled: $summary"
grep -h "marked broken\|does not add up" "$E2E_TMP"/vmiod.*.log && e2e_die "a ring or its inflight region broke"
echo "restart-random ($([ "$packed" = on ] && echo packed || echo split) rings, seed $seed): $summary"
