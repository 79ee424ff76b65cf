#!/usr/bin/env bash
# The reactor options over real sockets: a bad --poll-us, --fixed-files or
# --fixed-buffers is refused with a message; with polling on and off, with
# fixed files on and off and with guest memory registered as fixed buffers,
# vmiod serves a file-backed disk whose data the bench frontend writes and
# reads back (--verify), so the registrations are checked by the bytes, not
# by the absence of errors. The stats say whether the reads and writes went
# out as READ_FIXED/WRITE_FIXED: all of them with --fixed-buffers on (the
# frontend puts each request's data in one region), none without.
set -euo pipefail
tmp=$(mktemp -d /tmp/vmio-ropts-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for bad in "--poll-us soon" "--fixed-files maybe" "--fixed-buffers yes"; do
	# shellcheck disable=SC2086
	if "$VMIOD" $bad --disk "id=x,backend=null,size=1M,socket=$tmp/x.sock" \
		>"$tmp/out" 2>&1; then
		fail "vmiod accepted $bad"
	fi
	grep -qE "expected|takes" "$tmp/out" || fail "$bad: no explanation: $(cat "$tmp/out")"
done
echo "ok: bad reactor options are refused with a message"

for opts in "--poll-us 200 --fixed-files on" "--poll-us 0 --fixed-files off" \
	    "--poll-us 0 --fixed-files on" "--fixed-buffers on" \
	    "--fixed-buffers on --fixed-files off" "--fixed-buffers off"; do
	rm -f "$tmp/d.sock" "$tmp/rpc.sock"
	# shellcheck disable=SC2086
	"$VMIOD" -q $opts --rpc "$tmp/rpc.sock" \
		--disk "id=d,path=$tmp/d.img,size=64M,socket=$tmp/d.sock" &
	pid=$!
	for _ in $(seq 100); do [ -S "$tmp/d.sock" ] && break; sleep 0.05; done
	"$VMIO" bench run --target "socket:$tmp/d.sock" --rw randrw --bs 4k \
		--iodepth 8 --runtime 1 --ramp 0 --size 8M --verify \
		--json "$tmp/r.json" >"$tmp/bench.log" 2>&1 ||
		fail "$opts: $(cat "$tmp/bench.log")"
	jq -e '.errors == 0 and .ios > 100' "$tmp/r.json" >/dev/null ||
		fail "$opts: $(jq -c '{errors, ios}' "$tmp/r.json")"
	"$VMIO" stats --rpc "$tmp/rpc.sock" --json >"$tmp/stats.json"
	if [[ $opts == *"--fixed-buffers on"* ]]; then
		jq -e '.[0] | .fixed_buffer_ios > 100 and
			.fixed_buffer_ios == .reads + .writes' "$tmp/stats.json" >/dev/null ||
			fail "$opts: not every read and write used a fixed buffer: $(
				jq -c '.[0] | {reads, writes, fixed_buffer_ios}' "$tmp/stats.json")"
	else
		jq -e '.[0].fixed_buffer_ios == 0' "$tmp/stats.json" >/dev/null ||
			fail "$opts: fixed buffers used although off"
	fi
	kill "$pid"
	wait "$pid" || fail "$opts: vmiod did not exit cleanly"
	pid=
	echo "ok: $opts serves verified I/O ($(jq .ios "$tmp/r.json") requests)"
done

# virtio-scsi with fixed buffers: READ(16)/WRITE(16) data verified.
rm -f "$tmp/s.sock"
"$VMIOD" -q --fixed-buffers on --scsi "id=s,socket=$tmp/s.sock,lun0=$tmp/d.img" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/s.sock" ] && break; sleep 0.05; done
"$VMIO" bench run --target "socket:$tmp/s.sock" --device scsi --rw randrw \
	--bs 4k --iodepth 8 --runtime 1 --ramp 0 --size 8M --verify \
	--json "$tmp/r.json" >"$tmp/bench.log" 2>&1 || fail "scsi: $(cat "$tmp/bench.log")"
jq -e '.errors == 0 and .ios > 100' "$tmp/r.json" >/dev/null ||
	fail "scsi: $(jq -c '{errors, ios}' "$tmp/r.json")"
kill "$pid"
wait "$pid" || fail "scsi: vmiod did not exit cleanly"
pid=
echo "ok: virtio-scsi with --fixed-buffers on serves verified I/O"
