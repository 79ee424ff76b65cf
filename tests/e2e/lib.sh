# shellcheck shell=bash
# Host-side helpers shared by the e2e scripts: finding the guest kernel,
# the cached base initramfs, and starting/stopping the vhost-user target
# (vmiod or qemu-storage-daemon) that a guest's disk is served by.
# Source it; it defines e2e_* functions and sets no options of its own.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

e2e_die()
{
	echo "e2e: $*" >&2
	exit 1
}

e2e_log()
{
	echo "e2e: $*" >&2
}

# e2e_need TOOL PACKAGE: fail (not skip) when a tool the harness needs is
# missing, naming the Debian package that provides it.
e2e_need()
{
	command -v "$1" >/dev/null 2>&1 ||
		e2e_die "'$1' not found; install the Debian package '$2' (apt-get install $2)"
}

# Where built initramfs images and scratch files live: the meson build dir
# when run from meson, else a per-user cache.
e2e_cache_dir()
{
	local d=${E2E_CACHE:-}

	if [ -z "$d" ]; then
		if [ -n "${VMIO_BUILD:-}" ]; then
			d=$VMIO_BUILD/e2e-cache
		else
			d=${XDG_CACHE_HOME:-$HOME/.cache}/vmio-e2e
		fi
	fi
	mkdir -p "$d" && echo "$d"
}

# The guest kernel: $E2E_KERNEL, else the newest /boot/vmlinuz-* whose
# modules are installed. The host's running kernel is irrelevant: the guest
# boots the linux-image package's kernel with that package's modules.
e2e_kernel()
{
	local k ver

	if [ -n "${E2E_KERNEL:-}" ]; then
		[ -r "$E2E_KERNEL" ] || e2e_die "E2E_KERNEL=$E2E_KERNEL is not readable"
		echo "$E2E_KERNEL"
		return
	fi
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
		ver=${k#/boot/vmlinuz-}
		if [ -r "$k" ] && [ -f "/lib/modules/$ver/modules.dep" ]; then
			echo "$k"
			return
		fi
	done
	e2e_die "no readable /boot/vmlinuz-* with matching /lib/modules/<ver>; install the Debian package 'linux-image-amd64'"
}

e2e_kernel_version()
{
	local k

	k=$(e2e_kernel) || exit 1
	echo "${k#*/vmlinuz-}"
}

# e2e_boot_kernel: the kernel image QEMU should boot. Under TCG the
# bzImage's own decompressor (xz, in Debian's) costs ~4 s of every boot, so
# the ELF vmlinux inside it is extracted once and cached: QEMU boots an ELF
# carrying a PVH entry note directly. Falls back to the bzImage when the
# payload or the note is not there, or when E2E_PVH=0.
e2e_boot_kernel()
{
	local k ver cache out

	k=$(e2e_kernel) || exit 1
	[ "${E2E_PVH:-1}" != 0 ] || { echo "$k"; return; }
	ver=$(e2e_kernel_version) || exit 1
	cache=$(e2e_cache_dir) || exit 1
	out=$cache/vmlinux-$ver
	(
		flock 9
		if [ ! -s "$out" ] && e2e_extract_vmlinux "$k" "$out.tmp"; then
			mv "$out.tmp" "$out"
		fi
		rm -f "$out.tmp"
	) 9>"$cache/vmlinux.lock" 2>/dev/null
	if [ -s "$out" ]; then
		echo "$out"
	else
		echo "$k"
	fi
}

# e2e_extract_vmlinux BZIMAGE OUT: the payload's place is in the x86 boot
# header (setup_sects at 0x1f1, payload_offset at 0x248, both relative to
# the protected-mode code that follows the setup sectors).
e2e_extract_vmlinux()
{
	local k=$1 out=$2 setup off magic

	command -v readelf >/dev/null || return 1
	setup=$(od -A n -t u1 -j $((0x1f1)) -N 1 "$k" | tr -d ' ')
	off=$(od -A n -t u4 -j $((0x248)) -N 4 "$k" | tr -d ' ')
	off=$(((setup + 1) * 512 + off))
	magic=$(od -A n -t x1 -j "$off" -N 4 "$k" | tr -d ' ')
	# The decompressors stop at the stream's end, before tail is done
	# writing: its SIGPIPE is expected.
	case $magic in
	fd377a58) { tail -c +$((off + 1)) "$k" || true; } | xz -dc --single-stream >"$out" ;;
	1f8b*) { tail -c +$((off + 1)) "$k" || true; } | gzip -dc >"$out" 2>/dev/null || [ -s "$out" ] ;;
	28b52ffd) { tail -c +$((off + 1)) "$k" || true; } | zstd -qdc >"$out" ;;
	*) return 1 ;;
	esac || return 1
	# 0x12 is XEN_ELFNOTE_PHYS32_ENTRY, the PVH entry point QEMU needs.
	readelf -n "$out" 2>/dev/null | grep 'Unknown note type: (0x00000012)' >/dev/null || {
		rm -f "$out"
		return 1
	}
}

# The base initramfs (busybox, modules, fio, /init) for the guest kernel,
# built once and cached under a name keyed by kernel version and by the
# content of the scripts that make it, so editing them rebuilds it.
# A lock keeps concurrent tests from building it twice.
e2e_base_initramfs()
{
	local cache ver key out

	cache=$(e2e_cache_dir) || exit 1
	ver=$(e2e_kernel_version) || exit 1
	key=$(cat "$E2E_DIR/mkinitramfs.sh" "$E2E_DIR"/guest/* | sha256sum | cut -c1-12)
	out=$cache/initramfs-$ver-$key.cpio
	(
		flock 9
		if [ ! -s "$out" ]; then
			e2e_log "building base initramfs for $ver (cached in $out)"
			"$E2E_DIR/mkinitramfs.sh" --kver "$ver" "$out.part.cpio" >&2 &&
				mv "$out.part.cpio" "$out"
		fi
	) 9>"$cache/initramfs.lock" || e2e_die "building the base initramfs failed"
	echo "$out"
}

# --- the vhost-user target under test -------------------------------------

# e2e_target_start IMG SOCK [key=value...]: serve IMG on the vhost-user
# socket SOCK with the target chosen by E2E_TARGET (vmiod, the default, or
# qsd for qemu-storage-daemon). Options: queues=N ro=on blk-size=N.
# Sets E2E_TARGET_PID; the target's log goes to SOCK.log.
e2e_target_start()
{
	local img=$1 sock=$2 queues=2 ro=off bs=512 kv
	shift 2

	for kv in "$@"; do
		case $kv in
		queues=*) queues=${kv#*=} ;;
		ro=*) ro=${kv#*=} ;;
		blk-size=*) bs=${kv#*=} ;;
		*) e2e_die "e2e_target_start: unknown option '$kv'" ;;
		esac
	done
	rm -f "$sock"
	E2E_TARGET_LOG=$sock.log
	case ${E2E_TARGET:-vmiod} in
	vmiod) e2e_start_vmiod "$img" "$sock" "$queues" "$ro" "$bs" ;;
	qsd) e2e_start_qsd "$img" "$sock" "$queues" "$ro" "$bs" ;;
	*) e2e_die "E2E_TARGET must be 'vmiod' or 'qsd', not '$E2E_TARGET'" ;;
	esac
	e2e_wait_socket "$sock" 10
}

e2e_start_vmiod()
{
	local img=$1 sock=$2 queues=$3 ro=$4 bs=$5 opts

	# By hand, without meson's environment: the build named by VMIO_BUILD,
	# else the default build directory.
	[ -n "${VMIOD:-}" ] || VMIOD=${VMIO_BUILD:-$E2E_DIR/../../build}/vmiod
	[ -x "$VMIOD" ] ||
		e2e_die "no vmiod at $VMIOD; build it (ninja -C build) or export VMIOD=path/to/vmiod"
	opts="id=d0,path=$img,socket=$sock,queues=$queues"
	[ "$ro" = on ] && opts="$opts,ro=on"
	[ "$bs" != 512 ] && opts="$opts,blk-size=$bs"
	"$VMIOD" --disk "$opts" >"$sock.log" 2>&1 &
	E2E_TARGET_PID=$!
}

# LOCKING off lets two daemons share IMG (a live migration's two sides;
# qsd has no hand-over of its image's locks).
e2e_start_qsd()
{
	local img=$1 sock=$2 queues=$3 ro=$4 bs=$5 locking=${6:-auto} writable=on

	e2e_need qemu-storage-daemon qemu-utils
	[ "$ro" = on ] && writable=off
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=f0,filename=$img,cache.direct=on,aio=io_uring,discard=unmap,locking=$locking" \
		--export "type=vhost-user-blk,id=e0,node-name=f0,addr.type=unix,addr.path=$sock,writable=$writable,num-queues=$queues,logical-block-size=$bs" \
		>"$sock.log" 2>&1 &
	E2E_TARGET_PID=$!
}

e2e_wait_socket()
{
	local sock=$1 secs=$2 i

	for ((i = 0; i < secs * 10; i++)); do
		[ -S "$sock" ] && return 0
		if ! kill -0 "$E2E_TARGET_PID" 2>/dev/null; then
			cat "$sock.log" >&2
			e2e_die "the ${E2E_TARGET:-vmiod} target exited before creating $sock (its log is above)"
		fi
		sleep 0.1
	done
	e2e_die "the ${E2E_TARGET:-vmiod} target did not create $sock within ${secs}s"
}

# Stops the target; fails if it had already died (a crash under a guest is
# a bug worth a red test even when the guest's own checks passed).
e2e_target_stop()
{
	local pid=${E2E_TARGET_PID:-} rc=0

	[ -n "$pid" ] || return 0
	E2E_TARGET_PID=
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || rc=$?
		e2e_log "the ${E2E_TARGET:-vmiod} target (pid $pid) had already exited with status $rc"
		return 1
	fi
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

# A scratch directory removed on exit, with the target stopped first.
e2e_setup_scratch()
{
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmio-e2e.XXXXXX")
	trap 'e2e_cleanup' EXIT
}

e2e_cleanup()
{
	e2e_target_stop >/dev/null 2>&1 || true
	if [ -n "${E2E_KEEP:-}" ]; then
		e2e_log "kept scratch files in $E2E_TMP"
	else
		rm -rf "$E2E_TMP"
	fi
}

# e2e_result FILE KEY: the value of a "E2E-RESULT KEY=VALUE" line a guest
# workload printed (boot-guest.sh writes the result section to FILE).
e2e_result()
{
	sed -n "s/^E2E-RESULT $2=//p" "$1" | tail -n 1
}

# e2e_boot RESULT_FILE ARGS...: boot-guest.sh ARGS, keeping the guest's
# result section in RESULT_FILE (and echoing it); on failure, also shows the
# target's log and exits.
e2e_boot()
{
	local out=$1
	shift

	if ! "$E2E_DIR/boot-guest.sh" --log "$E2E_TMP/console.log" "$@" >"$out"; then
		cat "$out"
		e2e_show_target_log
		e2e_die "the guest run failed (set E2E_KEEP=1 to keep $E2E_TMP)"
	fi
	cat "$out"
	if [ -n "${E2E_TARGET_PID:-}" ] && ! kill -0 "$E2E_TARGET_PID" 2>/dev/null; then
		e2e_show_target_log
		e2e_die "the ${E2E_TARGET:-vmiod} target is no longer running after the guest run"
	fi
}

e2e_show_target_log()
{
	local f=${E2E_TARGET_LOG:-}

	[ -n "$f" ] && [ -s "$f" ] || return 0
	echo "--- last lines of the ${E2E_TARGET:-vmiod} target's log ($f):" >&2
	tail -n 20 "$f" >&2
}

# e2e_expect NAME EXPECTED ACTUAL: a host-side check.
e2e_expect()
{
	if [ "$2" != "$3" ]; then
		e2e_show_target_log
		e2e_die "$1: expected '$2', got '$3'"
	fi
	e2e_log "ok: $1 = $3"
}

# e2e_args "$@": the arguments every test script takes: --target NAME
# overrides E2E_TARGET (meson passes it to run one script against both).
e2e_args()
{
	while [ $# -gt 0 ]; do
		case $1 in
		--target) export E2E_TARGET=$2; shift 2 ;;
		*) E2E_ARGS+=("$1"); shift ;;
		esac
	done
}
E2E_ARGS=()

# sha256 of LEN MiB of FILE from OFF MiB.
e2e_sha256()
{
	dd if="$1" bs=1M skip="${3:-0}" count="$2" status=none | sha256sum | cut -d' ' -f1
}

# e2e_wait_console LOG TEXT SECONDS [GUEST_PID]: wait until a running
# guest's console (boot-guest.sh --log LOG) shows TEXT; for tests that act
# on the host while the guest works, after the guest prints a marker. With
# GUEST_PID (the background boot-guest.sh), a guest that ended first stops
# the wait at once. On failure the guest is stopped and the end of its
# console and the target's log are shown, the reason last.
e2e_wait_console()
{
	local log=$1 text=$2 secs=$3 pid=${4:-} i why

	for ((i = 0; i < secs * 10; i++)); do
		grep -qF -- "$text" "$log" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			why="the guest ended before printing '$text'"
			break
		fi
		sleep 0.1
	done
	why=${why:-"the guest did not print '$text' within ${secs}s"}
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	if [ -s "$log" ]; then
		echo "--- the end of the guest's console ($log):" >&2
		tail -n 30 "$log" | tr -d '\r' >&2
	fi
	e2e_show_target_log
	e2e_die "$why"
}
