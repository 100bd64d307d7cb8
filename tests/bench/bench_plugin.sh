#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin's cost in tshark (design.md budget: <= 1.3x tshark with the kd
# protocol disabled), on a synthetic session of N items (default 1,000,000;
# bench_decode --write makes it).  Run by hand from the repository root after
# scripts/build:  tests/bench/bench_plugin.sh [N] [RUNS]
# Prints wall time and peak RSS of each run (BENCH_VERBOSE=1 adds tshark -V).  As root, tshark runs as nobody
# with a private HOME (it ignores plugin folders otherwise).
set -euo pipefail
N=${1:-1000000} RUNS=${2:-2}
BUILD=${KDSCOPE_BUILD:-build/dev}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; chmod 755 "$work"
"$BUILD/bin/bench_decode" --write "$work/big.pcapng" "$N" > /dev/null
cp -r "$BUILD/plugins" "$work/plugins"; mkdir "$work/home"; chmod -R a+rX "$work"; chmod 777 "$work/home"
run() { # run LABEL TSHARK-ARGS...
  local label=$1; shift
  local as=(); [ "$(id -u)" = 0 ] && as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  for _ in $(seq "$RUNS"); do
    env HOME="$work/home" WIRESHARK_PLUGIN_DIR="$work/plugins" /usr/bin/time -f "$label %e s wall, %U s user + %S s sys, %M KB" \
      "${as[@]}" tshark -r "$work/big.pcapng" "$@" > /dev/null
  done
}
run "kd disabled:  " --disable-protocol kd
run "kd plugin:    "
if [ -n "${BENCH_VERBOSE:-}" ]; then run "kd plugin -V: " -V; fi  # slow: the whole tree, printed
