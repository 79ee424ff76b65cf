#!/usr/bin/env bash
# Builds vmio with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in
# build-asan and runs the test suites under it: unit, integration, qos,
# scsi (its guest test included), rpc, tune, bench, rbd and fuzz (the fuzz
# corpora and every past crash, replayed). Any sanitizer report fails the
# test that caused it, and so the run.
#
# Left out: suite 'timing' and the tests in SKIP below, which compare rates
# (a sanitizer's slowdown makes them meaningless) or write whole benchmark
# reports (minutes under a sanitizer; bench-run and the vufront tests
# drive the same code), and suite 'e2e' (minutes of guests; the scsi guest
# test stands in for it). Of suite rbd, rbd-io drives the RBD backend
# under the sanitizers; its guest, outage and benchmark tests are left out.
#
# Usage: scripts/sanitize.sh [SUITE...]     (default: the list above)
# Env:   VMIO_ASAN_DIR (build dir, default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${VMIO_ASAN_DIR:-build-asan}
SKIP=(bench-meter bench-paper bench-budget bench-load bench-sweep rbd-bench
	rbd-cluster rbd-loss rbd-guest-verify rbd-guest-restart e2e-migrate-rbd-vmiod)

if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" -Db_sanitize=address,undefined -Db_lundef=false \
		>"$dir.setup.log" 2>&1 ||
		{ cat "$dir.setup.log" >&2; echo "sanitize: meson setup failed" >&2; exit 1; }
	rm -f "$dir.setup.log"
fi
ninja -C "$dir" >"$dir/sanitize-build.log" 2>&1 ||
	{ tail -40 "$dir/sanitize-build.log" >&2; echo "sanitize: build failed" >&2; exit 1; }

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if [ $# -gt 0 ]; then
	suites=("$@")
else
	suites=(unit integration qos scsi rpc tune bench fuzz rbd)
fi
args=()
for s in "${suites[@]}"; do args+=(--suite "$s"); done
# The tests those suites hold, minus the skipped ones (by name).
mapfile -t tests < <(meson test -C "$dir" --list "${args[@]}" --no-suite timing 2>/dev/null |
	sed -n 's|^vmio:[^/]* / ||p' | grep -vxF -f <(printf '%s\n' "${SKIP[@]}") | sort -u)
if [ ${#tests[@]} = 0 ]; then
	echo "sanitize: no tests in suites ${suites[*]}" >&2
	exit 1
fi
echo "sanitize: ${#tests[@]} tests under ASan+UBSan in $dir (skipped: ${SKIP[*]})"
# Sanitized code runs 2-5x slower: time limits grow with it.
meson test -C "$dir" --print-errorlogs --num-processes 2 \
	--timeout-multiplier "${VMIO_ASAN_TIMEOUT_MULTIPLIER:-4}" "${tests[@]}"
