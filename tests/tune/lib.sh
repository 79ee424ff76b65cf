# Shared helpers for the tune suite's shell tests (sourced).
set -uo pipefail
: "${VMIO:?VMIO must point at the vmio binary (meson test sets it)}"
: "${VMIO_SRC:?VMIO_SRC must point at the source tree}"
T=$VMIO_SRC/tests/tune
DOMS=$T/domains
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The fixture hosts are generated for each test, never read from the tree.
HOSTS=$WORK/hosts
"$T/mkhosts.sh" "$HOSTS" > /dev/null || { echo "FAIL: mkhosts.sh could not write $HOSTS"; exit 1; }
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
finish() { [[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }; echo "all passed"; }

# tune_json OUTFILE ARGS... : run vmio tune --json, keep its exit code in $rc
tune_json() {
	local out=$1; shift
	"$VMIO" tune --json "$@" > "$out" 2> "$out.err"
	rc=$?
	if ! jq -e . "$out" > /dev/null 2>&1; then
		fail "vmio tune $* did not print valid JSON (exit $rc): $(head -c 300 "$out.err")"
		return 1
	fi
}

# ids FILE [SEVERITIES] : sorted unique rule ids found (warn/error/info by default)
ids() {
	jq -r --arg s "${2:-info warn error}" \
		'.findings[] | select(.severity as $v | ($s | split(" ") | index($v))) | .id' "$1" | sort -u
}

all_rules() { "$VMIO" tune --list-rules | awk '{print $1}' | sort -u; }
