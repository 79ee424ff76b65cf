#!/usr/bin/env bash
# GET /metrics over HTTP: promtool accepts it, its counters match the
# RPC stats after real I/O, label values are escaped, and the server
# answers other paths and methods properly.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || { echo "promtool is missing (apt-get install prometheus)"; exit 77; }
port=$(free_port)
url=http://127.0.0.1:$port
start_vmiod -q --qos --metrics "127.0.0.1:$port" \
	--disk "id=vm1,backend=null,size=1G,socket=$tmp/vm1.sock,queues=2,iops=100000"
# Names are letters, digits and . _ - : (label escaping is test_prom's).
"$VMIO" rpc disk_add "{\"id\": \"odd \\\"name\\\\\", \"backend\": \"null\", \"size\": \"1M\", \"socket\": \"$tmp/odd.sock\"}" >/dev/null 2>"$tmp/e" &&
	fail "disk_add took a name with quotes and a backslash"
grep -q "must be 1 to 64 letters" "$tmp/e" || fail "odd name refused without saying why: $(cat "$tmp/e")"
"$VMIO" rpc disk_add "{\"id\": \"odd.name-1:x\", \"backend\": \"null\", \"size\": \"1M\", \"socket\": \"$tmp/odd.sock\"}" >/dev/null ||
	fail "disk_add with a name of every allowed kind of character"

bench "$tmp/vm1.sock" --rw randrw --iodepth 8 --runtime 1 >/dev/null
curl -sf "$url/metrics" -o "$tmp/m" || fail "GET /metrics"
promtool check metrics <"$tmp/m" || fail "promtool rejects /metrics"
"$VMIO" stats --json >"$tmp/s.json"

metric() { # metric NAME LABELS: the value of one sample
	grep -F "$1{$2} " "$tmp/m" | awk '{print $2}'
}
stat() { jq ".[] | select(.id == \"vm1\") | $1" "$tmp/s.json"; }
[ "$(metric vmio_disk_requests_total 'disk="vm1",op="read"')" = "$(stat .reads)" ] ||
	fail "reads: /metrics $(metric vmio_disk_requests_total 'disk="vm1",op="read"'), stats $(stat .reads)"
[ "$(metric vmio_disk_requests_total 'disk="vm1",op="write"')" = "$(stat .writes)" ] || fail "writes differ"
[ "$(metric vmio_disk_bytes_total 'disk="vm1",op="write"')" = "$(stat .bytes_written)" ] || fail "bytes differ"
[ "$(metric vmio_disk_latency_seconds_count 'disk="vm1"')" = "$(stat .latency.count)" ] ||
	fail "histogram count differs"
[ "$(metric vmio_disk_latency_seconds_bucket 'disk="vm1",le="+Inf"')" = "$(stat .latency.count)" ] ||
	fail "+Inf bucket is not the count"
[ "$(metric vmio_disk_queues 'disk="vm1"')" = 2 ] || fail "queues"
[ "$(metric vmio_disk_size_bytes 'disk="vm1"')" = 1073741824 ] || fail "size"
# Bounds as Prometheus' own clients write them: the shortest decimal that
# reads back exactly (not 7.9999999999999996e-06).
grep -qF 'vmio_disk_latency_seconds_bucket{disk="vm1",le="8e-06"} ' "$tmp/m" ||
	fail "the first latency bound is not le=\"8e-06\": $(grep -m1 _bucket "$tmp/m")"
grep -qF 'le="0.000128"' "$tmp/m" || fail "no le=\"0.000128\" bound"
grep -E 'le="[0-9.e+-]{18,}"' "$tmp/m" && fail "a bound spelled with 17 digits"
grep -qF 'vmio_disk_inflight{disk="odd.name-1:x"} 0' "$tmp/m" || fail "no series for the second disk: $(grep odd "$tmp/m" | head -3)"
grep -qE '^vmio_disk_qos_throttled_total\{disk="vm1"\} [0-9]+$' "$tmp/m" || fail "no QoS series"
grep -qE '^vmio_reactor_busy_seconds_total\{reactor="0"\} [0-9.e+-]+$' "$tmp/m" || fail "no reactor busy time"
grep -qE '^vmio_reactor_info\{reactor="0",cpu="none",policy="adaptive"\} 1$' "$tmp/m" || fail "no reactor info"
for fam in poll_idle_seconds_total sleep_seconds_total sleeps_total wake_latency_seconds \
	sleep_cpu_seconds cpu_price; do
	grep -qE "^vmio_reactor_$fam\{reactor=\"0\"\} [0-9.e+-]+$" "$tmp/m" || fail "no vmio_reactor_$fam"
done
for gap in guest device; do
	grep -qE "^vmio_reactor_poll_budget_seconds\{reactor=\"0\",gap=\"$gap\"\} [0-9.e+-]+$" "$tmp/m" ||
		fail "no poll budget for $gap gaps"
done
# One mode at a time.
[ "$(grep -E '^vmio_reactor_mode\{reactor="0",mode="(poll|sleep|batch)"\} ' "$tmp/m" | awk '{s += $2} END {print s}')" = 1 ] ||
	fail "reactor modes: $(grep vmio_reactor_mode "$tmp/m")"
# Every family's samples together, under its own TYPE line.
awk '/^# TYPE/ {fam=$3; if (seen[fam]++) exit 1; next} /^#/ {next}
     {name=$1; sub(/\{.*/, "", name); base=name; sub(/_(bucket|sum|count)$/, "", base)
      if (name != fam && base != fam) exit 1}' "$tmp/m" || fail "families are interleaved"
echo "ok: /metrics passes promtool and agrees with stats ($(stat .ops) requests)"

# A virtio-scsi target has the same series, labelled by target.
"$VMIO" rpc scsi_add "{\"id\": \"t0\", \"socket\": \"$tmp/t0.sock\", \"luns\": [{\"lun\": 0, \"null\": \"64M\"}], \"iops\": 100000}" >/dev/null ||
	fail "scsi_add t0"
bench "$tmp/t0.sock" --device scsi --rw randrw --iodepth 4 --runtime 0.5 >/dev/null ||
	fail "I/O on scsi target t0"
curl -sf "$url/metrics" -o "$tmp/m" || fail "GET /metrics"
promtool check metrics <"$tmp/m" || fail "promtool rejects /metrics with a scsi target"
for series in 'vmio_scsi_luns{target="t0"} 1' 'vmio_scsi_connected{target="t0"} 0'; do
	grep -qxF "$series" "$tmp/m" || fail "no '$series': $(grep 'target="t0"' "$tmp/m" | head -5)"
done
reads=$(metric vmio_scsi_commands_total 'target="t0",op="read"')
count=$(metric vmio_scsi_latency_seconds_count 'target="t0"')
[ "${reads:-0}" -gt 100 ] || fail "scsi reads in /metrics: '$reads'"
[ "$count" -ge "$reads" ] || fail "scsi latency count $count below the reads $reads"
grep -qE '^vmio_scsi_qos_throttled_total\{target="t0"\} [0-9]+$' "$tmp/m" || fail "no scsi QoS series"
echo "ok: a virtio-scsi target is exported ($reads reads, $count commands timed)"

[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/other")" = 404 ] || fail "unknown path"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")" = 405 ] || fail "POST"
curl -sfI "$url/metrics" | grep -qi '^content-type: text/plain; version=0.0.4' || fail "HEAD / content type"
"$VMIO" disk rm vm1 >/dev/null
curl -sf "$url/metrics" | grep -q 'disk="vm1"' && fail "a removed disk is still exported"
echo "ok: 404, 405, HEAD; removed disks disappear"

# Scrapers that trickle a request a byte every 2 s (never silent long
# enough for an idle timeout) hold every slot of their address, until
# the whole-request deadline cuts them; then a scrape is served again.
python3 - "$port" <<'PY' &
import socket, sys, time
conns = []
for _ in range(10):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    conns.append(s)
req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
cut = 0
start = time.time()
for i in range(len(req)):
    for s in list(conns):
        try:
            s.send(req[i:i + 1])
        except OSError:
            conns.remove(s)
            cut += 1
    if not conns or time.time() - start > 30:
        break
    time.sleep(2)
print("tricklers cut after %.0f s: %d" % (time.time() - start, cut))
sys.exit(0 if cut >= 8 and time.time() - start < 25 else 1)
PY
trickle=$!
sleep 1
held=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$url/metrics") || true
wait $trickle || fail "trickling scrapers were not cut by the request deadline"
curl -sf -m 5 "$url/metrics" -o /dev/null || fail "no scrape served after the tricklers were cut"
echo "ok: trickling scrapers held the address (a scrape got '$held') until the deadline; then served"
stop_vmiod

# A bad address is refused with a reason, before serving anything.
timeout 10 "$VMIOD" --rpc "$VMIO_RPC" --metrics "localhost:$port" 2>"$tmp/e" && fail "a hostname was accepted"
grep -q "numeric address" "$tmp/e" || fail "unclear --metrics error: $(cat "$tmp/e")"
echo "ok: --metrics refuses what it cannot listen on"
