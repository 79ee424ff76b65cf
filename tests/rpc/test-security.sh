#!/usr/bin/env bash
# What a hostile or careless client meets: socket permissions and group,
# the image-dir allowlist through the real socket (.., symlinks, a
# dangling link, no --image-dir at all), malformed JSON, wrong types,
# unknown methods, oversized, silent, flooding and too many clients,
# while a front-end keeps doing I/O and new front-ends still connect.
. "$(dirname "$0")/lib.sh"
RAW=${RPC_RAW:?set by meson}
mkdir "$tmp/images" "$tmp/other"
ln -s /etc "$tmp/images/etc"
touch "$tmp/other/y.img"
ln -s ../other/y.img "$tmp/images/out.img"
ln -s nowhere "$tmp/images/dangling.img"
group=$(id -gn)
owner=$(id -un)
# Another owner when there is one (and we may give files away: root).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then owner=nobody; fi
start_vmiod -q --image-dir "$tmp/images" --socket-group "$group" --socket-owner "$owner" \
	--disk "id=vm1,backend=null,size=1G,socket=$tmp/vm1.sock"

# Sockets: 0660, --socket-owner's, in the --socket-group.
for s in "$VMIO_RPC" "$tmp/vm1.sock"; do
	[ "$(stat -c '%a %U %G' "$s")" = "660 $owner $group" ] || fail "$s is $(stat -c '%a %U %G' "$s")"
done
"$VMIO" disk add "id=vm2,path=$tmp/images/vm2.img,socket=$tmp/vm2.sock,size=1M" >/dev/null
[ "$(stat -c '%a %U %G' "$tmp/vm2.sock")" = "660 $owner $group" ] ||
	fail "an RPC-added socket is $(stat -c '%a %U %G' "$tmp/vm2.sock")"
echo "ok: sockets are 0660, $owner's, in group $group"

# The allowlist, through the socket.
for bad in "$tmp/images/../x.img" "$tmp/images/etc/passwd" "$tmp/images/etc/new.img" \
	   "$tmp/images/out.img" "/tmp/x.img" "$tmp/images"; do
	"$VMIO" disk add "id=bad,path=$bad,socket=$tmp/bad.sock,size=1M" 2>"$tmp/e" &&
		fail "disk_add opened $bad"
	grep -q "outside the allowed directory" "$tmp/e" || fail "unclear refusal of $bad: $(cat "$tmp/e")"
done
"$VMIO" disk add "id=bad,path=$tmp/images/dangling.img,socket=$tmp/bad.sock,size=1M" 2>"$tmp/e" &&
	fail "disk_add followed a dangling link"
grep -q "symlink to nothing" "$tmp/e" || fail "dangling link: $(cat "$tmp/e")"
[ ! -e "$tmp/images/nowhere" ] && [ ! -e "$tmp/other/x.img" ] && [ ! -e "$tmp/x.img" ] ||
	fail "a refused disk_add created a file"
[ ! -e "$tmp/bad.sock" ] || fail "a refused disk_add left a socket"
"$VMIO" disk add "id=ok,path=$tmp/images/../images/./ok.img,socket=$tmp/ok.sock,size=1M" >/dev/null ||
	fail "a path that resolves inside was refused"
[ "$("$VMIO" disk info ok --json | jq -r .path)" = "$tmp/images/ok.img" ] ||
	fail "the disk did not open the resolved path"
echo "ok: image-dir allowlist holds against .., symlinks and a dangling link"

# Hostile JSON: each gets its JSON-RPC error, on the same connection.
expect_error() {
	local out code
	out=$(printf '%s\n' "$1" | "$RAW" "$VMIO_RPC") || fail "no answer to: $1"
	code=$(echo "$out" | head -1 | jq 'if type == "array" then .[0] else . end | .error.code')
	[ "$code" = "$2" ] || fail "'$1' answered $out, wanted error $2"
}
expect_error '{not json' -32700
expect_error '[1,2,3]' -32600
expect_error '{"jsonrpc":"2.0","method":42,"id":1}' -32600
expect_error '{"jsonrpc":"1.0","method":"version","id":1}' -32600
expect_error '{"jsonrpc":"2.0","method":"format_c","id":1}' -32601
expect_error '{"jsonrpc":"2.0","method":"disk_info","params":{"id":7},"id":1}' -32602
expect_error '{"jsonrpc":"2.0","method":"disk_info","params":["vm1"],"id":1}' -32602
expect_error '{"jsonrpc":"2.0","method":"disk_add","params":{"id":"x","queues":[1]},"id":1}' -32602
expect_error '{"jsonrpc":"2.0","method":"disk_add","params":{"id":"x,backend=null","socket":"/tmp/s"},"id":1}' -32602
expect_error '{"jsonrpc":"2.0","method":"disk_resize","params":{"id":"vm1","size":-1},"id":1}' -32602
expect_error '{"jsonrpc":"2.0","method":"disk_info","params":{"id":"nope"},"id":2}' -32001
expect_error '{"jsonrpc":"2.0","method":"qos_set","params":{"id":"vm1","iops":5},"id":2}' -32002
n=$(printf '%s\n' '{"jsonrpc":"2.0","method":"version","id":1}' '{"bad' \
	'{"jsonrpc":"2.0","method":"version","id":3}' | "$RAW" "$VMIO_RPC" | jq -s 'map(.id) | join(",")' -r)
[ "$n" = "1,,3" ] || fail "one bad line among good ones: ids $n"
out=$(head -c 2000000 /dev/zero | tr '\0' 'a' | "$RAW" "$VMIO_RPC") || true
echo "$out" | grep -q 'larger than 1048576 bytes' || fail "a 2 MB request line got: $out"
echo "ok: malformed, mistyped, unknown and oversized requests get errors"

# Silent, half-sent, flooding and surplus clients while a front-end does
# I/O: the I/O goes on, a new front-end connects, RPC still answers.
bench "$tmp/vm1.sock" --iodepth 8 --runtime 4 --json "$tmp/b.json" >/dev/null &
b=$!
sleep 0.5
holders=()
python3 - "$VMIO_RPC" "$tmp/flooding" <<'PY' &
# Floods requests for big answers and never reads them.
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.setblocking(False)
s.send(b'{"jsonrpc":"2.0","method":"version","id":0}\n')
time.sleep(0.2)
open(sys.argv[2], "w").close()  # connected and served: the others may come
req = b'{"jsonrpc":"2.0","method":"rpc_methods","id":1}\n' * 1000
sent = 0
try:
    for _ in range(1000):
        sent += s.send(req)
except BlockingIOError:
    pass
assert sent > 100000, sent  # the server read a lot before pushing back
time.sleep(6)
PY
holders+=($!)
for _ in $(seq 100); do [ -e "$tmp/flooding" ] && break; sleep 0.05; done
{ printf '{"jsonrpc":"2.0",'; sleep 6; } | "$RAW" "$VMIO_RPC" >/dev/null 2>&1 &
holders+=($!)
for i in $(seq 70); do
	sleep 6 | "$RAW" "$VMIO_RPC" >/dev/null 2>&1 &
	holders+=($!)
done
sleep 1.5
# Every slot is taken, mostly by silent clients: a newcomer is served
# because the client idle the longest makes room for it.
out=$(printf '%s\n' '{"jsonrpc":"2.0","method":"version","id":1}' | "$RAW" "$VMIO_RPC") || true
echo "$out" | grep -q '"result"' || fail "a client arriving with every slot held by idle ones heard: $out"
"$VMIO" version >/dev/null || fail "the CLI was not served while idle clients held every slot"
bench "$tmp/vm2.sock" --iodepth 4 --runtime 1 --json "$tmp/b2.json" >/dev/null ||
	fail "a new front-end could not connect while RPC clients held on"
wait $b || fail "the running front-end failed beside hostile RPC clients"
jq -e '.iops > 1000 and .errors == 0' "$tmp/b.json" >/dev/null ||
	fail "I/O beside hostile clients: $(jq -c '{iops, errors}' "$tmp/b.json")"
wait "${holders[0]}" || fail "the flooding client was not pushed back as expected"
for h in "${holders[@]:1}"; do wait "$h" 2>/dev/null || true; done
"$VMIO" version >/dev/null || fail "vmiod stopped answering after the hostile clients left"
echo "ok: 72 hostile clients; I/O went on at $(jq '.iops | floor' "$tmp/b.json") IOPS, a new front-end and RPC clients were served"
stop_vmiod

# Without --image-dir, disk_add opens no image at all.
start_vmiod -q
"$VMIO" disk add "id=x,path=$tmp/images/x.img,socket=$tmp/x.sock,size=1M" 2>"$tmp/e" &&
	fail "disk_add opened an image without --image-dir"
grep -q "started without --image-dir" "$tmp/e" || fail "no reason: $(cat "$tmp/e")"
"$VMIO" disk add "id=n,backend=null,size=1M,socket=$tmp/n.sock" >/dev/null ||
	fail "a null disk needs no image directory"
stop_vmiod
echo "ok: no --image-dir, no images over RPC"
