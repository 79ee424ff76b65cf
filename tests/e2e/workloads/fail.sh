# Guest workload for the harness self-test: fails on purpose, after
# printing a result line the host must still see.
. /lib/e2e.sh
e2e_result before_failure yes
exit 3
