#!/usr/bin/env bash
# e2e: a VM restarted on a running target. Two guests boot one after the
# other against the same target process; the second must find what the
# first wrote and do I/O normally, so the target has to take a new
# front-end connection (new memory table, queues re-set) cleanly.
# Usage: test-guest-restart.sh [--target vmiod|qsd]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"

PAT_OFF=$((40 * 1048576))

e2e_setup_scratch
img=$E2E_TMP/disk.img
truncate -s 64M "$img"
e2e_target_start "$img" "$E2E_TMP/sock" queues=2
for boot in 1 2; do
	e2e_boot "$E2E_TMP/result$boot" --socket "$E2E_TMP/sock" --queues 2 --timeout 120 \
		--workload "$here/workloads/restart.sh" --env BOOT=$boot --env PAT_OFF=$PAT_OFF
	e2e_expect "boot $boot finished" $boot "$(e2e_result "$E2E_TMP/result$boot" boot)"
done
e2e_expect "boot 2 read boot 1's data" ok "$(e2e_result "$E2E_TMP/result2" previous_boot_data)"
e2e_target_stop || e2e_die "the target died during the test"
cmp -s <(yes vmio-e2e-boot-2 | head -c 262144 || true) \
	<(tail -c +$((PAT_OFF + 1)) "$img" | head -c 262144 || true) ||
	e2e_die "boot 2's pattern is not in the image"
echo "guest-restart: ${E2E_TARGET:-vmiod} ok"
