#!/usr/bin/env bash
# e2e: the target is SIGKILLed while the guest's fio is writing, and a new
# target process is started on the same socket and image. QEMU reconnects
# (-chardev ...,reconnect=1), the new target resubmits what was in flight
# (the inflight region QEMU kept), and the guest's fio finishes and
# verifies every block without an error.
# Usage: test-target-restart.sh [--target vmiod|qsd]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"

RUNTIME=10
KILL_AFTER=2

e2e_setup_scratch
img=$E2E_TMP/disk.img
log=$E2E_TMP/console.log
truncate -s 64M "$img"
e2e_target_start "$img" "$E2E_TMP/sock" queues=2
"$here/boot-guest.sh" --socket "$E2E_TMP/sock" --queues 2 --reconnect 1 \
	--timeout 100 --workload "$here/workloads/target-restart.sh" \
	--env RUNTIME=$RUNTIME --log "$log" >"$E2E_TMP/result" 2>"$E2E_TMP/boot.err" &
guest=$!

e2e_wait_console "$log" "E2E-MARK fio-start" 90 "$guest"
sleep $KILL_AFTER
kill -0 $guest 2>/dev/null || e2e_die "the guest ended before the target could be killed"
grep -q 'E2E-END' "$log" && e2e_die "fio ended before the target could be killed"
e2e_log "killing the target (pid $E2E_TARGET_PID) with SIGKILL during fio"
kill -KILL "$E2E_TARGET_PID"
wait "$E2E_TARGET_PID" 2>/dev/null || true
E2E_TARGET_PID=
mv "$E2E_TMP/sock.log" "$E2E_TMP/sock.log.killed"
sleep 1
e2e_target_start "$img" "$E2E_TMP/sock" queues=2
e2e_log "restarted the target (pid $E2E_TARGET_PID)"

rc=0
wait $guest || rc=$?
cat "$E2E_TMP/result" "$E2E_TMP/boot.err"
if [ $rc != 0 ]; then
	e2e_show_target_log
	e2e_die "the guest failed across the target's restart"
fi
e2e_expect "guest fio status across the restart" 0 "$(e2e_result "$E2E_TMP/result" fio_rc)"
e2e_target_stop || e2e_die "the restarted target died during the test"
echo "target-restart: ${E2E_TARGET:-vmiod} ok"
