#!/usr/bin/env bash
# e2e: a disk served read-only: the guest sees it read-only, its writes
# fail, its reads return the image's content, and the image is unchanged.
# Usage: test-readonly.sh [--target vmiod|qsd]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"

READ_MB=16

e2e_setup_scratch
img=$E2E_TMP/disk.img
head -c $((READ_MB * 1048576)) /dev/urandom >"$img"
truncate -s 64M "$img"
before=$(sha256sum <"$img")
e2e_target_start "$img" "$E2E_TMP/sock" queues=2 ro=on
e2e_boot "$E2E_TMP/result" --socket "$E2E_TMP/sock" --queues 2 --timeout 120 \
	--workload "$here/workloads/readonly.sh" \
	--env READ_MB=$READ_MB --env EXPECT_SHA256="$(e2e_sha256 "$img" $READ_MB)"
e2e_target_stop || e2e_die "the target died during the test"

e2e_expect "image checksum after the guest tried to write" "$before" "$(sha256sum <"$img")"
r=$E2E_TMP/result
echo "readonly: ${E2E_TARGET:-vmiod} randread $(e2e_result "$r" randread_iops) IOPS; dd said: $(e2e_result "$r" dd_write_error)"
