#!/bin/bash
# Every rule fires on a fixture made for it and stays quiet on the tuned
# fixture; the badly tuned host + domains give exactly the expected report.
. "$(dirname "$0")/lib.sh"

# 1. The well-tuned host and domains: no finding at all, every rule passes.
tune_json "$WORK/good.json" --root "$HOSTS/good" \
	--domain "$DOMS/good-web.xml" --domain "$DOMS/good-db.xml"
n=$(jq '.findings | length' "$WORK/good.json")
[[ $rc -eq 0 && $n -eq 0 ]] && pass "good fixture: exit 0, no findings" ||
	fail "good fixture: exit $rc, findings: $(jq -c '[.findings[] | .id + " " + .object]' "$WORK/good.json")"
missing=$(comm -23 <(all_rules) <(jq -r '.passed[]' "$WORK/good.json" | sort -u))
[[ -z $missing ]] && pass "good fixture: all $(all_rules | wc -l) rules passed" ||
	fail "good fixture: rules not passed: $missing"

# 2. Fixtures where rules fire: the union must cover every rule.
tune_json "$WORK/bad.json" --root "$HOSTS/bad" --domain "$DOMS/bad-web.xml" \
	--domain "$DOMS/bad-db.xml" --domain "$DOMS/bad-misc.xml"
[[ $rc -eq 2 ]] && pass "bad fixture: exit 2 (errors)" || fail "bad fixture: exit $rc, want 2"
tune_json "$WORK/nokvm.json" --root "$HOSTS/nokvm"

# Images for D29 (a 1 TiB qcow2) and D30 (a chain read from qcow2 headers),
# made with qemu-img in a copy of the bad host.
cp -a "$HOSTS/bad" "$WORK/root"
mkdir -p "$WORK/root/srv/ssd"
qemu-img create -q -f qcow2 "$WORK/root/srv/ssd/big.qcow2" 1T
qemu-img create -q -f qcow2 "$WORK/root/srv/ssd/c0.qcow2" 1G
for i in 1 2 3 4; do
	qemu-img create -q -f qcow2 -F qcow2 -b "c$((i - 1)).qcow2" \
		"$WORK/root/srv/ssd/c$i.qcow2"
done
cat > "$WORK/img.xml" <<XML
<domain type='kvm'>
  <name>img</name>
  <memory unit='GiB'>1</memory>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' io='native'/>
      <source file='/srv/ssd/big.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' io='native'/>
      <source file='/srv/ssd/c4.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
  </devices>
</domain>
XML
tune_json "$WORK/img.json" --root "$WORK/root" --domain "$WORK/img.xml" --only domain
jq -e '.findings[] | select(.id == "D29" and (.observed | startswith("1024 GiB")))' "$WORK/img.json" > /dev/null &&
	pass "D29 reads the virtual size from the qcow2 header" || fail "D29 did not fire on a 1 TiB qcow2"
jq -e '.findings[] | select(.id == "D30" and .object == "domain img disk vdb" and (.observed | contains("4 images")))' "$WORK/img.json" > /dev/null &&
	pass "D30 follows the qcow2 backing chain (4 deep)" || fail "D30 did not measure the chain of c4.qcow2"
jq -e '[.findings[] | select(.object == "domain img disk vda" and .id == "D30")] | length == 0' "$WORK/img.json" > /dev/null &&
	pass "D30 quiet on an image without backing file" || fail "D30 fired on big.qcow2"

fired=$(cat <(ids "$WORK/bad.json") <(ids "$WORK/nokvm.json") <(ids "$WORK/img.json") | sort -u)
missing=$(comm -23 <(all_rules) <(echo "$fired"))
[[ -z $missing ]] && pass "every rule fires on some fixture" || fail "rules that never fired: $(echo $missing)"
[[ $(all_rules | wc -l) -ge 40 ]] && pass "$(all_rules | wc -l) rules in the catalogue" || fail "fewer than 40 rules"

# 3. The badly tuned fixture: exactly the expected findings, no more.
jq -r '.findings[] | .severity + " " + .id + " " + .object' "$WORK/bad.json" | sort > "$WORK/bad.txt"
if diff -u "$T/expected/bad.txt" "$WORK/bad.txt"; then
	pass "bad fixture: findings match expected/bad.txt"
else
	fail "bad fixture: findings differ from expected/bad.txt (diff above)"
fi

# 4. Every finding carries the fields the issue asks for.
bad=$(jq '[.findings[] | select((.observed // "") == "" or (.where // "") == "" or (.recommended // "") == "" or (.fix // "") == "")] | length' "$WORK/bad.json")
[[ $bad -eq 0 ]] && pass "every finding has observed/where/recommended/fix" ||
	fail "$bad findings miss a field"

# 5. Cross-checks name both sides.
jq -e '.findings[] | select(.id == "H16" and .object == "domain web disk vdb" and (.observed | contains("nvme1n1")))' "$WORK/bad.json" > /dev/null &&
	pass "H16 resolves /dev/mapper/vg0-data through dm-0 to nvme1n1 on node 1" || fail "H16 dm resolution"
jq -e '.findings[] | select(.id == "H06" and (.object | contains("backs db vdb")))' "$WORK/bad.json" > /dev/null &&
	pass "H06 ties sda to the image on /srv/hdd (mountinfo, partition)" || fail "H06 image to disk"
jq -e '.findings[] | select(.id == "H07" and (.object | contains("backs db vda")))' "$WORK/bad.json" > /dev/null &&
	pass "H07 ties sdb to the image on md0 (md slaves)" || fail "H07 md resolution"
jq -e '.findings[] | select(.id == "H08" and (.observed | contains("need 21")))' "$WORK/bad.json" > /dev/null &&
	pass "H08 counts 21 1-GiB pages for db against a pool of 2" || fail "H08 demand"

# 6. Exit codes: 1 for warnings only, 0 for info only.
tune_json "$WORK/warn.json" --root "$HOSTS/good" --domain "$DOMS/bad-misc.xml" --only host
[[ $rc -eq 0 ]] && pass "host-only run of the good host: exit 0" || fail "good host only: exit $rc"
tune_json "$WORK/warn2.json" --root "$HOSTS/good" --domain "$DOMS/bad-web.xml"
[[ $rc -eq 1 && $(jq '.summary.error' "$WORK/warn2.json") -eq 0 ]] &&
	pass "warnings only: exit 1" || fail "warnings only: exit $rc"
finish
