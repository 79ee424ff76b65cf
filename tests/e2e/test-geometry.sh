#!/usr/bin/env bash
# e2e: what the guest sees of the disk (capacity, logical block size,
# number of queues, write-back cache) and that flushes and discards work;
# a discard must free the image file's blocks.
# Usage: test-geometry.sh [--target vmiod|qsd] [BLOCK_SIZE]   (512 or 4096)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_args "$@"

BS=${E2E_ARGS[0]:-512}
DISK_BYTES=$((101 * 1048576))
DISCARD_OFF=$((48 * 1048576))
DISCARD_LEN=$((32 * 1048576))
ZERO_OFF=$((16 * 1048576))

# vmiod acknowledges a write once it is on the backend and makes it durable
# on FLUSH, so it offers a write-back cache; qemu-storage-daemon's
# vhost-user export leaves the config's wce at 0 (write through).
case ${E2E_TARGET:-vmiod} in
qsd) WRITE_CACHE="write through" ;;
*) WRITE_CACHE="write back" ;;
esac

e2e_setup_scratch
img=$E2E_TMP/disk.img
# Allocated up front, so a discard has blocks to give back.
fallocate -l "$DISK_BYTES" "$img"
blocks_before=$(stat -c %b "$img")
e2e_target_start "$img" "$E2E_TMP/sock" queues=2 blk-size="$BS"
e2e_boot "$E2E_TMP/result" --socket "$E2E_TMP/sock" --queues 2 --timeout 120 \
	--workload "$here/workloads/geometry.sh" \
	--env EXPECT_SECTORS=$((DISK_BYTES / 512)) --env EXPECT_LBS="$BS" \
	--env EXPECT_QUEUES=2 --env EXPECT_WRITE_CACHE="$WRITE_CACHE" --env FLUSH_OFF=$((8 * 1048576)) \
	--env DISCARD_OFF=$DISCARD_OFF --env DISCARD_LEN=$DISCARD_LEN --env ZERO_OFF=$ZERO_OFF
e2e_target_stop || e2e_die "the target died during the test"

zeros=$(head -c 1048576 /dev/zero | sha256sum | cut -d' ' -f1)
e2e_expect "the image where the guest wrote zeroes" "$zeros" "$(e2e_sha256 "$img" 1 $((ZERO_OFF / 1048576)))"
blocks_after=$(stat -c %b "$img")
freed=$(((blocks_before - blocks_after) * 512))
e2e_log "the image's allocation went from $blocks_before to $blocks_after 512-byte blocks"
[ "$freed" -ge $((DISCARD_LEN * 9 / 10)) ] ||
	e2e_die "the guest discarded $DISCARD_LEN bytes but the image file freed only $freed bytes"
[ "$(stat -c %s "$img")" = "$DISK_BYTES" ] || e2e_die "the image's size changed"
echo "geometry($BS): ${E2E_TARGET:-vmiod} ok; discard freed $freed bytes"
