#!/usr/bin/env bash
# vmio bench run against vmiod and qemu-storage-daemon over real sockets:
# every run completes without target errors, its JSON has the documented
# fields, closed-loop runs satisfy Little's law within 10%, --verify reads
# back what it wrote on both targets, and bad arguments fail clearly.
set -euo pipefail
VMIO=${VMIO:-$(dirname "$0")/../../build/vmio}
tmp=$(mktemp -d /tmp/vmio-bench-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for target in vmiod qsd; do
	for backend in null "file:$tmp/disk.img"; do
		"$VMIO" bench run --target $target --backend "$backend" --size 64M \
			--rw randrw:70 --bs 4K --iodepth 16 --runtime 1 --json "$tmp/r.json" \
			|| fail "bench run on $target ($backend) failed"
		for k in target rw bs iodepth queues runtime_s ios iops bw_bytes \
			lat_us.mean lat_us.p50 lat_us.p90 lat_us.p99 lat_us.p999 lat_us.max \
			target_cpu_s frontend_cpu_s cpu_us_per_io errors littles_law_ratio littles_law_ok rerun \
			machine_stalls machine_stall_max_ms; do
			[ "$(jq -r ".$k" "$tmp/r.json")" != null ] || fail "$k missing from the JSON"
		done
		[ "$(jq -r .errors "$tmp/r.json")" = 0 ] || fail "$target reported I/O errors"
		[ "$(jq -r .target_errors "$tmp/r.json")" = 0 ] || fail "$target answered wrongly"
		jq -e '.ios > 1000' "$tmp/r.json" >/dev/null || fail "$target did almost no I/O"
		# A starved run (other jobs on the cores) stretches the requests
		# in flight at the window's edges; one longer retry is allowed.
		if ! jq -e '.littles_law_ok' "$tmp/r.json" >/dev/null; then
			echo "note: Little's law ratio $(jq .littles_law_ratio "$tmp/r.json") on $target; retrying for 2 s"
			"$VMIO" bench run --target $target --backend "$backend" --size 64M \
				--rw randrw:70 --bs 4K --iodepth 16 --runtime 2 --json "$tmp/r.json" \
				|| fail "bench run on $target ($backend) failed"
		fi
		jq -e '.littles_law_ratio > 0.9 and .littles_law_ratio < 1.1' "$tmp/r.json" >/dev/null ||
			fail "Little's law does not hold on $target: ratio $(jq .littles_law_ratio "$tmp/r.json")"
		jq -e '.target_cpu_s > 0' "$tmp/r.json" >/dev/null || fail "no target CPU measured for $target"
		echo "ok: $target $backend: $(jq -r '.iops|floor' "$tmp/r.json") IOPS, Little $(jq -r '.littles_law_ratio*1000|floor/1000' "$tmp/r.json")"
	done
	"$VMIO" bench run --target $target --backend "file:$tmp/disk.img" --size 8M \
		--bs 64K --verify --runtime 0.5 >"$tmp/v.out" || fail "--verify on $target failed"
	grep -q "verify $target: 0 bad blocks" "$tmp/v.out" || fail "--verify on $target: $(cat "$tmp/v.out")"
	echo "ok: $target --verify"
done

# Packed virtqueues: vmiod serves them to both device kinds; qsd
# (libvhost-user) does not offer them, which must be said.
for dev in blk scsi; do
	"$VMIO" bench run --target vmiod --backend "file:$tmp/disk.img" --size 8M \
		--bs 64K --verify --runtime 0.5 --packed --device $dev --iodepth 4 \
		--queues 2 >"$tmp/p.out" || fail "--packed --device $dev failed"
	grep -q "verify vmiod.*: 0 bad blocks" "$tmp/p.out" ||
		fail "--packed --device $dev: $(cat "$tmp/p.out")"
done
if "$VMIO" bench run --target qsd --backend null --runtime 0.2 --packed \
	>"$tmp/q.out" 2>&1; then
	grep -q "VIRTIO_F_RING_PACKED" "$tmp/q.out" &&
		fail "qsd refused packed rings but the run passed"
	echo "note: this qsd offers packed rings"
else
	grep -q "VIRTIO_F_RING_PACKED" "$tmp/q.out" ||
		fail "qsd --packed: no clear message: $(cat "$tmp/q.out")"
fi
echo "ok: --packed on blk and scsi, qsd refuses clearly"

# A running target named by socket: works, and a target that answers
# wrongly fails the run with a message saying what it did.
BAD=${VMIO_BUILD:-$(dirname "$0")/../../build}/tests/bench/bad_target
for mode in ok len status; do
	rm -f "$tmp/bad.sock"
	"$BAD" "$tmp/bad.sock" $mode 500 & bad=$!
	for i in $(seq 100); do [ -S "$tmp/bad.sock" ] && break; sleep 0.05; done
	if "$VMIO" bench run --target "socket:$tmp/bad.sock" --iodepth 4 --runtime 0.5 \
		>"$tmp/b.out" 2>&1; then
		[ $mode = ok ] || fail "bench run did not notice bad_target $mode"
	else
		[ $mode != ok ] || fail "bench run against a correct target failed: $(cat "$tmp/b.out")"
		grep -q "the target answered wrongly" "$tmp/b.out" ||
			fail "bad_target $mode: no clear message: $(cat "$tmp/b.out")"
	fi
	kill $bad 2>/dev/null || true
	wait $bad 2>/dev/null || true
done
echo "ok: socket: target, and a wrong target is reported"

# A target that dies in the middle of --verify ends the run with an
# error saying so, instead of waiting for an answer forever.
VMIOD=${VMIOD:-$(dirname "$0")/../../build/vmiod}
"$VMIOD" -q --disk "id=v,backend=null,size=64M,delay-us=2000,socket=$tmp/dying.sock" & victim=$!
for i in $(seq 100); do [ -S "$tmp/dying.sock" ] && break; sleep 0.05; done
t0=$(date +%s)
( sleep 1; kill -9 $victim ) &
if timeout 60 "$VMIO" bench run --target "socket:$tmp/dying.sock" --size 64M --bs 4K \
	--verify --runtime 0.2 >"$tmp/d.out" 2>&1; then
	fail "--verify succeeded on a target killed under it"
fi
wait $victim 2>/dev/null || true
[ $(( $(date +%s) - t0 )) -lt 30 ] || fail "--verify took $(( $(date +%s) - t0 )) s to notice its target died"
grep -q "closed the connection" "$tmp/d.out" || fail "a target dying under --verify: $(tail -3 "$tmp/d.out")"
echo "ok: a target killed under --verify ends the run: $(grep -o 'the target closed[^;]*' "$tmp/d.out" | head -1)"

# virtio-scsi: vmiod --scsi on the same backends, --verify reading back
# through READ(16)/WRITE(16), a LUN other than 0, and the JSON saying
# which device ran.
for backend in null "file:$tmp/disk.img"; do
	"$VMIO" bench run --target vmiod --device scsi --lun 3 --backend "$backend" \
		--size 64M --rw randrw:70 --bs 4K --iodepth 16 --queues 2 --runtime 1 \
		--json "$tmp/s.json" >"$tmp/s.out" || fail "scsi run on $backend failed: $(cat "$tmp/s.out")"
	jq -e '.device == "scsi" and .lun == 3 and .errors == 0 and .target_errors == 0 and .ios > 1000' \
		"$tmp/s.json" >/dev/null || fail "scsi run on $backend: $(jq -c . "$tmp/s.json")"
	jq -e '.command | test("--scsi id=.*lun3=")' "$tmp/s.json" >/dev/null ||
		fail "vmiod was not started with --scsi: $(jq -r .command "$tmp/s.json")"
	jq -e '.rerun | test("--device scsi --lun 3")' "$tmp/s.json" >/dev/null ||
		fail "the rerun line lacks the device: $(jq -r .rerun "$tmp/s.json")"
	grep -q "^vmiod  scsi randrw" "$tmp/s.out" || fail "the report line does not say scsi: $(cat "$tmp/s.out")"
	echo "ok: vmiod --scsi $backend: $(jq -r '.iops|floor' "$tmp/s.json") IOPS"
done
jq -e '.device == "blk"' "$tmp/r.json" >/dev/null || fail "a blk run's JSON does not say blk"
"$VMIO" bench run --target vmiod --device scsi --backend "file:$tmp/disk.img" --size 8M \
	--bs 64K --verify --runtime 0.5 >"$tmp/v.out" || fail "--verify --device scsi failed: $(cat "$tmp/v.out")"
grep -q "verify vmiod (virtio-scsi): 0 bad blocks" "$tmp/v.out" || fail "scsi --verify: $(cat "$tmp/v.out")"
echo "ok: vmiod --scsi --verify"
for mode in ok response resid; do
	rm -f "$tmp/bad.sock"
	"$BAD" --scsi "$tmp/bad.sock" $mode 500 & bad=$!
	for i in $(seq 100); do [ -S "$tmp/bad.sock" ] && break; sleep 0.05; done
	if "$VMIO" bench run --target "socket:$tmp/bad.sock" --device scsi --bs 4K \
		--iodepth 4 --runtime 0.5 >"$tmp/b.out" 2>&1; then
		[ $mode = ok ] || fail "bench run did not notice bad_target --scsi $mode"
	else
		[ $mode != ok ] || fail "bench run against a correct scsi target failed: $(cat "$tmp/b.out")"
		grep -q "the target answered wrongly" "$tmp/b.out" ||
			fail "bad_target --scsi $mode: no clear message: $(cat "$tmp/b.out")"
	fi
	kill $bad 2>/dev/null || true
	wait $bad 2>/dev/null || true
done
echo "ok: socket: scsi target, and a wrong one is reported"

# --dirty-log: the targets log their writes as in a live migration and the
# data still verifies; the rerun line keeps the option.
for target in vmiod qsd; do
	"$VMIO" bench run --target $target --backend "file:$tmp/disk.img" --size 8M \
		--bs 16K --verify --dirty-log --runtime 0.5 --json "$tmp/l.json" \
		>"$tmp/l.out" 2>&1 || fail "--dirty-log on $target failed: $(cat "$tmp/l.out")"
	grep -q "0 bad blocks" "$tmp/l.out" || fail "--dirty-log --verify on $target: $(cat "$tmp/l.out")"
	jq -e '.rerun | test("--dirty-log")' "$tmp/l.json" >/dev/null ||
		fail "the rerun line lacks --dirty-log: $(jq -r .rerun "$tmp/l.json")"
done
echo "ok: --dirty-log on vmiod and qsd"

# Bad arguments: a clear message and a non-zero exit.
for args in "--target nowhere" "--bs 1000" "--iodepth 0" "--rw sideways" \
	"--target host --backend null" "--runtime -1" "--queues 99" \
	"--device nvme" "--target qsd --device scsi" "--lun 2" "--device scsi --lun 999"; do
	if "$VMIO" bench run $args --runtime 1 >"$tmp/e.out" 2>&1; then
		fail "'vmio bench run $args' succeeded"
	fi
	grep -q "vmio bench:" "$tmp/e.out" || fail "'$args' printed no message: $(cat "$tmp/e.out")"
done
echo "ok: argument errors"
