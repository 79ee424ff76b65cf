# Guest workload for a read-only disk: the kernel must see it read-only,
# writes must fail, and reads must return the image's content.
# Env: EXPECT_SHA256 (of the first READ_MB MiB), READ_MB
. /lib/e2e.sh
e2e_wait_dev /dev/vda

e2e_check sysfs_ro 1 "$(cat /sys/block/vda/ro)"

if dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/tmp/dd.err; then
	e2e_fail "dd wrote to the read-only disk without an error"
fi
e2e_result dd_write_error "$(head -n 1 /tmp/dd.err)"

if fio --name=ro --filename=/dev/vda --direct=1 --ioengine=libaio --rw=randwrite \
	--bs=4k --size=1M --io_size=64k >/tmp/fio.out 2>&1; then
	cat /tmp/fio.out
	e2e_fail "fio wrote to the read-only disk without an error"
fi
e2e_result fio_write_error "$(grep -m1 -i 'err' /tmp/fio.out)"

e2e_check read_sha256 "$EXPECT_SHA256" \
	"$(dd if=/dev/vda bs=1M count="$READ_MB" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"

fio --name=rr --filename=/dev/vda --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=8 --size="${READ_MB}M" --io_size=8M >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; e2e_fail "fio random reads failed on the read-only disk"; }
e2e_result randread_iops "$(sed -n 's/^ *read: IOPS=\([^,]*\),.*/\1/p' /tmp/fio.out)"
