#!/bin/bash
# A run on this very machine completes, in text and JSON, whatever it finds.
. "$(dirname "$0")/lib.sh"

"$VMIO" tune > "$WORK/text" 2> "$WORK/err"
rc=$?
[[ $rc -le 2 ]] && grep -q "rules passed" "$WORK/text" && pass "text run on / completes (exit $rc)" ||
	fail "text run on /: exit $rc: $(head -c 500 "$WORK/err")"
tune_json "$WORK/json" && [[ $rc -le 2 && $(jq '.exit' "$WORK/json") -eq $rc ]] &&
	pass "JSON run on / completes, exit code matches .exit ($rc)" || fail "JSON run on /"
jq -e '.host.cpus > 0' "$WORK/json" > /dev/null && pass "real host CPUs found ($(jq .host.cpus "$WORK/json"))" ||
	fail "no CPUs found on the real host"
cat "$WORK/text"
finish
