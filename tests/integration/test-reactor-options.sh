#!/usr/bin/env bash
# The reactor options over real sockets: a bad --poll-mode or --fixed-files
# is refused with a message; with each polling mode and with fixed files on
# and off, vmiod serves a file-backed disk whose data the bench frontend
# writes and reads back (--verify), so registering the image in the ring's
# fixed-file table is checked by the bytes, not by the absence of errors.
set -euo pipefail
tmp=$(mktemp -d /tmp/vmio-ropts-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for bad in "--poll-mode sometimes" "--fixed-files maybe"; do
	# shellcheck disable=SC2086
	if "$VMIOD" $bad --disk "id=x,backend=null,size=1M,socket=$tmp/x.sock" \
		>"$tmp/out" 2>&1; then
		fail "vmiod accepted $bad"
	fi
	grep -q "expected" "$tmp/out" || fail "$bad: no explanation: $(cat "$tmp/out")"
done
echo "ok: bad reactor options are refused with a message"

for opts in "--poll-mode fixed --fixed-files on" "--poll-mode adaptive --fixed-files off" \
	    "--poll-mode adaptive --fixed-files on"; do
	rm -f "$tmp/d.sock"
	# shellcheck disable=SC2086
	"$VMIOD" -q $opts --disk "id=d,path=$tmp/d.img,size=64M,socket=$tmp/d.sock" &
	pid=$!
	for _ in $(seq 100); do [ -S "$tmp/d.sock" ] && break; sleep 0.05; done
	"$VMIO" bench run --target "socket:$tmp/d.sock" --rw randrw --bs 4k \
		--iodepth 8 --runtime 1 --ramp 0 --size 64M --verify \
		--json "$tmp/r.json" >"$tmp/bench.log" 2>&1 ||
		fail "$opts: $(cat "$tmp/bench.log")"
	jq -e '.errors == 0 and .ios > 100' "$tmp/r.json" >/dev/null ||
		fail "$opts: $(jq -c '{errors, ios}' "$tmp/r.json")"
	kill "$pid"
	wait "$pid" || fail "$opts: vmiod did not exit cleanly"
	pid=
	echo "ok: $opts serves verified I/O ($(jq .ios "$tmp/r.json") requests)"
done
