#!/usr/bin/env bash
# vmio bench paper end to end, with very short rows: every experiment is
# in report.md with its rows (the load experiment too, and the isolation
# rows ran vmiod with its default polling policy), report.json parses
# and has no failures,
# every row's command is listed, the machine is described, and the
# plots exist when gnuplot is installed. Bad arguments fail clearly.
set -euo pipefail
VMIO=${VMIO:-$(dirname "$0")/../../build/vmio}
tmp=$(mktemp -d /tmp/vmio-paper-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$VMIO" bench paper --quick --runtime 0.25 --out "$tmp/out" >"$tmp/log" 2>&1 ||
	fail "bench paper failed: $(grep -iE 'vmio bench:|fail|error [^0]|cannot' "$tmp/log" | tail -8; tail -2 "$tmp/log")"
md=$tmp/out/report.md
json=$tmp/out/report.json
for section in "## 1-3. Throughput" "## 4. Noisy-neighbour isolation" \
	"## 5. Scalability" "## 6. Budgets" "## 7. CPU and latency by load" \
	"## Commands" "| CPU |" "| command |"; do
	grep -qF "$section" "$md" || fail "report.md lacks '$section'"
done
for target in vmiod qsd host; do
	grep -q "| 4K randwrite QD64, file | $target |" "$md" || fail "no 4K randwrite row for $target"
done
for what in "4K randread QD64, file" "4K randread QD64, null backend"; do
	grep -q "| $what | vmiod |" "$md" || fail "no virtio-blk row '$what' for vmiod"
	grep -q "| $what, virtio-scsi | vmiod |" "$md" || fail "no virtio-scsi row '$what' for vmiod"
	grep -q "^- $what on vmiod: virtio-scsi/virtio-blk IOPS [0-9.]*x" "$md" ||
		fail "no virtio-scsi/virtio-blk ratio for '$what'"
done
jq -e '[.runs[] | select(.device == "scsi")] | length == 2' "$json" >/dev/null ||
	fail "report.json does not hold the two virtio-scsi runs"
for kase in "tenant 2 alone" "beside tenant 1, no QoS"; do
	for target in vmiod qsd host; do
		grep -q "| $kase | $target |" "$md" || fail "no isolation row '$kase' for $target"
	done
done
grep -q "| (a) cap on tenant 1" "$md" || fail "no QoS isolation row"
# Each QoS case beside the disk's own floor: the host at tenant 1's rate
# under that QoS, and a verdict.
for c in a b c; do
	grep -q "| device alone, tenant 1 at ($c)'s rate | host |" "$md" ||
		fail "no device-floor row for QoS case ($c)"
	grep -qE "^- \($c\) .* — \*\*(PASS|MISS)\*\*\. Device floor: [0-9]+ µs" "$md" ||
		fail "no isolation verdict for QoS case ($c)"
done
jq -e '[.runs[] | select(.experiment == "isolation" and .target == "host" and .tenant1_rate_iops > 0)] |
	length == 3' "$json" >/dev/null || fail "the device-floor rows were not paced at tenant 1's rate"
# The isolation experiment runs vmiod as a user would: no --poll-us.
jq -e '[.runs[] | select(.experiment == "isolation" and .target == "vmiod")] |
	length == 5 and all(.[]; .command | test("--poll-us") | not)' "$json" >/dev/null ||
	fail "an isolation row did not run vmiod's default policy"
for point in "QD64 closed loop" "open loop 5%" "open loop 90%" "QD1 closed loop"; do
	grep -qE "^\| $point[^|]* \| vmiod \|" "$md" || fail "no load row '$point' for vmiod"
done
jq -e '(.load.rows | length) == 22 and (.load.checks | length) == 6' "$json" >/dev/null ||
	fail "report.json lacks the load rows or bars: $(jq -c '.load | {rows: (.rows | length), checks: (.checks | length)}' "$json")"
# The budgets: one round with --quick, a verdict per budget (PASS is not
# asserted: the machine is noisy), in report.md and report.json.
[ "$(grep -cE '^\| [1-4]\. .* \| (PASS|MISS) \| .* \| 1/1, [01] busy \| `vmio bench budget --only [1-4] --rounds 1 --runtime 0.25 --file ' "$md")" = 4 ] ||
	fail "report.md lacks the 4 budget rows: $(sed -n '/## 6\./,/## Commands/p' "$md")"
jq -e '(.budgets | length) == 4 and all(.budgets[]; (.rounds | length) == 1
	and (.median | type) == "number" and (.verdict == "PASS" or .verdict == "MISS"))' \
	"$json" >/dev/null || fail "report.json lacks the budgets: $(jq -c '.budgets' "$json" | head -c 600)"
[ "$(grep -cE '^budget [1-4]: .*\(bar .*\): (PASS|MISS)$' "$tmp/log")" = 4 ] ||
	fail "the output lacks a line per budget"
jq -e '.failures == 0' "$json" >/dev/null || fail "report.json counts failures"
jq -e '.machine.cores >= 1 and (.machine.kernel | length) > 0' "$json" >/dev/null ||
	fail "report.json does not describe the machine"
# (The load section's summary has targets for columns: not a row.)
rows=$(grep -E '^\| [^|]+ \| (vmiod|qsd|host)( --poll-us [0-9]+)? \|' "$md" |
	grep -cv '^| 4K randread on the image |')
cmds=$(jq '.commands | length' "$json")
[ "$rows" = "$cmds" ] || fail "$rows rows but $cmds commands"
[ "$(grep -cE '^[0-9]+\. `vmio bench run |^[0-9]+\. `.*(vmiod|qemu-storage-daemon) ' "$md")" = "$cmds" ] ||
	fail "the Commands list does not match the rows"
jq -e '[.runs[] | select(.littles_law_ok == false)] | length == 0' "$json" >/dev/null ||
	echo "note: a row missed Little's law within 10% (rows are 0.25 s here)"
if command -v gnuplot >/dev/null; then
	for p in throughput bs queues isolation load-cpu load-p99; do
		grep -q "<svg" "$tmp/out/$p.svg" || fail "$p.svg missing or empty"
	done
fi
echo "ok: paper report complete ($rows rows)"

for args in "--runtime 0" "--runtime x" "--nonsense" "extra"; do
	if "$VMIO" bench paper $args --out "$tmp/bad" >"$tmp/e.out" 2>&1; then
		fail "'vmio bench paper $args' succeeded"
	fi
	grep -qE "vmio bench paper:|usage:" "$tmp/e.out" || fail "'$args' printed no message"
done
echo "ok: paper argument errors"
