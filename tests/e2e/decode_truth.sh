#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 13's findings, end to end: the first state change of every sample
# decodes its control report for the sample's architecture (kdcat, and
# tshark -2); tshark's single pass shows the cut last packet without a
# spurious "short"; one-direction input accuses nobody; kdsim's counters and
# kdcat --stats agree; the checksum preference reaches the Info column.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "jq not installed"
CAP="$KDSCOPE_SRC/captures"
KDSIM="$KDSCOPE_BIN/kdsim"
KDFEED="$KDSCOPE_BIN/kdfeed"

# The samples' architectures (captures/README.md) and a control-report
# member only that family has.
declare -A ARCH=([serial-demo]=amd64 [kdsim-amd64-boot]=amd64 [kdsim-breakin]=amd64 [kdsim-noisy]=amd64
                 [kdsim-x86-xp]=x86 [kdsim-x86-protocol32]=x86 [kdsim-arm64]=arm64)
declare -A NUM=([x86]=1 [amd64]=2 [arm64]=3)
member() { [ "$1" = arm64 ] && echo kd.control_report.bvr || echo kd.control_report.dr7; }
for s in "${!ARCH[@]}"; do
  a=${ARCH[$s]}; m=$(member "$a")
  "$KDCAT" --json "$CAP/$s.pcapng" | jq -c -n 'first(inputs | select(."kd.state.new_state" != null))' > "$WORK/first"
  jq -e --arg m "$m" --argjson n "${NUM[$a]}" '.[$m] != null and ."kd.session.arch" == $n and ."kd.control_report.raw" == null' \
    "$WORK/first" > /dev/null || fail "$s: kdcat: the first state change's control report is not $a's: $(cut -c1-300 "$WORK/first")"
done
echo "ok: kdcat: the first state change of ${#ARCH[@]} samples decodes its architecture's control report"

if command -v tshark >/dev/null && PLUGINS=$(plugin_dir); then
  for s in "${!ARCH[@]}"; do
    a=${ARCH[$s]}; m=$(member "$a"); f=$(public_copy "$CAP/$s.pcapng")
    line=$(tshark_kd -2 -r "$f" -Y kd.state.new_state -T fields -e frame.number -e kd.session.arch -e "$m" | sed -n 1p)
    set -- $line
    [ "${2:-}" = "${NUM[$a]}" ] && [ -n "${3:-}" ] || fail "$s: tshark -2: first state change '$line' is not decoded as $a"
  done
  echo "ok: tshark -2: the same for every sample"

  f=$(public_copy "$SAMPLE")
  got=$(tshark_kd -r "$f" -Y kd.expert.truncated -T fields -e frame.number | tr '\n' ' ')
  [ "$got" = "21 " ] || fail "single pass: the cut last packet is in frames '$got', not 21"
  [ "$(tshark_kd -r "$f" -Y kd | wc -l)" = 21 ] || fail "single pass: -Y kd misses frames"
  got=$(tshark_kd -2 -r "$f" -Y kd.expert.short -T fields -e frame.number | tr '\n' ' ')
  [ -z "$got" ] || fail "a cut packet is called 'ByteCount too small' (frames $got)"
  echo "ok: tshark's single pass shows the cut last packet, in -Y kd and the error filters, without 'short'"

  tshark_kd -r "$f" -Y 'frame.number == 13' | grep -q 'bad checksum' || fail "no [bad checksum] by default"
  ! tshark_kd -o kd.check_checksum:FALSE -r "$f" -Y 'frame.number == 13' | grep -q 'bad checksum' \
    || fail "kd.check_checksum:FALSE still prints [bad checksum]"
  echo "ok: the checksum preference reaches the Info column"
fi

# One direction only: nothing that needs the other side is judged.
for s in kdsim-amd64-boot kdsim-noisy serial-demo; do
  "$KDFEED" split "$CAP/$s.pcapng" "$WORK/$s.d2t" "$WORK/$s.t2d"
  for d in d2t t2d; do
    bad=$("$KDCAT" --json -d $d "$WORK/$s.$d" | jq -r '(.problems // [])[] | select(. == "stray_ack" or . == "unexpected_id" or
      . == "no_ack" or . == "no_response")' | sort | uniq -c | tr '\n' ' ')
    [ -z "$bad" ] || fail "$s: kdcat -d $d on one direction accuses the other: $bad"
  done
done
echo "ok: one-direction streams: no stray ACK, unexpected id, missing ACK or response"

# One definition of retransmission and duplicate: the sums of kdsim's two
# summaries are what kdcat --stats counts on the recording.
"$KDSIM" target --seed 1 --timeout 1000 --corrupt-packets 5,9 --drop-packets 14 "unix-listen:$WORK/n.sock" 2> "$WORK/t.err" &
tp=$!; PIDS+=("$tp")
for _ in $(seq 100); do [ -S "$WORK/n.sock" ] && break; sleep 0.1; done
"$KDSIM" debugger --timeout 2500 --corrupt-packets 7 --drop-packets 12,20 --fixed-clock \
  --script "$KDSCOPE_SRC/tests/kdsim/boot.kds" --record "$WORK/noisy.pcapng" "unix:$WORK/n.sock" > /dev/null 2> "$WORK/d.err" \
  || fail "noisy session: $(cat "$WORK/d.err")"
wait "$tp" || true
sum() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" "$WORK/t.err" "$WORK/d.err" | awk '{s += $1} END {print s + 0}'; }
stat() { "$KDCAT" --stats "$WORK/noisy.pcapng" | awk -v k="$1" '$1 == k {print $2}'; }
[ "$(sum retransmitted)" = "$(stat retransmissions)" ] || fail "kdsim says $(sum retransmitted) retransmitted, kdcat $(stat retransmissions)"
[ "$(sum duplicates)" = "$(stat duplicates)" ] || fail "kdsim says $(sum duplicates) duplicates, kdcat $(stat duplicates)"
[ "$(stat duplicates)" -gt 0 ] || fail "the noisy session has no duplicate"
echo "ok: kdsim and kdcat --stats count $(stat retransmissions) retransmissions, $(stat duplicates) of them duplicates"

