#!/usr/bin/env bash
# Counts the instructions vmiod's data path spends per 4K request, null
# backend: tests/perf/hotpath steps a real blk_dev + reactor on one thread
# and callgrind collects only inside reactor_poll_once (the device side:
# ring pop, decode, submit, complete, used ring, notify). Deterministic,
# unlike timing on a shared machine. Prints the count and the functions
# that dominate it.
# With "log" as the fourth argument, dirty logging is on (a live
# migration under way).
#   scripts/callgrind.sh [BUILD_DIR] [REQUESTS] [BATCH] [log]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
requests=${2:-20000}
batch=${3:-32}
log=${4:-}
command -v valgrind >/dev/null ||
	{ echo "callgrind.sh: valgrind is missing; apt-get install valgrind" >&2; exit 1; }
[ -x "$build/tests/perf/hotpath" ] ||
	{ echo "callgrind.sh: $build/tests/perf/hotpath is missing; build first (ninja -C $build)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --toggle-collect=reactor_poll_once \
	--callgrind-out-file="$out/cg.out" \
	"$build/tests/perf/hotpath" "$requests" "$batch" $log >"$out/log" 2>&1 ||
	{ cat "$out/log" >&2; exit 1; }
total=$(callgrind_annotate "$out/cg.out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "instructions per 4K request (null backend, batches of $batch${log:+, dirty logging on}): $((total / requests))"
echo "top functions (instructions per request, self):"
callgrind_annotate "$out/cg.out" | awk -v n="$requests" '
	/^-+$/ { sect++ } 
	sect >= 3 && !/PROGRAM TOTALS/ && $1 ~ /^[0-9,]+$/ && NF >= 2 {
		c = $1; gsub(",", "", c); f = $2
		for (i = 3; i <= NF; i++) f = f " " $i
		sub(/^.*:/, "", f); sub(/ \[.*$/, "", f)
		printf "  %8.1f  %s\n", c / n, f
		if (++k == 15) exit
	}'
