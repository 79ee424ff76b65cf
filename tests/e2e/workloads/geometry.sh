# Guest workload: the disk's shape as the guest kernel sees it (capacity,
# logical block size, queues, cache mode), then flushes and a discard.
# Env: EXPECT_SECTORS EXPECT_LBS EXPECT_QUEUES EXPECT_WRITE_CACHE
#      DISCARD_OFF DISCARD_LEN ZERO_OFF (64k-aligned)
#      FLUSH_OFF (bytes, where the fsync'ing writes go)
. /lib/e2e.sh
e2e_wait_dev /dev/vda
q=/sys/block/vda/queue

e2e_check size_sectors "$EXPECT_SECTORS" "$(cat /sys/block/vda/size)"
e2e_check size_bytes "$((EXPECT_SECTORS * 512))" "$(blockdev --getsize64 /dev/vda)"
e2e_check logical_block_size "$EXPECT_LBS" "$(cat $q/logical_block_size)"
e2e_check mq_queues "$EXPECT_QUEUES" "$(ls /sys/block/vda/mq | wc -l)"
# A target that keeps writes in a cache until a FLUSH says "write back";
# qemu-storage-daemon says "write through" (its config leaves wce at 0).
e2e_check write_cache "$EXPECT_WRITE_CACHE" "$(cat $q/write_cache)"
e2e_result discard_max_bytes "$(cat $q/discard_max_bytes)"
e2e_result discard_granularity "$(cat $q/discard_granularity)"

if [ "$EXPECT_LBS" -gt 512 ]; then
	# The kernel must refuse I/O smaller than a logical block itself.
	# (Not busybox dd: it retries a refused O_DIRECT read without it.)
	if fio --name=small --filename=/dev/vda --direct=1 --ioengine=psync \
		--rw=read --bs=512 --size=4k >/tmp/fio.out 2>&1; then
		cat /tmp/fio.out
		e2e_fail "a 512-byte direct read succeeded on a $EXPECT_LBS-byte-block disk"
	fi
	e2e_result small_read_refused yes
fi

# Writes each followed by a flush; fio fails on any error status. With the
# cache in write-back mode the kernel sends every fsync to the device as a
# FLUSH, which field 16 of the disk's stat file counts once completed.
# A write-through device is switched through virtio-blk's cache_type (the
# config's wce, when the device offers CONFIG_WCE).
if [ "$(cat $q/write_cache)" != "write back" ]; then
	echo "write back" >/sys/block/vda/cache_type 2>/dev/null ||
		echo "note: cannot switch the cache to write back; fsyncs send no FLUSH"
fi
e2e_result write_cache_for_flush "$(cat $q/write_cache)"
flushes=$(awk '{ print $16 }' /sys/block/vda/stat)
fio --name=flush --filename=/dev/vda --direct=1 --ioengine=libaio --rw=randwrite \
	--bs="$EXPECT_LBS"-16k --offset="$FLUSH_OFF" --size=4M --io_size=2M --fsync=1 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; e2e_fail "fio writes with fsync=1 failed"; }
flushes=$(($(awk '{ print $16 }' /sys/block/vda/stat) - flushes))
e2e_result flushes "$flushes"
if [ "$(cat $q/write_cache)" = "write back" ] && [ "$flushes" -lt 16 ]; then
	e2e_fail "only $flushes flushes reached the device for fio's fsyncs"
fi

# Write zeroes (util-linux blkdiscard -z: BLKZEROOUT, sent as WRITE_ZEROES
# when the device offers it) over data, read back direct.
e2e_result write_zeroes_max_bytes "$(cat $q/write_zeroes_max_bytes)"
yes vmio-e2e-nonzero | head -c 1048576 |
	dd of=/dev/vda bs=65536 seek=$((ZERO_OFF / 65536)) oflag=direct conv=notrunc 2>/dev/null ||
	e2e_fail "writing data where zeroes go failed"
/usr/sbin/blkdiscard -z -o "$ZERO_OFF" -l 1048576 /dev/vda ||
	e2e_fail "blkdiscard -z (write zeroes) failed"
[ "$(dd if=/dev/vda bs=65536 skip=$((ZERO_OFF / 65536)) count=16 iflag=direct 2>/dev/null |
	tr -d '\000' | wc -c)" = 0 ] || e2e_fail "the range written with zeroes does not read back as zeroes"
e2e_result write_zeroes_ok yes

[ "$(cat $q/discard_max_bytes)" -gt 0 ] || e2e_fail "the disk does not offer discard"
blkdiscard -o "$DISCARD_OFF" -l "$DISCARD_LEN" /dev/vda ||
	e2e_fail "blkdiscard -o $DISCARD_OFF -l $DISCARD_LEN failed"
e2e_result discarded_bytes "$DISCARD_LEN"
