#!/usr/bin/env bash
# rbd: scripts/ceph-test-cluster.sh itself. start brings up a monitor and
# one OSD with cephx on and a pool of size 1 ready for RBD, and says how
# long that took; status sees it; a client without the key is refused;
# stop ends both daemons; a directory too long for admin sockets is
# refused up front.
set -euo pipefail
RBD_NEED_VMIOD=0
. "$(dirname "$0")/lib.sh"
rbd_cluster_start
S=$RBD_DIR
script=$RBD_SRC/scripts/ceph-test-cluster.sh
grep -q "^conf=$S/ceph.conf$" "$S/start.out" || rbd_fail "start did not print the conf: $(cat "$S/start.out")"
grep -qE "^started in [0-9.]+ s$" "$S/start.out" || rbd_fail "start did not say how long it took"
out=$("$script" status "$S") || rbd_fail "status of a running cluster failed: $out"
grep -q "mon.a: running" <<<"$out" && grep -q "osd.0: running" <<<"$out" || rbd_fail "status: $out"
[ "$(timeout 60 ceph -c "$CEPH_CONF" osd pool get rbd size)" = "size: 1" ] || rbd_fail "pool size is not 1"
[ "$(timeout 60 ceph -c "$CEPH_CONF" auth get-key client.admin | wc -c)" -gt 20 ] || rbd_fail "no admin key"
: >"$S/empty.keyring"
if timeout 60 rbd -c "$CEPH_CONF" --keyring "$S/empty.keyring" ls >"$S/nokey.out" 2>&1; then
	rbd_fail "a client without the key was let in: cephx is off"
fi
rbd_log "ok: cephx refuses a client without the key"
rbd_image probe 4M
rbdc ls | grep -qx probe || rbd_fail "the image created is not listed"
pids=$(cat "$S/run/mon.a.pid" "$S/run/osd.0.pid")
t=$(date +%s.%N)
"$script" stop "$S" >/dev/null || rbd_fail "stop failed"
rbd_log "ok: stopped in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
for p in $pids; do
	kill -0 "$p" 2>/dev/null && rbd_fail "daemon $p still runs after stop"
done
if "$script" status "$S" >/dev/null 2>&1; then
	rbd_fail "status says a stopped cluster runs"
fi
long=/tmp/$(printf 'x%.0s' $(seq 70))
expect_fail "a long directory" "DIR is too long" "$script" start "$long"
[ ! -e "$long" ] || rbd_fail "the refused start created $long"
echo "ceph-test-cluster: ok"
