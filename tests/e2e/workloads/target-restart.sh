# Guest workload for the target-restart test: fio writes with verify for
# RUNTIME seconds while the host SIGKILLs and restarts the target, then
# reads everything back. Every I/O must complete without error: requests
# in flight at the kill are replayed by the restarted target.
# Env: RUNTIME (seconds)
. /lib/e2e.sh
e2e_wait_dev /dev/vda

echo "E2E-MARK fio-start"
fio --name=restart --filename=/dev/vda --direct=1 --ioengine=libaio \
	--rw=randwrite --bssplit=4k/60:16k/30:64k/10 --iodepth=16 --numjobs=2 \
	--size=16M --offset_increment=16M --time_based --runtime="$RUNTIME" \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --group_reporting \
	>/tmp/fio.out 2>&1
rc=$?
cat /tmp/fio.out
[ "$rc" = 0 ] || e2e_fail "fio failed across the target's restart (status $rc)"
grep -q 'err= *0' /tmp/fio.out || e2e_fail "fio reported I/O errors"
e2e_result fio_rc 0
