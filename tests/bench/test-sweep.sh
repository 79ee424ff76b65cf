#!/usr/bin/env bash
# vmio bench sweep on the null backend, 1 s per row: vmiod over 1 and 2
# reactors x 1 and 2 queues, and one qsd row. The table has every row,
# every row did I/O without errors, the JSON holds the rows with their
# reactors and queues, vmiod really ran 2 reactors in the 2-reactor rows,
# the verdict is there, and bad arguments fail with a message and exit 2.
# Speed-ups are not asserted: a 2-core, shared machine cannot show them.
set -euo pipefail
VMIO=${VMIO:-$(dirname "$0")/../../build/vmio}
tmp=$(mktemp -d /tmp/vmio-sweep-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$VMIO" bench sweep --target vmiod --queues 1,2 --cpus 1,2 --runtime 1 \
	--json "$tmp/s.json" >"$tmp/out" 2>"$tmp/err" ||
	fail "the vmiod sweep failed: $(cat "$tmp/err" "$tmp/out")"
grep -qE '^target +reactors +queues +IOPS ' "$tmp/out" || fail "no table header: $(cat "$tmp/out")"
for rq in "1 1" "1 2" "2 1" "2 2"; do
	read -r nr nq <<<"$rq"
	line=$(grep -E "^vmiod +$nr +$nq " "$tmp/out") || fail "no row for $nr reactors x $nq queues: $(cat "$tmp/out")"
	# IOPS is the 4th column, errors the last.
	awk '{ exit !($4 > 0 && $NF == 0) }' <<<"$line" ||
		fail "row $nr reactors x $nq queues: no IOPS or errors: $line"
done
[ "$(grep -cE '^(vmiod|qsd) ' "$tmp/out")" = 4 ] || fail "not 4 rows: $(cat "$tmp/out")"
[ "$(grep -c '^vmio bench sweep: \[[0-9]/4\]' "$tmp/err")" = 4 ] ||
	fail "no progress line per row on stderr: $(cat "$tmp/err")"
grep -q '^verdict: ' "$tmp/out" || fail "no verdict: $(cat "$tmp/out")"
if [ "$(nproc)" -lt 3 ]; then
	grep -q '^verdict: CPU-bound on this machine' "$tmp/out" ||
		fail "a $(nproc)-CPU machine is not called CPU-bound: $(grep verdict "$tmp/out")"
	jq -e '.cpu_bound' "$tmp/s.json" >/dev/null || fail "the JSON does not say cpu_bound"
fi
echo "ok: vmiod table, 4 rows"

jq -e '.rows | length == 4' "$tmp/s.json" >/dev/null || fail "the JSON does not hold 4 rows"
jq -e '[.rows[] | select(.target == "vmiod") | "\(.reactors)x\(.queues)"] == ["1x1","1x2","2x1","2x2"]' \
	"$tmp/s.json" >/dev/null ||
	fail "the JSON rows' reactors/queues: $(jq -c '[.rows[] | [.reactors, .queues]]' "$tmp/s.json")"
jq -e 'all(.rows[]; .iops > 0 and .errors == 0 and .target_errors == 0)' "$tmp/s.json" >/dev/null ||
	fail "a JSON row has no IOPS or has errors"
jq -e 'all(.rows[]; (.queues | tostring) as $q | .command | test("--disk .*queues=" + $q + "$"))' \
	"$tmp/s.json" >/dev/null || fail "vmiod did not serve each row's queue count"
jq -e 'all(.rows[] | select(.reactors == 2); .command | test("--cpus (0-1|0,1) "))' "$tmp/s.json" >/dev/null ||
	fail "vmiod did not run 2 reactors: $(jq -r '.rows[] | select(.reactors == 2) | .command' "$tmp/s.json")"
jq -e 'all(.rows[] | select(.reactors == 1); .command | test("--cpus 0 "))' "$tmp/s.json" >/dev/null ||
	fail "vmiod did not run 1 pinned reactor: $(jq -r '.rows[] | select(.reactors == 1) | .command' "$tmp/s.json")"
jq -e '(.rows[0].speedup == 1) and all(.rows[]; .iops_per_cpu_s != null and .other_cpu_share != null)' \
	"$tmp/s.json" >/dev/null || fail "the JSON lacks speed-up, IOPS per CPU-second or others' share"
# vmio bench run has no reactors, so a vmiod row's rerun is a one-cell sweep.
jq -e '.rows[2].rerun | test("^vmio bench sweep --target vmiod --cpus 2 --queues 1 ")' "$tmp/s.json" >/dev/null ||
	fail "the 2x1 row's rerun line: $(jq -r '.rows[2].rerun' "$tmp/s.json")"
echo "ok: JSON rows, and vmiod ran with --cpus 0 / 0-1"

# qsd: one event loop, so one row per queue count and no reactors.
"$VMIO" bench sweep --target qsd --queues 1 --runtime 1 --json "$tmp/q.json" \
	>"$tmp/out" 2>"$tmp/err" || fail "the qsd sweep failed: $(cat "$tmp/err" "$tmp/out")"
line=$(grep -E '^qsd +- +1 ' "$tmp/out") || fail "no qsd row: $(cat "$tmp/out")"
awk '{ exit !($4 > 0 && $NF == 0) }' <<<"$line" || fail "qsd row: no IOPS or errors: $line"
grep -q 'one event loop' "$tmp/out" || fail "the output does not say qsd has one event loop"
jq -e '.rows | length == 1 and .[0].target == "qsd" and .[0].reactors == null and .[0].queues == 1' \
	"$tmp/q.json" >/dev/null || fail "the qsd JSON: $(jq -c '.rows' "$tmp/q.json")"
echo "ok: qsd row"

# Bad arguments: a message saying what is wrong, and exit 2.
for args in "--cpus 0" "--cpus 999" "--queues x" "--queues 1,,2" "--queues 17" \
	"--target nowhere" "--target qsd --cpus 1" "--iodepth 0" "--runtime 0"; do
	rc=0
	# shellcheck disable=SC2086 # $args is several words on purpose
	"$VMIO" bench sweep $args --runtime 1 >"$tmp/e.out" 2>&1 || rc=$?
	[ $rc = 2 ] || fail "'vmio bench sweep $args' exited $rc, not 2: $(cat "$tmp/e.out")"
	grep -q "^vmio bench sweep: " "$tmp/e.out" || fail "'$args' printed no message: $(cat "$tmp/e.out")"
done
"$VMIO" bench sweep --cpus 999 >"$tmp/e.out" 2>&1 || true
grep -q "online CPUs" "$tmp/e.out" || fail "--cpus 999 does not say how many CPUs there are: $(cat "$tmp/e.out")"
echo "ok: argument errors"
