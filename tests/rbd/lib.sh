# shellcheck shell=bash
# Shared by the rbd suite's scripts: a real one-node Ceph cluster of the
# test's own (scripts/ceph-test-cluster.sh) in a short temporary directory,
# stopped and removed when the script exits, and helpers around it.
# Source it, then call rbd_cluster_start. Sets RBD_DIR (the scratch
# directory, also for the test's own files) and CEPH_CONF.
set -euo pipefail
RBD_SRC=${VMIO_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RBD_BUILD=${VMIO_BUILD:-$RBD_SRC/build}
VMIOD=${VMIOD:-$RBD_BUILD/vmiod}
VMIO=${VMIO:-$RBD_BUILD/vmio}
RBD_IO=$RBD_BUILD/tests/rbd/rbd_io
RBD_PIDS=()

rbd_log() {
	echo "rbd: $*" >&2
}

rbd_fail() {
	echo "rbd: FAIL: $*" >&2
	local f
	for f in "$RBD_DIR"/*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f:" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

# The suite needs vmiod built with librbd (unless RBD_NEED_VMIOD=0) and
# the cluster's programs; without them it is skipped (77), saying what to
# install.
rbd_need() {
	if [ "${RBD_NEED_VMIOD:-1}" != 0 ] &&
	   ! "$VMIOD" --help | grep 'backend=uring|rbd' >/dev/null; then
		echo "rbd: vmiod was built without the RBD backend; install librbd-dev and rebuild" >&2
		exit 77
	fi
	for p in ceph-mon ceph-osd ceph rbd rados; do
		command -v "$p" >/dev/null || {
			echo "rbd: $p is missing; run scripts/deps.sh (ceph-mon ceph-osd ceph-common)" >&2
			exit 77
		}
	done
}

rbd_cleanup() {
	local p
	for p in "${RBD_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "${RBD_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ -d "${RBD_DIR:-}" ] || return 0
	"$RBD_SRC/scripts/ceph-test-cluster.sh" stop "$RBD_DIR" >/dev/null 2>&1 || true
	if [ -n "${RBD_KEEP:-}" ]; then
		rbd_log "kept $RBD_DIR"
	else
		rm -rf "$RBD_DIR"
	fi
}

# Starts the cluster (pool "rbd") in a new /tmp/vr.XXXXXX: short, for the
# admin sockets' 107 bytes. Logs how long the start took.
rbd_cluster_start() {
	rbd_need
	RBD_DIR=$(mktemp -d /tmp/vr.XXXXXX)
	trap rbd_cleanup EXIT
	"$RBD_SRC/scripts/ceph-test-cluster.sh" start "$RBD_DIR" >"$RBD_DIR/start.out" 2>&1 ||
		{ cat "$RBD_DIR/start.out" >&2; rbd_fail "the test cluster did not start"; }
	CEPH_CONF=$RBD_DIR/ceph.conf
	export CEPH_CONF
	rbd_log "cluster up: $(grep started "$RBD_DIR/start.out")"
}

rbd_cluster_stop() {
	"$RBD_SRC/scripts/ceph-test-cluster.sh" stop "$RBD_DIR" >/dev/null
}

# rbd/rados/ceph against the test cluster.
rbdc() {
	timeout 120 rbd -c "$CEPH_CONF" "$@"
}

radosc() {
	timeout 120 rados -c "$CEPH_CONF" "$@"
}

# An image of SIZE without exclusive-lock: a vmiod killed while holding
# the lock would leave its successor waiting for the dead client's watch
# to time out (about 30 s) before it may write.
rbd_image() {
	rbdc create --size "$2" --image-feature layering "rbd/$1"
}

# The data objects of an image (what discards free).
rbd_objects() {
	local prefix
	prefix=$(rbdc info "rbd/$1" | sed -n 's/.*block_name_prefix: //p')
	radosc -p rbd ls | grep -c "^$prefix\." || true
}

# start_vmiod NAME SOCK ARGS...: vmiod ARGS in the background (log
# NAME.log in RBD_DIR), killed at exit, once SOCK accepts; sets VMIOD_PID.
start_vmiod() {
	local name=$1 sock=$2
	shift 2
	"$VMIOD" "$@" >"$RBD_DIR/$name.log" 2>&1 &
	VMIOD_PID=$!
	RBD_PIDS+=("$VMIOD_PID")
	for _ in $(seq 300); do
		[ -S "$sock" ] && return 0
		kill -0 "$VMIOD_PID" 2>/dev/null ||
			rbd_fail "vmiod exited at start: $(tail -n 3 "$RBD_DIR/$name.log")"
		sleep 0.1
	done
	rbd_fail "vmiod did not create $sock within 30 s"
}

stop_vmiod() {
	kill -TERM "$VMIOD_PID"
	wait "$VMIOD_PID" || rbd_fail "vmiod did not exit cleanly"
}

# expect_fail WHAT PATTERN CMD...: CMD must fail and print PATTERN.
expect_fail() {
	local what=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		rbd_fail "$what: succeeded, expected a failure"
	fi
	grep -q -- "$pat" <<<"$out" || rbd_fail "$what: expected '$pat' in: $out"
	rbd_log "ok: $what: $(grep -o -- "$pat.*" <<<"$out" | head -n 1 | cut -c1-110)"
}
