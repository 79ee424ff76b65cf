# Guest workload for live migration: fio random reads and writes with
# crc32c verify (checked as they go, then once more at the end) while
# the host migrates the guest, and beside it a reader that verifies a
# region with direct reads into one buffer, over and over: a read that
# completed on the source into a page vmiod did not log would show as a
# stale buffer on the destination. Prints E2E-MIGRATE-NOW once both run.
# Env: FIO_MB (per-job region, MiB), FIO_SECS (how long fio runs),
#      PAT_MB (where the reader's region is, MiB), EXPECT_PACKED (1: packed),
#      DEV (the disk: /dev/vda, or /dev/sda for virtio-scsi)
. /lib/e2e.sh
DEV=${DEV:-/dev/vda}
e2e_wait_dev "$DEV"
# Where the kernel's image lies, so that a page the host finds different
# after the move can be told apart: kernel text and data, or elsewhere.
grep -i 'kernel' /proc/iomem | sed 's/^ */E2E-IOMEM /'

if [ "${EXPECT_PACKED:-0}" = 1 ]; then
	bits=$(cat /sys/block/vda/device/features)
	e2e_check ring_packed 1 "$(echo "$bits" | cut -c35)"
fi

# The reader: direct reads of a known region, 16 KiB at a time, each dd
# reading into one buffer that only the device writes (the CPU touches it
# once, when dd starts), and the stream checked whole.
yes vmio-migrate-pattern | head -c 4194304 >/tmp/pattern
dd if=/tmp/pattern of="$DEV" bs=1M seek="$PAT_MB" conv=fsync 2>/dev/null ||
	e2e_fail "writing the reader's region failed"
want=$(sha256sum </tmp/pattern | cut -d' ' -f1)
(
	n=0 bad=0
	while [ ! -e /tmp/stop ]; do
		got=$(dd if="$DEV" bs=16k skip=$((PAT_MB * 64)) count=256 \
			iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
		n=$((n + 1))
		[ "$got" = "$want" ] || bad=$((bad + 1))
	done
	echo "$n $bad" >/tmp/reader
) &
reader=$!
# And one buffer that only the device ever writes, for the whole run: a
# read vmiod did not log leaves it different on the two sides, which the
# host's page-by-page comparison after the move catches.
fio --name=onebuf --filename="$DEV" --direct=1 --ioengine=psync --bs=16k \
	--offset="${PAT_MB}M" --size=4M --rw=randread --time_based \
	--runtime="$FIO_SECS" >/tmp/onebuf.out 2>&1 &
onebuf=$!

fio --name=migrate --filename="$DEV" --direct=1 --ioengine=libaio \
	--iodepth=8 --numjobs=2 --size="${FIO_MB}M" --offset_increment="${FIO_MB}M" \
	--rw=randrw --bssplit=4k/50:16k/30:64k/20 --time_based --runtime="$FIO_SECS" \
	--verify=crc32c --verify_backlog=16 --verify_fatal=1 --group_reporting \
	>/tmp/fio.out 2>&1 &
fio=$!
sleep 1
echo E2E-MIGRATE-NOW
wait $fio
rc=$?
touch /tmp/stop
wait $reader
wait $onebuf || e2e_fail "the one-buffer reader failed: $(cat /tmp/onebuf.out)"
cat /tmp/fio.out
e2e_result fio_rc "$rc"
[ "$rc" = 0 ] || e2e_fail "fio exited with status $rc (see its output above)"
grep -q 'err= *0' /tmp/fio.out || e2e_fail "fio reported I/O errors"
read -r reads bad </tmp/reader
e2e_result reader_passes "$reads"
e2e_result reader_bad "$bad"
[ "$bad" = 0 ] || e2e_fail "$bad of $reads passes of the reader read stale data"
# The whole fio region as the guest reads it, for the host to compare with
# the image once the guest is gone.
e2e_result region_sha256 "$(dd if="$DEV" bs=1M count=$((2 * FIO_MB)) iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
