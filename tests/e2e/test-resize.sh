#!/usr/bin/env bash
# e2e: `vmio disk resize` grows a disk under a running guest: vmiod grows
# the image and tells QEMU (BACKEND_REQ CONFIG_CHANGE_MSG), the guest's
# /dev/vda shows the new size without a reboot, and the guest can write
# its new last block, which lands in the image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_setup_scratch
img=$E2E_TMP/disk.img
sock=$E2E_TMP/sock
rpc=$E2E_TMP/rpc.sock
truncate -s 64M "$img"
[ -n "${VMIOD:-}" ] || VMIOD=${VMIO_BUILD:-$here/../../build}/vmiod
[ -n "${VMIO:-}" ] || VMIO=$(dirname "$VMIOD")/vmio
"$VMIOD" --rpc "$rpc" --disk "id=d0,path=$img,socket=$sock" >"$E2E_TMP/vmiod.log" 2>&1 &
E2E_TARGET_PID=$!
e2e_wait_socket "$sock" 10
"$here/boot-guest.sh" --socket "$sock" --timeout 120 --workload "$here/workloads/resize.sh" \
	--log "$E2E_TMP/console.log" >"$E2E_TMP/result" 2>&1 &
guest=$!
e2e_wait_console "$E2E_TMP/console.log" "E2E-RESIZE-READY" 90 "$guest"
VMIO_RPC=$rpc "$VMIO" disk resize d0 128M
rc=0
wait "$guest" || rc=$?
cat "$E2E_TMP/result"
e2e_target_stop || true
[ "$rc" = 0 ] || { cat "$E2E_TMP/vmiod.log"; e2e_die "the guest run failed"; }
r=$E2E_TMP/result
e2e_expect "guest size before (sectors)" 131072 "$(e2e_result "$r" size_before)"
e2e_expect "guest size after (sectors)" 262144 "$(e2e_result "$r" size_after)"
e2e_expect "image size" 134217728 "$(stat -c %s "$img")"
tail -c 4096 "$img" | grep -q resized || e2e_die "the guest's write at the new end is not in the image"
echo "resize: the guest saw 64M -> 128M live and wrote its new last block"
