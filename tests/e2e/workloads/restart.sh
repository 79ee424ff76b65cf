# Guest workload for two boots against one target: boot 1 writes a pattern
# naming its boot; boot 2 first checks it reads boot 1's pattern back.
# Env: BOOT (1 or 2), PAT_OFF (bytes, 4k-aligned)
. /lib/e2e.sh
e2e_wait_dev /dev/vda

if [ "$BOOT" -gt 1 ]; then
	yes "vmio-e2e-boot-$((BOOT - 1))" | head -c 262144 >/tmp/want
	dd if=/dev/vda bs=4096 skip=$((PAT_OFF / 4096)) count=64 iflag=direct 2>/dev/null >/tmp/got
	cmp -s /tmp/want /tmp/got || e2e_fail "boot $BOOT does not read what boot $((BOOT - 1)) wrote"
	e2e_result previous_boot_data ok
fi
yes "vmio-e2e-boot-$BOOT" | head -c 262144 >/tmp/pattern
dd if=/tmp/pattern of=/dev/vda bs=4096 seek=$((PAT_OFF / 4096)) conv=notrunc,fsync 2>/dev/null ||
	e2e_fail "writing boot $BOOT's pattern failed"
fio --name=rw --filename=/dev/vda --direct=1 --ioengine=libaio --rw=randrw \
	--bs=4k --iodepth=8 --size=16M --io_size=8M --verify=crc32c --verify_fatal=1 \
	>/tmp/fio.out 2>&1 || { cat /tmp/fio.out; e2e_fail "fio failed in boot $BOOT"; }
e2e_result boot "$BOOT"
