#!/usr/bin/env bash
# The built-in default job: shows vmio doing its work on this machine.
#  1. vmiod serves a generated disk image to a real Linux guest (QEMU, TCG),
#     whose stock virtio-blk driver runs fio with crc32c verification; the
#     same guest workload then runs against qemu-storage-daemon, the peer.
#  2. When `vmio bench` is built, a quick side-by-side measurement of vmiod,
#     qemu-storage-daemon and the host's own io_uring (vmio bench paper --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
export VMIOD=$PWD/build/vmiod VMIO=$PWD/build/vmio VMIO_BUILD=$PWD/build

echo "== 1/2: a Linux guest does verified I/O through vmiod, then through qemu-storage-daemon"
for target in vmiod qsd; do
	tests/e2e/test-fio-verify.sh --target "$target" 2>&1 | grep -E "^fio-verify:|e2e: (guest ran|ok:)" || {
		echo "demo: the guest run against $target failed; run tests/e2e/test-fio-verify.sh --target $target to see why" >&2
		exit 1
	}
done

echo
echo "== 2/2: vmio bench: vmiod vs qemu-storage-daemon vs host io_uring"
if build/vmio bench --help >/dev/null 2>&1; then
	out=${VMIO_DEMO_OUT:-$PWD/out/bench-quick}
	build/vmio bench paper --quick --out "$out"
	echo "report: $out/report.md"
else
	echo "(vmio bench is not built in this version)"
fi
