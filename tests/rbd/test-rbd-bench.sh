#!/usr/bin/env bash
# rbd: vmio bench's RBD plumbing, in very short runs (no figure is judged:
# the machine is shared). `bench run --backend rbd:POOL/IMAGE` drives
# vmiod (virtio-blk and virtio-scsi, and --verify) and qemu-storage-daemon
# (driver=rbd) on the same image of the test's cluster, with no I/O error
# and a command that repeats the row; `bench paper --rbd-conf --rbd-only`
# writes experiment 8 with a row per workload and target and the ratios;
# a cluster it cannot use is reported, not hidden.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rbd_cluster_start
S=$RBD_DIR
C=$CEPH_CONF
run() { timeout 120 "$VMIO" bench run --rbd-conf "$C" --runtime 0.5 --ramp 0.1 --iodepth 4 "$@"; }

run --target vmiod --backend rbd:rbd/b1 --size 32M --rw randwrite --json "$S/vmiod.json" \
	>"$S/run.log" 2>&1 || rbd_fail "bench run on vmiod: $(tail -3 "$S/run.log")"
jq -e --arg c "$C" '.ios > 0 and .errors == 0 and .target_errors == 0 and
	.backend == "rbd:rbd/b1" and .cpu_us_per_io > 0 and
	(.rerun | contains("--backend rbd:rbd/b1 --rbd-conf " + $c)) and
	(.command | contains("backend=rbd,pool=rbd,image=b1,size=33554432,conf=" + $c))' \
	"$S/vmiod.json" >/dev/null || rbd_fail "vmiod run: $(cat "$S/vmiod.json")"
run --target qsd --backend rbd:rbd/b1 --rw randread --json "$S/qsd.json" \
	>"$S/run.log" 2>&1 || rbd_fail "bench run on qsd: $(tail -3 "$S/run.log")"
jq -e '.ios > 0 and .errors == 0 and (.command | contains("--blockdev driver=rbd,"))' \
	"$S/qsd.json" >/dev/null || rbd_fail "qsd run: $(cat "$S/qsd.json")"
run --target vmiod --device scsi --backend rbd:rbd/b1 --rw randread --json "$S/scsi.json" \
	>"$S/run.log" 2>&1 || rbd_fail "bench run on vmiod --device scsi: $(tail -3 "$S/run.log")"
jq -e '.ios > 0 and .errors == 0 and .device == "scsi"' "$S/scsi.json" >/dev/null ||
	rbd_fail "scsi run: $(cat "$S/scsi.json")"
run --target vmiod --backend rbd:rbd/b1 --verify --size 4M >"$S/verify.log" 2>&1 ||
	rbd_fail "bench run --verify: $(tail -3 "$S/verify.log")"
grep -q "verify vmiod: 0 bad blocks" "$S/verify.log" || rbd_fail "verify: $(cat "$S/verify.log")"
rbd_log "ok: bench run drives vmiod (blk, scsi, verify) and qsd on rbd/b1"
expect_fail "host on RBD" "needs --backend file:PATH" run --target host --backend rbd:rbd/b1
expect_fail "an RBD spec without a pool" "takes null, file:PATH or rbd:POOL/IMAGE" \
	run --target vmiod --backend rbd:b1

timeout 300 "$VMIO" bench paper --quick --runtime 0.25 --rbd-conf "$C" --rbd-image rbd/paper \
	--rbd-only --out "$S/paper" >"$S/paper.log" 2>&1 ||
	rbd_fail "bench paper --rbd-only: $(tail -5 "$S/paper.log")"
md=$S/paper/report.md
grep -q "^## 8. Ceph RBD" "$md" || rbd_fail "report.md has no RBD section"
for w in "randread QD1" "randread QD32" "randwrite QD1" "randwrite QD32"; do
	for t in vmiod qsd; do
		grep -q "^| 4K $w, RBD | $t | [0-9]" "$md" || rbd_fail "no row '4K $w, RBD' for $t"
	done
	grep -q "^- 4K $w, RBD: vmiod/qsd IOPS [0-9.]*x; target CPU µs/IO vmiod [0-9.]* vs qsd" "$md" ||
		rbd_fail "no ratio line for 4K $w"
done
jq -e '.failures == 0 and ([.runs[] | select(.backend == "rbd:rbd/paper")] | length == 8)' \
	"$S/paper/report.json" >/dev/null || rbd_fail "report.json: $(jq -c '{failures}' "$S/paper/report.json")"
rbd_log "ok: bench paper writes experiment 8 (8 rows, 4 ratios)"
if timeout 120 "$VMIO" bench paper --quick --runtime 0.25 --rbd-conf "$S/none.conf" \
	--rbd-only --out "$S/paper2" >"$S/paper2.log" 2>&1; then
	rbd_fail "bench paper succeeded on a cluster it cannot reach"
fi
grep -q "Not measured: the image could not be prepared" "$S/paper2/report.md" ||
	rbd_fail "an unusable cluster is not reported: $(tail -3 "$S/paper2.log")"
rbd_log "ok: a cluster that cannot be used is reported in the report"
echo "rbd-bench: ok"
