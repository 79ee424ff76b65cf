# Guest workload: fio random writes of mixed sizes from two jobs, each on
# its own region, read back and checked with crc32c; then a checksum of the
# whole fio region and a known pattern written at two offsets, which the
# host compares with the image file after the guest is gone.
# Env: FIO_MB (per-job region, MiB), PAT_OFF_A PAT_OFF_B (bytes, 4k-aligned),
#      EXPECT_PACKED (1: the packed ring must have been negotiated)
. /lib/e2e.sh
e2e_wait_dev /dev/vda

# QEMU quietly falls back to split rings when the target does not offer
# VIRTIO_F_RING_PACKED, so a packed run checks bit 34 was negotiated.
if [ "${EXPECT_PACKED:-0}" = 1 ]; then
	bits=$(cat /sys/block/vda/device/features)
	e2e_check ring_packed 1 "$(echo "$bits" | cut -c35)"
fi

fio --name=verify --filename=/dev/vda --direct=1 --ioengine=libaio \
	--iodepth=8 --numjobs=2 --size="${FIO_MB}M" --offset_increment="${FIO_MB}M" \
	--rw=randwrite --bssplit=4k/50:16k/30:64k/20 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --group_reporting \
	>/tmp/fio.out 2>&1
rc=$?
cat /tmp/fio.out
e2e_result fio_rc "$rc"
[ "$rc" = 0 ] || e2e_fail "fio exited with status $rc (see its output above)"
grep -q 'err= *0' /tmp/fio.out || e2e_fail "fio reported I/O errors"
e2e_result write_iops "$(sed -n 's/^ *write: IOPS=\([^,]*\),.*/\1/p' /tmp/fio.out)"
e2e_result verify_iops "$(sed -n 's/^ *read: IOPS=\([^,]*\),.*/\1/p' /tmp/fio.out)"

# Buffered read of the whole region (cold cache: it all comes from the disk).
e2e_result region_sha256 "$(dd if=/dev/vda bs=1M count=$((2 * FIO_MB)) 2>/dev/null | sha256sum | cut -d' ' -f1)"

yes vmio-e2e-pattern | head -c 1048576 >/tmp/pattern
for off in "$PAT_OFF_A" "$PAT_OFF_B"; do
	dd if=/tmp/pattern of=/dev/vda bs=4096 seek=$((off / 4096)) conv=notrunc,fsync 2>/dev/null ||
		e2e_fail "writing the pattern at offset $off failed"
done
e2e_result pattern_written yes
