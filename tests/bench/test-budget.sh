#!/usr/bin/env bash
# vmio bench budget with 2 short rounds on a small image: the table has
# the four budgets, each with a numeric median, a range and a verdict
# (PASS or MISS: this machine is noisy, so PASS is not asserted), and the
# command that repeats it; the JSON holds 2 rounds per budget, with the
# per-target runs of each round in an order that rotates; a progress line
# per run on stderr. Bad arguments fail with a message and exit 2.
set -euo pipefail
VMIO=${VMIO:-$(dirname "$0")/../../build/vmio}
tmp=$(mktemp -d /var/tmp/vmio-budget-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A sparse image: bench fills it with data before measuring.
truncate -s 64M "$tmp/img"
"$VMIO" bench budget --rounds 2 --runtime 0.5 --file "$tmp/img" \
	--json "$tmp/b.json" >"$tmp/out" 2>"$tmp/err" ||
	fail "vmio bench budget failed: $(tail -5 "$tmp/err")"

rows=$(grep -cE '^\| [1-4]\. ' "$tmp/out") || true
[ "$rows" = 4 ] || fail "not 4 budget rows: $(cat "$tmp/out")"
for b in 1 2 3 4; do
	line=$(grep -E "^\| $b\. " "$tmp/out")
	# | budget | median (range) | bar | verdict | context | rounds | rerun |
	measured=$(awk -F' \\| ' '{ print $2 }' <<<"$line")
	verdict=$(awk -F' \\| ' '{ print $4 }' <<<"$line")
	grep -qE '^[+-]?[0-9]+\.[0-9]+(%|x| µs) \([+-]?[0-9.]+(%|x| µs) to [+-]?[0-9.]+(%|x| µs)\)$' \
		<<<"$measured" || fail "budget $b: no numeric median and range: $line"
	[[ "$verdict" =~ ^(PASS|MISS)$ ]] || fail "budget $b: verdict '$verdict': $line"
	grep -qF "| 2/2, " <<<"$line" || fail "budget $b: not 2 of 2 rounds measured: $line"
	grep -qF "\`vmio bench budget --only $b --rounds 2 --runtime 0.5 --file $tmp/img\`" <<<"$line" ||
		fail "budget $b: no rerun command: $line"
done
grep -qE '^\*\*[0-4] of 4 budgets met\.\*\*' "$tmp/out" || fail "no summary line"
[ "$(grep -cE '^\| [12] \| ' "$tmp/out")" = 2 ] || fail "no per-round table with 2 rounds"
# 3 + 2 + 3 runs and one idle hold per round.
[ "$(grep -cE '^vmio bench budget: \[[0-9]+/18\] round [12]/2, budget [1-4], ' "$tmp/err")" = 18 ] ||
	fail "not one progress line per run on stderr: $(cat "$tmp/err")"
echo "ok: 4 budget rows with medians, ranges, verdicts and rerun commands"

jq -e '.budgets | length == 4' "$tmp/b.json" >/dev/null || fail "the JSON lacks 4 budgets"
jq -e 'all(.budgets[]; (.rounds | length) == 2 and .rounds_measured == 2
	and (.median | type) == "number" and (.min | type) == "number"
	and (.max | type) == "number" and .min <= .median and .median <= .max
	and (.verdict == "PASS" or .verdict == "MISS")
	and (.bar.value | type) == "number")' "$tmp/b.json" >/dev/null ||
	fail "a JSON budget lacks 2 rounds, a median, a range or a verdict: $(jq -c '.budgets[] | del(.rounds)' "$tmp/b.json")"
# The verdict follows from the median and the bar.
jq -e 'all(.budgets[]; (if .bar.op == ">=" then .median >= .bar.value
	elif .bar.op == "<=" then .median <= .bar.value else .median < .bar.value end)
	== (.verdict == "PASS"))' "$tmp/b.json" >/dev/null || fail "a verdict does not follow from its median"
# Budgets 1 and 3: host, vmiod and qsd each round, in a rotated order;
# budget 2: vmiod and qsd; every run did I/O.
jq -e '[.budgets[] | select(.id == 1 or .id == 3) | .rounds[] | .order] as $o
	| ($o | length) == 4 and all($o[]; sort == ["host","qsd","vmiod"])
	and $o[0] != $o[1] and $o[2] != $o[3]' "$tmp/b.json" >/dev/null ||
	fail "budgets 1/3 did not rotate host, vmiod and qsd: $(jq -c '[.budgets[].rounds[].order]' "$tmp/b.json")"
jq -e '.budgets[] | select(.id == 2) | .rounds | .[0].order != .[1].order
	and all(.[]; (.order | sort) == ["qsd","vmiod"])' "$tmp/b.json" >/dev/null ||
	fail "budget 2 did not alternate vmiod and qsd"
jq -e 'all(.budgets[] | select(.id <= 3) | .rounds[] | .runs[]; .iops > 0 and .errors == 0)' \
	"$tmp/b.json" >/dev/null || fail "a run did no I/O or had errors"
jq -e '.budgets[] | select(.id == 1) | .rounds[0] |
	(.value - .runs.vmiod.iops / .runs.host.iops | fabs) < 1e-9' "$tmp/b.json" >/dev/null ||
	fail "budget 1's round figure is not vmiod IOPS / host IOPS"
jq -e '.budgets[] | select(.id == 4) | all(.rounds[]; .hold_s >= 1.9 and .cpu_s >= 0
	and (.command | test("vmiod .*--disk ")))' "$tmp/b.json" >/dev/null ||
	fail "budget 4's rounds lack the hold, the CPU or vmiod's command"
jq -e 'all(.budgets[].rounds[]; (.busy | type) == "boolean" and (.other_cpu_share_max | type) == "number")' \
	"$tmp/b.json" >/dev/null || fail "a round lacks its busy flag"
[ "$(stat -c %s "$tmp/img")" = $((64 << 20)) ] || fail "the image was not kept at its size"
echo "ok: JSON, 2 rounds per budget, rotated order"

# Bad arguments: a message saying what is wrong, and exit 2.
for args in "--rounds 0" "--rounds x" "--rounds 51" "--runtime x" "--runtime 0" \
	"--runtime 0.5s" "--only 5" "--only 1,,2" "--nonsense" "extra" \
	"--frontend-cpu 99999" "--frontend-cpu x"; do
	rc=0
	# shellcheck disable=SC2086 # $args is several words on purpose
	"$VMIO" bench budget $args >"$tmp/e.out" 2>&1 || rc=$?
	[ $rc = 2 ] || fail "'vmio bench budget $args' exited $rc, not 2: $(cat "$tmp/e.out")"
	grep -q "^vmio bench budget: " "$tmp/e.out" || fail "'$args' printed no message: $(cat "$tmp/e.out")"
done
msg=$("$VMIO" bench budget --rounds 0 2>&1 || true)
grep -q -- "--rounds takes 1 to 50: 0" <<<"$msg" || fail "--rounds 0 does not say what --rounds takes: $msg"
msg=$("$VMIO" bench budget --runtime x 2>&1 || true)
grep -q -- "--runtime takes seconds .*: x" <<<"$msg" || fail "--runtime x does not say what --runtime takes: $msg"
"$VMIO" bench budget --help | grep "^usage: vmio bench budget" >/dev/null || fail "no --help"
echo "ok: argument errors"

# --frontend-cpu: the frontend on that CPU, the target it starts on the
# others (same placement for every target relative to the device's
# interrupts). Checked in /proc while a run is going on.
if [ "$(nproc)" -ge 2 ]; then
	"$VMIO" bench run --target vmiod --backend null --runtime 2 --ramp 0 \
		--frontend-cpu 0 >"$tmp/pin.out" 2>&1 &
	bench=$!
	# The vmiod this run started (others may run on the machine).
	for _ in $(seq 50); do pid=$(pgrep -n -x -P "$bench" vmiod) && break; sleep 0.05; done
	[ -n "${pid:-}" ] || fail "--frontend-cpu 0: no vmiod started"
	sleep 0.3
	front=$(awk '/Cpus_allowed_list/ {print $2}' "/proc/$bench/status")
	target=$(awk '/Cpus_allowed_list/ {print $2}' "/proc/$pid/status")
	wait "$bench" || fail "--frontend-cpu 0 run failed: $(cat "$tmp/pin.out")"
	[ "$front" = 0 ] || fail "--frontend-cpu 0: the frontend may run on $front"
	[ -n "$target" ] && ! grep -qE '(^|,)0(,|-|$)' <<<"$target" ||
		fail "--frontend-cpu 0: vmiod may run on $target, CPU 0 included"
	echo "ok: --frontend-cpu 0 pins the frontend to 0 and vmiod to $target"
fi
