#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kdsim replay over KDNET (issue 16 item 3): replay --as target --kdnet KEY
# of a serial recording, on udp:, to kdsim debugger --kdnet KEY on
# udp-listen: with the script that made the recording: the handshake, every
# expect passes, every request answered as recorded; a wrong key never
# completes the handshake.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
BOOT="$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" # kdsim target --seed 1 <-> kdsim debugger boot.kds
SCRIPT="$KDSCOPE_SRC/tests/kdsim/boot.kds"
KEY=1.2.3.4

# session NAME REPLAY-KEY DEBUGGER-KEY: sets drc and rrc.
session() {
  local name=$1 rkey=$2 dkey=$3 port=$((20000 + RANDOM % 20000))
  timeout "${T:-30}" "$KDSIM" debugger --kdnet "$dkey" --script "$SCRIPT" "udp-listen:127.0.0.1:$port" \
    > "$WORK/$name.out" 2> "$WORK/$name.err" & local dp=$!
  timeout "${T:-30}" "$KDSIM" replay --as target --kdnet "$rkey" --poke-interval 300 "$BOOT" "udp:127.0.0.1:$port" \
    > "$WORK/$name.report" 2> "$WORK/$name.rerr" & local rp=$!
  drc=0; wait "$dp" || drc=$?
  rrc=0; wait "$rp" || rrc=$?
}

session same "$KEY" "$KEY"
[ "$drc" = 0 ] || fail "debugger exit $drc: $(tail -3 "$WORK/same.err")"
[ "$rrc" = 0 ] || fail "replay exit $rrc: $(cat "$WORK/same.report" "$WORK/same.rerr")"
grep -q '^kdsim: KDNET: handshake done on udp:127.0.0.1' "$WORK/same.rerr" || fail "no handshake: $(cat "$WORK/same.rerr")"
n=$(grep -c '   ok: ' "$WORK/same.out"); [ "$n" = 11 ] || fail "$n expects passed, not 11"
grep -q '^replay as target: 14 requests (4 resumes): 14 as recorded, 0 with other content, 0 repeated, 0 not recorded' \
  "$WORK/same.report" || fail "report: $(cat "$WORK/same.report")"
echo "ok: replay --as target over KDNET: handshake, 11 expects pass, 14/14 requests as recorded"

# The other direction: replay --as debugger --kdnet KEY on udp-listen:
# drives kdsim target --kdnet KEY (seed 1, as recorded) on udp:; the new
# session kddiff finds equal to the recording.
port=$((20000 + RANDOM % 20000))
timeout 30 "$KDSIM" replay --as debugger --kdnet "$KEY" --quiet "$BOOT" "udp-listen:127.0.0.1:$port" \
  --record "$WORK/d.pcapng" > "$WORK/d.report" 2> "$WORK/d.rerr" & rp=$!
timeout 30 "$KDSIM" target --kdnet "$KEY" --seed 1 --poke-interval 300 "udp:127.0.0.1:$port" \
  > "$WORK/d.tout" 2> "$WORK/d.terr" & tp=$!
rrc=0; wait "$rp" || rrc=$?
wait "$tp" 2> /dev/null || true
[ "$rrc" = 0 ] || fail "replay --as debugger over KDNET: exit $rrc: $(cat "$WORK/d.report" "$WORK/d.rerr")"
rc=0; "$KDSCOPE_BIN/kddiff" "$BOOT" "$WORK/d.pcapng" > "$WORK/d.diff" || rc=$?
[ "$rc" = 0 ] || fail "replay --as debugger over KDNET: kddiff exit $rc: $(head -20 "$WORK/d.diff")"
echo "ok: replay --as debugger over KDNET: the new session is the recorded one"

# A wrong key: no handshake, so no session (both sides stopped by timeout).
T=3 session wrong 1.2.3.5 "$KEY"
[ "$drc" = 124 ] || fail "wrong key: debugger exit $drc, not killed by the timeout"
! grep -q "handshake done" "$WORK/wrong.rerr" || fail "wrong key: a handshake: $(cat "$WORK/wrong.rerr")"
echo "ok: a wrong key gives no session"
echo PASS
