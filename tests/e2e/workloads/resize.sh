# Guest workload for the resize test: report the disk's size, wait for the
# host to grow it (without a reboot), then write at the new end.
. /lib/e2e.sh
e2e_wait_dev /dev/vda
before=$(cat /sys/block/vda/size)
e2e_result size_before "$before"
echo "E2E-RESIZE-READY"
n=0
while [ "$(cat /sys/block/vda/size)" = "$before" ] && [ $n -lt 300 ]; do
	usleep 100000
	n=$((n + 1))
done
after=$(cat /sys/block/vda/size)
e2e_result size_after "$after"
[ "$after" != "$before" ] || e2e_fail "the guest never saw the new size"
yes resized | head -c 4096 | dd of=/dev/vda bs=4096 seek=$((after / 8 - 1)) conv=fsync 2>/dev/null ||
	e2e_fail "writing the last block of the grown disk failed"
e2e_result wrote_last_block yes
