#!/usr/bin/env bash
# The device models (virtio-blk, virtio-scsi) and the queue layer under
# them reach backends through bdev/bdev.h alone: preprocessed, none of
# their sources may contain anything of io_uring or of the engine's fixed
# buffers. A backend's internals showing through would make every new
# backend (RBD, say) a change to the device models.
set -euo pipefail
src=${VMIO_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
cc=${CC:-cc}
bad=0
for f in "$src"/src/lib/blk/*.c "$src"/src/lib/scsi/*.c "$src"/src/lib/vdev/*.c; do
	out=$("$cc" -E -D_GNU_SOURCE -I"$src/src/lib" "$f") ||
		{ echo "FAIL: cannot preprocess $f"; bad=1; continue; }
	hits=$(grep -owE 'io_uring[a-z_]*|liburing|fixed_mem[a-z_]*|uring_op' <<<"$out" |
		sort -u | tr '\n' ' ' || true)
	if [ -n "$hits" ]; then
		echo "FAIL: ${f#"$src"/} sees backend internals: $hits"
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "ok: blk, scsi and vdev see only bdev.h"
exit "$bad"
