#!/bin/bash
# --write-xml: the corrected XML is valid for libvirt, changes only what
# the rules say, and a second run on it finds nothing left to fix in XML.
. "$(dirname "$0")/lib.sh"

have_validate=1
command -v virt-xml-validate > /dev/null || { have_validate=0; echo "note: virt-xml-validate missing, schema checks skipped"; }

validate() {
	[[ $have_validate -eq 1 ]] || return 0
	virt-xml-validate "$1" domain > "$WORK/validate.out" 2>&1 &&
		pass "$2 validates against libvirt's schema" ||
		fail "$2 does not validate: $(cat "$WORK/validate.out")"
}

# 1. The realistic badly tuned domain alone: fixed, valid, then clean.
out=$("$VMIO" tune --root "$HOSTS/bad" --domain "$DOMS/bad-web.xml" --write-xml "$WORK/web.xml" --quiet)
rc=$?
[[ $rc -eq 1 && -s $WORK/web.xml ]] && pass "web: report exit 1, corrected XML written" ||
	fail "web: exit $rc, file $(ls -l "$WORK/web.xml" 2>&1)"
grep -q "virsh define $WORK/web.xml" <<< "$out" && pass "web: says how to apply (virsh define)" ||
	fail "web: no 'virsh define' hint in: $out"
validate "$WORK/web.xml" "fixed web.xml"
tune_json "$WORK/web2.json" --root "$HOSTS/bad" --domain "$WORK/web.xml" --only domain
[[ $rc -eq 0 ]] && pass "web: second run on the fixed XML is clean (exit 0)" ||
	fail "web: second run exit $rc: $(jq -c '[.findings[] | select(.severity != "info") | .id + " " + .object]' "$WORK/web2.json")"
left=$(jq -r '[.findings[] | select(.severity != "info" and (.id | startswith("D")))] | length' \
	<("$VMIO" tune --json --root "$HOSTS/bad" --domain "$WORK/web.xml"))
[[ $left -eq 0 ]] && pass "web: with the host in view, only host-side findings remain" ||
	fail "web: $left domain findings remain with host rules on"

# Only what the rules say changed: compare with quotes normalised (libxml2
# writes double quotes) - the expected diff is kept in expected/web.diff.
sed "s/'/\"/g" "$DOMS/bad-web.xml" | diff - "$WORK/web.xml" | sed 's|^[<>] ||' > "$WORK/web.diff"
if diff -u "$T/expected/web.diff" "$WORK/web.diff"; then
	pass "web: the rewrite changes exactly the expected lines"
else
	fail "web: rewrite differs from expected/web.diff"
fi

# 2. Three domains at once into a directory.
mkdir "$WORK/out"
"$VMIO" tune --root "$HOSTS/bad" --domain "$DOMS/bad-web.xml" --domain "$DOMS/bad-db.xml" \
	--domain "$DOMS/bad-misc.xml" --write-xml "$WORK/out" --quiet > /dev/null
for n in web db misc; do
	[[ -s $WORK/out/$n.xml ]] && validate "$WORK/out/$n.xml" "fixed $n.xml" || fail "no $WORK/out/$n.xml"
done
tune_json "$WORK/all2.json" --root "$HOSTS/bad" --domain "$WORK/out/web.xml" \
	--domain "$WORK/out/db.xml" --domain "$WORK/out/misc.xml" --only domain
# Left on purpose: fixes that are not XML edits (re-pinning, blockcommit,
# turning the IOMMU on).
rest=$(jq -r '.findings[] | select(.severity != "info") | .id' "$WORK/all2.json" | sort -u | tr '\n' ' ')
[[ $rest == "D14 D16 D30 D32 " ]] && pass "all three: only non-XML fixes remain ($rest)" ||
	fail "all three: remaining warn/error ids '$rest', want 'D14 D16 D30 D32 '"

# 3. Never in place; several domains need a directory.
cp "$DOMS/bad-web.xml" "$WORK/inplace.xml"
sum=$(md5sum < "$WORK/inplace.xml")
"$VMIO" tune --root "$HOSTS/bad" --domain "$WORK/inplace.xml" --write-xml "$WORK/inplace.xml" > /dev/null 2> "$WORK/err"
rc=$?
[[ $rc -eq 2 && $(md5sum < "$WORK/inplace.xml") == "$sum" ]] && grep -q "input file" "$WORK/err" &&
	pass "refuses to overwrite its input" || fail "in-place write: exit $rc, $(cat "$WORK/err")"
"$VMIO" tune --root "$HOSTS/bad" --domain "$DOMS/bad-web.xml" --domain "$DOMS/bad-db.xml" \
	--write-xml "$WORK/nodir.xml" > /dev/null 2> "$WORK/err"
[[ $? -eq 2 ]] && grep -q "directory" "$WORK/err" && pass "several domains without a directory: clear error" ||
	fail "several domains to a file: $(cat "$WORK/err")"

# 4. A domain with nothing to fix is written unchanged (apart from quoting).
"$VMIO" tune --root "$HOSTS/good" --domain "$DOMS/good-web.xml" --write-xml "$WORK/gw.xml" --quiet > /dev/null
sed "s/'/\"/g" "$DOMS/good-web.xml" | diff -q - "$WORK/gw.xml" > /dev/null &&
	pass "tuned domain: written unchanged" || fail "tuned domain was changed"
finish
