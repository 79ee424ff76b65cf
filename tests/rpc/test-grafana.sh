#!/usr/bin/env bash
# contrib/grafana/vmio.json asks only for what vmiod exports: every
# metric its PromQL names is in a real scrape (after I/O through a disk
# under QoS with a p99 target), histogram_quantile reads a histogram's
# _bucket series, each expression parses as PromQL, and the scrape
# passes promtool.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || { echo "promtool is missing (apt-get install prometheus)"; exit 77; }
src=${VMIO_SRC:?set by meson}
board=$src/contrib/grafana/vmio.json

# --- the board's own shape ---------------------------------------------------
jq -e . "$board" >/dev/null || fail "vmio.json is not JSON"
jq -e '.schemaVersion >= 36 and (.__inputs | map(.name) | index("DS_PROMETHEUS") != null)' \
	"$board" >/dev/null || fail "no schemaVersion or DS_PROMETHEUS input"
jq -e '.templating.list[] | select(.name == "disk") |
	.definition | test("^label_values\\(vmio_disk_requests_total(\\{[^}]*\\})?, disk\\)$")' \
	"$board" >/dev/null || fail "no disk variable from label_values(vmio_disk_requests_total, disk)"
# Every panel but rows queries the input data source, through at least one
# expression.
jq -e '[.panels[] | select(.type != "row") |
	(.datasource.uid == "${DS_PROMETHEUS}") and (.targets | length > 0) and
	all(.targets[]; .datasource.uid == "${DS_PROMETHEUS}" and (.expr | length > 0))] | all' \
	"$board" >/dev/null || fail "a panel without targets or with another data source"
# The panels the board promises, by title.
for want in IOPS Bandwidth 'p50 / p99 / p99.9' 'QoS: requests held back' \
	'p99 against its target' 'busy, polling idle, asleep' 'In flight' Errors; do
	jq -e --arg w "$want" '[.panels[].title | contains($w)] | any' "$board" >/dev/null ||
		fail "no panel about '$want'"
done

# Every expression, the variables' queries included, one per line.
jq -r '[.. | objects | .expr? // empty] + [.templating.list[].definition] | .[]' \
	"$board" >"$tmp/exprs"
[ "$(wc -l <"$tmp/exprs")" -ge 15 ] || fail "only $(wc -l <"$tmp/exprs") expressions"

# Each parses as PromQL: promtool checks rules, so every expression (with
# Grafana's variables given values) becomes a recording rule.
{
	echo "groups:"
	echo "  - name: vmio_dashboard"
	echo "    rules:"
	n=0
	grep -v '^label_values(' "$tmp/exprs" | while IFS= read -r e; do
		n=$((n + 1))
		e=${e//\$__rate_interval/1m}
		e=${e//\$instance/.*}
		e=${e//\$disk/.*}
		printf '      - record: vmio_dashboard:expr_%d\n        expr: %s\n' "$n" \
			"$(jq -Rn --arg e "$e" '$e')"
	done
} >"$tmp/rules.yml"
promtool check rules "$tmp/rules.yml" >"$tmp/rules.out" 2>&1 ||
	fail "the board's PromQL does not parse: $(cat "$tmp/rules.out")"
echo "ok: vmio.json: $(jq '[.panels[] | select(.type != "row")] | length' "$board") panels, $(wc -l <"$tmp/exprs") expressions that parse"

# --- against a real scrape ------------------------------------------------------
port=$(free_port)
start_vmiod -q --qos --metrics "127.0.0.1:$port" \
	--disk "id=vm1,backend=null,size=256M,socket=$tmp/vm1.sock,queues=2,iops=20000,lat-target-us=5000"
bench "$tmp/vm1.sock" --rw randrw --iodepth 8 --runtime 1 >/dev/null || fail "bench run"
curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/m" || fail "GET /metrics"
promtool check metrics <"$tmp/m" || fail "promtool rejects /metrics"

# Sample names as scraped, and the TYPE of each family.
grep -v '^#' "$tmp/m" | sed -E 's/[{ ].*//' | sort -u >"$tmp/samples"
awk '$1 == "#" && $2 == "TYPE" {print $3, $4}' "$tmp/m" >"$tmp/types"
type_of() { awk -v f="$1" '$1 == f {print $2}' "$tmp/types"; }

grep -oE '\bvmio_[A-Za-z0-9_:]+' "$tmp/exprs" | grep -v '^vmio_dashboard:' | sort -u >"$tmp/names"
[ -s "$tmp/names" ] || fail "no vmio_ metric in the board"
missing=
while read -r name; do
	# A series PromQL can select is a sample name, never a bare
	# histogram family (that one only has _bucket, _sum and _count).
	if ! grep -qxF "$name" "$tmp/samples"; then
		missing="$missing $name"
		continue
	fi
	case $name in
	*_bucket)
		[ "$(type_of "${name%_bucket}")" = histogram ] ||
			fail "$name is not a histogram's buckets (family ${name%_bucket}: $(type_of "${name%_bucket}"))" ;;
	*_sum | *_count)
		base=${name%_*}
		[ "$(type_of "$name")" != "" ] || [ "$(type_of "$base")" = histogram ] ||
			fail "$name belongs to no histogram and is no family of its own" ;;
	esac
done <"$tmp/names"
[ -z "$missing" ] || fail "the board asks for metrics vmiod does not export:$missing"
# histogram_quantile only ever reads _bucket series.
[ "$(grep -c 'histogram_quantile(' "$tmp/exprs")" -ge 3 ] || fail "no p50, p99 and p99.9"
grep 'histogram_quantile(' "$tmp/exprs" | grep -oE '\bvmio_[A-Za-z0-9_:]+' | grep -v '_bucket$' &&
	fail "histogram_quantile over something other than _bucket"
echo "ok: all $(wc -l <"$tmp/names") metrics the board names are in the scrape: $(tr '\n' ' ' <"$tmp/names")"
stop_vmiod
