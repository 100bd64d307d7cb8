#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kdnet dissector's cost in tshark (issue 11's budget: <= 1.3x bare
# tshark on the same file) and kdcat --json's rate on KDNET (>= 500 k
# datagrams/s): the real capture of ../shared repeated COPIES times
# (default 200, ~191 000 datagrams) with mergecap -a, key 8.8.8.8.  Run by
# hand after scripts/build:  tests/bench/bench_kdnet_plugin.sh [COPIES] [RUNS]
set -euo pipefail
COPIES=${1:-200} RUNS=${2:-2}
BUILD=${KDSCOPE_BUILD:-build/dev}
cap="$(dirname "$0")/../../../shared/captures/kdnet-windbg-win10-10586.pcapng"
[ -f "$cap" ] || { echo "bench_kdnet_plugin: $cap is absent" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; chmod 755 "$work"
files=(); for _ in $(seq "$COPIES"); do files+=("$cap"); done
mergecap -a -F pcapng -w "$work/big.pcapng" "${files[@]}"
echo "$(capinfos -c -M "$work/big.pcapng" | awk '/Number of packets/ {print $NF}') datagrams"
cp -r "$BUILD/plugins" "$work/plugins"; mkdir "$work/home"; chmod -R a+rX "$work"; chmod 777 "$work/home"
run() { # LABEL TSHARK-ARGS...
  local label=$1; shift
  local as=(); [ "$(id -u)" = 0 ] && as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  for _ in $(seq "$RUNS"); do
    env HOME="$work/home" WIRESHARK_PLUGIN_DIR="$work/plugins" /usr/bin/time -f "$label %e s wall, %U s user + %S s sys, %M KB" \
      "${as[@]}" tshark -r "$work/big.pcapng" "$@" > /dev/null
  done
}
run "bare tshark:  " --disable-protocol kd,kdnet
run "kdnet plugin: " -o kdnet.key:8.8.8.8
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "kdcat --json: %e s wall, %M KB" "$BUILD/bin/kdcat" -q --json --kdnet-key 8.8.8.8 "$work/big.pcapng" > /dev/null
done
