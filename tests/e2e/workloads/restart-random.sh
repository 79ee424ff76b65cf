# Guest workload for the random-kill restart test, in two phases that each
# verify what they wrote (crc32c): a paced phase of mixed sizes (a guest
# that is mostly idle, whose requests find vmiod asleep) and a burst at
# queue depth 32. Prints each phase's time (from /proc/uptime) and a
# checksum of the region both wrote, for the host to compare.
# Env: PACED_MB, PACED_RATE (fio rate_iops: fio caps the bandwidth at this
# many of the smallest blocks a second), BURST_MB, BURST_LOOPS
. /lib/e2e.sh
e2e_wait_dev /dev/vda
uptime_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }
fio_phase()
{
	local name=$1 t0 t1 rc
	shift
	t0=$(uptime_cs)
	fio --name="$name" --filename=/dev/vda --direct=1 --ioengine=libaio \
		--iodepth=32 --rw=randwrite --verify=crc32c --do_verify=1 \
		--verify_fatal=1 "$@" >/tmp/"$name".out 2>&1
	rc=$?
	t1=$(uptime_cs)
	grep -E "err=|IOPS=" /tmp/"$name".out | head -4
	e2e_result "${name}_rc" "$rc"
	e2e_result "${name}_cs" $((t1 - t0))
	e2e_result "${name}_max_clat" "$(sed -n 's/.*clat (\(.sec\)).*max= *\([0-9.kKmM]*\).*/\1:\2/p' /tmp/"$name".out | tail -1)"
	[ "$rc" = 0 ] || { cat /tmp/"$name".out; e2e_fail "fio phase $name exited with status $rc"; }
	grep -q 'err= *0' /tmp/"$name".out || e2e_fail "fio phase $name reported I/O errors"
}
echo "E2E-FIO-START"
fio_phase paced --size="${PACED_MB}M" --bsrange=4k-64k --rate_iops="$PACED_RATE"
fio_phase burst --offset="${PACED_MB}M" --size="${BURST_MB}M" \
	--bssplit=4k/40:16k/30:64k/30 --loops="$BURST_LOOPS"
echo "E2E-FIO-DONE"
total=$((PACED_MB + BURST_MB))
e2e_result region_sha256 "$(dd if=/dev/vda bs=1M count="$total" 2>/dev/null | sha256sum | cut -d' ' -f1)"
errs=$(dmesg | grep -ciE "blk_update_request|I/O error|timed out")
e2e_result guest_io_errors "$errs"
[ "$errs" = 0 ] || { dmesg | tail -20; e2e_fail "the guest logged I/O errors"; }
