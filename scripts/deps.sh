#!/usr/bin/env bash
# Installs every Debian package vmio needs to build, test and benchmark.
# Idempotent; needs root (or sudo). Run by setup.sh and .ci/run.
set -euo pipefail
packages=(
	# build
	gcc meson ninja-build pkg-config
	liburing-dev libnuma-dev libjansson-dev libmicrohttpd-dev libxml2-dev
	libvirt-dev libcmocka-dev
	# fuzzing and sanitizers
	clang libclang-rt-14-dev
	# guests and the peer: QEMU (ships qemu-storage-daemon), a kernel to boot,
	# busybox and fio for the guest's initramfs
	qemu-system-x86 qemu-utils linux-image-amd64 busybox-static fio cpio
	# reports, metrics checks, libvirt XML validation
	gnuplot-nox prometheus libvirt-clients curl jq bc
	# the libvirt end-to-end test's private libvirtd (session daemon)
	libvirt-daemon libvirt-daemon-driver-qemu
	# systemd-analyze checks the unit file and its sandboxing
	systemd
	# the RBD backend and its tests: librbd/librados to build against, a
	# one-node cluster (scripts/ceph-test-cluster.sh), qemu-storage-daemon's
	# rbd driver as the peer
	librbd-dev ceph-mon ceph-osd ceph-common qemu-block-extra
)
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
