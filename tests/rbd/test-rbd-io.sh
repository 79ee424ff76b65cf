#!/usr/bin/env bash
# rbd: vmiod serves Ceph RBD images over its real sockets, against a real
# one-node cluster started here. A front-end (rbd_io, on vufront) writes
# patterns through virtio-blk and virtio-scsi; the image read back with
# `rbd export` (librbd, not vmiod) must hold them. Discards free RADOS
# objects; write-zeroes read back as zeroes; disk_resize grows the image
# and the front-end sees it; disk_add and scsi_lun_add over the RPC, config
# save and --config; QoS caps an RBD disk like a file; and each way of
# getting the configuration wrong says what is wrong.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rbd_cluster_start
S=$RBD_DIR
C=$CEPH_CONF
rbd_image lun0 32M
rbd_image lun1 16M

# --- errors a person can act on, before anything serves -----------------
disk() { echo "id=x,backend=rbd,socket=$S/x.sock,conf=$C,$1"; }
expect_fail "missing image" "image rbd/nope does not exist.*give size=" \
	"$VMIOD" --disk "$(disk pool=rbd,image=nope)"
expect_fail "missing pool" "pool nopool does not exist" \
	"$VMIOD" --disk "$(disk pool=nopool,image=vm1,size=16M)"
expect_fail "unreadable conf" "cannot read the Ceph configuration $S/none.conf" \
	"$VMIOD" --disk "id=x,backend=rbd,socket=$S/x.sock,conf=$S/none.conf,pool=rbd,image=vm1"
sed "s/^mon_host = .*/mon_host = v2:127.0.0.1:1/" "$C" >"$S/dead.conf"
expect_fail "no monitor" "cannot connect to the cluster ($S/dead.conf, user client.admin)" \
	"$VMIOD" --disk "id=x,backend=rbd,socket=$S/x.sock,conf=$S/dead.conf,pool=rbd,image=vm1,rbd-timeout=3"
expect_fail "unknown user" "cannot connect to the cluster.*client.nobody" \
	"$VMIOD" --disk "$(disk pool=rbd,image=lun0,user=nobody)"
expect_fail "path with rbd" "backend=rbd takes no path" \
	"$VMIOD" --disk "$(disk pool=rbd,image=vm1,path=/tmp/x)"
expect_fail "rbd keys on a file disk" "are for backend=rbd" \
	"$VMIOD" --disk "id=x,socket=$S/x.sock,path=$S/f.img,pool=rbd"

# --- data through virtio-blk and virtio-scsi -----------------------------
truncate -s 16M "$S/file.img"
start_vmiod main "$S/rpc.sock" --rpc "$S/rpc.sock" --image-dir "$S" --qos \
	--disk "id=r0,backend=rbd,pool=rbd,image=vm1,size=64M,conf=$C,socket=$S/r0.sock" \
	--disk "id=f0,path=$S/file.img,socket=$S/f0.sock" \
	--scsi "id=s0,socket=$S/s0.sock,lun0=rbd:rbd/lun0,conf=$C"
export VMIO_RPC=$S/rpc.sock
grep -q "RBD: created image rbd/vm1" "$S/main.log" || rbd_fail "size= did not create the image"
"$RBD_IO" "$S/r0.sock" capacity write 0 1M 11 write 20M 64K 12 write 63M 1M 13 \
	flush read 0 1M 11 read 20M 64K 12 read 63M 1M 13 >"$S/io.out" ||
	rbd_fail "I/O on the RBD disk: $(cat "$S/io.out")"
grep -q "capacity 67108864" "$S/io.out" || rbd_fail "capacity: $(head -1 "$S/io.out")"
"$RBD_IO" --scsi 0 "$S/s0.sock" write 1M 256K 21 read 1M 256K 21 >/dev/null ||
	rbd_fail "I/O on the RBD LUN"
rbdc export rbd/vm1 "$S/vm1.raw" >/dev/null 2>&1
"$RBD_IO" --file "$S/vm1.raw" read 0 1M 11 read 20M 64K 12 read 63M 1M 13 read 1M 1M 0 >/dev/null ||
	rbd_fail "rbd export of vm1 does not hold what the front-end wrote"
rbdc export rbd/lun0 "$S/lun0.raw" >/dev/null 2>&1
"$RBD_IO" --file "$S/lun0.raw" read 1M 256K 21 >/dev/null ||
	rbd_fail "rbd export of lun0 does not hold what the scsi front-end wrote"
rbd_log "ok: what virtio-blk and virtio-scsi wrote is in the images (rbd export)"

# --- discard frees objects; write-zeroes reads back as zeroes ------------
"$RBD_IO" "$S/r0.sock" write 8M 12M 31 >/dev/null
before=$(rbd_objects vm1)
"$RBD_IO" "$S/r0.sock" discard 8M 12M read 8M 12M 0 >/dev/null ||
	rbd_fail "discard, or reading the discarded range as zeroes"
after=$(rbd_objects vm1)
[ "$after" -le $((before - 3)) ] ||
	rbd_fail "discarding 3 whole 4 MiB objects left $after of $before objects"
rbd_log "ok: discard freed objects ($before -> $after)"
"$RBD_IO" "$S/r0.sock" zeroes 20M 4K read 20M 4K 0 read $((20 * 1048576 + 4096)) 60K 12 \
	>/dev/null || rbd_fail "write-zeroes did not read back as zeroes (or hit more)"
"$RBD_IO" --scsi 0 "$S/s0.sock" zeroes 1M 64K read 1M 64K 0 read $((1048576 + 65536)) 192K 21 \
	>/dev/null || rbd_fail "UNMAP on the RBD LUN did not read back as zeroes (or hit more)"
rbd_log "ok: write-zeroes and UNMAP read back as zeroes"

# --- resize: the image grows and the front-end sees it --------------------
"$VMIO" disk resize r0 128M >/dev/null || rbd_fail "disk resize"
rbdc info rbd/vm1 | grep -q "size 128 MiB" || rbd_fail "rbd info: $(rbdc info rbd/vm1 | head -2)"
out=$("$RBD_IO" "$S/r0.sock" capacity write 127M 1M 41 read 127M 1M 41) ||
	rbd_fail "I/O in the grown part: $out"
grep -q "capacity 134217728" <<<"$out" || rbd_fail "the front-end does not see 128 MiB after the resize"
[ "$("$VMIO" disk info r0 --json | jq -r '.backend + " " + .image + " " + (.size|tostring)')" = \
  "rbd rbd/vm1 134217728" ] || rbd_fail "disk info: $("$VMIO" disk info r0 --json)"
rbd_log "ok: resize reached the image, the front-end and disk info"

# --- the RPC: disk_add, scsi_lun_add, refusals, config save ---------------
"$VMIO" disk add "id=r1,backend=rbd,pool=rbd,image=vm3,size=16M,conf=$C,socket=$S/r1.sock" >/dev/null ||
	rbd_fail "disk add of an RBD disk"
"$RBD_IO" "$S/r1.sock" write 0 64K 51 read 0 64K 51 >/dev/null || rbd_fail "I/O on the added disk"
expect_fail "disk_add of a missing image" "image rbd/nope does not exist" \
	"$VMIO" disk add "id=r2,backend=rbd,pool=rbd,image=nope,conf=$C,socket=$S/r2.sock"
cp "$C" /tmp/vmio-rbd-outside.conf
expect_fail "a conf outside /etc/ceph and --image-dir" "must be under /etc/ceph or an --image-dir" \
	"$VMIO" disk add "id=r2,backend=rbd,pool=rbd,image=vm3,conf=/tmp/vmio-rbd-outside.conf,socket=$S/r2.sock"
rm -f /tmp/vmio-rbd-outside.conf
"$VMIO" scsi lun-add s0 1 rbd:rbd/lun1 >/dev/null ||
	rbd_fail "scsi_lun_add of an RBD LUN"
"$RBD_IO" --scsi 1 "$S/s0.sock" write 0 64K 61 read 0 64K 61 >/dev/null || rbd_fail "I/O on the hot-plugged LUN"
"$VMIO" scsi info s0 --json | jq -e '.luns[1].backend == "rbd" and .luns[1].image == "rbd/lun1"' >/dev/null ||
	rbd_fail "scsi info: $("$VMIO" scsi info s0 --json | jq -c .luns)"
"$VMIO" config save "$S/saved.json" >/dev/null
jq -e --arg c "$C" '(.disks[] | select(.id == "r0") | .backend == "rbd" and .pool == "rbd" and
	.image == "vm1" and .conf == $c) and (.scsi[0].luns | map(.rbd) == ["rbd/lun0", "rbd/lun1"])' \
	"$S/saved.json" >/dev/null || rbd_fail "config save: $(cat "$S/saved.json")"

# --- QoS applies to an RBD disk as to a file ------------------------------
"$VMIO" qos set r1 iops=100 >/dev/null || rbd_fail "qos set on the RBD disk"
ops=$("$RBD_IO" "$S/r1.sock" load 3 4 | awk '{print $3}')
[ "$ops" -le 450 ] || rbd_fail "an iops=100 cap let $ops writes through in 3 s"
rbd_log "ok: QoS capped the RBD disk ($ops writes in 3 s at iops=100)"
stop_vmiod

# --- the saved configuration brings the same disks back -------------------
start_vmiod again "$S/r0.sock" --qos --config "$S/saved.json"
"$RBD_IO" "$S/r0.sock" read 0 1M 11 read 127M 1M 41 >/dev/null || rbd_fail "data after --config"
"$RBD_IO" --scsi 1 "$S/s0.sock" read 0 64K 61 >/dev/null || rbd_fail "LUN 1 after --config"
"$RBD_IO" "$S/f0.sock" write 0 64K 71 read 0 64K 71 >/dev/null || rbd_fail "the file disk after --config"
stop_vmiod
grep -q "RBD: connected to cluster" "$S/again.log" || rbd_fail "no connection logged"
[ "$(grep -c "RBD: connected to cluster" "$S/again.log")" = 1 ] ||
	rbd_fail "disks and LUNs of one cluster did not share one connection"
rbd_log "ok: --config restored every RBD disk and LUN over one cluster connection"
echo "rbd-io: ok"
