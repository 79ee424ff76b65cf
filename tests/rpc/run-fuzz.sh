#!/usr/bin/env bash
# Builds tests/rpc/fuzz_rpc.c with clang (libFuzzer, ASan, UBSan) against
# the RPC parser's sources and fuzzes it for SECONDS (default 30).
# Crashes land in $OUT (default /tmp/vmio-fuzz-rpc), with the command to
# replay them. Usage: tests/rpc/run-fuzz.sh [SECONDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-30}
out=${OUT:-/tmp/vmio-fuzz-rpc}
command -v clang >/dev/null || { echo "run-fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
mkdir -p "$out/corpus"
cp "$src"/tests/rpc/seeds/* "$out/corpus/"
# shellcheck disable=SC2046
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/src/lib" \
	"$src/tests/rpc/fuzz_rpc.c" "$src/src/lib/rpc/rpc_parse.c" \
	"$src/src/lib/util/log.c" $(pkg-config --cflags --libs jansson) \
	-o "$out/fuzz_rpc"
cd "$out"
./fuzz_rpc -max_total_time="$secs" -max_len=4096 -timeout=5 \
	-print_final_stats=1 corpus 2>&1 | tail -n 20
echo "run-fuzz.sh: no crash in ${secs}s (corpus: $out/corpus)"
