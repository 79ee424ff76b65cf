#!/usr/bin/env bash
# virtio-scsi targets seen through the RPC: scsi_list and scsi_info show a
# --scsi target's socket, request queues, LUNs (file and null) and
# placement; after verified I/O from the bench frontend its counters match
# what the frontend did; an unknown target is an error that says where to
# look.
. "$(dirname "$0")/lib.sh"
truncate -s 64M "$tmp/lun0.img"
start_vmiod -q --scsi "id=t0,socket=$tmp/t0.sock,queues=2,lun0=$tmp/lun0.img,lun3=null:16M"
wait_socket "$tmp/t0.sock"

"$VMIO" rpc rpc_methods | jq -e 'has("scsi_list") and has("scsi_info")' >/dev/null ||
	fail "rpc_methods does not list scsi_list and scsi_info"
"$VMIO" rpc scsi_list >"$tmp/list.json"
jq -e --arg sock "$tmp/t0.sock" --arg img "$tmp/lun0.img" 'length == 1 and .[0] as $t |
	$t.id == "t0" and $t.socket == $sock and $t.queues == 2 and $t.connected == false and
	($t.luns | length) == 2 and
	$t.luns[0] == {lun: 0, backend: "uring", path: $img, size: 67108864,
		       blk_size: $t.luns[0].blk_size, ro: false, thin: true} and
	$t.luns[1].lun == 3 and $t.luns[1].backend == "null" and $t.luns[1].path == null and
	$t.luns[1].size == 16777216 and
	($t.placement.queue_reactors | length) == 2 and $t.stats.cmds == 0' "$tmp/list.json" >/dev/null ||
	fail "scsi_list before I/O: $(cat "$tmp/list.json")"
echo "ok: scsi_list shows the target, its two LUNs and its placement"

"$VMIO" bench run --target "socket:$tmp/t0.sock" --device scsi --rw randrw --bs 4k \
	--iodepth 8 --runtime 1 --ramp 0 --size 16M --json "$tmp/b.json" >"$tmp/b.log" 2>&1 ||
	fail "bench on the scsi target: $(cat "$tmp/b.log")"
ios=$(jq .ios "$tmp/b.json")
"$VMIO" rpc scsi_info '{"id": "t0"}' >"$tmp/info.json"
jq -e --argjson ios "$ios" '.stats as $s | ($s.reads + $s.writes) >= $ios and
	($s.reads + $s.writes) <= $ios + 8 and $s.reads > 0 and $s.writes > 0 and
	$s.cmds >= $s.reads + $s.writes and $s.bad_requests == 0 and $s.inflight == 0 and
	$s.bytes_read == $s.reads * 4096' "$tmp/info.json" >/dev/null ||
	fail "scsi_info counters after $ios I/Os: $(jq -c .stats "$tmp/info.json")"
echo "ok: scsi_info counts the frontend's $ios reads and writes"

rc=0; "$VMIO" rpc scsi_info '{"id": "t9"}' >"$tmp/o" 2>"$tmp/e" || rc=$?
[ $rc = 1 ] && grep -q "scsi target 't9' not found (vmio rpc scsi_list lists them)" "$tmp/e" ||
	fail "unknown target: rc $rc, $(cat "$tmp/e")"
rc=0; "$VMIO" rpc scsi_info '{}' >"$tmp/o" 2>"$tmp/e" || rc=$?
[ $rc = 1 ] && [ -s "$tmp/e" ] || fail "scsi_info without an id: rc $rc"
echo "ok: errors say what is wrong"
