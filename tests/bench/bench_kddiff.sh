#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kddiff's benchmark (run by hand; not a test).  Budget (issue 17): any pair
# of 1 M-item sessions in <= 256 MB RSS; time <= 2 s.
#
#   tests/bench/bench_kddiff.sh BUILD_DIR [KDDIFF]
#
# Sessions from kdsample --reads (each read: request, ACK, reply, ACK):
#   big   250 000 reads (1 M items, 500 k compared messages)
#   big9  the same with the last 10% of the reads dropped
#   bigv  the same with every 100th read at another address (5 000 changes)
#   small the sample session
# Each pair under /usr/bin/time: seconds and peak RSS, --stat and the
# unified diff (to /dev/null).
set -euo pipefail
BUILD=${1:?usage: bench_kddiff.sh BUILD_DIR [KDDIFF]}
KDDIFF=${2:-$BUILD/bin/kddiff}
S=$BUILD/bin/kdsample
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$S" "$W/big.pcapng" --reads 250000
"$S" "$W/big9.pcapng" --reads 225000
"$S" "$W/bigv.pcapng" --reads 250000 --vary-every 100
"$S" "$W/small.pcapng"
for mode in --stat --unified=3; do
  for pair in "big big" "big big9" "big bigv" "big small"; do
    set -- $pair
    /usr/bin/time -f '%e s %M KB' -o "$W/time" "$KDDIFF" "$mode" "$W/$1.pcapng" "$W/$2.pcapng" > /dev/null 2>&1 || true
    r=$(tail -1 "$W/time")
    printf '%-12s %-10s %s\n' "$mode" "$1 $2" "$r"
  done
done
