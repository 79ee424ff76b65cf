#!/usr/bin/env bash
# Load: one vmiod with 32 disks x 2 queues, each driven at once by its own
# vmio bench frontend (4K random reads, QD8 per queue) for SECONDS (default
# 60). One frontend is killed halfway: the others must be unaffected. Prints
# per-disk IOPS (min/max), errors, and vmiod's RSS before and after.
# Usage: scripts/load-test.sh [SECONDS] [DISKS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
n=${2:-32}
tmp=$(mktemp -d /tmp/vmio-load.XXXXXX)
trap 'kill $vmiod 2>/dev/null || true; rm -rf "$tmp"' EXIT
args=()
for i in $(seq 0 $((n - 1))); do
	args+=(--disk "id=l$i,backend=null,size=1G,socket=$tmp/l$i.sock,queues=2")
done
build/vmiod -q "${args[@]}" &
vmiod=$!
for _ in $(seq 100); do [ -S "$tmp/l$((n - 1)).sock" ] && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$vmiod/status; }
echo "vmiod RSS at start: $(rss) KiB"
pids=()
for i in $(seq 0 $((n - 1))); do
	build/vmio bench run --target "socket:$tmp/l$i.sock" --queues 2 --iodepth 8 \
		--runtime "$secs" --json "$tmp/l$i.json" >"$tmp/l$i.out" 2>&1 &
	pids+=($!)
done
sleep $((secs / 2))
kill -9 "${pids[0]}"   # a front-end that vanishes mid-I/O
echo "killed the front-end of disk l0 at $((secs / 2)) s; vmiod RSS now $(rss) KiB"
fail=0
for i in $(seq 1 $((n - 1))); do
	wait "${pids[$i]}" || { echo "disk l$i: run failed: $(cat "$tmp/l$i.out")"; fail=1; }
done
echo "vmiod RSS at end: $(rss) KiB"
kill -0 $vmiod || { echo "vmiod died"; exit 1; }
jq -s '{disks: length, min_iops: (map(.iops)|min|floor), max_iops: (map(.iops)|max|floor),
	total_iops: (map(.iops)|add|floor), errors: (map(.errors + .target_errors)|add)}' \
	"$tmp"/l[1-9]*.json
exit $fail
