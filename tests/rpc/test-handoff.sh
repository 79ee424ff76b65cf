#!/usr/bin/env bash
# Sockets handed in instead of bound (docs/integration.md, "Sockets
# handed in"): a parent that made and listens on them execs vmiod with
# them as fd:N, or as systemd's socket activation does (LISTEN_PID,
# LISTEN_FDS, LISTEN_FDNAMES); verified I/O goes through them, the RPC
# answers through one, their files stay when vmiod stops, and what is
# not a listening unix stream socket is refused with a clear message.
. "$(dirname "$0")/lib.sh"

# handoff KIND... -- VMIOD ARGS: python makes one descriptor per KIND and
# execs vmiod with them as fds 10, 11, ... (in that order):
#   listen:PATH  a listening unix stream socket bound to PATH
#   bound:PATH   a unix stream socket bound to PATH, not listening
#   udp          a UDP socket
#   file:PATH    a regular file
# With HANDOFF_SYSTEMD=NAMES (colon-separated) they are fds 3, 4, ... and
# LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES say so (LISTEN_PID: HANDOFF_PID if
# set, else the pid vmiod will have: python's own, as execv keeps it).
# It execs: run it in the background (its pid is vmiod's) or in ( ).
handoff() {
	exec python3 - "$@" <<'PY'
import os, socket, sys
args = sys.argv[1:]
sep = args.index("--")
kinds, argv = args[:sep], args[sep + 1:]
names = os.environ.pop("HANDOFF_SYSTEMD", None)
base = 3 if names is not None else 10
made = []
for k in kinds:
    kind, _, path = k.partition(":")
    if kind in ("listen", "bound"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        if kind == "listen":
            s.listen(8)
    elif kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
    else:
        s = open(path, "w")
    made.append(s)
# Park them high first, so moving one to its number never clobbers
# another that happens to sit there.
parked = [100 + i for i in range(len(made))]
for s, p in zip(made, parked):
    os.dup2(s.fileno(), p)
for s in made:
    s.close()
for i, p in enumerate(parked):
    os.dup2(p, base + i)  # inheritable
    os.close(p)
if names is not None:
    os.environ["LISTEN_PID"] = os.environ.pop("HANDOFF_PID", str(os.getpid()))
    os.environ["LISTEN_FDS"] = str(len(kinds))
    os.environ["LISTEN_FDNAMES"] = names
os.execv(argv[0], argv)
PY
}

# rpc_up: the RPC answers (vmiod accepts from the socket handed in).
rpc_up() {
	for _ in $(seq 100); do
		timeout 5 "$VMIO" version >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || fail "vmiod exited: $(tail -n 5 "$tmp/vmiod.log")"
		sleep 0.05
	done
	fail "the RPC does not answer through the socket handed in"
}

# Images for verified I/O (a null disk reads back zeros).
for f in d1 t1 vm1 t2 spare; do truncate -s 16M "$tmp/$f.img"; done

verify() { # verify SOCKET [ARGS]: verified I/O through a disk's socket
	local sock=$1
	shift
	bench "$sock" --bs 4K --verify --runtime 0.3 "$@" >"$tmp/v.out" 2>&1 ||
		fail "verified I/O through $sock: $(tail -n 3 "$tmp/v.out")"
	grep -q " 0 bad blocks" "$tmp/v.out" || fail "verify through $sock: $(cat "$tmp/v.out")"
}

# --- fd:N from a parent ---------------------------------------------------
handoff "listen:$tmp/d1.sock" "listen:$tmp/t1.sock" "listen:$VMIO_RPC" -- \
	"$VMIOD" --rpc fd:12 --image-dir "$tmp" --disk "id=d1,path=$tmp/d1.img,socket=fd:10" \
	--scsi "id=t1,socket=fd:11,lun0=$tmp/t1.img" >>"$tmp/vmiod.log" 2>&1 &
pid=$!
rpc_up
"$VMIO" disk info d1 --json >"$tmp/i.json"
jq -e --arg p "$tmp/d1.sock" '.socket == "fd:10" and .socket_path == $p' "$tmp/i.json" >/dev/null ||
	fail "disk_info of a handed-in socket: $(jq -c '{socket, socket_path}' "$tmp/i.json")"
"$VMIO" disk ls >"$tmp/ls" || fail "disk ls"
grep -qF "fd:10 ($tmp/d1.sock)" "$tmp/ls" || fail "disk ls: $(cat "$tmp/ls")"
"$VMIO" scsi info t1 --json | jq -e '.socket == "fd:11"' >/dev/null || fail "scsi_info socket"
verify "$tmp/d1.sock"
verify "$tmp/t1.sock" --device scsi
echo "ok: --disk/--scsi socket=fd:N and --rpc fd:N serve verified I/O and the RPC"

# config save keeps fd:N: it restarts only under the same hand-over.
"$VMIO" config save "$tmp/saved.json" >/dev/null || fail "config save"
jq -e '.disks[0].socket == "fd:10" and .scsi[0].socket == "fd:11"' "$tmp/saved.json" >/dev/null ||
	fail "config save: $(jq -c '[.disks[].socket, .scsi[].socket]' "$tmp/saved.json")"

# One device per socket; a removed disk frees its socket for the next.
"$VMIO" disk add "id=d2,backend=null,size=1M,socket=fd:10" >/dev/null 2>"$tmp/e" &&
	fail "two disks took fd:10"
grep -q "'d1' already uses socket fd:10" "$tmp/e" || fail "second user of fd:10: $(cat "$tmp/e")"
"$VMIO" disk add "id=d3,backend=null,size=1M,socket=fd:2" >/dev/null 2>"$tmp/e" && fail "fd:2 was taken"
grep -q "stdin, stdout or stderr" "$tmp/e" || fail "fd:2: $(cat "$tmp/e")"
# Descriptors vmiod opened itself are not for the taking.
"$VMIO" disk add "id=d3,backend=null,size=1M,socket=fd:13" >/dev/null 2>"$tmp/e" && fail "fd:13 was taken"
grep -q "was not open when vmiod started" "$tmp/e" || fail "fd:13: $(cat "$tmp/e")"
"$VMIO" disk add "id=d3,backend=null,size=1M,socket=fd:x" >/dev/null 2>"$tmp/e" && fail "fd:x was taken"
grep -q "takes a descriptor number" "$tmp/e" || fail "fd:x: $(cat "$tmp/e")"
"$VMIO" disk rm d1 >/dev/null || fail "disk rm d1"
[ -S "$tmp/d1.sock" ] || fail "removing the disk removed the socket file it was handed"
"$VMIO" disk add "id=d1,path=$tmp/d1.img,socket=fd:10" >/dev/null || fail "fd:10 again after disk rm"
verify "$tmp/d1.sock"
echo "ok: one device per socket; disk rm frees it for disk add; others refused"

kill -TERM "$pid"
wait "$pid" || fail "vmiod did not exit cleanly on SIGTERM"
pid=
for f in d1 t1 rpc; do
	[ -S "$tmp/$f.sock" ] || fail "vmiod removed $f.sock, which it was handed"
done
echo "ok: SIGTERM leaves the handed-in socket files in place"
rm -f "$tmp"/*.sock

# --- systemd socket activation, by hand ------------------------------------
HANDOFF_SYSTEMD=rpc:vm1:t2:spare handoff "listen:$VMIO_RPC" "listen:$tmp/vm1.sock" \
	"listen:$tmp/t2.sock" "listen:$tmp/spare.sock" -- \
	"$VMIOD" --rpc systemd --image-dir "$tmp" --disk "id=vm1,path=$tmp/vm1.img,socket=systemd" \
	--scsi "id=t2,socket=systemd,lun0=$tmp/t2.img" >>"$tmp/vmiod.log" 2>&1 &
pid=$!
rpc_up
verify "$tmp/vm1.sock"
verify "$tmp/t2.sock" --device scsi
"$VMIO" disk info vm1 --json | jq -e --arg p "$tmp/vm1.sock" \
	'.socket == "systemd" and .socket_path == $p' >/dev/null || fail "disk_info of socket=systemd"
grep -q "systemd handed in socket 'spare' (fd 6) but nothing uses it" "$tmp/vmiod.log" ||
	fail "no warning for the unused socket: $(grep -i spare "$tmp/vmiod.log")"
grep -q "socket 'vm1'.*nothing uses it" "$tmp/vmiod.log" && fail "a used socket was reported unused"
# The same socket by number while a device has it by name: refused.
"$VMIO" disk add "id=other,backend=null,size=1M,socket=fd:4" >/dev/null 2>"$tmp/e" &&
	fail "fd:4 was taken while vm1 has it"
grep -q "fd:4 is already the socket of vm1" "$tmp/e" || fail "fd:4 twice: $(cat "$tmp/e")"
# A disk added later takes a name systemd handed in.
"$VMIO" disk add "id=spare,path=$tmp/spare.img,socket=systemd" >/dev/null || fail "disk add socket=systemd"
verify "$tmp/spare.sock"
"$VMIO" disk add "id=nosuch,backend=null,size=1M,socket=systemd" >/dev/null 2>"$tmp/e" &&
	fail "socket=systemd without a socket of that name"
grep -q "systemd handed in no socket named 'nosuch'" "$tmp/e" && grep -q "FileDescriptorName=nosuch" "$tmp/e" ||
	fail "missing systemd socket: $(cat "$tmp/e")"
# Saved as "systemd": it finds the socket again by name.
"$VMIO" config save "$tmp/saved.json" >/dev/null || fail "config save"
jq -e '[.disks[].socket, .scsi[].socket] == ["systemd", "systemd", "systemd"]' "$tmp/saved.json" >/dev/null ||
	fail "config save under systemd: $(jq -c '[.disks[].socket, .scsi[].socket]' "$tmp/saved.json")"
kill -TERM "$pid"
wait "$pid" || fail "vmiod did not exit cleanly on SIGTERM"
pid=
for f in rpc vm1 t2 spare; do
	[ -S "$tmp/$f.sock" ] || fail "vmiod removed $f.sock, which systemd handed in"
done
echo "ok: LISTEN_FDS/LISTEN_FDNAMES: --rpc systemd and socket=systemd by name; unused ones named; files stay"
rm -f "$tmp"/*.sock

# fd:N names a descriptor systemd handed in just as well; saved under its
# name when it is the device's id, as it is otherwise.
HANDOFF_SYSTEMD=rpc:vm1 handoff "listen:$VMIO_RPC" "listen:$tmp/vm1.sock" -- \
	"$VMIOD" --rpc fd:3 --disk "id=vm1,backend=null,size=64M,socket=fd:4" >>"$tmp/vmiod.log" 2>&1 &
pid=$!
rpc_up
"$VMIO" config save "$tmp/saved.json" >/dev/null || fail "config save"
jq -e '.disks[0].socket == "systemd"' "$tmp/saved.json" >/dev/null ||
	fail "fd:4 named vm1 by systemd is not saved as systemd: $(jq -c .disks "$tmp/saved.json")"
"$VMIO" shutdown >/dev/null
wait "$pid" || fail "vmiod did not exit cleanly"
pid=
rm -f "$tmp"/*.sock

# LISTEN_PID of another process: its sockets are not vmiod's.
(HANDOFF_SYSTEMD=vm1 HANDOFF_PID=1 handoff "listen:$tmp/vm1.sock" -- \
	"$VMIOD" --disk "id=vm1,backend=null,size=1M,socket=systemd") >"$tmp/e" 2>&1 &&
	fail "vmiod took sockets meant for pid 1"
grep -q "systemd handed vmiod no socket" "$tmp/e" || fail "LISTEN_PID=1: $(cat "$tmp/e")"
rm -f "$tmp"/*.sock
echo "ok: LISTEN_PID of another process is ignored"

if command -v systemd-socket-activate >/dev/null; then
	systemd-socket-activate -l "$VMIO_RPC" --fdname=rpc \
		"$VMIOD" --rpc systemd --disk "id=vm1,backend=null,size=1M,socket=$tmp/vm1.sock" \
		>>"$tmp/vmiod.log" 2>&1 &
	pid=$!
	rpc_up
	"$VMIO" disk info vm1 >/dev/null || fail "disk_info through systemd-socket-activate's socket"
	"$VMIO" shutdown >/dev/null
	wait "$pid" || fail "vmiod under systemd-socket-activate did not exit cleanly"
	pid=
	echo "ok: systemd-socket-activate hands vmiod its RPC socket"
fi

# --- what is refused ----------------------------------------------------------
refused() { # refused KIND MESSAGE
	(handoff "$1" -- "$VMIOD" --disk "id=x,backend=null,size=1M,socket=fd:10") >"$tmp/e" 2>&1 &&
		fail "vmiod served on $1"
	grep -q "$2" "$tmp/e" || fail "$1: unclear refusal: $(cat "$tmp/e")"
	grep -q "hand" "$tmp/e" || fail "$1: the refusal does not say what to hand in: $(cat "$tmp/e")"
	echo "ok: $1 refused: $(grep -o "fd:10 is [^;]*" "$tmp/e")"
}
refused "bound:$tmp/b.sock" "fd:10 is a unix stream socket that is not listening"
refused udp "fd:10 is an IPv4 datagram (UDP) socket"
refused "file:$tmp/f" "fd:10 is a regular file, not a socket"
"$VMIOD" --disk "id=x,backend=null,size=1M,socket=fd:10" >"$tmp/e" 2>&1 10<&- && fail "vmiod served on a closed fd"
grep -q "fd:10 was not open when vmiod started" "$tmp/e" || fail "closed fd: $(cat "$tmp/e")"
"$VMIOD" --rpc fd:nope >"$tmp/e" 2>&1 && fail "--rpc fd:nope accepted"
grep -q "takes a descriptor number" "$tmp/e" || fail "--rpc fd:nope: $(cat "$tmp/e")"
echo "ok: closed and malformed fd:N refused"
