#!/usr/bin/env bash
# vmio bench load in quick mode with very short runs and two open-loop
# rates: host io_uring is measured first and sets the rates; every point
# has a row per target (vmiod's fixed modes at the closed-loop points
# only), a summary by target, a PASS or MISS per bar (not asserted: the
# machine is noisy), load.dat for the plots, a rerun command per row, and
# report.json agrees. Bad arguments fail with a message and exit 2.
set -euo pipefail
VMIO=${VMIO:-$(dirname "$0")/../../build/vmio}
tmp=$(mktemp -d /var/tmp/vmio-load-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$VMIO" bench load --quick --runtime 0.25 --loads 5,50 --out "$tmp/out" \
	>"$tmp/log" 2>"$tmp/err" || fail "bench load failed: $(tail -5 "$tmp/err")"
md=$tmp/out/report.md
json=$tmp/out/report.json
grep -qF "## CPU and latency by load" "$md" || fail "no section"
host=$(jq '.load.host_qd64_iops' "$json")
jq -e '.load.host_qd64_iops > 0 and .failures == 0' "$json" >/dev/null ||
	fail "no host IOPS or failures: $(jq -c '{failures, h: .load.host_qd64_iops}' "$json")"
# The first run is host at QD64; the rates are shares of its IOPS.
[ "$(grep -m1 -E '^vmio bench load: \[1/16\]' "$tmp/err")" = "vmio bench load: [1/16] QD64 closed loop, host" ] ||
	fail "host QD64 is not measured first: $(head -3 "$tmp/err")"
for pct in 5 50; do
	rate=$(jq -n "$host * $pct / 100 | round")
	for t in host qsd vmiod; do
		grep -qE "^\| open loop $pct% \($rate IOPS\) \| $t \| $rate \| [0-9]+ \|" "$md" ||
			fail "no $pct% row at $rate IOPS for $t: $(grep "open loop $pct%" "$md")"
	done
	grep -qE "^\| open loop $pct% .* \| vmiod --poll-us" "$md" &&
		fail "a fixed mode ran at an open-loop point"
	grep -qE "^- open loop $pct% \($rate IOPS\): CPU and p99 at most qsd's: .* — \*\*(PASS|MISS)\*\*$" "$md" ||
		fail "no bar for the $pct% point"
done
for point in "QD64 closed loop" "QD1 closed loop"; do
	for t in host qsd vmiod "vmiod --poll-us 200" "vmiod --poll-us 0"; do
		grep -qE "^\| $point \| $t \| — \| [0-9]+ \|" "$md" || fail "no $point row for $t"
	done
done
grep -qE '^- QD64: IOPS at least the best fixed mode.s: .*vmiod / host io_uring [0-9]+% — \*\*(PASS|MISS)\*\*$' "$md" ||
	fail "no QD64 bar"
grep -qE '^- QD1: IOPS at least 95% of --poll-us 200.s: .* — \*\*(PASS|MISS)\*\*$' "$md" || fail "no QD1 bar"
grep -qE '^\| 4K randread on the image \| host \| qsd \| vmiod \| vmiod --poll-us 200 \| vmiod --poll-us 0 \|$' "$md" ||
	fail "no summary by target"
grep -qE '^\| QD1 closed loop, IOPS( \| [0-9.k]+){5} \|$' "$md" || fail "no QD1 IOPS in the summary"
echo "ok: 16 rows, rates from host's $host IOPS, bars and summary"

rows=$(grep -cE '^\| (QD64|QD1|open loop)[^|]*\| (host|qsd|vmiod)( --poll-us [0-9]+)? \|' "$md")
[ "$rows" = 16 ] || fail "$rows rows, not 16"
[ "$(jq '.load.rows | length' "$json")" = 16 ] || fail "report.json does not hold 16 rows"
[ "$(jq '.load.commands | length' "$json")" = 16 ] || fail "not a command per row"
jq -e '[.load.rows[] | select(.column == "vmiod --poll-us 0")] | length == 2 and
	all(.[]; .rerun | test("--vmiod-args .--poll-us 0."))' "$json" >/dev/null ||
	fail "the --poll-us 0 rows do not rerun with it: $(jq -r '.load.rows[].rerun' "$json" | grep poll-us | head -2)"
jq -e '[.load.checks[] | select(.verdict == "PASS" or .verdict == "MISS")] | length == 4' "$json" >/dev/null ||
	fail "report.json lacks the 4 bars"
grep -q '^### Commands' "$md" || fail "no command list"
[ "$(grep -cE '^[0-9]+\. `vmio bench run --target (host|qsd|vmiod) ' "$md")" = 16 ] ||
	fail "the command list does not have 16 commands"
# load.dat: a header, then the load and CPU and p99 per column.
[ "$(grep -cvE '^#' "$tmp/out/load.dat")" = 2 ] || fail "load.dat: $(cat "$tmp/out/load.dat")"
awk '!/^#/ { if (NF != 11) exit 1 }' "$tmp/out/load.dat" || fail "load.dat columns: $(cat "$tmp/out/load.dat")"
if command -v gnuplot >/dev/null; then
	for p in load-cpu load-p99; do
		grep -q "<svg" "$tmp/out/$p.svg" || fail "$p.svg missing or empty"
	done
fi
echo "ok: report.json, commands, load.dat and plots"

for args in "--loads 0" "--loads x" "--poll-us auto,auto" "--poll-us fast" \
	"--runtime 0" "--nonsense" "extra"; do
	# shellcheck disable=SC2086
	if "$VMIO" bench load $args --out "$tmp/bad" >"$tmp/e.out" 2>&1; then
		fail "'vmio bench load $args' succeeded"
	fi
	grep -qE "vmio bench load:|usage:" "$tmp/e.out" || fail "'$args' printed no message"
done
"$VMIO" bench load --help | grep '^usage: vmio bench load' >/dev/null || fail "--help"
echo "ok: load argument errors"
