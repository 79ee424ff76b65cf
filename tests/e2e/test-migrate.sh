#!/usr/bin/env bash
# e2e: live migration of a running guest whose disk vmiod serves. Two
# vmiods serve one image (the destination's with incoming=on), two QEMUs
# on this machine (the destination started with -incoming defer); the
# guest runs fio randrw with crc32c verify and a verifying reader while it
# moves (workloads/migrate.sh), and finishes on the destination. Checked:
# no I/O error, verify passes, no stale read, the image holds what the
# guest read at the end, and each vmiod logged the hand-over.
# Modes:
#   split   split rings, 2 queues, the source's disk under a QoS IOPS cap
#           (requests parked in the scheduler drain at the switch-over)
#   packed  packed rings, 2 queues
#   scsi    a virtio-scsi target (vhost-user-scsi-pci) with one LUN
#   rbd     the image in a Ceph RBD pool of the test's own one-node
#           cluster (skipped, status 77, without Ceph)
#   cancel  the migration is cancelled while active: the guest finishes
#           on the source, whose vmiod turns logging off again
#   cancel-stopped
#           cancelled at the last moment, with the source's guest stopped
#           and its vmiod's image released: the source takes it back and
#           the guest finishes there
# With --target qsd the two targets are qemu-storage-daemons instead
# (split and cancel only; the image shared without locks, since qsd has
# no hand-over): the peer's downtime, and a check of the check itself.
# E2E_MIGRATE_SMP sets the guest's vCPUs (2 by default).
# Usage: test-migrate.sh [--target vmiod|qsd] [split|packed|scsi|rbd|cancel|cancel-stopped]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"
mode=${E2E_ARGS[0]:-split}

DISK_MB=96
FIO_MB=16
PAT_MB=64
# Long enough for the migration to finish before the guest does, on a
# loaded machine too (it took up to 10 s here with the suite beside it).
FIO_SECS=${E2E_MIGRATE_FIO_SECS:-25}

e2e_setup_scratch
img=$E2E_TMP/disk.img
truncate -s "${DISK_MB}M" "$img"
target=${E2E_TARGET:-vmiod}
if [ "$target" = qsd ]; then
	e2e_need qemu-storage-daemon qemu-utils
	case $mode in
	split | cancel) ;;
	*) e2e_die "qemu-storage-daemon serves split and cancel only (no packed rings, no scsi export, no hand-over)" ;;
	esac
else
	[ -n "${VMIOD:-}" ] || VMIOD=${VMIO_BUILD:-$here/../../build}/vmiod
	[ -x "$VMIOD" ] || e2e_die "no vmiod at $VMIOD; build it (ninja -C build) or export VMIOD=path/to/vmiod"
fi

src_opts=() qos="" kind=--disk dev_args=() cancelled=""
packed=(--packed off)
case $mode in
split) [ "$target" = qsd ] || src_opts=(--qos) qos=",iops=1000" ;;
packed) packed=(--packed on --env EXPECT_PACKED=1) ;;
scsi) kind=--scsi dev_args=(--scsi --env DEV=/dev/sda) ;;
rbd) ;;
cancel | cancel-stopped) cancelled=1 FIO_SECS=${E2E_MIGRATE_FIO_SECS:-8} ;;
*) e2e_die "unknown mode '$mode' (split, packed, scsi, rbd, cancel or cancel-stopped)" ;;
esac
# One image, two vmiods: SIDE is src or dst.
dev_opts()
{
	local side=$1 img_key=path
	[ "$kind" = --disk ] || img_key=lun0
	if [ "$mode" = rbd ]; then
		echo "id=d0,backend=rbd,pool=rbd,image=vm1,conf=$CEPH_CONF,socket=$E2E_TMP/$side.sock,queues=2"
		return
	fi
	echo "id=d0,$img_key=$img,socket=$E2E_TMP/$side.sock,queues=2"
}

# The sha256 of fio's region of the image (exported from the cluster for
# rbd).
image_sha256()
{
	if [ "$mode" = rbd ]; then
		rbdc export rbd/vm1 "$E2E_TMP/exported.img" >/dev/null 2>&1 ||
			e2e_die "rbd export failed"
		e2e_sha256 "$E2E_TMP/exported.img" $((2 * FIO_MB))
	else
		e2e_sha256 "$img" $((2 * FIO_MB))
	fi
}

pids=()
stop_all()
{
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap 'stop_all; e2e_cleanup' EXIT
if [ "$mode" = rbd ]; then
	. "$here/../rbd/lib.sh"
	rbd_cluster_start
	trap 'stop_all; rbd_cleanup; e2e_cleanup' EXIT
	rbd_image vm1 ${DISK_MB}M
fi

# SIDE's target in the background, its log in SIDE-vmiod.log.
start_target()
{
	local side=$1
	shift
	if [ "$target" = qsd ]; then
		e2e_start_qsd "$img" "$E2E_TMP/$side.sock" 2 off 512 off
		ln -s "$side.sock.log" "$E2E_TMP/$side-vmiod.log"
		# Stopped with the others (stop_all), not by e2e_cleanup.
		E2E_TARGET_PID=
	else
		# -v: the vhost-user messages and where the rings are, for a
		# failure.
		"$VMIOD" -v "$@" >"$E2E_TMP/$side-vmiod.log" 2>&1 &
	fi
}
start_target src "${src_opts[@]}" $kind "$(dev_opts src)$qos"
src_vmiod=$!
pids+=("$src_vmiod")
start_target dst $kind "$(dev_opts dst),incoming=on"
dst_vmiod=$!
pids+=("$dst_vmiod")
for s in src dst; do
	for _ in $(seq 100); do [ -S "$E2E_TMP/$s.sock" ] && break; sleep 0.1; done
	[ -S "$E2E_TMP/$s.sock" ] || { cat "$E2E_TMP/$s-vmiod.log" >&2; e2e_die "the $s vmiod did not start"; }
done

# Guest RAM: 512 MiB and 8 KiB. QEMU before 9.0 (commit 03bfc2188f) loses
# guest CPU stores under TCG: its dirty-bitmap sync for RAM sized in whole
# 256 KiB words clears the bits without making the vCPUs' TLB entries
# catch the next store, so a page the guest writes soon after a sync may
# never be sent again. Those pages would differ too, and the comparison
# below is meant for vmiod's writes. With a size that is not a whole
# number of words QEMU takes its page-by-page path, which re-arms the TLB
# entries (docs/migration.md).
MEM_KIB=$((512 * 1024 + 8))
# Two vCPUs: the guest's drivers use as many queues as it has CPUs.
smp=${E2E_MIGRATE_SMP:-2}
guest=(--smp "$smp" --mem "${MEM_KIB}K" --queues 2 "${packed[@]}"
	"${dev_args[@]}" --workload "$here/workloads/migrate.sh"
	--env FIO_MB=$FIO_MB --env FIO_SECS="$FIO_SECS" --env PAT_MB=$PAT_MB)
"$here/boot-guest.sh" --socket "$E2E_TMP/src.sock" "${guest[@]}" --timeout 200 \
	--qmp "$E2E_TMP/src.qmp" --log "$E2E_TMP/src.console" >"$E2E_TMP/src.result" 2>&1 &
src_qemu=$!
pids+=("$src_qemu")
"$here/boot-guest.sh" --socket "$E2E_TMP/dst.sock" "${guest[@]}" --timeout 260 \
	--qmp "$E2E_TMP/dst.qmp" --incoming defer --paused --log "$E2E_TMP/dst.console" \
	>"$E2E_TMP/dst.result" 2>&1 &
dst_qemu=$!
pids+=("$dst_qemu")

e2e_wait_console "$E2E_TMP/src.console" E2E-MIGRATE-NOW 150 "$src_qemu"
# A completed migration leaves both sides' memory equal page for page
# (compared while the destination is still paused).
how=(--compare "$E2E_TMP" $((MEM_KIB << 10)))
[ -z "$cancelled" ] || how=(--$mode)
if ! mig=$(python3 "$here/migrate.py" "$E2E_TMP/src.qmp" "$E2E_TMP/dst.qmp" "${how[@]}"); then
	echo "$mig" >&2
	tail -n 20 "$E2E_TMP/src.console" "$E2E_TMP/src-vmiod.log" "$E2E_TMP/dst-vmiod.log" >&2
	e2e_die "the migration did not end as it should"
fi
e2e_log "migration: $mig"
if [ -z "$cancelled" ]; then
	diff_pages=$(echo "$mig" | sed -n 's/.*"differing_pages": \([0-9]*\).*/\1/p')
	if [ "$diff_pages" != 0 ]; then
		# Where the source's rings were, and what its vmiod did last.
		grep -h "starts\|dirty\|stopped" "$E2E_TMP/src-vmiod.log" | tail -n 12 >&2
		tail -n 25 "$E2E_TMP/src-vmiod.log" >&2
		# Where the guest's kernel lies, to place the pages above.
		grep -a '^E2E-IOMEM' "$E2E_TMP/src.console" >&2 || true
	fi
	e2e_expect "guest pages that differ between source and destination" 0 "$diff_pages"
fi

# Where the guest finishes: the destination, or the source after a cancel.
if [ -n "$cancelled" ]; then
	ends=src end_pid=$src_qemu; wait "$dst_qemu" || true
else
	ends=dst end_pid=$dst_qemu; wait "$src_qemu" || true
fi
if ! wait "$end_pid"; then
	# The guest's own account last, where a truncated log still shows it.
	tail -n 15 "$E2E_TMP/src-vmiod.log" "$E2E_TMP/dst-vmiod.log" >&2
	grep -a 'qemu-system-x86_64:' "$E2E_TMP/src.console" "$E2E_TMP/dst.console" >&2 || true
	tail -n 25 "$E2E_TMP/$ends.result" >&2
	e2e_die "the guest did not finish its workload on the $ends QEMU (its account is just above)"
fi
# The guest's results are on the console of the QEMU it ended on (its
# E2E-BEGIN went to the source's console before the move).
r=$E2E_TMP/$ends.console
grep -a '^E2E-RESULT' "$r" || true
e2e_expect "guest fio status" 0 "$(e2e_result "$r" fio_rc)"
e2e_expect "the reader's stale passes" 0 "$(e2e_result "$r" reader_bad)"
for p in "$src_vmiod" "$dst_vmiod"; do
	kill -0 "$p" 2>/dev/null || e2e_die "a vmiod died during the migration"
done
e2e_expect "sha256 of fio's region (guest vs image)" \
	"$(e2e_result "$r" region_sha256)" "$(image_sha256)"
if [ "$target" = qsd ]; then
	echo "migrate-$mode (qsd): $mig; the reader checked $(e2e_result "$r" reader_passes) passes"
	exit 0
fi
if [ "$mode" = cancel-stopped ]; then
	grep -q "image is released for the destination" "$E2E_TMP/src-vmiod.log" ||
		e2e_die "the source's vmiod never released the image before the cancel"
	grep -q "the guest runs here" "$E2E_TMP/src-vmiod.log" ||
		e2e_die "the source's vmiod did not take the image back after the cancel"
fi
if [ -n "$cancelled" ]; then
	grep -q "dirty logging off" "$E2E_TMP/src-vmiod.log" ||
		e2e_die "the source's vmiod did not turn dirty logging off after the cancel"
else
	# Both request queues carried I/O into the move (virtio-scsi's
	# request queues follow its control and event queues).
	last_q=1
	[ "$kind" = --disk ] || last_q=3
	[ "$smp" -lt 2 ] ||
		grep -q "queue $last_q started" "$E2E_TMP/src-vmiod.log" ||
		e2e_die "the guest used one request queue, not two"
	grep -q "image is released for the destination" "$E2E_TMP/src-vmiod.log" ||
		e2e_die "the source's vmiod never released the image"
	grep -q "the guest runs here" "$E2E_TMP/dst-vmiod.log" ||
		e2e_die "the destination's vmiod never took the image"
fi
echo "migrate-$mode: $mig; the reader checked $(e2e_result "$r" reader_passes) passes"
