#!/usr/bin/env bash
# virtio-scsi targets through the RPC: scsi_list and scsi_info show a
# --scsi target's socket, request queues, LUNs (file and null) and
# placement; after I/O from the bench frontend its counters match what the
# frontend did; LUNs are hot-plugged (a file under --image-dir, a null
# one) and served, and unplugged; every mistake is an error that says
# what is wrong.
. "$(dirname "$0")/lib.sh"
truncate -s 64M "$tmp/lun0.img"
mkdir "$tmp/images"
truncate -s 32M "$tmp/images/lun6.img"
start_vmiod -q --image-dir "$tmp/images" \
	--scsi "id=t0,socket=$tmp/t0.sock,queues=2,lun0=$tmp/lun0.img,lun3=null:16M"
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

# Hot-plug: a file LUN under --image-dir and a null one, then I/O on the
# new file LUN, verified, through the running target.
"$VMIO" rpc scsi_lun_add "{\"id\": \"t0\", \"lun\": 6, \"path\": \"$tmp/images/lun6.img\"}" >"$tmp/add.json" ||
	fail "scsi_lun_add of a file LUN failed"
"$VMIO" rpc scsi_lun_add '{"id": "t0", "lun": 5, "backend": "null", "size": "8M"}' >/dev/null ||
	fail "scsi_lun_add of a null LUN failed"
"$VMIO" rpc scsi_info '{"id": "t0"}' >"$tmp/info2.json"
jq -e --arg img "$tmp/images/lun6.img" '[.luns[].lun] == [0, 3, 5, 6] and
	(.luns[] | select(.lun == 6) | .path == $img and .size == 33554432) and
	(.luns[] | select(.lun == 5) | .backend == "null" and .size == 8388608)' "$tmp/info2.json" >/dev/null ||
	fail "after hot-plug: $(jq -c .luns "$tmp/info2.json")"
"$VMIO" bench run --target "socket:$tmp/t0.sock" --device scsi --lun 6 --rw randrw --bs 4k \
	--iodepth 4 --runtime 1 --ramp 0 --size 32M --verify >"$tmp/b6.log" 2>&1 ||
	fail "verified I/O on the hot-plugged LUN 6: $(cat "$tmp/b6.log")"
echo "ok: LUNs 5 (null) and 6 (file) hot-plugged; LUN 6 serves verified I/O"

# Mistakes: each exits 1 with a sentence.
expect_error() { # expect_error MESSAGE METHOD JSON
	local rc=0
	"$VMIO" rpc "$2" "$3" >"$tmp/o" 2>"$tmp/e" || rc=$?
	[ $rc = 1 ] && grep -q -- "$1" "$tmp/e" || fail "$2 $3: rc $rc, $(cat "$tmp/e")"
}
expect_error "already has LUN 6" scsi_lun_add "{\"id\": \"t0\", \"lun\": 6, \"path\": \"$tmp/images/lun6.img\"}"
expect_error "image-dir" scsi_lun_add "{\"id\": \"t0\", \"lun\": 7, \"path\": \"$tmp/lun0.img\"}"
expect_error "params.lun" scsi_lun_add '{"id": "t0", "lun": 300, "backend": "null", "size": 4096}'
expect_error "params.size" scsi_lun_add '{"id": "t0", "lun": 7, "backend": "null"}'
expect_error "params.path" scsi_lun_add '{"id": "t0", "lun": 7}'
expect_error "scsi target 't9' not found" scsi_lun_add '{"id": "t9", "lun": 7, "backend": "null", "size": 4096}'
echo "ok: scsi_lun_add refuses a taken LUN, a path outside --image-dir, bad params, an unknown target"

"$VMIO" rpc scsi_lun_remove '{"id": "t0", "lun": 5}' >"$tmp/rm.json" || fail "scsi_lun_remove failed"
jq -e '[.luns[].lun] == [0, 3, 6]' "$tmp/rm.json" >/dev/null || fail "after remove: $(jq -c .luns "$tmp/rm.json")"
expect_error "has no LUN 5" scsi_lun_remove '{"id": "t0", "lun": 5}'
echo "ok: LUN 5 unplugged; unplugging it again says it is not there"

# The same through vmio scsi: a table, hot-plug and unplug by name, and
# usage errors that exit 2.
"$VMIO" scsi ls >"$tmp/ls"
grep -qE "^t0 +2 +0,3,6 +- +[0-9]+ +$tmp/t0.sock$" "$tmp/ls" || fail "vmio scsi ls: $(cat "$tmp/ls")"
out=$("$VMIO" scsi lun-add t0 9 null:4M ro)
[ "$out" = "added LUN 9 to t0 (the guest was told to rescan)" ] || fail "vmio scsi lun-add said: $out"
"$VMIO" scsi info t0 >"$tmp/info.txt"
grep -qE '^ +9 +null +4M +[0-9]+ +yes +-$' "$tmp/info.txt" || fail "vmio scsi info: $(cat "$tmp/info.txt")"
grep -qE '^request queues +2$' "$tmp/info.txt" || fail "vmio scsi info header: $(cat "$tmp/info.txt")"
[ "$("$VMIO" scsi lun-rm t0 9)" = "removed LUN 9 from t0" ] || fail "vmio scsi lun-rm"
rc=0; "$VMIO" scsi lun-add t0 256 null:4M 2>"$tmp/e" || rc=$?
[ $rc = 2 ] && grep -q "LUNs are 0 to 255" "$tmp/e" || fail "lun-add 256: rc $rc, $(cat "$tmp/e")"
rc=0; "$VMIO" scsi frob 2>"$tmp/e" || rc=$?
[ $rc = 2 ] && grep -q "^usage: vmio scsi" "$tmp/e" || fail "scsi frob: rc $rc"
rc=0; "$VMIO" scsi info t9 2>"$tmp/e" || rc=$?
[ $rc = 1 ] && grep -q "scsi target 't9' not found" "$tmp/e" || fail "scsi info t9: rc $rc, $(cat "$tmp/e")"
echo "ok: vmio scsi ls, info, lun-add, lun-rm"

# Whole targets from the CLI: the keys of --scsi; I/O through the new
# socket; removal; mistakes explained.
out=$("$VMIO" scsi add "id=t1,socket=$tmp/t1.sock,queues=2,lun0=null:16M" "lun2=$tmp/images/t1.img") &&
	fail "vmio scsi add created a file LUN with no size"
out=$("$VMIO" scsi add "id=t1,socket=$tmp/t1.sock,queues=2,lun0=null:16M,lun2=null:8M") ||
	fail "vmio scsi add t1"
[ "$out" = "added t1: 2 LUNs, 2 request queues, socket $tmp/t1.sock" ] || fail "vmio scsi add said: $out"
"$VMIO" bench run --target "socket:$tmp/t1.sock" --device scsi --lun 2 --rw randrw --bs 4k \
	--iodepth 4 --runtime 0.5 --ramp 0 >"$tmp/b1.log" 2>&1 || fail "I/O on the CLI-added target: $(cat "$tmp/b1.log")"
"$VMIO" scsi ls | grep -qE "^t1 +2 +0,2 " || fail "vmio scsi ls after add: $("$VMIO" scsi ls)"
"$VMIO" config get 2>/dev/null | jq -e '.scsi[] | select(.id == "t1")' >/dev/null ||
	"$VMIO" rpc config_get | jq -e '.. | objects | select(.id? == "t1")' >/dev/null ||
	fail "config_get does not show the CLI-added target"
rc=0; "$VMIO" scsi add "id=t2,socket=$tmp/t2.sock" 2>"$tmp/e" || rc=$?
[ $rc = 1 ] && [ -s "$tmp/e" ] || fail "scsi add without a LUN: rc $rc"
echo "note: a target without LUNs: $(cat "$tmp/e")"
out=$("$VMIO" scsi rm t1) || fail "vmio scsi rm t1"
echo "$out" | grep -q "^removed t1" || fail "vmio scsi rm said: $out"
"$VMIO" scsi ls | grep -q "^t1 " && fail "t1 still listed after rm"
rc=0; "$VMIO" scsi rm t1 2>"$tmp/e" || rc=$?
[ $rc = 1 ] && grep -q "not found" "$tmp/e" || fail "scsi rm of a removed target: rc $rc, $(cat "$tmp/e")"
echo "ok: vmio scsi add, I/O on its socket, config_get, rm"
