#!/bin/bash
# Bad input never crashes: malformed XML, a non-domain, a missing file,
# an empty root (a container without sysfs), bad options.
. "$(dirname "$0")/lib.sh"

expect() { # NAME WANT_RC PATTERN ARGS...
	local name=$1 want=$2 pat=$3; shift 3
	"$VMIO" tune "$@" > "$WORK/out" 2> "$WORK/err"
	local rc=$?
	if [[ $rc -ne $want ]]; then
		fail "$name: exit $rc, want $want; $(head -c 400 "$WORK/out" "$WORK/err")"
	elif ! grep -qE -e "$pat" "$WORK/out" "$WORK/err"; then
		fail "$name: no line matching '$pat' in: $(head -c 400 "$WORK/out" "$WORK/err")"
	else
		pass "$name"
	fi
}

expect "malformed XML: error line with file and line number" 2 \
	"LOAD file .*broken.xml.*ERROR" --root "$HOSTS/good" --domain "$DOMS/broken.xml"
expect "malformed XML: parser message is shown" 2 "broken.xml line [0-9]+:" \
	--root "$HOSTS/good" --domain "$DOMS/broken.xml"
expect "malformed XML: the other domains are still audited" 2 "D04 domain web disk hda" \
	--root "$HOSTS/good" --domain "$DOMS/broken.xml" --domain "$DOMS/bad-web.xml"
expect "not a <domain>: says what the root element is" 2 "root element is <network>" \
	--root "$HOSTS/good" --domain "$DOMS/not-a-domain.xml"
expect "missing domain file" 2 "LOAD file .*nope.xml" \
	--root "$HOSTS/good" --domain "$WORK/nope.xml"
: > "$WORK/empty.xml"
expect "empty domain file" 2 "LOAD file .*empty.xml" --root "$HOSTS/good" --domain "$WORK/empty.xml"
head -c 3000 /dev/urandom > "$WORK/random.xml"
expect "random bytes as XML" 2 "LOAD file .*random.xml" --root "$HOSTS/good" --domain "$WORK/random.xml"

mkdir "$WORK/emptyroot"
expect "empty root (no sysfs): completes with skip lines" 2 "SKIP" \
	--root "$WORK/emptyroot" --domain "$DOMS/good-web.xml"
expect "empty root: topology unknown is a skip, not a crash" 2 "NUMA topology unknown" \
	--root "$WORK/emptyroot" --domain "$DOMS/bad-web.xml"
expect "host with missing entries (nokvm): skips named" 2 "no /sys/module/kvm/parameters/halt_poll_ns" \
	--root "$HOSTS/nokvm"
# An unreadable file behaves like a missing one (skipped when root, who reads all).
cp -a "$HOSTS/good" "$WORK/unread"
chmod 000 "$WORK/unread/sys/kernel/mm/transparent_hugepage/enabled"
"$VMIO" tune --root "$WORK/unread" > /dev/null 2>&1
rc=$?
[[ $rc -le 2 ]] && pass "unreadable sysfs file: completes (exit $rc)" || fail "unreadable file: exit $rc"

expect "unknown option" 2 "unknown or incomplete option '--bogus'" --bogus
expect "--only with a bad value" 2 "--only takes 'host' or 'domain'" --only disks
expect "--root that is no directory" 2 "is not a directory" --root "$WORK/nothere"
expect "--name without --connect" 2 "needs --connect" --name web
expect "--write-xml without a domain" 2 "needs a domain" --write-xml "$WORK/x.xml"
expect "--help" 0 "usage: vmio tune" --help
expect "--quiet prints problems only" 2 "^  D05 " --root "$HOSTS/bad" --domain "$DOMS/bad-db.xml" --quiet
# Output captured first: grep -q closing a pipe early would SIGPIPE vmio.
"$VMIO" tune --root "$HOSTS/bad" --domain "$DOMS/bad-db.xml" --quiet > "$WORK/q"
grep -qE ': (INFO|SKIP)$|rules passed' "$WORK/q" &&
	fail "--quiet printed info/skip/summary lines" || pass "--quiet hides info, skips and the summary"
"$VMIO" tune --root "$HOSTS/good" --verbose > "$WORK/v"
grep -q "H05 NVMe I/O scheduler .*: PASS" "$WORK/v" &&
	pass "--verbose lists passed rules" || fail "--verbose shows no PASS lines"
"$VMIO" tune --root "$HOSTS/bad" > "$WORK/c"
grep -q $'\033' "$WORK/c" && fail "colour escapes written to a pipe" ||
	pass "no colour when stdout is not a terminal"
finish
