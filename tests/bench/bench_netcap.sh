#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kdcat on KD carried in TCP against the same session as a kdtap recording
# (issue 12's budget: the TCP path costs at most 1.5x the native one).  The
# session: N items (default 1,000,000; bench_decode --write makes it), then
# wrapped by kdwrap into TCP segments of random size (1-1460 bytes), 1% of
# them swapped with the next.  Run by hand after scripts/build:
#   tests/bench/bench_netcap.sh [N] [RUNS]
# Prints wall time and peak RSS of each run of kdcat --json.
set -euo pipefail
N=${1:-1000000} RUNS=${2:-3}
BUILD=${KDSCOPE_BUILD:-build/dev}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$BUILD/bin/bench_decode" --write "$work/native.pcapng" "$N" > /dev/null
"$BUILD/bin/kdwrap" "$work/native.pcapng" "$work/tcp.pcap" --seg 1-1460 --reorder 1 --seed 1
ls -l "$work/native.pcapng" "$work/tcp.pcap" | awk '{print $5, $NF}'
run() { # LABEL FILE
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "$1 %e s wall, %U s user + %S s sys, %M KB" "$BUILD/bin/kdcat" -q --json "$2" > /dev/null
  done
}
run "kdtap recording:" "$work/native.pcapng"
run "TCP (tcpdump):  " "$work/tcp.pcap"
# The messages are the same (the kdcat lines without frame and time: frame
# numbers differ, the TCP capture has more records than items).
"$BUILD/bin/kdcat" -q "$work/native.pcapng" | sed -E 's/^ *[0-9]+ [0-9.]+ //; s/, reply in [0-9.]+ ms//; s/ \[(retransmission|duplicate) of #[0-9]+\]//' | md5sum
"$BUILD/bin/kdcat" -q "$work/tcp.pcap" | sed -E 's/^ *[0-9]+ [0-9.]+ //; s/, reply in [0-9.]+ ms//; s/ \[(retransmission|duplicate) of #[0-9]+\]//' | md5sum
