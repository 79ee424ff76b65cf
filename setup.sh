#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a working vmio:
# installs dependencies, builds build/vmiod and build/vmio, then runs the
# built-in demo (scripts/demo.sh): vmiod serving a generated disk image.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build
fi
ninja -C build
echo
echo "built: build/vmiod build/vmio"
[ "${VMIO_SKIP_DEMO:-0}" = 1 ] || scripts/demo.sh
