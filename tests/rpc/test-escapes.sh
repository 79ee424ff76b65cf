#!/usr/bin/env bash
# A control-socket client trying to turn the root daemon against the host,
# each attack run as an attacker would (the races in a loop for a bounded
# time), each checked for harm:
#  - a socket's directory swapped for a symlink before disk_rm and before
#    shutdown: vmiod must not unlink the file the link now names;
#  - a symlink renamed over a socket path while disks come and go: no
#    chown or chmod may reach the link's target;
#  - an image swapped for a symlink to a file outside --image-dir while
#    disk_add opens it: vmiod never holds the outside file open;
#  - a FIFO as an image (read-only disk, and a hot-plugged LUN): refused at
#    once, the control socket answers, SIGTERM still stops vmiod;
#  - one image for two disks, or a disk and a LUN: refused, naming why;
#  - sizes past what a config can carry, and control characters in ids
#    and paths: refused; a failed disk_add leaves no file it created;
#  - --socket-group and --socket-owner apply to --scsi sockets too.
. "$(dirname "$0")/lib.sh"
RAW=${RPC_RAW:?set by meson}
images=$tmp/images
secret=$tmp/rootonly
mkdir -m 0700 "$images" "$secret"
echo "do not touch" >"$secret/shadow"
chmod 0600 "$secret/shadow"
secret_state() { stat -c '%a %u %g %s' "$secret/shadow"; }
before=$(secret_state)
group=$(id -gn)
owner=$(id -un)
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then owner=nobody; fi
start_vmiod -q --image-dir "$images" --socket-group "$group" --socket-owner "$owner"

# 1. Unlink through a swapped directory, at disk_rm and at shutdown.
att=$tmp/attacker
mkdir "$att"
for when in rm shutdown; do
	mkdir "$att/d"
	"$VMIO" disk add "id=u-$when,backend=null,size=1M,socket=$att/d/shadow" >/dev/null ||
		fail "disk add with a socket in $att/d"
	mv "$att/d" "$att/d.$when"
	ln -s "$secret" "$att/d"
	if [ $when = rm ]; then
		"$VMIO" disk rm "u-$when" >/dev/null || fail "disk rm u-$when"
		rm "$att/d"
	else
		stop_vmiod
	fi
	[ -e "$secret/shadow" ] || fail "vmiod unlinked $secret/shadow through a swapped directory at $when"
done
[ -S "$att/d.rm/shadow" ] && fail "disk rm did not even remove its own socket (moved to $att/d.rm)"
rm -rf "$att/d" "$att"/d.*
echo "ok: a swapped socket directory makes vmiod unlink nothing outside (disk rm, shutdown)"

# 2. A symlink renamed over the socket path while disks come and go.
start_vmiod -q --image-dir "$images" --socket-group "$group" --socket-owner "$owner"
python3 - "$att/s" "$secret/shadow" <<'PY' &
# Renames a symlink to the secret over the socket path (vmiod's socket,
# when it bound one), then leaves the path empty for a moment so that
# vmiod can bind again: both states, over and over.
import os, sys, time
path, target = sys.argv[1], sys.argv[2]
end = time.time() + 4
while time.time() < end:
    try:
        os.symlink(target, path + ".tmp")
        os.rename(path + ".tmp", path)
        time.sleep(0.001)
        os.unlink(path)
        time.sleep(0.002)
    except OSError:
        try: os.unlink(path + ".tmp")
        except OSError: pass
PY
swapper=$!
extra_pids+=("$swapper")
n=0
while kill -0 "$swapper" 2>/dev/null; do
	if "$VMIO" disk add "id=r,backend=null,size=1M,socket=$att/s" >/dev/null 2>&1; then
		n=$((n + 1))
		"$VMIO" disk rm r >/dev/null || fail "disk rm r"
	fi
done
wait "$swapper" || true
[ "$(secret_state)" = "$before" ] ||
	fail "the secret changed from '$before' to '$(secret_state)' while sockets were bound over a racing symlink"
[ -e "$secret/shadow" ] || fail "the secret was unlinked during the socket race"
[ "$n" -gt 0 ] || fail "no disk_add succeeded during the race: the attack never ran"
echo "ok: $n sockets bound and removed under a racing symlink; the target kept its mode, owner and group"

# 3. An image swapped for a symlink to a file outside --image-dir.
dd if=/dev/zero of="$images/swap.img" bs=1M count=1 status=none
dd if=/dev/zero of="$tmp/inside.img" bs=1M count=1 status=none
python3 - "$images/swap.img" "$tmp/inside.img" "$secret/shadow" <<'PY' &
# Flips the image between a regular file and a symlink to the secret.
import os, sys, time
img, inside, outside = sys.argv[1:4]
end = time.time() + 4
while time.time() < end:
    try:
        os.symlink(outside, img + ".l")
        os.rename(img + ".l", img)
        os.link(inside, img + ".f")
        os.rename(img + ".f", img)
    except OSError:
        pass
PY
swapper=$!
extra_pids+=("$swapper")
opened=0
while kill -0 "$swapper" 2>/dev/null; do
	if "$VMIO" disk add "id=i,path=$images/swap.img,socket=$tmp/i.sock,ro=on" >/dev/null 2>&1; then
		opened=$((opened + 1))
		if ls -l "/proc/$pid/fd" 2>/dev/null | grep -qF "$secret/shadow"; then
			fail "vmiod opened $secret/shadow through a swapped image symlink"
		fi
		"$VMIO" disk rm i >/dev/null || fail "disk rm i"
	fi
done
wait "$swapper" || true
[ "$opened" -gt 0 ] || fail "no disk_add succeeded during the image race: the attack never ran"
echo "ok: $opened images opened under a racing symlink, never the file outside --image-dir"

# 6. A FIFO as an image: refused at once, vmiod answers and still stops.
mkfifo "$images/fifo.img"
t0=$(date +%s%N)
timeout 10 "$VMIO" disk add "id=f,path=$images/fifo.img,socket=$tmp/f.sock,ro=on" 2>"$tmp/e" >/dev/null &&
	fail "a FIFO was added as a disk"
grep -q "neither a regular file nor a block device" "$tmp/e" || fail "FIFO refusal: $(cat "$tmp/e")"
timeout 10 "$VMIO" version >/dev/null || fail "vmiod stopped answering after a FIFO disk_add"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 5000 ] || fail "refusing a FIFO took $ms ms"
echo "ok: a FIFO image is refused in $ms ms: $(head -c 160 "$tmp/e")"
stop_vmiod

# 9. One image, two writers: a second disk, and a LUN beside a disk.
dd if=/dev/zero of="$images/one.img" bs=1M count=1 status=none
start_vmiod -q --image-dir "$images" --socket-group "$group" --socket-owner "$owner" \
	--scsi "id=t,socket=$tmp/t.sock,lun0=null:1M"
[ "$(stat -c '%a %U %G' "$tmp/t.sock")" = "660 $owner $group" ] ||
	fail "a --scsi socket is $(stat -c '%a %U %G' "$tmp/t.sock"), not 660 $owner $group"
echo "ok: --scsi sockets get --socket-owner and --socket-group"
"$VMIO" disk add "id=w1,path=$images/one.img,socket=$tmp/w1.sock" >/dev/null || fail "first writer"
"$VMIO" disk add "id=w2,path=$images/one.img,socket=$tmp/w2.sock" 2>"$tmp/e" >/dev/null &&
	fail "a second disk opened the same image for writing"
grep -q "is in use" "$tmp/e" || fail "two writers: unclear refusal: $(cat "$tmp/e")"
"$VMIO" scsi lun-add t 1 "$images/one.img" 2>"$tmp/e2" >/dev/null &&
	fail "a LUN opened an image a disk writes"
grep -q "is in use" "$tmp/e2" || fail "disk + LUN: unclear refusal: $(cat "$tmp/e2")"
[ ! -S "$tmp/w2.sock" ] || fail "a refused disk left its socket"
echo "ok: one image, two writers refused: $(head -c 200 "$tmp/e")"

# 10, 11. Sizes and strings no config could carry back; no leftovers.
"$VMIO" disk add "id=big,backend=null,size=18446744073709551615,socket=$tmp/big.sock" 2>"$tmp/e" >/dev/null &&
	fail "a size of 2^64-1 was accepted"
"$VMIO" disk add "id=b2,backend=null,size=1M,socket=$tmp/b2.sock" >/dev/null || fail "disk add b2"
"$VMIO" disk resize b2 18446744073709551615 2>"$tmp/e" >/dev/null &&
	fail "a resize to 2^64-1 was accepted"
out=$(printf '%s\n' '{"jsonrpc":"2.0","method":"disk_add","params":{"id":"a\u001b[2Jb","backend":"null","size":1048576,"socket":"'"$tmp"'/c.sock"},"id":1}' |
	"$RAW" "$VMIO_RPC")
echo "$out" | jq -e '.error.code' >/dev/null || fail "an id with an escape sequence was accepted: $out"
out=$(printf '%s\n' '{"jsonrpc":"2.0","method":"disk_add","params":{"id":"c","path":"'"$images"'/a\nb.img","size":1048576,"socket":"'"$tmp"'/c.sock"},"id":1}' |
	"$RAW" "$VMIO_RPC")
echo "$out" | jq -e '.error.code' >/dev/null || fail "a path with a newline was accepted: $out"
[ -z "$(ls "$images" | grep -v '^\(swap\|one\|fifo\)\.img$')" ] ||
	fail "refused adds left files: $(ls "$images")"
"$VMIO" disk add "id=lo,path=$images/left.img,size=1M,socket=$tmp/no/such/dir/s.sock" 2>"$tmp/e" >/dev/null &&
	fail "a disk with a socket in a missing directory was added"
[ ! -e "$images/left.img" ] || fail "a failed disk_add left the image it created"
"$VMIO" config save "$tmp/saved.json" >/dev/null || fail "config save"
stop_vmiod
start_vmiod -q --image-dir "$images" --config "$tmp/saved.json"
"$VMIO" disk info b2 >/dev/null || fail "the saved config did not bring b2 back"
stop_vmiod
[ "$(secret_state)" = "$before" ] || fail "the secret changed: $(secret_state)"
echo "ok: huge sizes, control characters refused; failed adds leave nothing; a saved config restarts"
echo "escapes: ok"
