# Guest-side helpers for workloads: `. /lib/e2e.sh` at the top of one.
# Output lines the host parses are "E2E-RESULT key=value".

e2e_result()
{
	echo "E2E-RESULT $1=$2"
}

e2e_fail()
{
	echo "E2E-FAIL: $*"
	exit 1
}

# e2e_wait_dev DEV [SECONDS]: block devices appear asynchronously after the
# driver probes; wait for DEV instead of racing it.
e2e_wait_dev()
{
	local dev=$1 n=${2:-10}0

	while [ ! -b "$dev" ] && [ "$n" -gt 0 ]; do
		usleep 100000
		n=$((n - 1))
	done
	[ -b "$dev" ] || e2e_fail "$dev did not appear (is the vhost-user target serving?)"
}

# e2e_check NAME EXPECTED ACTUAL: report and fail on a mismatch.
e2e_check()
{
	e2e_result "$1" "$3"
	[ "$2" = "$3" ] || e2e_fail "$1 is '$3', expected '$2'"
}
