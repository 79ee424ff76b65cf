#!/usr/bin/env bash
# Boots a small Linux guest under QEMU TCG whose disk is a vhost-user device
# on SOCK, runs a workload script in it, and prints the workload's output
# (the lines between the guest's E2E-BEGIN and E2E-END markers).
# Exits 0 only when the guest ran the workload and it exited 0.
#
# Usage: boot-guest.sh --socket SOCK [--queues N] [--packed on]
#          [--workload FILE] [--env KEY=VALUE]... [--timeout S] [--scsi]
#          [--reconnect S] [--device-opt PROP=VAL]... [--log FILE]
#          [--initrd FILE] [--mem SIZE] [--smp N] [--qmp SOCK]
#          [--incoming URI] [--paused]
#        boot-guest.sh --prepare DIR [--workload FILE] [--env KEY=VALUE]...
#
#   --socket      the vhost-user unix socket the target listens on
#   --queues      virtqueues asked of the device (num-queues / num_queues)
#   --packed on   use packed virtqueues
#   --workload    shell script the guest runs as /workload.sh (busybox sh)
#   --env         a variable set for the workload (repeatable)
#   --timeout     hard limit for the whole boot, in seconds (default 120)
#   --scsi        a vhost-user-scsi-pci device instead of vhost-user-blk-pci
#   --reconnect   let QEMU reconnect to a restarted target after S seconds
#   --device-opt  an extra property for the device (repeatable)
#   --log         keep the full console output in FILE
#   --initrd      boot this initramfs instead of the cached base
#   --mem         guest RAM (default 512M), shared with the target via memfd
#   --smp         guest vCPUs (default 2)
#   --qmp         a QMP socket to drive QEMU with (migration tests)
#   --incoming    wait for a live migration on URI instead of booting
#                 ("defer": start it with QMP migrate-incoming)
#   --paused      start with the CPUs stopped (QMP cont runs them)
#   --prepare     boot nothing: write DIR/kernel and DIR/initrd.cpio.gz (the
#                 workload included) for another launcher (libvirt)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage()
{
	sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

parse_args()
{
	sock="" queues=1 packed=off workload="" timeout_s=120 scsi=0
	reconnect="" log="" initrd="" mem=512M smp=2 qmp="" incoming="" paused="" prepare=""
	envs=() devopts=()
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || case $1 in --scsi | --paused) ;; *) usage ;; esac
		case $1 in
		--socket) sock=$2; shift 2 ;;
		--queues) queues=$2; shift 2 ;;
		--packed) packed=$2; shift 2 ;;
		--workload) workload=$2; shift 2 ;;
		--env) envs+=("$2"); shift 2 ;;
		--timeout) timeout_s=$2; shift 2 ;;
		--scsi) scsi=1; shift ;;
		--reconnect) reconnect=$2; shift 2 ;;
		--device-opt) devopts+=("$2"); shift 2 ;;
		--log) log=$2; shift 2 ;;
		--initrd) initrd=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--smp) smp=$2; shift 2 ;;
		--qmp) qmp=$2; shift 2 ;;
		--incoming) incoming=$2; shift 2 ;;
		--paused) paused=1; shift ;;
		--prepare) prepare=$2; shift 2 ;;
		*) usage ;;
		esac
	done
	[ -z "$workload" ] || [ -r "$workload" ] || e2e_die "cannot read workload $workload"
	[ -n "$prepare" ] && return 0
	[ -n "$sock" ] || usage
	[ -S "$sock" ] || e2e_die "$sock is not a listening unix socket; start the target first"
}

# The second archive: /workload.sh and /workload.env, appended to the base.
make_overlay()
{
	local dir=$tmp/overlay kv

	mkdir -p "$dir"
	[ -z "$workload" ] || cp "$workload" "$dir/workload.sh"
	: >"$dir/workload.env"
	for kv in "${envs[@]}"; do
		printf "export %s='%s'\n" "${kv%%=*}" "${kv#*=}" >>"$dir/workload.env"
	done
	(cd "$dir" && find . -print | cpio -o -H newc --quiet) | gzip -1 >"$tmp/overlay.cpio.gz"
	cat "$initrd" "$tmp/overlay.cpio.gz" >"$tmp/initrd.cpio.gz"
}

device_args()
{
	local chardev="socket,id=c0,path=$sock" dev opt

	[ -z "$reconnect" ] || chardev="$chardev,reconnect=$reconnect"
	if [ "$scsi" = 1 ]; then
		dev="vhost-user-scsi-pci,chardev=c0,num_queues=$queues"
	else
		dev="vhost-user-blk-pci,chardev=c0,num-queues=$queues"
	fi
	[ "$packed" = off ] || dev="$dev,packed=$packed"
	for opt in "${devopts[@]}"; do
		dev="$dev,$opt"
	done
	qemu_args+=(-chardev "$chardev" -device "$dev")
}

# When the vhost-user device fails (the target refuses a message, dies, or
# hangs up), QEMU says so on stderr and keeps running with the guest stuck
# in the driver; rather than wait out the timeout, stop it a few seconds
# after its first complaint about the device (warnings aside; a migration's
# own errors, such as a cancelled one's, are not the device's). Not with
# --reconnect, where QEMU reports and recovers from a target that went
# away.
watch_qemu()
{
	local n=0

	[ -z "$reconnect" ] || return 0
	while kill -0 $qemu 2>/dev/null; do
		if grep -i 'qemu-system-x86_64: .*\(vhost\|msg\|virtio\)' "$log" |
			grep -v 'warning:' >/dev/null; then
			n=$((n + 1))
			if [ $n -ge 30 ]; then
				qemu_complained=1
				kill $qemu 2>/dev/null || true
				return 0
			fi
		fi
		sleep 0.1
	done
}

run_qemu()
{
	local kernel rc=0

	qemu_complained=""
	kernel=$(e2e_boot_kernel)
	# no_timer_check: on a loaded host a TCG guest can miss the timer
	# interrupts Linux counts at boot and panic ("IO-APIC + timer doesn't
	# work"); virtual machines skip that check.
	qemu_args=(-accel tcg -cpu max -smp "$smp" -m "$mem"
		-object "memory-backend-memfd,id=mem,size=$mem,share=on"
		-numa node,memdev=mem
		-nodefaults -no-user-config -nographic -serial stdio -no-reboot
		-kernel "$kernel" -initrd "$tmp/initrd.cpio.gz"
		-append "console=ttyS0 panic=-1 quiet no_timer_check")
	device_args
	[ -z "$qmp" ] || qemu_args+=(-qmp "unix:$qmp,server=on,wait=off")
	[ -z "$incoming" ] || qemu_args+=(-incoming "$incoming")
	[ -z "$paused" ] || qemu_args+=(-S)
	start=$(date +%s%N)
	timeout -k 5 "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" \
		</dev/null >"$log" 2>&1 &
	qemu=$!
	watch_qemu
	wait $qemu || rc=$?
	end=$(date +%s%N)
	# The console is written to LOG as it comes, so a test can follow it
	# (e2e_wait_console); the serial line's \r are dropped at the end.
	tr -d '\r' <"$log" >"$tmp/console" && cat "$tmp/console" >"$log"
	return $rc
}

# Prints the result section; fails with a reason when the guest did not
# get through its workload.
report()
{
	local qrc=$1 ms rc

	ms=$(((end - start) / 1000000))
	# The BEGIN marker may follow a terminal reset sequence on its line.
	sed -n '/E2E-BEGIN$/,/^E2E-END rc=/{/E2E-BEGIN$/d; /^E2E-END rc=/d; p}' "$log"
	rc=$(sed -n 's/^E2E-END rc=\([0-9]*\)$/\1/p' "$log" | tail -n 1)
	e2e_log "guest ran for $((ms / 1000)).$(printf %03d $((ms % 1000)))s"
	if [ -n "$qemu_complained" ] && [ -z "$rc" ]; then
		grep -o 'qemu-system-x86_64: .*' "$log" | head -n 12 >&2
		e2e_die "QEMU reported errors with the vhost-user device on $sock and the guest was stuck, so it was stopped (QEMU's messages are above; see the target's log)"
	fi
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		tail -n 30 "$log" >&2
		e2e_die "the guest did not power off within ${timeout_s}s; the end of its console ($log) is above"
	fi
	if [ -z "$rc" ]; then
		tail -n 30 "$log" >&2
		e2e_die "the guest never finished its workload (QEMU exit status $qrc); the end of its console ($log) is above"
	fi
	if [ "$rc" != 0 ]; then
		sed -n '/^E2E-DMESG-BEGIN$/,/^E2E-DMESG-END$/p' "$log" | tail -n 25 >&2
		e2e_die "the guest workload failed with status $rc; its kernel log is above"
	fi
	[ "$qrc" = 0 ] || e2e_die "QEMU exited with status $qrc after the workload passed (console log: $log)"
}

main()
{
	local qrc=0

	parse_args "$@"
	e2e_need qemu-system-x86_64 qemu-system-x86
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmio-boot.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# A test that gives up on the guest stops it with us (timeout passes
	# the signal on to QEMU).
	trap '[ -z "${qemu:-}" ] || kill "$qemu" 2>/dev/null; exit 143' TERM INT
	[ -n "$log" ] || log=$tmp/console.log
	[ -n "$initrd" ] || initrd=$(e2e_base_initramfs)
	make_overlay
	if [ -n "$prepare" ]; then
		cp "$(e2e_boot_kernel)" "$prepare/kernel"
		cp "$tmp/initrd.cpio.gz" "$prepare/initrd.cpio.gz"
		return 0
	fi
	run_qemu || qrc=$?
	report "$qrc"
}

main "$@"
