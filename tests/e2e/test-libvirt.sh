#!/usr/bin/env bash
# e2e through libvirt: a private libvirtd (a session daemon of an
# unprivileged user, everything under a scratch directory; the machine's
# own libvirt is not touched) defines and starts a domain of type qemu
# (TCG) with direct kernel boot of the test guest, memfd shared memory and
# a <disk type='vhostuser'> on a vmiod socket, as docs/integration.md shows.
# The guest runs fio random writes with crc32c verify; the host checks its
# result, that the bytes are in the image, that QEMU was started by
# libvirt with the vhost-user device, and that `vmio tune --connect`
# reports on the running domain. Then `vmio disk resize` grows the disk
# under the running guest (libvirt's blockresize cannot: it has no block
# layer for a vhost-user disk), which sees the new size and writes its
# new last block.
# Usage: test-libvirt.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

command -v libvirtd >/dev/null ||
	e2e_die "libvirtd not found; install the Debian packages 'libvirt-daemon' and 'libvirt-daemon-driver-qemu'"
e2e_need virsh libvirt-clients
[ "$(id -u)" = 0 ] || e2e_die "run as root: the private libvirtd runs as the user 'nobody'"
[ -n "${VMIOD:-}" ] || VMIOD=${VMIO_BUILD:-$here/../../build}/vmiod
[ -n "${VMIO:-}" ] || VMIO=${VMIO_BUILD:-$here/../../build}/vmio
USER_=nobody
DISK_MB=128
GROWN_MB=192
FIO_MB=24
PAT_OFF_A=$((100 * 1048576 + 4096))
PAT_OFF_B=$(((DISK_MB - 1) * 1048576))

e2e_setup_scratch
chmod 755 "$E2E_TMP"
home=$E2E_TMP/home
run=$E2E_TMP/run
mkdir -p "$home" "$run" "$E2E_TMP/guest"
chown "$USER_" "$home" "$run" "$E2E_TMP/guest"
chmod 700 "$run"
as_user() { runuser -u "$USER_" -- env HOME="$home" XDG_RUNTIME_DIR="$run" "$@"; }
virsh_() { as_user virsh -c qemu:///session "$@"; }

lvpid= vpid=
stop_all()
{
	[ -z "$lvpid" ] || virsh_ destroy vmio-e2e >/dev/null 2>&1 || true
	[ -z "$lvpid" ] || kill "$lvpid" 2>/dev/null || true
	[ -z "$vpid" ] || kill "$vpid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap 'stop_all; e2e_cleanup' EXIT

# The guest: kernel and initramfs with the fio-verify workload and then
# the resize one, readable by the daemon's user.
cat "$here/workloads/fio-verify.sh" "$here/workloads/resize.sh" >"$E2E_TMP/workload.sh"
"$here/boot-guest.sh" --prepare "$E2E_TMP/guest" \
	--workload "$E2E_TMP/workload.sh" \
	--env FIO_MB=$FIO_MB --env PAT_OFF_A=$PAT_OFF_A --env PAT_OFF_B=$PAT_OFF_B
chmod 644 "$E2E_TMP/guest/kernel" "$E2E_TMP/guest/initrd.cpio.gz"

img=$E2E_TMP/disk.img
truncate -s "${DISK_MB}M" "$img"
sock=$E2E_TMP/vm.sock
rpc=$E2E_TMP/rpc.sock
"$VMIOD" --socket-owner "$USER_" --rpc "$rpc" --disk "id=d0,path=$img,socket=$sock,queues=2" \
	>"$E2E_TMP/vmiod.log" 2>&1 &
vpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$E2E_TMP/vmiod.log" >&2; e2e_die "vmiod did not start"; }

as_user libvirtd --timeout 300 >"$E2E_TMP/libvirtd.log" 2>&1 &
lvpid=$!
for _ in $(seq 100); do virsh_ version >/dev/null 2>&1 && break; sleep 0.1; done
virsh_ version >/dev/null 2>&1 || { tail "$E2E_TMP/libvirtd.log" >&2; e2e_die "the private libvirtd did not answer"; }

console=$E2E_TMP/guest/console.log
cat >"$E2E_TMP/domain.xml" <<EOF
<domain type='qemu'>
  <name>vmio-e2e</name>
  <memory unit='MiB'>512</memory>
  <vcpu>2</vcpu>
  <memoryBacking>
    <source type='memfd'/>
    <access mode='shared'/>
  </memoryBacking>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$E2E_TMP/guest/kernel</kernel>
    <initrd>$E2E_TMP/guest/initrd.cpio.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet no_timer_check</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <cpu mode='maximum'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <disk type='vhostuser' device='disk'>
      <driver name='qemu' type='raw' queues='2'/>
      <source type='unix' path='$sock'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'>
      <source path='$console'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
virsh_ define "$E2E_TMP/domain.xml" >/dev/null || e2e_die "libvirt refused the domain (XML in $E2E_TMP/domain.xml)"
virsh_ start vmio-e2e >/dev/null || { tail "$E2E_TMP/libvirtd.log" >&2; e2e_die "libvirt could not start the domain"; }
e2e_log "domain started by libvirt"

# QEMU as libvirt started it: the vhost-user device on vmiod's socket.
qemu_cmd=$(cat "$home/.cache/libvirt/qemu/log/vmio-e2e.log" 2>/dev/null || true)
[[ $qemu_cmd == *vhost-user-blk-pci* ]] ||
	e2e_die "QEMU's command line (libvirt's domain log) has no vhost-user-blk-pci device"
grep -q "front-end connected" "$E2E_TMP/vmiod.log" ||
	e2e_die "vmiod saw no front-end connect"

# vmio tune reports on the running domain through the same libvirtd.
"$VMIO" tune --connect "qemu+unix:///session?socket=$run/libvirt/libvirt-sock" \
	--name vmio-e2e --only domain --json >"$E2E_TMP/tune.json" 2>"$E2E_TMP/tune.err" || true
jq -e '[.domains[].name] == ["vmio-e2e"] and ([.findings[] | select(.id == "LOAD")] | length == 0)' \
	"$E2E_TMP/tune.json" >/dev/null 2>&1 ||
	{ cat "$E2E_TMP/tune.err" "$E2E_TMP/tune.json" >&2; e2e_die "vmio tune --connect did not report on the domain"; }
e2e_log "ok: vmio tune --connect reported on the domain"

# What libvirt itself says of the disk's size (docs/integration.md).
e2e_log "virsh domblkinfo: $(virsh_ domblkinfo vmio-e2e vda 2>&1 | tr '\n' ' ')"

# Once fio is done the guest waits for its disk to grow.
e2e_wait_console "$console" E2E-RESIZE-READY 200
VMIO_RPC=$rpc "$VMIO" disk resize d0 ${GROWN_MB}M >/dev/null ||
	e2e_die "vmio disk resize failed under the libvirt guest"

# The guest powers off when its workload is done.
# (The state is read whole: grep -q on a pipe under pipefail can fail a
# match when it exits before virsh has written everything.)
shut_off() { local st; st=$(virsh_ domstate vmio-e2e 2>/dev/null) || return 1; [[ $st == *"shut off"* ]]; }
deadline=$(($(date +%s) + 180))
while [ "$(date +%s)" -lt $deadline ]; do
	shut_off && break
	sleep 0.5
done
shut_off || { tail -n 30 "$console" >&2; e2e_die "the guest did not power off within 180 s"; }
tr -d '\r' <"$console" >"$E2E_TMP/result"
r=$E2E_TMP/result
grep -q '^E2E-END rc=0$' "$r" || { tail -n 30 "$r" >&2; e2e_die "the guest's workload failed"; }
e2e_expect "guest fio status" 0 "$(e2e_result "$r" fio_rc)"
e2e_expect "sha256 of fio's region (guest vs image)" "$(e2e_result "$r" region_sha256)" \
	"$(e2e_sha256 "$img" $((2 * FIO_MB)))"
yes vmio-e2e-pattern | head -c 1048576 >"$E2E_TMP/pattern" || true
for off in $PAT_OFF_A $PAT_OFF_B; do
	cmp -s "$E2E_TMP/pattern" <(tail -c +$((off + 1)) "$img" | head -c 1048576) ||
		e2e_die "the pattern the guest wrote at offset $off is not in the image"
done
e2e_expect "the guest's disk size after the resize (512-byte sectors)" \
	$((GROWN_MB * 2048)) "$(e2e_result "$r" size_after)"
e2e_expect "the guest wrote its new last block" yes "$(e2e_result "$r" wrote_last_block)"
grep -q resized < <(tail -c 4096 "$img") || e2e_die "the guest's write at the new end is not in the image"
kill -0 "$vpid" 2>/dev/null || e2e_die "vmiod died under the libvirt guest"
virsh_ undefine vmio-e2e >/dev/null
echo "libvirt: domain defined and started by libvirtd $(libvirtd --version | awk '{print $NF}'), guest fio verified, write $(e2e_result "$r" write_iops) IOPS, grown live to ${GROWN_MB} MiB"
