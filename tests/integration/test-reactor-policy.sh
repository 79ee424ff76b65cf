#!/usr/bin/env bash
# The reactor's polling policy over real sockets, seen through its stats
# (reactor_list): a real vmiod, the bench frontend driving one disk.
# - At 200 requests a second the default (adaptive) reactor sleeps: most
#   of its time asleep, about a wake-up per request, no polling window
#   after each one, mode "sleep".
# - Driven as fast as the frontend can (closed loop, QD16), it finds the
#   requests by polling: far fewer wake-ups than requests.
# - The overrides still do what they say: --poll-us 200 polls 200 µs after
#   each request at the low rate, --poll-us 0 sleeps at the high one.
# - A CPU hog pinned to the reactor's CPU is seen: the reactor measures
#   that it waits for its CPU and prices polling up.
set -euo pipefail
VMIO=${VMIO:?set by meson}
VMIOD=${VMIOD:?set by meson}
tmp=$(mktemp -d /tmp/vmio-rpolicy-XXXXXX)
pid=
hog=
cleanup() {
	[ -n "$hog" ] && kill "$hog" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$tmp/vmiod.log" ] && tail -n 20 "$tmp/vmiod.log" >&2
	exit 1
}
export VMIO_RPC=$tmp/rpc.sock

start() { # start VMIOD-ARGS...: vmiod with one null disk
	rm -f "$tmp/d.sock" "$VMIO_RPC"
	"$VMIOD" -q --rpc "$VMIO_RPC" "$@" \
		--disk "id=d,backend=null,size=256M,socket=$tmp/d.sock" >>"$tmp/vmiod.log" 2>&1 &
	pid=$!
	for _ in $(seq 200); do [ -S "$tmp/d.sock" ] && [ -S "$VMIO_RPC" ] && return; sleep 0.05; done
	fail "vmiod did not start"
}

stop() {
	kill "$pid"
	wait "$pid" || fail "vmiod did not exit cleanly"
	pid=
}

# run NAME BENCH-ARGS...: a bench run, with the reactor's stats before
# and after; leaves $tmp/NAME.json: the deltas, the requests, the mode.
run() {
	local name=$1
	shift
	"$VMIO" rpc reactor_list >"$tmp/before.json"
	"$VMIO" bench run --target "socket:$tmp/d.sock" --ramp 0 --json "$tmp/bench.json" "$@" \
		>"$tmp/bench.log" 2>&1 || fail "$name: $(cat "$tmp/bench.log")"
	"$VMIO" rpc reactor_list >"$tmp/after.json"
	jq -n --slurpfile b "$tmp/before.json" --slurpfile a "$tmp/after.json" \
		--slurpfile r "$tmp/bench.json" '
		($b[0][0]) as $x | ($a[0][0]) as $y |
		{ ios: $r[0].ios, iops: $r[0].iops,
		  work: ($y.poll_work_ns - $x.poll_work_ns),
		  poll_idle: ($y.poll_idle_ns - $x.poll_idle_ns),
		  sleep: ($y.sleep_ns - $x.sleep_ns),
		  wakeups: ($y.wakeups - $x.wakeups),
		  mode: $y.mode, policy: $y.policy, price: $y.cpu_price,
		  wait_share: $y.cpu_wait_share, wake_us: ($y.wake_latency_ns / 1000),
		  sleep_cpu_us: ($y.sleep_cpu_ns / 1000), budget: $y.poll_budget_ns }' \
		>"$tmp/$name.json"
	echo "$name: $(jq -c '{iops: (.iops | floor), work_ms: (.work / 1e6 | floor),
		poll_idle_ms: (.poll_idle / 1e6 | floor), sleep_ms: (.sleep / 1e6 | floor),
		wakeups, mode, price, wake_us, sleep_cpu_us, budget}' "$tmp/$name.json")"
}

check() { # check NAME JQ-EXPR WHAT
	jq -e "$2" "$tmp/$1.json" >/dev/null || fail "$1: $3: $(jq -c . "$tmp/$1.json")"
}

start
"$VMIO" reactors | grep -qE '^ +0 +any +[0-9]+ +adaptive ' || fail "the default policy is not adaptive"
run low --rate-iops 200 --iodepth 4 --runtime 3
check low '.policy == "adaptive" and .ios > 300' "too few requests"
check low '.sleep > 4 * (.work + .poll_idle)' "not mostly asleep at 200 IOPS"
check low '.wakeups >= 0.5 * .ios' "fewer wake-ups than half the requests"
# A polling window after each request would be ~200 µs of it.
check low '.poll_idle < .ios * 50000' "polled after each request"
check low '.mode == "sleep"' "mode is not sleep"
echo "ok: asleep at 200 IOPS"

run high --iodepth 16 --runtime 3
check high '.ios > 20000' "too few requests"
# Most requests are found by polling, not by a wake-up. (On a busy 2-CPU
# machine the frontend itself is often off the CPU; the reactor rightly
# sleeps through those gaps, so time shares are not asserted.)
check high '.wakeups < 0.1 * .ios' "a wake-up for every 10 requests or more"
check high '.work > .poll_idle' "more time polling for nothing than working"
# The mode says what the reactor does with the idle gaps, which are few
# here: poll through them, batch (sleeping at the first empty pass won a
# trial), or sleep (they are long: the frontend was off the CPU).
echo "ok: the requests found by polling, $(jq -r '"\(.ios) requests, \(.wakeups) wake-ups, mode \(.mode)"' "$tmp/high.json")"
stop

start --poll-us 200
run fixed-low --rate-iops 200 --iodepth 4 --runtime 2
check fixed-low '.policy == "fixed" and .mode == "poll"' "not the fixed window"
check fixed-low '.poll_idle > .ios * 150000' "no 200 µs window after each request"
stop
start --poll-us 0
run sleep-high --iodepth 16 --runtime 2
check sleep-high '.policy == "sleep" and .mode == "sleep"' "not the sleep policy"
check sleep-high '.poll_idle < .work' "--poll-us 0 polled idle"
stop
echo "ok: --poll-us 200 and --poll-us 0 override the policy"

# A neighbour on the reactor's CPU: the reactor polls as fast as the guest
# goes and the hog takes its turns on that CPU. Either of the reactor's two
# signals may show it first: its own run delay (when the scheduler makes it
# wait) or the CPU's run queue (when it wakes ahead of the hog, as a
# sleeper usually does); both raise the price.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	cpu=$(($(nproc) - 1))
	start --cpus "$cpu"
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	hog=$!
	run hog --iodepth 16 --runtime 3
	kill "$hog"
	wait "$hog" 2>/dev/null || true
	hog=
	check hog '.price > 1.5' "a CPU hog on the reactor's CPU went unseen"
	stop
	echo "ok: a neighbour on the reactor's CPU raises the price of polling"
fi
