#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kdsim over KDNET (issue 11 item 5): kdsim debugger on udp-listen: and kdsim
# target on udp: with the same key run the boot script to the end, recorded
# live with dumpcap on the loopback; kdcat with the key authenticates every
# datagram and finds the handshake, the UNUSED announcement and KDNET's ids;
# kddiff finds the session the same as the same script over a serial link;
# a wrong key gives no session.  The capture part skips without dumpcap.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
KDDIFF="$KDSCOPE_BIN/kddiff"
SCRIPT="$KDSCOPE_SRC/tests/kdsim/boot.kds"
KEY=1.2.3.4

kdnet_session() { # name, target key, debugger key, extra debugger options...
  local name=$1 tkey=$2 dkey=$3; shift 3
  local port=${LIVE_PORT:-$((20000 + RANDOM % 20000))} rc=0
  timeout "${SESSION_TIMEOUT:-30}" "$KDSIM" debugger --kdnet "$dkey" --script "$SCRIPT" "$@" "udp-listen:127.0.0.1:$port" \
    > "$WORK/$name.out" 2> "$WORK/$name.err" &
  local dpid=$!
  timeout "${SESSION_TIMEOUT:-30}" "$KDSIM" target --kdnet "$tkey" --poke-interval 300 --seed 1 "udp:127.0.0.1:$port" \
    > /dev/null 2> "$WORK/$name.target.err" &
  local tpid=$!; PIDS+=("$tpid")
  wait "$dpid" || rc=$?
  kill "$tpid" 2>/dev/null || true # a target, like Windows, never hangs up
  wait "$tpid" 2>/dev/null || true
  echo "$rc"
}

# --- a live session, captured ---------------------------------------------
have_dumpcap=0
if command -v dumpcap > /dev/null; then
  LIVE_PORT=$((20000 + RANDOM % 20000))
  dumpcap -q -i lo -f "udp port $LIVE_PORT" -w "$WORK/live.pcapng" > "$WORK/dumpcap" 2>&1 &
  dpid=$!; PIDS+=("$dpid")
  if wait_for "$WORK/dumpcap" "Capturing on|File:" 100; then have_dumpcap=1; sleep 0.5; fi
fi
rc=$(kdnet_session live "$KEY" "$KEY" --record "$WORK/live.rec.pcapng")
[ "$rc" = 0 ] || fail "KDNET session: debugger exit $rc: $(tail -3 "$WORK/live.err")"
grep -q "handshake done on udp-listen:127.0.0.1" "$WORK/live.err" || fail "no handshake: $(cat "$WORK/live.err")"
grep -q '^<- GetVersion -> STATUS_SUCCESS' "$WORK/live.out" || fail "the script did not run: $(head "$WORK/live.out")"
echo "ok: kdsim debugger and target over KDNET run the boot script (every expect passed)"

# The same script over a serial link (unix socket), recorded by the debugger.
timeout 30 "$KDSIM" target --seed 1 "unix-listen:$WORK/s.sock" > /dev/null 2>&1 &
PIDS+=($!)
wait_for_sock() { local n=100; while [ ! -S "$WORK/s.sock" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done; }
wait_for_sock
timeout 30 "$KDSIM" debugger --script "$SCRIPT" --record "$WORK/serial.pcapng" "unix:$WORK/s.sock" > "$WORK/serial.out" 2>&1 \
  || fail "serial session: $(tail -3 "$WORK/serial.out")"
rc=0; "$KDDIFF" "$WORK/live.rec.pcapng" "$WORK/serial.pcapng" > "$WORK/rec.diff" || rc=$?
[ "$rc" = 0 ] || fail "kdsim's --record of the KDNET session differs from the serial one: $(head -20 "$WORK/rec.diff")"
echo "ok: kdsim --record of the KDNET session and the serial session compare equal"

if [ "$have_dumpcap" = 1 ]; then
  sleep 0.5; kill -INT "$dpid"; wait "$dpid" 2>/dev/null || true
  cap="$WORK/live.pcapng"
  "$KDCAT" --kdnet-key "$KEY" "$cap" > "$WORK/cap.lines" 2> "$WORK/cap.err" || fail "kdcat: $(cat "$WORK/cap.err")"
  [ ! -s "$WORK/cap.err" ] || fail "kdcat stderr: $(cat "$WORK/cap.err")"
  "$KDCAT" --json --kdnet-key "$KEY" "$cap" > "$WORK/cap.json"
  n=$(jq -s 'length' "$WORK/cap.json")
  [ "$(jq -s '[.[] | select(."kdnet.hmac.status" == 1)] | length' "$WORK/cap.json")" = "$n" ] || fail "not every datagram authenticates"
  grep -q "poke 127.0.0.1:[0-9]* -> 127.0.0.1:[0-9]*" "$WORK/cap.lines" || fail "no poke: $(head -3 "$WORK/cap.lines")"
  grep -q "response (sets the data key)" "$WORK/cap.lines" || fail "no response"
  grep -q "unused announcement (host 127.0.0.1)" "$WORK/cap.lines" || fail "no UNUSED announcement"
  ! grep -q "unexpected id\|acknowledges nothing\|bad checksum" "$WORK/cap.lines" || fail "problems: $(grep -m3 'unexpected\|acknowledges\|checksum' "$WORK/cap.lines")"
  # KDNET's ids on the wire: the target's data packets 0, 2, 4, ...; the host's 0x80000000 + 2n.
  jq -r 'select(.kind == "data") | "\(.dir) \(."kd.id")"' "$WORK/cap.json" > "$WORK/ids"
  awk '$1 == "t2d" && $2 % 2 != 0 {exit 1} $1 == "d2t" && ($2 < 2147483648 || $2 % 2 != 0) {exit 1}' "$WORK/ids" \
    || fail "ids not KDNET's: $(head -5 "$WORK/ids")"
  # The target, like Windows, runs on after the script's last Continue (its
  # next DbgPrompt reaches nobody); the session is what the debugger took
  # part in: up to its last packet.
  last=$(jq -s 'map(select(.dir == "d2t")) | last | .frame' "$WORK/cap.json")
  editcap -r "$cap" "$WORK/session.pcapng" "1-$last" 2> /dev/null || fail "editcap"
  rc=0; "$KDDIFF" --kdnet-key "$KEY" "$WORK/session.pcapng" "$WORK/serial.pcapng" > "$WORK/cap.diff" || rc=$?
  [ "$rc" = 0 ] || fail "kddiff KDNET capture vs serial session: exit $rc: $(head -20 "$WORK/cap.diff")"
  echo "ok: dumpcap of the KDNET session: $n datagrams authenticate, KDNET ids, kddiff equal to the serial session"
  # The sample in captures/ is this session (made the same way: captures/README.md).
  rc=0; "$KDDIFF" --kdnet-key "$KEY" "$KDSCOPE_SRC/captures/kdsim-kdnet.pcapng" "$WORK/session.pcapng" > "$WORK/sample.diff" || rc=$?
  [ "$rc" = 0 ] || fail "captures/kdsim-kdnet.pcapng is not this session: $(head -20 "$WORK/sample.diff")"
  echo "ok: captures/kdsim-kdnet.pcapng regenerates (the same KD session)"
else
  echo "note: no dumpcap capture on lo here: the live capture part was not run"
fi

# --- a wrong key: no session -------------------------------------------------
rc=$(LIVE_PORT= SESSION_TIMEOUT=3 kdnet_session wrong 1.2.3.5 "$KEY")
[ "$rc" != 0 ] || fail "a session with different keys"
! grep -q "^<-" "$WORK/wrong.out" || fail "the debugger heard the target with a wrong key"
rc=0; "$KDSIM" target --kdnet 1.2.x "udp:127.0.0.1:9" 2> "$WORK/badkey" || rc=$?
[ "$rc" = 2 ] && grep -q "^kdsim: --kdnet 1.2.x: 3 parts, a key has 4" "$WORK/badkey" || fail "bad key: $rc $(cat "$WORK/badkey")"
rc=0; "$KDSIM" target --kdnet "$KEY" "tcp:127.0.0.1:9" 2> "$WORK/badep" || rc=$?
[ "$rc" = 2 ] && grep -q "udp:HOST:PORT" "$WORK/badep" || fail "bad endpoint: $rc $(cat "$WORK/badep")"
echo "ok: a wrong key gives no session; a bad key or endpoint is refused in one line"
