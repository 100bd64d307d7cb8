#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The module map's cost in kdcat --json (issue 15 budget: <= 10% slower):
# a synthetic session of N items (default 1,000,000; bench_decode --write
# makes it) with the map on (default) and off (--no-modules: not fed, not
# shown), RUNS times each, alternating.  Run by hand from the repository root
# after a build:  tests/bench/bench_modules.sh [N] [RUNS]
set -euo pipefail
N=${1:-1000000} RUNS=${2:-3}
BUILD=${KDSCOPE_BUILD:-build/ci}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$BUILD/bin/bench_decode" --write "$work/big.pcapng" "$N" > /dev/null
"$BUILD/bin/kdcat" -q --modules "$work/big.pcapng"
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "map off: %e s wall, %U s user, %M KB" "$BUILD/bin/kdcat" -q --json --no-modules "$work/big.pcapng" > /dev/null
  /usr/bin/time -f "map on:  %e s wall, %U s user, %M KB" "$BUILD/bin/kdcat" -q --json "$work/big.pcapng" > /dev/null
done
