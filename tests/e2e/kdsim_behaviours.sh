#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Other KD implementations' ways, played by kdsim (issue 13), each recorded
# three times: by the target, by kdtap relay in the middle and by the
# debugger.  The tracker's verdicts (kdcat --json problems) are the same in
# all three recordings, whatever the order in which packets and ACKs cross
# at each place, and are what the protocol's rules say.
. "$(dirname "$0")/lib.sh"
KDTAP="$KDSCOPE_BIN/kdtap"
KDSIM="$KDSCOPE_BIN/kdsim"
SCRIPTS="$KDSCOPE_SRC/tests/kdsim"
command -v jq >/dev/null || skip "jq not installed"

wait_sock() { local n=300; while [ "$n" -gt 0 ]; do [ -S "$1" ] && return 0; sleep 0.1; n=$((n - 1)); done; return 1; }

# verdicts FILE DIR: one line per item of a direction (noise aside: how a
# run of junk is cut into records depends on reads), its kind, type, id and
# problems; no_ack/no_response left out (judged at the end of a recording,
# which the three places reach at different moments).
verdicts() {
  "$KDCAT" --json "$1" | jq -r --arg d "$2" 'select(.dir == $d and .kind != "noise") |
    [.kind, (."kd.type" // "-"), (."kd.id" // "-"),
     ((.problems // []) - ["no_ack", "no_response"] | join(","))] | @tsv'
}

# run NAME SCRIPT "TARGET OPTIONS" "DEBUGGER OPTIONS"
run() {
  local name=$1 script=$2 topts=$3 dopts=$4
  "$KDSIM" target --quiet --timeout 5000 $topts --record "$WORK/$name.tgt.pcapng" "unix-listen:$WORK/$name.t.sock" &
  local tp=$!; PIDS+=("$tp")
  wait_sock "$WORK/$name.t.sock" || fail "$name: no target socket"
  "$KDTAP" relay "unix:$WORK/$name.t.sock" "unix-listen:$WORK/$name.d.sock" -w "$WORK/$name.pcapng" 2> "$WORK/$name.relay.err" &
  local kp=$!; PIDS+=("$kp")
  wait_sock "$WORK/$name.d.sock" || fail "$name: kdtap does not listen"
  local rc=0
  timeout 60 "$KDSIM" debugger --quiet --timeout 5000 $dopts --script "$script" --record "$WORK/$name.dbg.pcapng" \
    "unix:$WORK/$name.d.sock" > "$WORK/$name.out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$name: debugger exit $rc: $(tail -5 "$WORK/$name.out")"
  wait "$kp" || true; kill "$tp" 2>/dev/null || true; wait "$tp" 2>/dev/null || true
  # The same verdicts at the three places (items all three recorded).
  for d in d2t t2d; do
    for at in tgt "" dbg; do verdicts "$WORK/$name${at:+.$at}.pcapng" $d > "$WORK/$name.$d.${at:-relay}"; done
    local n; n=$(wc -l < "$WORK/$name.$d.tgt" "$WORK/$name.$d.relay" "$WORK/$name.$d.dbg" | awk '$2 != "total" {print $1}' | sort -n | head -1)
    [ "$n" -gt 3 ] || fail "$name: $d: only $n items recorded"
    for at in tgt dbg; do
      diff <(head -n "$n" "$WORK/$name.$d.relay") <(head -n "$n" "$WORK/$name.$d.$at") > "$WORK/$name.diff" \
        || fail "$name: $d: the verdicts recorded by the $at side differ from the relay's: $(head -10 "$WORK/$name.diff")"
    done
  done
  "$KDCAT" --json "$WORK/$name.pcapng" > "$WORK/$name.json"
}
# count NAME PROBLEM: items of the relay's recording with that problem
count() { jq -s --arg p "$2" '[.[] | select((.problems // []) | index($p))] | length' "$WORK/$1.json"; }
expect_count() { # NAME PROBLEM N
  local got; got=$(count "$1" "$2"); [ "$got" = "$3" ] || fail "$1: $got items with $2, expected $3"
}

# kdcom against kdcom: nothing to flag.
run plain "$SCRIPTS/boot.kds" "--seed 1" ""
for p in unexpected_id stray_ack retransmission duplicate; do expect_count plain $p 0; done
echo "ok: kdcom both ways: the same verdicts at the three places, nothing flagged"

# A target that does not stop-and-wait (a print and a prompt back to back).
run nowait "$SCRIPTS/breakin.kds" "--seed 6 --no-wait" ""
expect_count nowait unexpected_id 0
expect_count nowait stray_ack 0
early=$(jq -s '[.[] | select(.dir == "t2d" and .kind == "data")] as $v |
  [range(1; $v | length) | select($v[. - 1]."kd.session.ack_in" > $v[.].frame)] | length' "$WORK/nowait.json")
echo "ok: --no-wait: the same verdicts at the three places, no id flagged ($early packets sent before the previous one's ACK at the relay)"

# Ids that go on across RESET (both ends) break §3.5: flagged.
grep -v 'kd.id == 0x80800000' "$SCRIPTS/reset.kds" > "$WORK/reset-any-id.kds"
run keepids "$WORK/reset-any-id.kds" "--seed 1 --keep-ids-on-reset" "--keep-ids-on-reset"
[ "$(count keepids unexpected_id)" -ge 1 ] || fail "keepids: ids that go on across RESET are not flagged"
jq -e -s '[.[] | select((.problems // []) | index("unexpected_id"))] | all(.kind == "data" and ."kd.id" != 2155872256)' \
  "$WORK/keepids.json" > /dev/null || fail "keepids: a packet under 0x80800000 flagged"
echo "ok: --keep-ids-on-reset: flagged $(count keepids unexpected_id) times, the same at the three places"

# RESET answered with any id (VKD reuses its last one): RESET is RESET.
run resetid "$SCRIPTS/boot.kds" "--seed 1 --reset-id 0x12345678" ""
expect_count resetid unexpected_id 0
jq -e -s 'any(.dir == "t2d" and ."kd.type" == 6 and ."kd.id" == 305419896)' "$WORK/resetid.json" > /dev/null \
  || fail "resetid: no RESET answer with id 0x12345678"
echo "ok: --reset-id: no id flagged"

# An ACK sent after the next packet: still the ACK of its packet.
run acklate "$SCRIPTS/boot.kds" "--seed 1" "--ack-late next"
expect_count acklate stray_ack 0
expect_count acklate unexpected_id 0
jq -e -s '[.[] | select(.dir == "t2d" and .kind == "data")] | .[1:-1] | all(."kd.session.ack_in" != null)' \
  "$WORK/acklate.json" > /dev/null || fail "acklate: a target packet without its ACK (the boot packet before the RESET and the last one aside)"
echo "ok: --ack-late next: every packet acknowledged, nothing flagged"

# The boot packet (0x80800800) acked after the RESET with its own id: kdcom
# takes no such ACK (§3.3), so it is the stray one, not the real ACK after it.
run ackreset "$SCRIPTS/boot.kds" "--seed 1" "--ack-late reset"
expect_count ackreset stray_ack 1
jq -e -s '[.[] | select((.problems // []) | index("stray_ack"))][0] | ."kd.id" == 2155874304' "$WORK/ackreset.json" \
  > /dev/null || fail "ackreset: the stray ACK is not the one with the sync bit"
echo "ok: --ack-late reset: the late ACK with the sync bit acknowledges nothing; the real one does"

# RESEND that carries the damaged packet's id (id 0 in kdcom, §1.11).
run resendid "$SCRIPTS/boot.kds" "--seed 1 --resend-with-id" "--corrupt-packets 3"
jq -e -s 'any(.dir == "t2d" and ."kd.type" == 5 and ."kd.id" != 0)' "$WORK/resendid.json" > /dev/null \
  || fail "resendid: no RESEND with an id"
expect_count resendid retransmission 1
expect_count resendid unexpected_id 0
expect_count resendid stray_ack 0
echo "ok: --resend-with-id: the RESEND and the retransmission, no id flagged"

# Junk after every control packet: noise, nothing else.
run junk "$SCRIPTS/boot.kds" "--seed 1 --control-junk 5" "--control-junk 3"
[ "$(jq -s '[.[] | select(.kind == "noise")] | length' "$WORK/junk.json")" -gt 0 ] || fail "junk: no noise"
for p in unexpected_id stray_ack retransmission duplicate; do expect_count junk $p 0; done
echo "ok: --control-junk: noise, and the same verdicts as without it"
