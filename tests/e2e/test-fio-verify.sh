#!/usr/bin/env bash
# e2e: a guest with 2 vCPUs and 2 queues writes with fio (mixed sizes,
# crc32c verify), then the host checks the guest's bytes are in the image:
# the checksum of fio's region and a pattern at two offsets (one the last
# MiB of the disk).
# With "packed", the guest uses packed virtqueues and checks they were
# negotiated (qsd does not offer them; vmiod not yet either).
# Usage: test-fio-verify.sh [--target vmiod|qsd] [packed]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"

DISK_MB=128
FIO_MB=24
PAT_OFF_A=$((100 * 1048576 + 4096))
PAT_OFF_B=$(((DISK_MB - 1) * 1048576))

packed=(--packed off)
[ "${E2E_ARGS[0]:-}" != packed ] || packed=(--packed on --env EXPECT_PACKED=1)

e2e_setup_scratch
img=$E2E_TMP/disk.img
truncate -s "${DISK_MB}M" "$img"
e2e_target_start "$img" "$E2E_TMP/sock" queues=2
e2e_boot "$E2E_TMP/result" --socket "$E2E_TMP/sock" --queues 2 --timeout 150 \
	--workload "$here/workloads/fio-verify.sh" "${packed[@]}" \
	--env FIO_MB=$FIO_MB --env PAT_OFF_A=$PAT_OFF_A --env PAT_OFF_B=$PAT_OFF_B
e2e_target_stop || e2e_die "the target died during the test"

r=$E2E_TMP/result
e2e_expect "guest fio status" 0 "$(e2e_result "$r" fio_rc)"
[ -n "$(e2e_result "$r" write_iops)" ] || e2e_die "fio printed no write IOPS"
zeros=$(head -c $((2 * FIO_MB * 1048576)) /dev/zero | sha256sum | cut -d' ' -f1)
host_sum=$(e2e_sha256 "$img" $((2 * FIO_MB)))
[ "$host_sum" != "$zeros" ] || e2e_die "fio's region of the image is all zeros: the guest's writes did not reach the image"
e2e_expect "sha256 of fio's region (guest vs image)" "$(e2e_result "$r" region_sha256)" "$host_sum"
yes vmio-e2e-pattern | head -c 1048576 >"$E2E_TMP/pattern" || true
for off in $PAT_OFF_A $PAT_OFF_B; do
	cmp -s "$E2E_TMP/pattern" <(tail -c +$((off + 1)) "$img" | head -c 1048576) ||
		e2e_die "the pattern the guest wrote at offset $off is not in the image"
	e2e_log "ok: pattern at offset $off is in the image"
done
echo "fio-verify: write ${E2E_TARGET:-vmiod} $(e2e_result "$r" write_iops) IOPS, verify-read $(e2e_result "$r" verify_iops) IOPS"
