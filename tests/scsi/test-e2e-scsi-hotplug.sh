#!/usr/bin/env bash
# e2e: LUN hot-plug through vmiod's RPC, seen by a real guest. vmiod serves
# a virtio-scsi target with LUN 0; once the guest is up, `vmio rpc
# scsi_lun_add` plugs LUN 2 (an image under --image-dir with a known first
# MiB): the guest's virtio_scsi driver must add the disk on the rescan
# event and read those bytes. Then `scsi_lun_remove` pulls it and the guest
# must drop the disk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
E2E_DIR=$here/../e2e
. "$E2E_DIR/lib.sh"

build=${VMIO_BUILD:-$here/../../build}
VMIOD=${VMIOD:-$build/vmiod}
VMIO=${VMIO:-$build/vmio}
LUN2_BYTES=$((24 * 1048576))

e2e_setup_scratch
mkdir "$E2E_TMP/images"
img0=$E2E_TMP/lun0.img
img2=$E2E_TMP/images/lun2.img
truncate -s 32M "$img0"
head -c $((1048576)) /dev/urandom >"$img2"
truncate -s "$LUN2_BYTES" "$img2"
md5=$(head -c 1048576 "$img2" | md5sum | cut -d' ' -f1)
sock=$E2E_TMP/scsi.sock
export VMIO_RPC=$E2E_TMP/rpc.sock
E2E_TARGET_LOG=$E2E_TMP/vmiod.log
"$VMIOD" --rpc "$VMIO_RPC" --image-dir "$E2E_TMP/images" \
	--scsi "id=s0,socket=$sock,queues=1,lun0=$img0" >"$E2E_TARGET_LOG" 2>&1 &
E2E_TARGET_PID=$!
e2e_wait_socket "$sock" 10

"$E2E_DIR/boot-guest.sh" --scsi --socket "$sock" --timeout 240 \
	--workload "$here/guest-scsi-hotplug.sh" --log "$E2E_TMP/console.log" \
	--env LUN2_SECTORS=$((LUN2_BYTES / 512)) --env LUN2_MD5="$md5" \
	>"$E2E_TMP/result" 2>&1 &
guest=$!
e2e_wait_console "$E2E_TMP/console.log" "E2E-HOTPLUG-READY" 180 "$guest"
# rpc METHOD PARAMS: a call that must succeed (the guest is stopped if not).
rpc()
{
	"$VMIO" rpc "$1" "$2" >/dev/null && return 0
	kill "$guest" 2>/dev/null || true
	e2e_show_target_log
	e2e_die "vmio rpc $1 failed (its message is above)"
}

rpc scsi_lun_add "{\"id\": \"s0\", \"lun\": 2, \"path\": \"$img2\"}"
e2e_log "LUN 2 plugged in over the RPC"
e2e_wait_console "$E2E_TMP/console.log" "E2E-HOTPLUG-SEEN" 90 "$guest"
rpc scsi_lun_remove '{"id": "s0", "lun": 2}'
e2e_log "LUN 2 pulled out over the RPC"
rc=0
wait "$guest" || rc=$?
cat "$E2E_TMP/result"
if [ "$rc" != 0 ]; then
	e2e_show_target_log
	e2e_die "the guest run failed (exit $rc); its reason is above"
fi
e2e_target_stop || e2e_die "vmiod died during the test"

r=$E2E_TMP/result
e2e_expect "guest saw LUN 2 appear" 1 "$(e2e_result "$r" lun2_seen)"
e2e_expect "guest saw LUN 2 go" 1 "$(e2e_result "$r" lun2_gone)"
echo "e2e-scsi-hotplug: LUN 2 appeared in the guest with the host's bytes and went away again"
