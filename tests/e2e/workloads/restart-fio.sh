# Guest workload for the restart test: fio random writes of mixed sizes at
# a deep queue, several passes, each verified with crc32c; the host kills
# and restarts the target while it runs. Then a checksum of fio's region
# for the host to compare with the image.
# Env: FIO_MB (region, MiB), LOOPS
. /lib/e2e.sh
e2e_wait_dev /dev/vda
echo "E2E-FIO-START"
fio --name=restart --filename=/dev/vda --direct=1 --ioengine=libaio \
	--iodepth=32 --size="${FIO_MB}M" --rw=randwrite \
	--bssplit=4k/40:16k/30:64k/30 --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --loops="$LOOPS" >/tmp/fio.out 2>&1
rc=$?
grep -E "err=|IOPS=|clat \(|lat \(msec\)" /tmp/fio.out | head -12
e2e_result fio_rc "$rc"
[ "$rc" = 0 ] || { cat /tmp/fio.out; e2e_fail "fio exited with status $rc"; }
grep -q 'err= *0' /tmp/fio.out || e2e_fail "fio reported I/O errors"
e2e_result max_clat_msec "$(sed -n 's/.*clat (\(.sec\)).*max= *\([0-9.]*\).*/\1:\2/p' /tmp/fio.out | head -1)"
e2e_result region_sha256 "$(dd if=/dev/vda bs=1M count="$FIO_MB" 2>/dev/null | sha256sum | cut -d' ' -f1)"
dmesg | grep -iE "blk_update_request|I/O error|timeout" | head -5
