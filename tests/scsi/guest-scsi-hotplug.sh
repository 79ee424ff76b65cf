# Guest workload for test-e2e-scsi-hotplug.sh: LUN 2 is plugged in and
# pulled out of the running target over vmiod's RPC. The guest's
# virtio_scsi driver must add the disk on the rescan event, read the bytes
# the host put in it, and drop the disk on the removal event.
# Env: LUN2_SECTORS LUN2_MD5 (md5 of LUN 2's first MiB)
. /lib/e2e.sh

# The block device of LUN $1, found by its SCSI address (sd names follow
# probe order).
dev_of_lun()
{
	set -- /sys/bus/scsi/devices/*:0:0:"$1"/block/*
	[ -e "$1" ] && basename "$1"
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for()
{
	local n=$(($1 * 10))

	shift
	until "$@"; do
		[ "$n" -gt 0 ] || return 1
		usleep 100000
		n=$((n - 1))
	done
}

lun2_present() { [ -n "$(dev_of_lun 2)" ]; }
lun2_absent() { ! ls -d /sys/bus/scsi/devices/*:0:0:2 >/dev/null 2>&1; }

wait_for 10 test -n "$(dev_of_lun 0)" || e2e_fail "the guest does not see LUN 0"
lun2_absent || e2e_fail "LUN 2 is there before it was plugged in"
echo "E2E-HOTPLUG-READY"
wait_for 60 lun2_present || e2e_fail "LUN 2 did not appear within 60 s of the rescan event"
d2=$(dev_of_lun 2)
e2e_wait_dev "/dev/$d2"
e2e_result lun2_seen 1
e2e_check lun2_sectors "$LUN2_SECTORS" "$(cat /sys/block/$d2/size)"
e2e_check lun2_md5 "$LUN2_MD5" "$(dd if=/dev/$d2 bs=1M count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
echo "E2E-HOTPLUG-SEEN"
wait_for 60 lun2_absent || e2e_fail "LUN 2 was still there 60 s after its removal event"
e2e_result lun2_gone 1
