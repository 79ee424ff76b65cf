# Guest workload for test-e2e-scsi.sh: every LUN shows up as a SCSI disk,
# with the limits the target reports, survives fio's crc32c verification,
# and a discard (UNMAP) on LUN 0 succeeds.
# Env: LUN0_SECTORS LUN1_SECTORS DISCARD_OFF DISCARD_LEN EXPECT_QUEUES
. /lib/e2e.sh

# sd names depend on probe order; find each LUN by its SCSI address.
lun_dev()
{
	local d

	for d in /sys/bus/scsi/devices/*:0:0:"$1"/block/*; do
		[ -e "$d" ] && { basename "$d"; return; }
	done
}

n=100
while [ -z "$(lun_dev 1)" ] || [ -z "$(lun_dev 0)" ]; do
	[ "$n" -gt 0 ] || e2e_fail "the guest does not see LUN 0 and LUN 1 ($(ls /sys/bus/scsi/devices | tr '\n' ' '))"
	usleep 100000
	n=$((n - 1))
done
d0=$(lun_dev 0)
d1=$(lun_dev 1)
e2e_wait_dev "/dev/$d0"
e2e_wait_dev "/dev/$d1"
e2e_result luns "$(ls -d /sys/bus/scsi/devices/*:0:0:* | wc -l)"
e2e_check lun0_sectors "$LUN0_SECTORS" "$(cat /sys/block/$d0/size)"
e2e_check lun1_sectors "$LUN1_SECTORS" "$(cat /sys/block/$d1/size)"
e2e_check mq_queues "$EXPECT_QUEUES" "$(ls /sys/block/$d0/mq | wc -l)"
e2e_result vendor "$(cat /sys/block/$d0/device/vendor)"
e2e_result write_cache "$(cat /sys/block/$d0/queue/write_cache)"
e2e_result rotational "$(cat /sys/block/$d0/queue/rotational)"
e2e_result provisioning_mode "$(cat /sys/block/$d0/device/scsi_disk/*/provisioning_mode)"
e2e_result discard_max_bytes "$(cat /sys/block/$d0/queue/discard_max_bytes)"
e2e_result discard_granularity "$(cat /sys/block/$d0/queue/discard_granularity)"
e2e_result max_hw_sectors_kb "$(cat /sys/block/$d0/queue/max_hw_sectors_kb)"

for d in "$d0" "$d1"; do
	fio --name="verify-$d" --filename="/dev/$d" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k-64k --size=16M --iodepth=16 --numjobs=1 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out; e2e_fail "fio --verify=crc32c failed on /dev/$d"; }
	e2e_result "fio_verify_$d" ok
	grep -E "^ +(write|read):" /tmp/fio.out | sed 's/^ */  /'
done

# Data where the discard goes, flushed, then discarded: the host checks
# that the image gave the blocks back.
dd if=/dev/urandom of="/dev/$d0" bs=65536 seek=$((DISCARD_OFF / 65536)) \
	count=$((DISCARD_LEN / 65536)) oflag=direct conv=notrunc 2>/dev/null ||
	e2e_fail "writing the range to discard failed"
sync
/usr/sbin/blkdiscard -o "$DISCARD_OFF" -l "$DISCARD_LEN" "/dev/$d0" ||
	e2e_fail "blkdiscard on /dev/$d0 failed"
[ "$(dd if=/dev/$d0 bs=65536 skip=$((DISCARD_OFF / 65536)) count=16 iflag=direct 2>/dev/null |
	tr -d '\0' | wc -c)" = 0 ] || e2e_fail "the discarded range does not read back as zeroes"
e2e_result discard ok
