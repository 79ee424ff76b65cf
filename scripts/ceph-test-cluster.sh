#!/usr/bin/env bash
# A one-node Ceph cluster in a directory, for tests and trying vmiod's RBD
# backend: one monitor and one BlueStore OSD on a sparse file, cephx on,
# pools of size 1, no manager (RBD does not need one). Everything lives
# under DIR (its own ceph.conf, keyrings, logs, admin sockets), so several
# can run side by side and nothing touches /etc/ceph.
#
#   scripts/ceph-test-cluster.sh start DIR [POOL]   # prints the conf path
#   scripts/ceph-test-cluster.sh status DIR
#   scripts/ceph-test-cluster.sh stop DIR
#
# start creates POOL (default rbd), initialised for RBD, and prints
#   conf=DIR/ceph.conf
#   started in N.N s
# Clients then use `-c DIR/ceph.conf` (rbd, rados, ceph, qemu's conf=,
# vmiod's conf=); the admin key is in DIR/keyring, which the conf names.
# Keep DIR short: a unix socket path (the admin sockets) holds 107 bytes.
#
# Needs ceph-mon, ceph-osd and ceph-common (scripts/deps.sh installs them).
set -euo pipefail

usage() {
	echo "usage: $0 start|stop|status DIR [POOL]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
pool=${3:-rbd}
# Start-up waits, in seconds: generous for a loaded machine.
wait_s=${CEPH_TEST_WAIT:-120}

die() {
	echo "ceph-test-cluster: $*" >&2
	exit 1
}

need() {
	for p in "$@"; do
		command -v "$p" >/dev/null ||
			die "$p is missing; install ceph-mon ceph-osd ceph-common (scripts/deps.sh)"
	done
}

# A TCP port on 127.0.0.1 nobody listens on, outside the range OSDs bind
# in (6800-7300). The monitor binds it right after; if someone else got
# there first, start fails and says so.
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free TCP port found"
}

# Runs a ceph client command against the cluster, bounded in time.
cephc() {
	timeout 60 ceph -c "$dir/ceph.conf" --connect-timeout 30 "$@"
}

pid_alive() {
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# Stops the daemon whose pid file is $1: SIGTERM, then SIGKILL after $2 s.
stop_daemon() {
	local pidf=$1 grace=$2 pid
	pid_alive "$pidf" || return 0
	pid=$(cat "$pidf")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 $((grace * 20))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
}

write_conf() {
	local port=$1 fsid=$2
	cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$port
public_network = 127.0.0.0/8
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $dir/keyring
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
pid_file = $dir/run/\$name.pid
log_to_stderr = false
err_to_stderr = true
# The daemons log to their files; keep the terminal quiet.
ms_bind_msgr1 = false
# One OSD: one copy, placed on OSDs rather than hosts.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
# No manager: do not report it missing.
mon_mgr_mkfs_grace = 100000000
mon_warn_on_insecure_global_id_reclaim_allowed = false
# Start fast: propose map changes at once, poll the block device often.
paxos_propose_interval = 0.1
bdev_aio_poll_ms = 20
# Small: a test cluster beside the guests and vmiod on a small machine.
osd_memory_target = 536870912
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
osd_min_pg_log_entries = 100
osd_max_pg_log_entries = 200
osd_pg_log_trim_min = 50
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
# The data directory's free space is not what tests check.
mon_data_avail_warn = 1
mon_data_avail_crit = 0

[client]
# Clients (rbd, vmiod, qemu) are many and come and go: no admin socket or
# log file of their own to fight over.
admin_socket =
log_file =

[mon]
err_to_stderr = false
mon_data = $dir/mon/\$cluster-\$id

[osd]
err_to_stderr = false
osd_data = $dir/osd/\$cluster-\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 4294967296
bluestore_block_db_create = false
bluestore_block_wal_create = false
bluestore_fsck_on_mkfs = false
EOF
}

start() {
	local t0 port fsid uuid id
	need ceph ceph-mon ceph-osd ceph-authtool monmaptool rbd
	t0=$(date +%s.%N)
	# A start that fails half-way stops what it started.
	trap '[ -n "${started:-}" ] || stop >/dev/null 2>&1' EXIT
	[ ${#dir} -le 60 ] || die "DIR is too long (${#dir} bytes): admin socket paths must fit 107 bytes; use a short one, e.g. /tmp/ceph1"
	if [ -f "$dir/ceph.conf" ] && pid_alive "$dir/run/mon.a.pid"; then
		die "a cluster already runs in $dir (stop it first)"
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	rm -rf "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/monmap" \
		"$dir/mon.keyring" "$dir/keyring"
	mkdir -p "$dir/mon/ceph-a" "$dir/osd/ceph-0" "$dir/run" "$dir/log"
	port=$(free_port)
	fsid=$(cat /proc/sys/kernel/random/uuid)
	write_conf "$port" "$fsid"

	# Keys: the monitors' own, and client.admin's (allowed everything).
	ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. \
		--cap mon 'allow *' >/dev/null
	ceph-authtool --create-keyring "$dir/keyring" --gen-key -n client.admin \
		--cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
	ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/keyring" >/dev/null
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" \
		"$dir/monmap" >/dev/null
	ceph-mon -c "$dir/ceph.conf" --mkfs -i a --monmap "$dir/monmap" \
		--keyring "$dir/mon.keyring" ||
		die "ceph-mon --mkfs failed; see $dir/log/mon.a.log"
	ceph-mon -c "$dir/ceph.conf" -i a ||
		die "ceph-mon did not start; see $dir/log/mon.a.log"

	# The OSD: registered with the monitor, its key, a BlueStore on a
	# sparse file in its directory.
	uuid=$(cat /proc/sys/kernel/random/uuid)
	id=$(cephc osd new "$uuid") ||
		die "the monitor does not answer on 127.0.0.1:$port; see $dir/log/mon.a.log"
	[ "$id" = 0 ] || die "unexpected OSD id $id"
	ceph-authtool --create-keyring "$dir/osd/ceph-0/keyring" --gen-key -n osd.0 >/dev/null
	cephc auth add osd.0 osd 'allow *' mon 'allow profile osd' \
		-i "$dir/osd/ceph-0/keyring" >/dev/null 2>&1 ||
		die "cannot register osd.0's key"
	ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs --osd-uuid "$uuid" \
		--keyring "$dir/osd/ceph-0/keyring" >"$dir/log/osd-mkfs.log" 2>&1 ||
		die "ceph-osd --mkfs failed; see $dir/log/osd-mkfs.log"
	ceph-osd -c "$dir/ceph.conf" -i 0 --keyring "$dir/osd/ceph-0/keyring" ||
		die "ceph-osd did not start; see $dir/log/osd.0.log"

	# The pool, initialised for RBD: rbd pool init returns once its
	# placement groups are active, i.e. the cluster serves I/O.
	cephc osd pool create "$pool" 8 8 >/dev/null 2>&1 ||
		die "cannot create pool $pool"
	cephc osd pool set "$pool" size 1 --yes-i-really-mean-it >/dev/null 2>&1 || true
	timeout "$wait_s" rbd -c "$dir/ceph.conf" pool init "$pool" ||
		die "pool $pool did not become active within ${wait_s}s; see $dir/log/osd.0.log"
	started=1
	echo "conf=$dir/ceph.conf"
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "started in %.1f s\n", b - a }'
}

stop() {
	[ -d "$dir" ] || die "no cluster directory $dir"
	# The OSD first: a monitor that goes first leaves it retrying.
	stop_daemon "$dir/run/osd.0.pid" 10
	stop_daemon "$dir/run/mon.a.pid" 10
	echo "stopped"
}

status() {
	local up=0
	for d in mon.a osd.0; do
		if pid_alive "$dir/run/$d.pid"; then
			echo "$d: running (pid $(cat "$dir/run/$d.pid"))"
			up=$((up + 1))
		else
			echo "$d: not running"
		fi
	done
	echo "conf=$dir/ceph.conf"
	[ "$up" = 2 ] && cephc -s 2>/dev/null | sed -n 's/^ *health: /health: /p'
	[ "$up" = 2 ]
}

case $cmd in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
