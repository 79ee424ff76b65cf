#!/usr/bin/env bash
# e2e: packed virtqueues (VIRTIO_F_RING_PACKED) end to end. A guest with 2
# vCPUs and 2 queues on `-device vhost-user-blk-pci,...,packed=on` checks
# that bit 34 was negotiated (QEMU silently falls back to split rings when
# the target does not offer it), then does fio random writes of mixed sizes
# verified with crc32c, a buffered read-back and a pattern; the host checks
# the guest's bytes are in the image and that vmiod served the rings as
# packed (it logs that the front-end chose packed virtqueues).
# Usage: test-packed.sh [--target vmiod] [on|off]   (off: the same job on
# split rings, to compare IOPS with)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"
mode=${E2E_ARGS[0]:-on}
[ "${E2E_TARGET:-vmiod}" = vmiod ] || e2e_die "packed rings are a vmiod test (qemu-storage-daemon does not offer them)"

DISK_MB=128
FIO_MB=24
PAT_OFF_A=$((100 * 1048576 + 4096))
PAT_OFF_B=$(((DISK_MB - 1) * 1048576))

packed=(--packed off)
[ "$mode" = off ] || packed=(--packed on --env EXPECT_PACKED=1)

e2e_setup_scratch
img=$E2E_TMP/disk.img
truncate -s "${DISK_MB}M" "$img"
e2e_target_start "$img" "$E2E_TMP/sock" queues=2
e2e_boot "$E2E_TMP/result" --socket "$E2E_TMP/sock" --queues 2 --timeout 150 \
	--workload "$here/workloads/fio-verify.sh" "${packed[@]}" \
	--env FIO_MB=$FIO_MB --env PAT_OFF_A=$PAT_OFF_A --env PAT_OFF_B=$PAT_OFF_B
e2e_target_stop || e2e_die "the target died during the test"

r=$E2E_TMP/result
[ "$mode" = off ] || e2e_expect "VIRTIO_F_RING_PACKED negotiated (guest features bit 34)" 1 "$(e2e_result "$r" ring_packed)"
if [ "$mode" != off ]; then
	grep -q "the front-end chose packed virtqueues" "$E2E_TARGET_LOG" ||
		e2e_die "vmiod's log does not show it served packed rings ($E2E_TARGET_LOG)"
	! grep -q "marked broken" "$E2E_TARGET_LOG" ||
		e2e_die "vmiod marked a packed ring broken: $(grep 'marked broken' "$E2E_TARGET_LOG" | head -1)"
	e2e_log "ok: vmiod served packed rings, none broken"
fi
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
echo "packed=$mode: write $(e2e_result "$r" write_iops) IOPS, verify-read $(e2e_result "$r" verify_iops) IOPS"
