#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz loop (Wireshark's own recipe, tools/fuzz-test.sh): editcap -E corrupts
# bytes, tshark -nVxr dissects with WIRESHARK_ABORT_ON_DISSECTOR_BUG=1, so a
# dissector bug aborts tshark.  Rounds: KDSCOPE_WS_FUZZ_ROUNDS (default 20
# for CI; run thousands by hand).
#
# Inputs: one add_input line each (file, bytes editcap leaves alone at the
# start of each packet, tshark options).  Every capture in captures/ is
# fuzzed (one that needs Decode As or a key has its own case below), plus a
# TCP and a KDNET session captured live by dumpcap, plus the real KDNET
# session in ../shared when it is present.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null && command -v editcap >/dev/null || skip "tshark/editcap not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built"
rounds=${KDSCOPE_WS_FUZZ_ROUNDS:-20}

inputs=()
# add_input FILE SKIP [TSHARK OPTIONS]: skipped with a note when FILE is absent.
add_input() {
  if [ -f "$1" ]; then
    inputs+=("$1|$2|${3:-}")
  else
    echo "note: $1 absent, not fuzzed" >&2
  fi
}

"$KDSCOPE_BUILD/bin/bench_decode" --write "$WORK/session.pcapng" 400 > /dev/null
"$KDSCOPE_BUILD/bin/kdsample" "$WORK/s.pcapng" --text2pcap "$WORK/tcp.txt"
text2pcap -q -D -T 4444,50000 "$WORK/tcp.txt" "$WORK/tcp.pcapng" 2>/dev/null

add_input "$WORK/session.pcapng" 24
# KD in TCP (Decode As); the 54 bytes of Ethernet/IPv4/TCP headers stay intact.
add_input "$WORK/tcp.pcapng" 54 "-d tcp.port==4444,kd"
# A TCP capture made by dumpcap, live (as netcap_live.sh): kdsim's target and
# debugger over TCP on lo, real handshakes, segment boundaries and ACKs.  The
# 66 bytes of Ethernet/IPv4/TCP-with-timestamps headers stay intact.
live_tcp() {
  command -v dumpcap > /dev/null || { echo "note: no dumpcap, no live TCP capture fuzzed" >&2; return 0; }
  local port=$((20000 + RANDOM % 20000)) dpid tpid
  dumpcap -q -i lo -f "tcp port $port" -w "$WORK/live.pcapng" > "$WORK/live.dumpcap" 2>&1 &
  dpid=$!; PIDS+=("$dpid")
  wait_for "$WORK/live.dumpcap" "Capturing on|File:" 100 \
    || { echo "note: dumpcap cannot capture on lo, no live TCP capture fuzzed" >&2; return 0; }
  sleep 0.5 # the filter is in place
  timeout 60 "$KDSCOPE_BUILD/bin/kdsim" target --seed 1 "tcp-listen:127.0.0.1:$port" > /dev/null 2>&1 &
  tpid=$!
  local tries=100 rc
  while :; do
    rc=0
    timeout 60 "$KDSCOPE_BUILD/bin/kdsim" debugger --script "$KDSCOPE_SRC/tests/kdsim/boot.kds" \
      "tcp:127.0.0.1:$port" > /dev/null 2> "$WORK/live.err" || rc=$?
    [ "$rc" = 2 ] && grep -q 'Connection refused' "$WORK/live.err" && [ "$tries" -gt 0 ] || break
    sleep 0.1; tries=$((tries - 1))
  done
  wait "$tpid" 2> /dev/null || true
  [ "$rc" = 0 ] || fail "live TCP capture: kdsim debugger exit $rc: $(tail -3 "$WORK/live.err")"
  sleep 0.5 # the last frames reach the file
  kill -INT "$dpid"; wait "$dpid" 2> /dev/null || true
  grep -qE "Packets captured: [1-9]" "$WORK/live.dumpcap" || fail "live TCP capture: $(cat "$WORK/live.dumpcap")"
  add_input "$WORK/live.pcapng" 66 "-d tcp.port==$port,kd"
}
live_tcp

# A KDNET session made live: kdsim's debugger and target over KDNET (key
# 1.2.3.4) on lo, captured by dumpcap; the plugin finds it by its "MDBG"
# heuristic and authenticates and decrypts it with the key.  Ethernet/IPv4/UDP
# headers (42 bytes) stay intact, so the KDNET header and the encrypted body
# are what is corrupted (a corrupted body fails its HMAC: that path too).
live_kdnet() {
  command -v dumpcap > /dev/null || { echo "note: dumpcap absent, no live KDNET capture" >&2; return; }
  local port=$((20000 + RANDOM % 20000)) rc=0
  dumpcap -q -i lo -f "udp port $port" -w "$WORK/kdnet.pcapng" > "$WORK/kdnet.dumpcap" 2>&1 &
  local cap=$!; PIDS+=("$cap")
  wait_for "$WORK/kdnet.dumpcap" "Capturing on|File:" 100 \
    || { echo "note: dumpcap did not start, no live KDNET capture" >&2; return; }
  sleep 0.5
  timeout 30 "$KDSCOPE_BUILD/bin/kdsim" debugger --kdnet 1.2.3.4 --script "$KDSCOPE_SRC/tests/kdsim/boot.kds" \
    "udp-listen:127.0.0.1:$port" > /dev/null 2> "$WORK/kdnet.err" &
  local dbg=$!
  timeout 30 "$KDSCOPE_BUILD/bin/kdsim" target --kdnet 1.2.3.4 --poke-interval 300 --seed 1 \
    "udp:127.0.0.1:$port" > /dev/null 2>&1 &
  local tgt=$!; PIDS+=("$tgt")
  wait "$dbg" || rc=$?
  kill "$tgt" 2>/dev/null || true
  sleep 0.5
  kill -INT "$cap" 2>/dev/null || true
  wait "$cap" 2>/dev/null || true
  [ "$rc" = 0 ] || fail "live KDNET session: debugger exit $rc: $(tail -3 "$WORK/kdnet.err")"
  grep -qE "Packets captured: [1-9]" "$WORK/kdnet.dumpcap" || fail "live KDNET capture: $(cat "$WORK/kdnet.dumpcap")"
  # Unfuzzed, it decrypts: else the loop would fuzz nothing past the HMAC.
  local g n
  g=$(public_copy "$WORK/kdnet.pcapng")
  n=$(tshark_kd -2 -o kdnet.key:1.2.3.4 -r "$g" -Y 'kdnet.hmac.status == 1 && kd' -T fields -e frame.number | wc -l)
  [ "$n" -gt 20 ] || fail "live KDNET capture: only $n datagrams authenticated with KD inside"
  add_input "$WORK/kdnet.pcapng" 42 "-o kdnet.key:1.2.3.4"
}
live_kdnet

for cap in "$KDSCOPE_SRC"/captures/*.pcapng; do
  case $(basename "$cap") in
  kdsim-kdnet.pcapng) add_input "$cap" 42 "-o kdnet.key:1.2.3.4" ;;  # KDNET over UDP, key 1.2.3.4
  *) add_input "$cap" 24 ;;
  esac
done
# The real KDNET session (UDP 51111, Ethernet/IPv4/UDP = 42 bytes): the
# plugin's KDNET dissector with the session's key (kdnet.md: 8.8.8.8).
add_input "$KDSCOPE_SRC/../shared/captures/kdnet-windbg-win10-10586.pcapng" 42 "-o kdnet.key:8.8.8.8"

export WIRESHARK_ABORT_ON_DISSECTOR_BUG=1
for i in $(seq 1 "$rounds"); do
  for src in "${inputs[@]}"; do
    IFS='|' read -r file skip opts <<<"$src"
    editcap -E 0.03 -o "$skip" -s 8000 "$file" "$WORK/fz.pcapng" > /dev/null 2>&1 || fail "editcap $(basename "$file")"
    g=$(public_copy "$WORK/fz.pcapng")
    rc=0
    # shellcheck disable=SC2086 # opts are separate words
    tshark_kd -2 -nVxr "$g" $opts > /dev/null 2> "$WORK/err" || rc=$?
    [ "$rc" -eq 0 ] || { cp "$WORK/fz.pcapng" /tmp/kd-fuzz-crash.pcapng; fail "round $i $(basename "$file"): tshark exit $rc (kept /tmp/kd-fuzz-crash.pcapng): $(tail -3 "$WORK/err")"; }
    grep -qiE 'dissector bug|malformed packet.*kd' "$WORK/err" && fail "round $i $(basename "$file"): $(cat "$WORK/err")"
  done
done
echo "ok: $rounds rounds x ${#inputs[@]} captures fuzzed without a dissector bug"
