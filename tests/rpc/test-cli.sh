#!/usr/bin/env bash
# vmio as vmiod's RPC client over the real socket: disks added, listed
# (an aligned table and --json), inspected, driven with I/O whose counts
# the stats match, watched, limited by QoS, saved and restored, removed
# while idle and while busy.
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/images"
start_vmiod -q --qos --image-dir "$tmp/images"

[ "$("$VMIO" version)" = "vmiod $("$VMIOD" --version | cut -d' ' -f2)" ] ||
	fail "version: $("$VMIO" version)"
out=$("$VMIO" disk add "id=vm1,path=$tmp/images/vm1.img,socket=$tmp/vm1.sock,size=64M,queues=2")
[[ $out == "added vm1: 64M, 2 queues, socket $tmp/vm1.sock" ]] || fail "disk add said: $out"
"$VMIO" disk add id=scratch-disk-2 backend=null size=1G "socket=$tmp/vm2.sock" >/dev/null ||
	fail "disk add with the keys as separate arguments"
"$VMIO" disk add "id=vm1,backend=null,size=1G,socket=$tmp/x.sock" 2>"$tmp/e" &&
	fail "a second disk named vm1 was accepted"
grep -q "disk named 'vm1' already exists" "$tmp/e" || fail "duplicate id: $(cat "$tmp/e")"
# Relative paths are the client's, not vmiod's.
(cd "$tmp" && "$VMIO" disk add id=rel,path=images/rel.img,socket=rel.sock,size=1M >/dev/null) ||
	fail "disk add with relative paths"
[ "$("$VMIO" disk info rel --json | jq -r '.path + " " + .socket')" = "$tmp/images/rel.img $tmp/rel.sock" ] ||
	fail "relative paths: $("$VMIO" disk info rel --json | jq -c '{path, socket}')"
"$VMIO" disk rm rel >/dev/null
"$VMIO" disk add "id=x,path=$tmp/images/x.img,socket=$tmp/x.sock,size=1M,queues=99" 2>"$tmp/e" &&
	fail "queues=99 was accepted"
grep -q "queues must be 1 to 64" "$tmp/e" || fail "bad option: $(cat "$tmp/e")"

# The table: every column starts where its header does.
"$VMIO" disk ls >"$tmp/ls"
[ "$(wc -l <"$tmp/ls")" = 3 ] || fail "disk ls: $(cat "$tmp/ls")"
grep -qE '^vm1 +uring +64M +512 +2 +no +- ' "$tmp/ls" || fail "disk ls row: $(cat "$tmp/ls")"
python3 - "$tmp/ls" <<'PY' || fail "disk ls is not aligned: $(cat "$tmp/ls")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head = lines[0]
starts = [m.start() for m in re.finditer(r'\S+', head)]
right = {'SIZE', 'BLK', 'QUEUES'}
names = head.split()
ends = [s + len(n) for s, n in zip(starts, names)]
for row in lines[1:]:
    cells = [(m.start(), m.end()) for m in re.finditer(r'\S+', row)]
    assert len(cells) == len(names), row
    for (s, e), name, hs, he in zip(cells, names, starts, ends):
        assert (e == he) if name in right else (s == hs), (name, row)
PY
[ "$("$VMIO" disk ls --json | jq -r '[.[].id] | join(",")')" = "vm1,scratch-disk-2" ] ||
	fail "disk ls --json: $("$VMIO" disk ls --json)"
[ "$("$VMIO" disk info vm1 --json | jq -r '.queues, .blk_size, .connected, .path')" = \
  "$(printf '2\n512\nfalse\n%s' "$tmp/images/vm1.img")" ] || fail "disk info: $("$VMIO" disk info vm1 --json)"
"$VMIO" disk info vm1 | grep -qE '^size +64M \(67108864 bytes\)$' || fail "disk info table"
"$VMIO" disk info vm7 2>"$tmp/e" && fail "info on a missing disk succeeded"
grep -q "disk 'vm7' not found" "$tmp/e" || fail "missing disk: $(cat "$tmp/e")"
# Usage errors exit 2, an unreachable vmiod 1, each with a reason.
rc=0; "$VMIO" disk frob 2>"$tmp/e" || rc=$?
[ $rc = 2 ] && grep -q '^usage: vmio disk' "$tmp/e" || fail "disk frob: rc $rc, $(cat "$tmp/e")"
rc=0; "$VMIO" stats --interval 2>"$tmp/e" || rc=$?
[ $rc = 2 ] && grep -q -- '--interval needs a value' "$tmp/e" || fail "stats --interval: rc $rc"
rc=0; "$VMIO" disk ls --rpc "$tmp/none.sock" 2>"$tmp/e" || rc=$?
[ $rc = 1 ] && grep -q "cannot reach vmiod at $tmp/none.sock" "$tmp/e" || fail "no vmiod: rc $rc, $(cat "$tmp/e")"
echo "ok: disk add, ls (aligned), info, errors"

# I/O, then stats that match it exactly once the front-end is gone.
bench "$tmp/vm1.sock" --rw randwrite --iodepth 8 --runtime 1 --json "$tmp/b.json" >/dev/null
ios=$(jq .ios "$tmp/b.json")
"$VMIO" stats --json >"$tmp/s.json"
w=$(jq '.[] | select(.id == "vm1") | .writes' "$tmp/s.json")
[ "$w" -ge "$ios" ] && [ "$w" -le $((ios + 64)) ] ||
	fail "stats count $w writes, the bench completed $ios"
[ "$(jq '.[] | select(.id == "vm1") | .bytes_written' "$tmp/s.json")" = $((w * 4096)) ] ||
	fail "bytes_written is not 4 KiB per write"
[ "$(jq '.[] | select(.id == "vm1") | .latency.count' "$tmp/s.json")" -ge "$w" ] ||
	fail "the latency histogram missed requests"
jq -e '.[] | select(.id == "vm1") | .latency.p99_us > 0 and .inflight == 0' "$tmp/s.json" >/dev/null ||
	fail "latency summary: $(jq -c '.[0].latency' "$tmp/s.json")"
"$VMIO" stats | grep -qE "^vm1 +$w +- +- " || fail "stats table: $("$VMIO" stats)"
echo "ok: stats: $w writes counted, the bench completed $ios"

# --watch: per-interval rates while a bench runs.
bench "$tmp/vm2.sock" --iodepth 4 --runtime 2 >/dev/null &
b=$!
"$VMIO" stats --watch --json --interval 0.5 --count 3 >"$tmp/watch"
wait $b
[ "$(wc -l <"$tmp/watch")" = 3 ] || fail "--count 3 printed $(wc -l <"$tmp/watch") lines"
tail -1 "$tmp/watch" | jq -e '.disks[] | select(.id == "scratch-disk-2") | .iops > 100 and .p99_us > 0' >/dev/null ||
	fail "--watch shows no I/O: $(tail -1 "$tmp/watch")"
echo "ok: stats --watch: $(tail -1 "$tmp/watch" | jq '.disks[] | select(.id == "scratch-disk-2") | .iops | floor') IOPS in the last interval"

# QoS, changed live and read back, both spellings.
"$VMIO" qos set scratch-disk-2 --iops 2000 >/dev/null
[ "$("$VMIO" qos get scratch-disk-2)" = "scratch-disk-2: iops=2000" ] ||
	fail "qos get: $("$VMIO" qos get scratch-disk-2)"
bench "$tmp/vm2.sock" --iodepth 8 --runtime 2 --json "$tmp/q.json" >/dev/null &
b=$!
# QoS counters live with the connection: read them while it is up.
throttled=0
while kill -0 $b 2>/dev/null && [ "$throttled" = 0 ]; do
	sleep 0.2
	throttled=$("$VMIO" stats --json | jq '.[] | select(.id == "scratch-disk-2") | .qos.throttled_total')
done
[ "$throttled" -gt 0 ] || fail "no throttled requests counted under the cap"
wait $b
jq -e '.iops > 1700 and .iops < 2300' "$tmp/q.json" >/dev/null ||
	fail "a live cap of 2000 IOPS measured $(jq .iops "$tmp/q.json")"
"$VMIO" qos set scratch-disk-2 iops=-5 2>"$tmp/e" && fail "a negative cap was accepted"
grep -q iops "$tmp/e" || fail "no reason for a bad contract: $(cat "$tmp/e")"
"$VMIO" qos set vm1 iops=100000,weight=300 >/dev/null
[ "$("$VMIO" qos get vm1 --json | jq -r .limits.weight)" = 300 ] || fail "qos get --json"
echo "ok: qos set/get live ($(jq '.iops | floor' "$tmp/q.json") IOPS under a 2000 cap)"

# Removing a disk while a front-end is busy on it drains, then closes.
bench "$tmp/vm1.sock" --iodepth 16 --runtime 4 >/dev/null 2>&1 &
busy=$!
sleep 1
"$VMIO" disk info vm1 --json | jq -e .connected >/dev/null || fail "the busy disk is not connected"
"$VMIO" config save "$tmp/config.json" | grep -q "saved 2 disks" || fail "config save"
# It answers at once; the disk and its socket go once the requests in
# flight are done (at once on this fast image, or a little later).
"$VMIO" disk rm vm1 | grep -qxE "removed vm1|removing vm1: it goes once its requests in flight are done" ||
	fail "disk rm while busy"
wait $busy && fail "the bench on a removed disk reported success"
for _ in $(seq 50); do [ -S "$tmp/vm1.sock" ] || break; sleep 0.1; done
[ ! -S "$tmp/vm1.sock" ] || fail "vm1's socket is still there 5 s after disk rm"
"$VMIO" disk rm scratch-disk-2 >/dev/null || fail "disk rm while idle"
[ "$("$VMIO" disk ls --json)" = "[]" ] || fail "disks left: $("$VMIO" disk ls)"
"$VMIO" disk rm vm1 2>/dev/null && fail "removing a removed disk succeeded"
echo "ok: disk rm while busy and while idle"

"$VMIO" reactors | grep -qE '^ *REACTOR +CPU +POLLERS +POLICY +MODE +BUSY% +POLL_IDLE% +SLEEP% +WAKEUPS ' ||
	fail "reactors: $("$VMIO" reactors)"
"$VMIO" reactors | grep -qE '^ +0 +any +[0-9]+ +adaptive +(poll|sleep|batch) ' ||
	fail "reactors: no adaptive reactor 0: $("$VMIO" reactors)"
"$VMIO" reactors --watch --count 1 --interval 0.2 | grep -q 'WAKEUPS/S' ||
	fail "reactors --watch shows no rates"
"$VMIO" reactors --watch --count 1 --interval 0.2 --json |
	jq -e '.interval > 0 and (.reactors[0] | .sleep_share >= 0 and .mode != null)' >/dev/null ||
	fail "reactors --watch --json"
"$VMIO" reactors extra 2>/dev/null && fail "reactors took an argument"
stop_vmiod
[ ! -S "$VMIO_RPC" ] || fail "the RPC socket outlived vmiod"
echo "ok: reactors, shutdown"

# The saved configuration brings the same disks back, QoS included.
jq -e '.disks | length == 2' "$tmp/config.json" >/dev/null || fail "config: $(cat "$tmp/config.json")"
start_vmiod -q --qos --config "$tmp/config.json"
[ "$("$VMIO" disk ls --json | jq -r '[.[].id] | sort | join(",")')" = "scratch-disk-2,vm1" ] ||
	fail "config restore: $("$VMIO" disk ls)"
[ "$("$VMIO" qos get scratch-disk-2)" = "scratch-disk-2: iops=2000" ] || fail "restored QoS"
[ "$("$VMIO" disk info vm1 --json | jq -r .size)" = 67108864 ] || fail "restored size"
bench "$tmp/vm1.sock" --rw randread --iodepth 4 --runtime 1 >/dev/null || fail "I/O after restore"
"$VMIO" config save "$tmp/again.json" >/dev/null
diff <(jq -S . "$tmp/config.json") <(jq -S . "$tmp/again.json") >&2 ||
	fail "save, restore, save changed the configuration"
stop_vmiod
echo '{"disks":[{"id":"a"}]}' >"$tmp/bad.json"
"$VMIOD" --config "$tmp/bad.json" --rpc "$VMIO_RPC" 2>"$tmp/e" && fail "a bad config started"
grep -q "disk 1: socket=PATH is required" "$tmp/e" || fail "bad config: $(cat "$tmp/e")"
echo "ok: config save and restore round-trips"
