# Shared by the rpc suite's shell tests: a scratch directory, a vmiod on
# a private RPC socket, and helpers. Source it; it sets VMIO_RPC and tmp.
set -euo pipefail
VMIO=${VMIO:?set by meson}
VMIOD=${VMIOD:?set by meson}
tmp=$(mktemp -d /tmp/vmio-rpc.XXXXXX)
pid=
extra_pids=()
trap 'rpc_cleanup' EXIT
export VMIO_RPC=$tmp/rpc.sock

rpc_cleanup() {
	local p
	for p in "${extra_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}

fail() {
	echo "FAIL: $*" >&2
	[ -f "$tmp/vmiod.log" ] && tail -n 20 "$tmp/vmiod.log" >&2
	exit 1
}

wait_socket() {
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "vmiod exited: $(tail -n 5 "$tmp/vmiod.log")"
		sleep 0.05
	done
	fail "no socket at $1 after 5 s"
}

# start_vmiod ARGS...: vmiod with --rpc $VMIO_RPC and ARGS, logging to
# $tmp/vmiod.log.
start_vmiod() {
	"$VMIOD" --rpc "$VMIO_RPC" "$@" >>"$tmp/vmiod.log" 2>&1 &
	pid=$!
	wait_socket "$VMIO_RPC"
}

stop_vmiod() {
	"$VMIO" shutdown >/dev/null || fail "vmio shutdown"
	wait "$pid" || fail "vmiod did not exit cleanly after shutdown"
	pid=
}

# A free TCP port for --metrics (from the kernel's own choice).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench SOCKET ARGS...: the vhost-user front-end drives a disk.
bench() {
	local sock=$1
	shift
	"$VMIO" bench run --target "socket:$sock" "$@"
}
