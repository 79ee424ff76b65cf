#!/bin/bash
# Writes the fixture host trees into OUTDIR (mkhosts.sh OUTDIR): the tune
# tests run it into a temp dir at test time, so nothing depends on
# symlinks surviving in a checkout. Each tree mimics the sysfs/procfs a KVM host
# shows: two NUMA nodes of 8 CPUs, NVMe on each node, a SATA HDD, two
# SATA SSDs in md0, LVM (dm-0) on the node-1 NVMe, a NIC behind br0.
#   good  - tuned as vmio tune recommends: no rule fires
#   bad   - every host rule that a host alone can trip is tripped
#   nokvm - no VT-x flag, no /dev/kvm
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR (the good, bad and nokvm trees go there)" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)

f() { mkdir -p "$(dirname "$R/$1")"; printf '%s\n' "$2" > "$R/$1"; }
l() { mkdir -p "$(dirname "$R/$1")"; ln -sfn "$2" "$R/$1"; }

pci0=sys/devices/pci0000:00
pci1=sys/devices/pci0000:80

# disk NAME PCIDIR NODE ROTATIONAL SCHED NHWQ PARTS...
disk() {
	local name=$1 pdir=$2 node=$3 rot=$4 sched=$5 nq=$6; shift 6
	local d=$pdir/blk_$name/block/$name
	f "$pdir/numa_node" "$node"
	f "$d/queue/scheduler" "$sched"
	f "$d/queue/rotational" "$rot"
	f "$d/device/vendor" "fixture"
	for ((q = 0; q < nq; q++)); do f "$d/mq/$q/cpu_list" "0-15"; done
	l "sys/block/$name" "../${d#sys/}"
	l "sys/class/block/$name" "../../${d#sys/}"
	local i=1
	for p in "$@"; do
		f "$d/${name}$p/partition" "$i"
		l "sys/class/block/${name}$p" "../../${d#sys/}/${name}$p"
		i=$((i + 1))
	done
}

# devnum MAJ:MIN CLASSNAME (what /sys/dev/block/MAJ:MIN points at)
devnum() {
	local target
	target=$(readlink "$R/sys/class/block/$2")
	l "sys/dev/block/$1" "../../${target#../../}"
}

# virt NAME SLAVES... (dm/md: no device link, slaves/ point at partitions)
virt() {
	local name=$1; shift
	local d=sys/devices/virtual/block/$name
	f "$d/queue/scheduler" "none"
	f "$d/queue/rotational" "0"
	for s in "$@"; do
		local t
		t=$(readlink "$R/sys/class/block/$s")
		l "$d/slaves/$s" "../../../../${t#../../devices/}"
	done
	l "sys/block/$name" "../devices/virtual/block/$name"
	l "sys/class/block/$name" "../../devices/virtual/block/$name"
}

nic() { # NAME PCIDIR NODE RXQ TOTALVFS NUMVFS IRQS AFFINITY
	local name=$1 pdir=$2 node=$3 rxq=$4 tvf=$5 nvf=$6 irqs=$7 aff=$8
	local d=$pdir/net/$name
	f "$pdir/numa_node" "$node"
	f "$pdir/sriov_totalvfs" "$tvf"
	f "$pdir/sriov_numvfs" "$nvf"
	for ((q = 0; q < rxq; q++)); do f "$d/queues/rx-$q/rps_cpus" "0"; done
	l "$d/device" "../../../${pdir#sys/devices/pci0000:??/}"
	for i in $irqs; do
		f "$pdir/msi_irqs/$i" "msix"
		f "proc/irq/$i/effective_affinity_list" "$aff"
		f "proc/irq/$i/smp_affinity_list" "$aff"
	done
	l "sys/class/net/$name" "../../${d#sys/}"
}

common() {
	f sys/devices/system/cpu/online "0-15"
	f sys/devices/system/node/node0/cpulist "0-7"
	f sys/devices/system/node/node1/cpulist "8-15"
	f proc/meminfo "$(printf 'MemTotal:       131072000 kB\nHugepagesize:       2048 kB')"
	disk nvme0n1 "$pci0/0000:00:01.0/nvme/nvme0" 0 0 "$1" 4 p1 p2
	disk nvme1n1 "$pci1/0000:80:01.0/nvme/nvme1" 1 0 "[none] mq-deadline" 4 p1
	disk sda "$pci0/0000:00:17.0/ata1" 0 1 "$2" 1 1
	disk sdb "$pci0/0000:00:17.0/ata2" 0 0 "$3" 1 1
	disk sdc "$pci0/0000:00:17.0/ata3" 0 0 "[mq-deadline] none" 1 1
	devnum 259:1 nvme0n1p1
	devnum 259:2 nvme0n1p2
	devnum 259:3 nvme1n1p1
	devnum 8:1 sda1
	virt dm-0 nvme1n1p1
	virt md0 sdb1 sdc1
	devnum 253:0 dm-0
	devnum 9:0 md0
	l dev/mapper/vg0-data ../dm-0
	l dev/vg0/data ../dm-0
	f proc/self/mountinfo "$(cat <<'MI'
22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw
30 22 253:0 / /srv/lvm rw,relatime shared:2 - xfs /dev/mapper/vg0-data rw
31 22 8:1 / /srv/hdd rw,relatime shared:3 - ext4 /dev/sda1 rw
32 22 9:0 / /srv/ssd rw,relatime shared:4 - ext4 /dev/md0 rw
33 22 0:45 / /srv/overlay rw,relatime shared:5 - overlay overlay rw,lowerdir=/a
MI
)"
	for c in $(seq 0 15); do
		f "sys/devices/system/cpu/cpu$c/cpufreq/scaling_governor" "$4"
	done
	local i=0
	for st in "POLL 0 0" "C1 2 0" "C1E 10 0" "C6 133 $5"; do
		set -- $st
		f "sys/devices/system/cpu/cpu0/cpuidle/state$i/name" "$1"
		f "sys/devices/system/cpu/cpu0/cpuidle/state$i/latency" "$2"
		f "sys/devices/system/cpu/cpu0/cpuidle/state$i/disable" "$3"
		i=$((i + 1))
	done
	mkdir -p "$R/sys/devices/virtual/net/br0/brif"
	l sys/class/net/br0 ../../devices/virtual/net/br0
}

hugepages() { # NODE SIZE NR FREE
	local base=sys/kernel/mm/hugepages/hugepages-$2kB
	[[ $1 == all ]] || base=sys/devices/system/node/node$1/hugepages/hugepages-$2kB
	f "$base/nr_hugepages" "$3"
	f "$base/free_hugepages" "$4"
	f "$base/resv_hugepages" "0"
	f "$base/surplus_hugepages" "0"
}

kvm_params() { # HALT_POLL PLE_GAP NX SYNC ZCOPY KSM
	f sys/module/kvm/parameters/halt_poll_ns "$1"
	f sys/module/kvm_intel/parameters/ple_gap "$2"
	f sys/module/kvm/parameters/nx_huge_pages "$3"
	f sys/module/kvm/parameters/kvmclock_periodic_sync "$4"
	f sys/module/vhost_net/parameters/experimental_zcopytx "$5"
	f sys/kernel/mm/ksm/run "$6"
}

good() {
	R=$out/good
	common "[none] mq-deadline" "[mq-deadline] none" "[mq-deadline] none" performance 1
	f proc/cpuinfo "$(printf 'processor\t: 0\nflags\t\t: fpu vme msr vmx ept\n')"
	f dev/kvm ""
	f dev/vhost-net ""
	f sys/firmware/acpi/tables/DMAR "DMAR"
	f sys/kernel/iommu_groups/0/type "DMA"
	f proc/cmdline "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p1 intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=1G hugepages=4"
	hugepages 0 2048 8192 8192
	hugepages 1 2048 8192 8192
	hugepages all 2048 16384 16384
	hugepages all 1048576 4 4
	f sys/kernel/mm/transparent_hugepage/enabled "always [madvise] never"
	f etc/tuned/active_profile "virtual-host"
	kvm_params 200000 0 N N 0 0
	nic eth0 "$pci0/0000:00:03.0" 0 4 8 4 "40 41" "0"
	l sys/devices/virtual/net/br0/brif/eth0 ../../../../pci0000:00/0000:00:03.0/net/eth0/brport
	f "$pci0/0000:00:05.0/numa_node" "0"
}

bad() {
	R=$out/bad
	common "none [mq-deadline] kyber" "[none] mq-deadline" "mq-deadline [bfq] none" powersave 0
	f proc/cpuinfo "$(printf 'processor\t: 0\nflags\t\t: fpu vme msr vmx ept\n')"
	f dev/kvm ""
	f proc/cmdline "BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p1 quiet"
	hugepages 0 2048 8192 8192
	hugepages 1 2048 0 0
	hugepages all 2048 8192 8192
	hugepages all 1048576 2 2
	f sys/kernel/mm/transparent_hugepage/enabled "always madvise [never]"
	f etc/tuned/active_profile "balanced"
	kvm_params 5000000 128 Y Y 1 1
	nic eth0 "$pci1/0000:80:03.0" 1 1 8 0 "40 41" "1-2"
	l sys/devices/virtual/net/br0/brif/eth0 ../../../../pci0000:80/0000:80:03.0/net/eth0/brport
	f "$pci0/0000:00:05.0/numa_node" "0"
}

nokvm() {
	R=$out/nokvm
	f proc/cpuinfo "$(printf 'processor\t: 0\nflags\t\t: fpu vme msr hypervisor\n')"
	f sys/devices/system/cpu/online "0-1"
	f sys/devices/system/node/node0/cpulist "0-1"
}

rm -rf "$out/good" "$out/bad" "$out/nokvm"
good
bad
nokvm
echo "fixture trees written to $out"
