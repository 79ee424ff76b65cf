#!/usr/bin/env bash
# QEMU's own vhost-user-blk tests against vmiod, the tests unchanged.
#
# QEMU's tests/qtest/vhost-user-blk-test.c (run by qos-test) starts its
# back-end as `$QTEST_QEMU_STORAGE_DAEMON_BINARY --blockdev driver=file,...
# --export type=vhost-user-blk,addr.type=fd,addr.str=N,...`, handing it a
# socket that already listens. This script builds qos-test and a QEMU with
# the qtest accelerator (Debian's qemu-system-x86_64 has none) from
# Debian's QEMU source package, points that variable at a small shim that
# turns those options into `vmiod --disk id=...,path=...,socket=fd:N`
# and execs vmiod (so the test signals and reaps vmiod itself), and runs
# every vhost-user-blk test qos-test lists.
#
# Building QEMU takes a while (about 15-20 minutes on 2 CPUs); the build
# is kept in the work directory and reused.
#
# Usage: scripts/qemu-qtests.sh [--workdir DIR] [--src DIR] [--jobs N]
#                               [--build-only]
#   --workdir DIR  where the source and build live
#                  (default ~/.cache/vmio-qtests)
#   --src DIR      an unpacked QEMU source tree to use instead of
#                  `apt-get source qemu` (which needs a deb-src line)
#   --jobs N       build jobs (default: the CPUs online)
#   --build-only   build, do not run
# Environment: VMIOD (default build/vmiod of this tree).
# Exit status: 0 when every vhost-user-blk test passed, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${XDG_CACHE_HOME:-$HOME/.cache}/vmio-qtests
src="" jobs=$(nproc) build_only=""
while [ $# -gt 0 ]; do
	case $1 in
	--workdir) work=$2; shift 2 ;;
	--src) src=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "qemu-qtests: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
say() { echo "qemu-qtests: $*" >&2; }
die() { say "$*"; exit 1; }
VMIOD=${VMIOD:-$here/build/vmiod}
[ -x "$VMIOD" ] || die "no vmiod at $VMIOD: build it (ninja -C build) or set VMIOD"
VMIOD=$(cd "$(dirname "$VMIOD")" && pwd)/$(basename "$VMIOD")
mkdir -p "$work"
work=$(cd "$work" && pwd)

# The source: given, unpacked before, or Debian's package.
unpacked_src() { find "$work" -maxdepth 2 -name configure -path '*/qemu-*' -printf '%h\n' 2>/dev/null | head -n 1; }
[ -n "$src" ] || src=$(unpacked_src)
if [ -z "$src" ]; then
	command -v dpkg-source >/dev/null ||
		die "dpkg-source not found; install it: apt-get install dpkg-dev"
	say "fetching Debian's QEMU source (apt-get source qemu)"
	(cd "$work" && apt-get source -qq qemu >/dev/null) ||
		die "apt-get source qemu failed: add a deb-src line for Debian to /etc/apt/sources.list.d (e.g. 'Types: deb-src' beside your 'deb' entry), run apt-get update, or pass --src DIR"
	src=$(unpacked_src)
fi
[ -x "$src/configure" ] || die "$src is not a QEMU source tree (no configure)"
src=$(cd "$src" && pwd)
for pc in glib-2.0 pixman-1; do
	pkg-config --exists "$pc" ||
		die "$pc development files missing; install them: apt-get install libglib2.0-dev libpixman-1-dev libfdt-dev"
done
[ -f /usr/include/libfdt.h ] ||
	die "libfdt development files missing; install them: apt-get install libfdt-dev"

# Debian's source package leaves out the prebuilt firmware, which QEMU's
# build still unpacks; empty stand-ins do (the tests boot no firmware of
# these, and QEMU finds Debian's installed ones at run time: -L below).
for f in aarch64-code arm-code arm-vars i386-code i386-secure-code i386-vars \
	x86_64-code x86_64-secure-code; do
	[ -e "$src/pc-bios/edk2-$f.fd.bz2" ] || bzip2 </dev/null >"$src/pc-bios/edk2-$f.fd.bz2"
done

# QEMU for x86_64 with the qtest accelerator, and qos-test.
bld=$work/build
qemu=$bld/qemu-system-x86_64
qos=$bld/tests/qtest/qos-test
if [ ! -x "$qemu" ] || [ ! -x "$qos" ]; then
	if [ ! -f "$bld/build.ninja" ]; then
		say "configuring QEMU in $bld (log: $work/configure.log)"
		mkdir -p "$bld"
		(cd "$bld" && "$src/configure" --target-list=x86_64-softmmu \
			--disable-docs --disable-werror --enable-vhost-user \
			--disable-install-blobs \
			--disable-gtk --disable-sdl --disable-vnc --disable-spice \
			--disable-opengl --disable-virglrenderer \
			>"$work/configure.log" 2>&1) ||
			die "configure failed; the end of $work/configure.log: $(tail -n 5 "$work/configure.log")"
	fi
	say "building qemu-system-x86_64 and qos-test with $jobs jobs (log: $work/build.log; a first build takes 15-20 minutes on 2 CPUs)"
	ninja -C "$bld" -j "$jobs" qemu-system-x86_64 tests/qtest/qos-test \
		>"$work/build.log" 2>&1 ||
		die "the build failed; the end of $work/build.log: $(tail -n 5 "$work/build.log")"
fi
[ -n "$build_only" ] && { say "built $qemu and $qos"; exit 0; }

# The shim: qemu-storage-daemon's options as the test gives them, vmiod's
# as it takes them. Only what the test uses is understood; anything else
# is refused loudly rather than ignored.
shim=$work/vmiod-as-qsd
cat >"$shim" <<EOF
#!/usr/bin/env bash
# qemu-storage-daemon options (as QEMU's vhost-user-blk test gives them)
# turned into vmiod's; execs vmiod so the test's signals reach it.
set -euo pipefail
declare -A file
disks=()
opt() { local k=\$1 s=,\$2,; s=\${s#*,\$k=}; [ "\$s" != ",\$2," ] && echo "\${s%%,*}"; }
while [ \$# -gt 0 ]; do
	case \$1 in
	--blockdev)
		[ "\$(opt driver "\$2")" = file ] || { echo "vmiod-as-qsd: only driver=file: \$2" >&2; exit 1; }
		file[\$(opt node-name "\$2")]=\$(opt filename "\$2"); shift 2 ;;
	--export)
		[ "\$(opt type "\$2")" = vhost-user-blk ] && [ "\$(opt addr.type "\$2")" = fd ] ||
			{ echo "vmiod-as-qsd: only type=vhost-user-blk,addr.type=fd: \$2" >&2; exit 1; }
		node=\$(opt node-name "\$2")
		# discard-segs=1: qemu-storage-daemon's device takes one range
		# per discard or write-zeroes, and the test checks that a
		# second one is refused.
		d="id=\$(opt id "\$2"),path=\${file[\$node]},socket=fd:\$(opt addr.str "\$2"),discard-segs=1"
		q=\$(opt num-queues "\$2" || true)
		[ -z "\$q" ] || d="\$d,queues=\$q"
		[ "\$(opt writable "\$2" || true)" = on ] || d="\$d,ro=on"
		disks+=(--disk "\$d"); shift 2 ;;
	*) echo "vmiod-as-qsd: unexpected option \$1" >&2; exit 1 ;;
	esac
done
exec "$VMIOD" "\${disks[@]}"
EOF
chmod +x "$shim"

# An upstream QEMU looks for firmware (SeaBIOS, option ROMs) in its own
# install prefix; Debian installs it elsewhere. (qtest wants the binary's
# name to end in -system-ARCH.)
mkdir -p "$work/with-firmware"
qemu_fw=$work/with-firmware/qemu-system-x86_64
cat >"$qemu_fw" <<EOF
#!/bin/sh
exec "$qemu" -L /usr/share/qemu -L /usr/share/seabios -L /usr/lib/ipxe/qemu "\$@"
EOF
chmod +x "$qemu_fw"
for f in /usr/share/seabios/bios-256k.bin /usr/lib/ipxe/qemu/efi-virtio.rom; do
	[ -e "$f" ] || die "$f missing: install seabios and ipxe-qemu (Debian's firmware for QEMU)"
done

mapfile -t tests < <(QTEST_QEMU_BINARY=$qemu_fw "$qos" -l 2>/dev/null |
	grep '^/.*/vhost-user-blk' || true)
[ ${#tests[@]} -gt 0 ] || die "qos-test lists no vhost-user-blk test (was QEMU built with vhost-user?)"
say "running ${#tests[@]} vhost-user-blk tests of qos-test against $VMIOD"
# The test makes its images in the current directory.
cd "$work"
pass=0 failed=()
for t in "${tests[@]}"; do
	log=$work/$(basename "$t").log
	if QTEST_QEMU_BINARY=$qemu_fw QTEST_QEMU_STORAGE_DAEMON_BINARY=$shim \
		timeout 300 "$qos" -p "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $(basename "$t")"
	else
		failed+=("$t")
		echo "FAIL $(basename "$t") (log: $log)"
	fi
done
echo "qemu-qtests: ${pass} of ${#tests[@]} vhost-user-blk tests passed against vmiod"
[ ${#failed[@]} -eq 0 ]
