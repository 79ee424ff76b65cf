#!/usr/bin/env bash
# rbd: the cluster goes away under I/O. A front-end keeps 4 writes in
# flight on an RBD disk (rbd-timeout=5) when the whole cluster is stopped:
# every request must come back as an I/O error within the timeout and a
# margin, none may hang; meanwhile vmiod keeps serving its file disk, its
# RPC answers at once, removing the dead disk does not hold the control
# thread, and vmiod still exits when asked.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rbd_cluster_start
S=$RBD_DIR
TIMEOUT=5
truncate -s 16M "$S/file.img"
start_vmiod main "$S/rpc.sock" --rpc "$S/rpc.sock" \
	--disk "id=r0,backend=rbd,pool=rbd,image=vm1,size=64M,conf=$CEPH_CONF,socket=$S/r0.sock,rbd-timeout=$TIMEOUT" \
	--disk "id=f0,path=$S/file.img,socket=$S/f0.sock"
export VMIO_RPC=$S/rpc.sock

# Seconds (with a fraction) since the epoch.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# run_within SECONDS WHAT CMD...: CMD must finish in time.
run_within() {
	local s=$1 what=$2 t
	shift 2
	t=$(now)
	timeout "$s" "$@" >/dev/null || rbd_fail "$what did not finish within $s s (or failed)"
	rbd_log "ok: $what in $(elapsed "$t") s"
}

"$RBD_IO" "$S/r0.sock" load 120 4 >"$S/load.out" 2>"$S/load.err" &
load=$!
RBD_PIDS+=("$load")
sleep 2
kill -0 "$load" 2>/dev/null || rbd_fail "the load ended early: $(cat "$S/load.out" "$S/load.err")"
t0=$(now)
rbd_cluster_stop
rbd_log "cluster stopped in $(elapsed "$t0") s under 4 writes in flight"

# While the RBD disk's requests wait for the timeout: the file disk and
# the RPC serve as before.
run_within 10 "file disk I/O during the outage" \
	"$RBD_IO" "$S/f0.sock" write 0 1M 5 read 0 1M 5
run_within 2 "disk ls over the RPC during the outage" "$VMIO" disk ls

# The requests in flight fail; the load stops after 2 s of errors.
limit=$((TIMEOUT + 30))
for _ in $(seq $((limit * 10))); do
	kill -0 "$load" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$load" 2>/dev/null && rbd_fail "requests to the dead cluster still hang $limit s after it stopped"
wait "$load" || rbd_fail "the front-end failed: $(cat "$S/load.err")"
read -r _ _ ok _ errors _ first _ stuck <"$S/load.out"
rbd_log "front-end: $ok writes ok, then $errors I/O errors, the first $(awk -v f="$first" 'BEGIN { printf "%.1f", f - 2 }') s after the stop began; $stuck stuck"
[ "$errors" -gt 0 ] || rbd_fail "no request failed: $(cat "$S/load.out")"
[ "$stuck" = 0 ] || rbd_fail "$stuck requests never completed"
grep -q "a request failed: Connection timed out (the cluster did not answer within rbd-timeout" \
	"$S/main.log" || rbd_fail "vmiod did not say why the requests failed"
errs=$("$VMIO" stats --json | jq '.[] | select(.id == "r0") | .errors')
[ "$errs" -ge "$errors" ] || rbd_fail "stats count $errs errors, the front-end saw $errors"

# Still serving: the file disk, the RPC; the dead disk goes at once.
run_within 10 "file disk I/O after the errors" \
	"$RBD_IO" "$S/f0.sock" read 0 1M 5 write 1M 1M 6 read 1M 1M 6
run_within 3 "removing the dead RBD disk" "$VMIO" disk rm r0
run_within 2 "disk ls after the removal" "$VMIO" disk ls
t=$(now)
kill -TERM "$VMIOD_PID"
for _ in $(seq 300); do
	kill -0 "$VMIOD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$VMIOD_PID" 2>/dev/null && rbd_fail "vmiod did not exit within 30 s of SIGTERM"
wait "$VMIOD_PID" || rbd_fail "vmiod exited with an error"
rbd_log "ok: vmiod exited $(elapsed "$t") s after SIGTERM"
echo "rbd-loss: ok"
