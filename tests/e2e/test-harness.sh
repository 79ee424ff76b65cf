#!/usr/bin/env bash
# e2e harness self-test (always against qemu-storage-daemon, so it says
# whether the harness works whatever state vmiod is in): a guest workload
# that fails must make boot-guest.sh fail with the workload's status, and
# its result lines must still come through.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export E2E_TARGET=qsd

e2e_setup_scratch
truncate -s 16M "$E2E_TMP/disk.img"
e2e_target_start "$E2E_TMP/disk.img" "$E2E_TMP/sock" queues=1
if "$here/boot-guest.sh" --socket "$E2E_TMP/sock" --timeout 60 \
	--workload "$here/workloads/fail.sh" >"$E2E_TMP/out" 2>"$E2E_TMP/err"; then
	e2e_die "boot-guest.sh succeeded although the guest workload exited 3"
fi
cat "$E2E_TMP/out" "$E2E_TMP/err"
grep -q 'failed with status 3' "$E2E_TMP/err" ||
	e2e_die "boot-guest.sh did not report the workload's status 3"
e2e_expect "result line of a failed workload" yes "$(e2e_result "$E2E_TMP/out" before_failure)"
e2e_target_stop || e2e_die "qemu-storage-daemon died during the test"
