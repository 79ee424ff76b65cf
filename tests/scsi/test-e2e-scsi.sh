#!/usr/bin/env bash
# e2e: a Linux guest (virtio_scsi, sd_mod) on a vhost-user-scsi-pci device
# with two LUNs and two request queues. It must see both LUNs with their
# sizes, pass fio --verify=crc32c on each, and a blkdiscard on LUN 0 must
# reach the host file as punched holes (its allocated blocks shrink).
#
# The target is vmiod --scsi when this build's vmiod has it, else the
# library's stand-alone scsi_target (tests/scsi/scsi_target.c).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
E2E_DIR=$here/../e2e
. "$E2E_DIR/lib.sh"

LUN0_BYTES=$((64 * 1048576))
LUN1_BYTES=$((32 * 1048576))
DISCARD_OFF=$((40 * 1048576))
DISCARD_LEN=$((16 * 1048576))

build=${VMIO_BUILD:-$here/../../build}
VMIOD=${VMIOD:-$build/vmiod}

start_target()
{
	local opts=$1 sock=$2

	E2E_TARGET_LOG=$sock.log
	if [ -x "$VMIOD" ] && "$VMIOD" --help 2>&1 | grep -- --scsi >/dev/null; then
		E2E_TARGET=vmiod
		"$VMIOD" --scsi "$opts" >"$E2E_TARGET_LOG" 2>&1 &
	else
		E2E_TARGET=scsi_target
		[ -x "$build/tests/scsi/scsi_target" ] ||
			e2e_die "no vmiod with --scsi and no $build/tests/scsi/scsi_target; build first"
		"$build/tests/scsi/scsi_target" --reactors 2 --scsi "$opts" \
			>"$E2E_TARGET_LOG" 2>&1 &
	fi
	E2E_TARGET_PID=$!
	e2e_wait_socket "$sock" 10
}

e2e_setup_scratch
img0=$E2E_TMP/lun0.img
img1=$E2E_TMP/lun1.img
# Allocated up front, so a discard has blocks to give back.
fallocate -l "$LUN0_BYTES" "$img0"
fallocate -l "$LUN1_BYTES" "$img1"
blocks_before=$(stat -c %b "$img0")
sock=$E2E_TMP/scsi.sock
start_target "id=s0,socket=$sock,queues=2,lun0=$img0,lun1=$img1" "$sock"
e2e_log "target: $E2E_TARGET"
e2e_boot "$E2E_TMP/result" --scsi --socket "$sock" --queues 2 --timeout 200 \
	--workload "$here/guest-scsi.sh" \
	--env LUN0_SECTORS=$((LUN0_BYTES / 512)) --env LUN1_SECTORS=$((LUN1_BYTES / 512)) \
	--env EXPECT_QUEUES=2 --env DISCARD_OFF=$DISCARD_OFF --env DISCARD_LEN=$DISCARD_LEN
e2e_target_stop || e2e_die "the target died during the test"

blocks_after=$(stat -c %b "$img0")
freed=$(((blocks_before - blocks_after) * 512))
e2e_log "LUN 0's image went from $blocks_before to $blocks_after allocated 512-byte blocks"
[ "$freed" -ge $((DISCARD_LEN * 9 / 10)) ] ||
	e2e_die "the guest discarded $DISCARD_LEN bytes but the image freed only $freed bytes"
zeros=$(head -c 1048576 /dev/zero | sha256sum | cut -d' ' -f1)
e2e_expect "the discarded range of the image" "$zeros" \
	"$(e2e_sha256 "$img0" 1 $((DISCARD_OFF / 1048576)))"
[ "$(stat -c %s "$img0")" = "$LUN0_BYTES" ] || e2e_die "LUN 0's image changed size"
echo "e2e-scsi ($E2E_TARGET): 2 LUNs seen, fio crc32c verify ok, discard freed $freed bytes"
