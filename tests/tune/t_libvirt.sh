#!/bin/bash
# Domains from a live libvirt connection: the test driver runs in-process
# (no daemon), both its stock host and a node file holding fixture domains.
. "$(dirname "$0")/lib.sh"

if grep -q "built without libvirt" <<< "$("$VMIO" tune --connect test:///default --all-domains 2>&1)"; then
	echo "vmio built without libvirt: skipped"
	exit 77
fi
tune_json "$WORK/default.json" --connect test:///default --all-domains
jq -e '.domains | map(.name) == ["test"]' "$WORK/default.json" > /dev/null &&
	pass "test:///default: domain 'test' read over the C API" ||
	fail "test:///default domains: $(jq -c .domains "$WORK/default.json")"
jq -e '[.findings[] | select(.id == "D07" and .domain == "test")] | length == 1' "$WORK/default.json" > /dev/null &&
	pass "test:///default: rules ran on the live domain (D07)" || fail "no D07 on domain test"

# A test-driver node with the badly tuned web domain (type='test').
mkdir "$WORK/node"
sed "s/type='kvm'/type='test'/" "$DOMS/bad-web.xml" > "$WORK/node/web.xml"
cat > "$WORK/node/node.xml" <<XML
<node>
  <cpu><nodes>2</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads>
    <active>8</active><mhz>2000</mhz><model>x86_64</model></cpu>
  <memory>16777216</memory>
  <domain file='web.xml'/>
</node>
XML
uri="test://$WORK/node/node.xml"
tune_json "$WORK/node.json" --root "$HOSTS/bad" --connect "$uri" --name web --only domain
got=$(jq -r '[.findings[] | select(.severity != "info") | .id] | unique | join(" ")' "$WORK/node.json")
# Compare with the same definition as a file: libvirt's own dump (the
# test driver drops QEMU-only bits such as <driver name='qemu'/>).
if command -v virsh > /dev/null; then
	virsh -r -c "$uri" dumpxml --inactive web > "$WORK/web-dump.xml"
else
	cp "$DOMS/bad-web.xml" "$WORK/web-dump.xml"
fi
want=$(jq -r '[.findings[] | select(.severity != "info") | .id] | unique | join(" ")' \
	<("$VMIO" tune --json --root "$HOSTS/bad" --domain "$WORK/web-dump.xml" --only domain))
[[ -n $got && $got == "$want" ]] && pass "live domain gives the same findings as its XML file ($got)" ||
	fail "live: '$got' vs file: '$want'"
"$VMIO" tune --root "$HOSTS/bad" --connect "$uri" --name web --write-xml "$WORK/web-fixed.xml" --quiet > /dev/null
command -v virt-xml-validate > /dev/null && {
	virt-xml-validate "$WORK/web-fixed.xml" domain > /dev/null 2>&1 &&
		pass "--write-xml from a live domain validates" || fail "live --write-xml output invalid"
}
tune_json "$WORK/noname.json" --connect test:///default --name nosuch
jq -e '.findings[] | select(.id == "LOAD" and (.observed | contains("nosuch")))' "$WORK/noname.json" > /dev/null &&
	[[ $rc -eq 2 ]] && pass "unknown domain name: LOAD error, exit 2" || fail "unknown name: exit $rc"
tune_json "$WORK/nouri.json" --connect "test://$WORK/missing.xml" --all-domains
jq -e '.findings[] | select(.id == "LOAD" and (.observed | startswith("cannot connect")))' "$WORK/nouri.json" > /dev/null &&
	[[ $rc -eq 2 ]] && pass "connection failure: LOAD error, exit 2" || fail "bad URI: exit $rc"
finish
