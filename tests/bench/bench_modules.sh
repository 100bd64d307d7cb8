#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The module map's cost in kdcat --json (issue 15 budget: <= 10% slower):
# N items (default 1,000,000) made by repeating captures/kdsim-amd64-boot
# (its LoadSymbols name nt and hal, so the map is fed and most addresses
# are module-relative; each repetition's timestamps moved past the last),
# with the map on (default) and off (--no-modules: neither fed nor shown),
# RUNS times each, alternating.  Peak RSS shows the map's memory is flat.
# Run by hand from the repository root after a build:
#   tests/bench/bench_modules.sh [N] [RUNS]
set -euo pipefail
N=${1:-1000000} RUNS=${2:-3}
BUILD=${KDSCOPE_BUILD:-build/ci}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - captures/kdsim-amd64-boot.pcapng "$work/big.pcapng" "$N" <<'PY'
import struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, 'rb').read()
head, epbs, o = [], [], 0
while o + 12 <= len(b):
    t, l = struct.unpack_from('<II', b, o)
    (epbs if t == 6 else head).append(b[o:o + l])  # EPB: type 6
    o += l
ts = [struct.unpack_from('<II', e, 12) for e in epbs]  # timestamp high, low
first, last = (ts[0][0] << 32) | ts[0][1], (ts[-1][0] << 32) | ts[-1][1]
span = last - first + 1000
with open(dst, 'wb') as f:
    for h in head:
        f.write(h)
    k, rep = 0, 0
    while k < n:
        for e, (hi, lo) in zip(epbs, ts):
            v = ((hi << 32) | lo) + rep * span
            f.write(e[:12] + struct.pack('<II', v >> 32, v & 0xffffffff) + e[20:])
            k += 1
            if k >= n:
                break
        rep += 1
PY
"$BUILD/bin/kdcat" -q --modules "$work/big.pcapng"
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "map off: %e s wall, %U s user, %M KB" "$BUILD/bin/kdcat" -q --json --no-modules "$work/big.pcapng" > /dev/null
  /usr/bin/time -f "map on:  %e s wall, %U s user, %M KB" "$BUILD/bin/kdcat" -q --json "$work/big.pcapng" > /dev/null
done
