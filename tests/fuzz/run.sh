#!/usr/bin/env bash
# Builds every fuzz harness with clang + libFuzzer + ASan + UBSan (meson,
# in build-fuzz) and runs each for SECONDS (default 20) from its seed corpus
# and regression inputs, printing executions, coverage and findings.
#
# Inputs that grow coverage go to a scratch corpus in the build dir, never
# into the tree. A crash leaves its input in build-fuzz/crash-<harness>-*:
# minimise it (see docs/fuzzing.md), copy it to tests/fuzz/regress/<harness>/
# and list it in tests/fuzz/meson.build, which makes it a test.
#
# Usage: tests/fuzz/run.sh [SECONDS] [HARNESS...]
# Env:   VMIO_FUZZ_BUILD (build dir), VMIO_FUZZ_ARGS (extra libFuzzer flags),
#        VMIO_FUZZ_JOBS (harnesses run at once, default 2)
set -euo pipefail
secs=${1:-20}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${VMIO_FUZZ_BUILD:-$root/build-fuzz}

command -v clang >/dev/null ||
	{ echo "fuzz: clang not found; apt-get install clang" >&2; exit 1; }
if [ ! -f "$dir/build.ninja" ]; then
	# fuzzer-no-link: coverage feedback from the libraries too, not only
	# from the harness files (libFuzzer itself is linked per harness).
	CC=clang meson setup "$dir" "$root" -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >"$dir.setup.log" 2>&1 ||
		{ cat "$dir.setup.log" >&2; echo "fuzz: meson setup failed" >&2; exit 1; }
	rm -f "$dir.setup.log"
fi

if [ $# -gt 0 ]; then
	harnesses=("$@")
else
	# Every harness tests/fuzz/meson.build defines a libFuzzer target for
	# (build.ninja first: a changed meson.build regenerates it).
	ninja -C "$dir" build.ninja >"$dir/fuzz-build.log" 2>&1 ||
		{ tail -20 "$dir/fuzz-build.log" >&2; echo "fuzz: meson could not regenerate $dir (see $dir/fuzz-build.log)" >&2; exit 1; }
	mapfile -t harnesses < <(ninja -C "$dir" -t targets all |
		sed -n 's|^tests/fuzz/fuzz_\([a-z_]*\): .*|\1|p' | sort)
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/fuzz_$h"); done
ninja -C "$dir" "${targets[@]}" >"$dir/fuzz-build.log" 2>&1 ||
	{ tail -40 "$dir/fuzz-build.log" >&2; echo "fuzz: build failed (see $dir/fuzz-build.log)" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# One harness: fuzz it, leave its exit status in $dir/fuzz-$h.rc.
fuzz_one() {
	local h=$1 inputs rc=0
	local regress=$root/tests/fuzz/regress/$h scratch=$dir/corpus-$h

	mkdir -p "$scratch"
	inputs=("$scratch" "$root/tests/fuzz/corpus/$h")
	# The JSON-RPC harness keeps its seeds with the RPC server's tests.
	[ "$h" = rpc ] && inputs=("$scratch" "$root/tests/rpc/seeds")
	[ -d "$regress" ] && inputs+=("$regress")
	# shellcheck disable=SC2086
	"$dir/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$dir/crash-$h-" ${VMIO_FUZZ_ARGS:-} \
		"${inputs[@]}" >"$dir/fuzz-$h.log" 2>&1 || rc=$?
	echo "$rc" >"$dir/fuzz-$h.rc"
}

report() {
	local h=$1 log=$dir/fuzz-$1.log execs cov ft corp

	if [ "$(cat "$dir/fuzz-$h.rc")" = 0 ]; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
		ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
		corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
		printf 'fuzz %-9s %3ss  %9s executions (%s/s)  cov %s  ft %s  corpus %s  no crash\n' \
			"$h" "$secs" "${execs:-?}" "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" \
			"${cov:-?}" "${ft:-?}" "${corp:-?}"
		return 0
	fi
	echo "fuzz $h: FOUND A CRASH; log: $log; input: $(ls -t "$dir"/crash-"$h"-* 2>/dev/null | head -1)"
	grep -E "ERROR|SUMMARY|oracle failed|#[0-9]+ 0x.* in " "$log" | head -20 || true
	return 1
}

# VMIO_FUZZ_JOBS harnesses at a time (default 2, one per core here), so
# the CI's bounded run costs (harnesses / jobs) x SECONDS of wall time.
jobs=${VMIO_FUZZ_JOBS:-2}
running=0
for h in "${harnesses[@]}"; do
	fuzz_one "$h" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait
failed=0
for h in "${harnesses[@]}"; do
	report "$h" || failed=1
done
exit $failed
