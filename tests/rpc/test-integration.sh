#!/usr/bin/env bash
# docs/integration.md stays true: its libvirt domain XML passes
# virt-xml-validate, and its plain QEMU command line (TCG instead of KVM,
# a smaller memory, no guest OS) connects to a vmiod disk and negotiates
# the vhost-user protocol; the unit files pass systemd-analyze; vmiod
# tells a systemd-like NOTIFY_SOCKET it is ready, then stopping.
. "$(dirname "$0")/lib.sh"
src=${VMIO_SRC:?set by meson}
doc=$src/docs/integration.md

# The first fenced block of a kind after a heading.
block() { # block HEADING FENCE
	awk -v h="$1" -v f="$2" '$0 == h {in_sec = 1; next}
		in_sec && $0 == "```" f {on = 1; next}
		on && $0 == "```" {exit}
		on {print}' "$doc"
}

if command -v virt-xml-validate >/dev/null; then
	block "## libvirt" xml >"$tmp/domain.xml"
	grep -q "<disk type='vhostuser' device='disk'>" "$tmp/domain.xml" || fail "no vhostuser disk in the doc's XML"
	virt-xml-validate "$tmp/domain.xml" domain >"$tmp/v" 2>&1 ||
		fail "the doc's domain XML does not validate: $(cat "$tmp/v")"
	echo "ok: the libvirt domain XML validates"
fi
if command -v systemd-analyze >/dev/null; then
	# Only the binary's absence may be reported (it is not installed here).
	systemd-analyze verify "$src/contrib/vmiod.socket" "$src/contrib/vmiod.service" 2>&1 |
		grep -v 'is not executable: No such file' >"$tmp/verify" || true
	[ ! -s "$tmp/verify" ] || fail "systemd-analyze: $(cat "$tmp/verify")"
	# The pair: the service takes the socket unit's descriptor by name.
	grep -qx 'FileDescriptorName=rpc' "$src/contrib/vmiod.socket" || fail "vmiod.socket names no 'rpc'"
	grep -qx 'Service=vmiod.service' "$src/contrib/vmiod.socket" || fail "vmiod.socket starts no vmiod.service"
	grep -q -- '--rpc systemd' "$src/contrib/vmiod.service" || fail "vmiod.service does not take the socket"
	echo "ok: contrib/vmiod.socket and vmiod.service verify"
	# Its sandboxing: not root, no capabilities, the exposure systemd
	# scores below 2 ("OK"; a root unit without sandboxing scores 9.6).
	systemd-analyze security --offline=yes --threshold=20 "$src/contrib/vmiod.service" \
		>"$tmp/sec" 2>&1 || fail "the unit's exposure is above 2.0: $(grep Overall "$tmp/sec")"
	grep -q '^✓ User=/DynamicUser=' "$tmp/sec" || fail "the unit runs as root: $(grep 'User=' "$tmp/sec")"
	grep -q '^✓ CapabilityBoundingSet=~CAP_SYS_ADMIN' "$tmp/sec" || fail "the unit keeps CAP_SYS_ADMIN"
	echo "ok: contrib/vmiod.service sandboxing: $(grep -o 'exposure level.*' "$tmp/sec")"
fi

# What the unit promises: vmiod needs neither root nor any capability.
# Run as an unprivileged user with every capability dropped: sockets in
# its own directory with the group's mode, an image created and served,
# a disk added over RPC, and I/O through it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	low=$(mktemp -d /tmp/vmio-lowpriv.XXXXXX)
	chown nobody:nogroup "$low"
	chmod 0750 "$low"
	run_low() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs "$@"; }
	# exec: $! is vmiod itself, not a subshell.
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs "$VMIOD" -q --rpc "$low/rpc.sock" --image-dir "$low" --socket-group nogroup \
		--disk "id=f,path=$low/f.img,size=16M,socket=$low/f.sock" >"$low/log" 2>&1 &
	lowpid=$!
	for _ in $(seq 100); do [ -S "$low/rpc.sock" ] && break; sleep 0.05; done
	[ -S "$low/rpc.sock" ] || { cat "$low/log" >&2; rm -rf "$low"; fail "an unprivileged vmiod did not start"; }
	grep -q CapEff:.0000000000000000 "/proc/$lowpid/status" || fail "the unprivileged vmiod kept capabilities"
	[ "$(stat -c '%U %G %a' "$low/f.sock")" = "nobody nogroup 660" ] ||
		fail "unprivileged socket: $(stat -c '%U %G %a' "$low/f.sock")"
	run_low env VMIO_RPC="$low/rpc.sock" "$VMIO" disk add "id=g,backend=null,size=1M,socket=$low/g.sock" >/dev/null ||
		fail "disk add on an unprivileged vmiod"
	run_low "$VMIO" bench run --target "socket:$low/f.sock" --size 16M --bs 4K --verify \
		--runtime 0.3 >"$low/bench" 2>&1 || fail "I/O through an unprivileged vmiod: $(tail -3 "$low/bench")"
	grep -q "0 bad blocks" "$low/bench" || fail "verify on an unprivileged vmiod: $(cat "$low/bench")"
	kill "$lowpid"; wait "$lowpid" || fail "the unprivileged vmiod did not stop cleanly"
	rm -rf "$low"
	echo "ok: vmiod serves as an unprivileged user with no capabilities"
fi

# sd_notify: READY=1 once serving, STOPPING=1 when told to stop.
python3 - "$tmp/notify" >"$tmp/notes" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
for _ in range(2):
    print(s.recv(256).decode(), flush=True)
PY
listener=$!
for _ in $(seq 100); do [ -S "$tmp/notify" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$tmp/notify start_vmiod -q --disk "id=vm1,backend=null,size=1G,socket=$tmp/vm1.sock,queues=2"
for _ in $(seq 100); do grep -q READY=1 "$tmp/notes" && break; sleep 0.05; done
grep -qx READY=1 "$tmp/notes" || fail "no READY=1: $(cat "$tmp/notes")"

# The documented QEMU line, against that vmiod.
block "## Plain QEMU" "" | sed -n '/^qemu-system-x86_64/,/[^\\]$/p' | tr -d '\\\n' >"$tmp/qemu"
grep -q 'vhost-user-blk-pci' "$tmp/qemu" || fail "no QEMU line in the doc"
cmd=$(sed -e "s|/run/vmio/vm1.sock|$tmp/vm1.sock|; s|accel=kvm -cpu host|accel=tcg -cpu max|" \
	  -e 's|size=4G|size=256M|; s|-m 4G|-m 256M|; s|num-queues=4|num-queues=2|' "$tmp/qemu")
if command -v qemu-system-x86_64 >/dev/null; then
	# No OS to boot: -S keeps the CPUs stopped; the device still connects.
	eval "exec $cmd -S -display none -monitor none -serial none" >"$tmp/qemu.log" 2>&1 </dev/null &
	qemu=$!
	extra_pids+=($qemu)
	ok=
	for _ in $(seq 100); do
		# Connected comes first; negotiation follows over a few messages,
		# so wait for the protocol features rather than the accept.
		if "$VMIO" disk info vm1 --json |
			jq -e '.connected and .protocol_features != "0x0"' >/dev/null; then
			ok=1
			break
		fi
		kill -0 $qemu 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$ok" ] || fail "QEMU did not connect and negotiate: $("$VMIO" disk info vm1 --json) $(cat "$tmp/qemu.log")"
	pf=$("$VMIO" disk info vm1 --json | jq -r .protocol_features)
	[ "$pf" != 0x0 ] || fail "no vhost-user protocol features negotiated"
	kill $qemu
	wait $qemu 2>/dev/null || true
	for _ in $(seq 50); do
		"$VMIO" disk info vm1 --json | jq -e '.connected == false' >/dev/null && break
		sleep 0.1
	done
	"$VMIO" disk info vm1 --json | jq -e '.connected == false' >/dev/null || fail "still connected after QEMU quit"
	echo "ok: the documented QEMU command line connects (protocol features $pf)"
fi
stop_vmiod
wait $listener || fail "the notify listener: $(cat "$tmp/notes")"
[ "$(tr '\n' ' ' <"$tmp/notes")" = "READY=1 STOPPING=1 " ] || fail "notifications: $(cat "$tmp/notes")"
echo "ok: sd_notify READY=1, then STOPPING=1"
