#!/bin/bash
# Writes a fake NUMA host's sysfs/procfs into OUTDIR, for the topology,
# placement and daemon tests (this machine has one node).
#   mknuma.sh OUTDIR NODES CPUS_PER_NODE [DIR:NODE ...]
# Node i: CPUs i*C .. i*C+C-1, 1 GiB per node more than the last, a 2M
# hugepage pool of 8*(i+1) pages (node 0 also 2 free 1G pages), and an
# NVMe disk nvme<i>n1 on a PCI bridge of node i, whose partition is
# mounted at /srv/node<i>. Also: sdz with no node (the kernel's -1),
# mounted at /srv/nonode; md0 over the node-0 and node-1 NVMe partitions
# (when NODES >= 2), mounted at /srv/span. Each DIR:NODE adds a mount of
# node NODE's disk at DIR, so a real image path can resolve to a node.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 OUTDIR NODES CPUS_PER_NODE [DIR:NODE ...]" >&2; exit 2; }
R=$1 nodes=$2 per=$3
shift 3
rm -rf "$R"
mkdir -p "$R"

f() { mkdir -p "$(dirname "$R/$1")"; printf '%s\n' "$2" > "$R/$1"; }
l() { mkdir -p "$(dirname "$R/$1")"; ln -sfn "$2" "$R/$1"; }

# disk NAME PCIDIR NODE MAJ:MIN(partition 1)
disk() {
	local name=$1 pdir=$2 node=$3 devnum=$4
	local d=$pdir/blk_$name/block/$name
	f "$pdir/numa_node" "$node"
	f "$d/queue/scheduler" "[none] mq-deadline"
	f "$d/queue/rotational" "0"
	f "$d/device/vendor" "fixture"
	f "$d/${name}p1/partition" "1"
	l "sys/block/$name" "../${d#sys/}"
	l "sys/class/block/$name" "../../${d#sys/}"
	l "sys/class/block/${name}p1" "../../${d#sys/}/${name}p1"
	l "sys/dev/block/$devnum" "../../${d#sys/}/${name}p1"
}

f sys/devices/system/cpu/online "0-$((nodes * per - 1))"
f proc/meminfo "$(printf 'MemTotal:       %d kB\nHugepagesize:       2048 kB' $((nodes * 1048576)))"
mi=""
for ((i = 0; i < nodes; i++)); do
	n=sys/devices/system/node/node$i
	f "$n/cpulist" "$((i * per))-$((i * per + per - 1))"
	f "$n/meminfo" "$(printf 'Node %d MemTotal:       %d kB\nNode %d MemFree:        1024 kB' $i $(((i + 1) * 1048576)) $i)"
	f "$n/hugepages/hugepages-2048kB/nr_hugepages" "$((8 * (i + 1)))"
	f "$n/hugepages/hugepages-2048kB/free_hugepages" "$((8 * (i + 1) - 1))"
	if [[ $i == 0 ]]; then
		f "$n/hugepages/hugepages-1048576kB/nr_hugepages" "2"
		f "$n/hugepages/hugepages-1048576kB/free_hugepages" "2"
	fi
	disk "nvme${i}n1" "sys/devices/pci0000:$i/0000:$i:01.0/nvme/nvme$i" "$i" "259:$i"
	mi+="$((30 + i)) 22 259:$i / /srv/node$i rw shared:1 - ext4 /dev/nvme${i}n1p1 rw"$'\n'
done
disk sdz "sys/devices/platform/host0" -1 "8:1"
mi+="40 22 8:1 / /srv/nonode rw shared:1 - ext4 /dev/sdzp1 rw"$'\n'
if ((nodes >= 2)); then
	d=sys/devices/virtual/block/md0
	f "$d/queue/scheduler" "none"
	for i in 0 1; do
		t=$(readlink "$R/sys/class/block/nvme${i}n1p1")
		l "$d/slaves/nvme${i}n1p1" "../../../../${t#../../devices/}"
	done
	l sys/block/md0 ../devices/virtual/block/md0
	l sys/class/block/md0 ../../devices/virtual/block/md0
	l sys/dev/block/9:0 ../../devices/virtual/block/md0
	mi+="41 22 9:0 / /srv/span rw shared:1 - ext4 /dev/md0 rw"$'\n'
fi
k=50
for m in "$@"; do
	dir=${m%:*} node=${m##*:}
	mi+="$k 22 259:$node / $dir rw shared:1 - ext4 /dev/nvme${node}n1p1 rw"$'\n'
	k=$((k + 1))
done
f proc/self/mountinfo "22 1 0:20 / / rw shared:1 - tmpfs none rw
${mi%$'\n'}"
