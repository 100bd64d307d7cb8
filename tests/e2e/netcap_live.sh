#!/usr/bin/env bash
# A real capture made in the test (issue 12): kdsim target on tcp-listen:,
# kdsim debugger on tcp:, recorded with dumpcap on the loopback (IPv4 and
# IPv6) as a user records a VM's serial socket; kdcat and kddiff read it
# and find the session the target recorded itself (--record).  Skips when
# dumpcap cannot capture here.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
KDDIFF="$KDSCOPE_BIN/kddiff"
SCRIPTS="$KDSCOPE_SRC/tests/kdsim"
command -v dumpcap > /dev/null || skip "no dumpcap"

# One direction's messages, in order (the two directions interleave as
# the clocks of their recorders saw them).
per_dir() { "$KDCAT" "$2" | awk -v d="$1" '$3 == d' | cut -c 24- | sed -E 's/, reply in [0-9.]+ (ms|µs)//; s/ \[(retransmission|duplicate) of #[0-9]+\]//'; }

live() { # name, host, "[host]" for endpoints, script, target options
  local name=$1 host=$2 ephost=$3 script=$4 topts=$5 port rc
  port=$((20000 + RANDOM % 20000))
  dumpcap -q -i lo -f "tcp port $port" -w "$WORK/$name.pcapng" > "$WORK/$name.dumpcap" 2>&1 &
  local dpid=$!; PIDS+=("$dpid")
  wait_for "$WORK/$name.dumpcap" "Capturing on|File:" 100 || skip "dumpcap cannot capture on lo: $(cat "$WORK/$name.dumpcap")"
  sleep 0.5 # the filter is in place
  timeout 60 "$KDSIM" target $topts --record "$WORK/$name.target.pcapng" "tcp-listen:$ephost:$port" > "$WORK/$name.target" 2>&1 &
  local tpid=$!
  local tries=100
  while :; do
    rc=0
    timeout 60 "$KDSIM" debugger --script "$script" "tcp:$ephost:$port" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    [ "$rc" = 2 ] && grep -q 'Connection refused' "$WORK/$name.err" && [ "$tries" -gt 0 ] || break
    sleep 0.1; tries=$((tries - 1))
  done
  wait "$tpid" 2>/dev/null || true
  [ "$rc" = 0 ] || fail "$name: debugger exit $rc: $(tail -3 "$WORK/$name.err")"
  sleep 0.5 # the last frames reach the capture file
  kill -INT "$dpid"; wait "$dpid" 2>/dev/null || true
  grep -qE "Packets captured: [1-9]" "$WORK/$name.dumpcap" || fail "$name: dumpcap: $(cat "$WORK/$name.dumpcap")"

  local cap="$WORK/$name.pcapng" rec="$WORK/$name.target.pcapng"
  "$KDCAT" "$cap" > "$WORK/$name.kdcat" 2> "$WORK/$name.kdcat.err" || fail "$name: kdcat: $(cat "$WORK/$name.kdcat.err")"
  [ ! -s "$WORK/$name.kdcat.err" ] || fail "$name: kdcat stderr: $(cat "$WORK/$name.kdcat.err")"
  for d in d2t t2d; do
    per_dir "$d" "$rec" > "$WORK/$name.$d.rec"
    per_dir "$d" "$cap" > "$WORK/$name.$d.cap"
    [ "$(wc -l < "$WORK/$name.$d.rec")" -ge 5 ] || fail "$name: $d: the recording holds $(wc -l < "$WORK/$name.$d.rec") messages"
    diff "$WORK/$name.$d.rec" "$WORK/$name.$d.cap" > "$WORK/$name.$d.diff" || fail "$name: $d: not the recorded messages: $(head "$WORK/$name.$d.diff")"
  done
  rc=0; "$KDDIFF" "$cap" "$rec" > "$WORK/$name.kddiff" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$name: kddiff exit $rc: $(head -20 "$WORK/$name.kddiff")"
  "$KDCAT" --json "$cap" | jq -e -s 'length > 10 and all(.frame >= 1)' > /dev/null || fail "$name: --json"
  echo "ok: $name: dumpcap of kdsim over TCP on $host: $(grep -c . "$WORK/$name.kdcat") messages, per direction those the target recorded; kddiff exit 0"
}

live v4 127.0.0.1 127.0.0.1 "$SCRIPTS/boot.kds" "--seed 1"
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
  live v6 ::1 '[::1]' "$SCRIPTS/boot.kds" "--seed 2"
else
  echo "note: no ::1 on lo, IPv6 not tried"
fi
live x86 127.0.0.1 127.0.0.1 "$SCRIPTS/arch.kds" "--arch x86"
