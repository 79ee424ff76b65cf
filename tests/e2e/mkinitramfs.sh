#!/usr/bin/env bash
# Builds the e2e guest's initramfs (cpio newc): busybox-static, the guest
# kernel's virtio-blk and virtio-scsi modules in load order, fio and
# util-linux's blkdiscard with the shared libraries they link, and
# tests/e2e/guest/init as /init.
#
# Usage: mkinitramfs.sh [--kver VERSION] [--workload FILE] OUT.cpio[.gz|.zst]
#
# Without --workload the image is a reusable base: boot-guest.sh appends a
# second small archive holding /workload.sh (the kernel unpacks
# concatenated archives in order), so one cached base serves every test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# Modules in the order init loads them; dependencies are added from
# modules.dep ahead of each, so this list names only what we want.
# crct10dif_generic and crc64_rocksoft_generic are the soft dependencies
# (modinfo -F softdep) of the CRC helpers sd_mod pulls in.
WANTED_MODULES="virtio_pci virtio_blk crct10dif_generic crc64_rocksoft_generic
	sd_mod virtio_scsi"

usage()
{
	echo "usage: $0 [--kver VERSION] [--workload FILE] OUT.cpio[.gz|.zst]" >&2
	exit 2
}

# mod_path NAME: the modules.dep-relative path of module NAME (- and _ are
# the same in module names), compressed or not.
mod_path()
{
	local name=${1//-/_} p

	p=$(sed -n 's/:.*//p' "$moddir/modules.dep" |
		awk -v n="$name" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b);
			gsub(/-/, "_", b); if (b == n) { print $0; exit } }')
	[ -n "$p" ] || e2e_die "module $1 is not in $moddir/modules.dep; install the Debian package 'linux-image-amd64'"
	echo "$p"
}

# add_module PATH: append PATH to the load order after its dependencies.
add_module()
{
	local p=$1 dep

	case " ${order[*]:-} " in *" $p "*) return ;; esac
	for dep in $(sed -n "s|^$p: *||p" "$moddir/modules.dep"); do
		add_module "$dep"
	done
	order+=("$p")
}

# install_module PATH: copy a module into the image uncompressed, since
# busybox insmod does not read compressed modules.
install_module()
{
	local p=$1 src=$moddir/$1 dst

	[ -f "$src" ] || e2e_die "$src is missing; reinstall the Debian package 'linux-image-amd64'"
	dst=$root/lib/modules/${p%.*}
	case $p in
	*.ko) dst=$root/lib/modules/$p; cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) e2e_die "unknown module format: $src" ;;
	esac
	echo "${dst#"$root/lib/modules/"}" >>"$root/etc/e2e/modules"
}

# install_file FILE: copy an executable or library to its real path in the
# image; the image mirrors the host's merged-/usr layout so RUNPATHs and
# the loader's default directories keep working.
install_file()
{
	local real

	real=$(readlink -f "$1")
	mkdir -p "$root$(dirname "$real")"
	cp -n "$real" "$root$real"
	# Keep the name the binary asked for (a symlink's name, e.g. libfoo.so.1).
	[ "$real" = "$1" ] || [ -e "$root$1" ] ||
		{ mkdir -p "$root$(dirname "$1")" && ln -s "$real" "$root$1"; }
}

# install_prog FILE: a dynamically linked program and the libraries ldd
# names for it.
install_prog()
{
	local lib

	install_file "$1"
	for lib in $(ldd "$1" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
		install_file "$lib"
	done
}

# fio, and util-linux's blkdiscard at /usr/sbin/blkdiscard for its -z
# (write zeroes), which busybox's lacks; plain "blkdiscard" stays busybox's.
install_tools()
{
	[ -x /usr/bin/fio ] || e2e_die "/usr/bin/fio is missing; install the Debian package 'fio'"
	install_prog /usr/bin/fio
	[ -x /usr/sbin/blkdiscard ] ||
		e2e_die "/usr/sbin/blkdiscard is missing; install the Debian package 'util-linux'"
	install_prog /usr/sbin/blkdiscard
}

install_busybox()
{
	local app bb

	bb=$(command -v busybox) || true
	if [ -z "$bb" ] || ! file -L "$bb" | grep 'statically linked' >/dev/null; then
		e2e_die "a static busybox is needed; install the Debian package 'busybox-static'"
	fi
	cp "$bb" "$root/usr/bin/busybox"
	for app in $("$bb" --list); do
		[ -e "$root/usr/bin/$app" ] || ln -s busybox "$root/usr/bin/$app"
	done
}

make_tree()
{
	# Merged /usr: /bin, /lib, /lib64 point into /usr as on the host.
	mkdir -p "$root"/{usr/bin,usr/lib/modules,usr/lib64,proc,sys,dev,tmp,etc/e2e}
	ln -s usr/bin "$root/bin"
	ln -s usr/bin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	cp "$here/guest/init" "$root/init"
	chmod 755 "$root/init"
	cp "$here/guest/e2e.sh" "$root/usr/lib/e2e.sh"
}

compress_for()
{
	case $1 in
	*.cpio) cat ;;
	*.gz) gzip -6 ;;
	*.zst) zstd -q -3 ;;
	*) e2e_die "name the output .cpio, .cpio.gz or .cpio.zst" ;;
	esac
}

main()
{
	local kver="" workload="" out p

	while [ $# -gt 0 ]; do
		case $1 in
		--kver) kver=$2; shift 2 ;;
		--workload) workload=$2; shift 2 ;;
		-h|--help) usage ;;
		-*) usage ;;
		*) out=$1; shift ;;
		esac
	done
	[ -n "${out:-}" ] || usage
	[ -n "$kver" ] || kver=$(e2e_kernel_version)
	moddir=/lib/modules/$kver
	[ -f "$moddir/modules.dep" ] ||
		e2e_die "no $moddir/modules.dep; install the Debian package 'linux-image-amd64'"
	e2e_need cpio cpio
	e2e_need file file

	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	make_tree
	install_busybox
	install_tools
	order=()
	for p in $WANTED_MODULES; do
		add_module "$(mod_path "$p")"
	done
	for p in "${order[@]}"; do
		mkdir -p "$root/lib/modules/$(dirname "$p")"
		install_module "$p"
	done
	[ -z "$workload" ] || cp "$workload" "$root/workload.sh"

	# OUT.cpio is left uncompressed: under TCG the guest unpacks it in
	# half the time a gzip one takes (zstd is no faster there).
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet) | compress_for "$out" >"$out"
	echo "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1), kernel $kver, ${#order[@]} modules)" >&2
}

main "$@"
