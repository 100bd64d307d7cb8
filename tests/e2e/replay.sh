#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kdsim replay: a recorded session plays one side against a live peer.
# Round trips with kdsim's target and debugger (the samples were recorded
# by them), another order, a request never recorded, faults on the live
# side, every sample in both directions, and bad input.  Unix sockets in
# the test's own directory, so parallel runs do not collide.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
KDDIFF="$KDSCOPE_BIN/kddiff"
CAP="$KDSCOPE_SRC/captures"
SCRIPTS="$KDSCOPE_SRC/tests/kdsim"
T=60

wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }

# target_replay NAME SESSION "REPLAY OPTIONS" SCRIPT "DEBUGGER OPTIONS": replay --as
# target against kdsim debugger; sets drc (debugger) and rrc (replay).
target_replay() {
  local name=$1 session=$2 ropts=$3 script=$4 dopts=$5
  timeout $T "$KDSIM" replay --as target --quiet $ropts "$session" "unix-listen:$WORK/$name.sock" \
    > "$WORK/$name.report" 2> "$WORK/$name.rerr" & local rp=$!
  wait_sock "$WORK/$name.sock" || fail "$name: no socket"
  drc=0; timeout $T "$KDSIM" debugger $dopts --script "$script" "unix:$WORK/$name.sock" \
    > "$WORK/$name.out" 2> "$WORK/$name.err" || drc=$?
  rrc=0; wait "$rp" || rrc=$?
}

# debugger_replay NAME SESSION "TARGET OPTIONS" "REPLAY OPTIONS": replay --as debugger
# against kdsim target, recording WORK/NAME.new; sets rrc.
debugger_replay() {
  local name=$1 session=$2 topts=$3 ropts=$4
  timeout $T "$KDSIM" target --quiet $topts "unix-listen:$WORK/$name.sock" 2> "$WORK/$name.terr" & local tp=$!
  wait_sock "$WORK/$name.sock" || fail "$name: no socket"
  rrc=0; timeout $T "$KDSIM" replay --as debugger --quiet $ropts "$session" "unix:$WORK/$name.sock" \
    --record "$WORK/$name.new" > "$WORK/$name.report" 2> "$WORK/$name.rerr" || rrc=$?
  kill "$tp" 2>/dev/null || true; wait "$tp" 2>/dev/null || true
}

BOOT="$CAP/kdsim-amd64-boot.pcapng" # kdsim target --seed 1 <-> kdsim debugger boot.kds

# 1. As target, to the debugger script that made the recording: every expect
# passes, every request is answered as recorded, the answers byte for byte
# (the target's byte stream is the recorded one).
target_replay same "$BOOT" "--record $WORK/same.pcapng" "$SCRIPTS/boot.kds" ""
[ "$drc" = 0 ] || fail "same script: debugger exit $drc: $(tail -3 "$WORK/same.err")"
[ "$rrc" = 0 ] || fail "same script: replay exit $rrc: $(cat "$WORK/same.report" "$WORK/same.rerr")"
n=$(grep -c '   ok: ' "$WORK/same.out"); [ "$n" = 11 ] || fail "same script: $n expects passed, not 11"
grep -q '^replay as target: 14 requests (4 resumes): 14 as recorded, 0 with other content, 0 repeated, 0 not recorded' "$WORK/same.report" \
  || fail "same script: $(cat "$WORK/same.report")"
grep -q '0 recorded requests never asked; 0 ignored while running; 6 of 6 target events sent' "$WORK/same.report" \
  || fail "same script: $(cat "$WORK/same.report")"
# What the target sent, as one byte stream, is the recorded one.
"$KDSCOPE_BUILD/bin/kdfeed" split "$BOOT" "$WORK/boot.d2t" "$WORK/boot.t2d"
"$KDSCOPE_BUILD/bin/kdfeed" split "$WORK/same.pcapng" "$WORK/same.d2t" "$WORK/same.t2d"
cmp "$WORK/boot.t2d" "$WORK/same.t2d" || fail "same script: the target's bytes differ from the recording's"
echo "ok: replay --as target to the recorded script: $n expects pass, 14/14 requests as recorded, byte for byte"

# 2. Another order: the right answers still (every expect), nothing unmatched.
target_replay reorder "$BOOT" "" "$SCRIPTS/boot-reordered.kds" ""
[ "$drc" = 0 ] || fail "reordered: debugger exit $drc: $(tail -3 "$WORK/reorder.err") $(tail -3 "$WORK/reorder.out")"
[ "$rrc" = 0 ] || fail "reordered: replay exit $rrc: $(cat "$WORK/reorder.report")"
n=$(grep -c "   ok: " "$WORK/reorder.out"); [ "$n" = 10 ] || fail "reordered: $n expects"
grep -q ': 14 as recorded, 0 with other content, 0 repeated, 0 not recorded' "$WORK/reorder.report" || fail "reordered: $(cat "$WORK/reorder.report")"
echo "ok: a debugger asking in another order gets the right answers ($n expects)"

# 3. A request never recorded: STATUS_UNSUCCESSFUL, reported; the recorded
# ones the script skips are reported never asked; exit 1.
target_replay unrec "$BOOT" "--json" "$SCRIPTS/boot-unrecorded.kds" ""
[ "$drc" = 0 ] || fail "unrecorded: debugger exit $drc: $(tail -3 "$WORK/unrec.err") $(tail -3 "$WORK/unrec.out")"
[ "$rrc" = 1 ] || fail "unrecorded: replay exit $rrc, not 1"
grep -q '"kind":"not_recorded","frame":null,"stop":3,"summary":"ReadVirtualMemory 0xfffff80002b23000 len 0x10"' "$WORK/unrec.report" \
  || fail "unrecorded: $(cat "$WORK/unrec.report")"
[ "$(grep -c '"kind":"never_asked"' "$WORK/unrec.report")" = 0 ] || fail "unrecorded: never asked listed: $(cat "$WORK/unrec.report")"
tail -1 "$WORK/unrec.report" | grep -q '"kind":"summary","as":"target","requests":15,"resumes":4,"matched":14,"changed":0,"repeated":0,"not_recorded":1,"never_asked":0' \
  || fail "unrecorded summary: $(tail -1 "$WORK/unrec.report")"
echo "ok: a request never recorded is answered STATUS_UNSUCCESSFUL and reported (15 asked, 14 matched, 1 not recorded)"
# --unknown-status, and a script that asks less: the rest never asked.
target_replay status "$BOOT" "--unknown-status STATUS_NOT_FOUND" "$SCRIPTS/arch.kds" ""
[ "$rrc" = 1 ] || fail "--unknown-status: replay exit $rrc"
grep -q 'STATUS_NOT_FOUND' "$WORK/status.report" || fail "--unknown-status: $(cat "$WORK/status.report")"
grep -q 'never asked: stop 3: #22 ReadVirtualMemory' "$WORK/status.report" || fail "never asked: $(cat "$WORK/status.report")"
echo "ok: --unknown-status names the reply; recorded requests the debugger skipped are listed never asked"

# 4. As debugger against kdsim target: the same seed records a session
# kddiff finds equal; another seed one it finds different, in exactly the
# values the seed draws (image checksums, registers, the DbgPrint tick),
# nothing else (the reads of the image and KDBG, GetVersion are the same).
debugger_replay seed1 "$BOOT" "--seed 1" ""
[ "$rrc" = 0 ] || fail "as debugger, seed 1: exit $rrc: $(cat "$WORK/seed1.report" "$WORK/seed1.rerr")"
"$KDDIFF" "$BOOT" "$WORK/seed1.new" > "$WORK/seed1.diff" || fail "seed 1: kddiff differs: $(head -20 "$WORK/seed1.diff")"
echo "ok: replay --as debugger against kdsim target --seed 1: kddiff finds the new session equal"
debugger_replay seed9 "$BOOT" "--seed 9" ""
[ "$rrc" = 0 ] || fail "as debugger, seed 9: exit $rrc"
rc=0; "$KDDIFF" --json "$BOOT" "$WORK/seed9.new" > "$WORK/seed9.json" || rc=$?
[ "$rc" = 1 ] || fail "seed 9: kddiff exit $rc"
fields=$(grep -o '"field":"[^"]*"' "$WORK/seed9.json" | sort -u | sed 's/"field"://; s/"//g' | tr '\n' ' ')
for f in $fields; do
  case $f in kd.load_symbols.check_sum|kd.context.r*|kd.debug_io.string) ;; *) fail "seed 9: unexpected difference in $f";; esac
done
echo "$fields" | grep -q kd.load_symbols.check_sum || fail "seed 9: the image checksum did not differ: $fields"
echo "$fields" | grep -q kd.context.rax || fail "seed 9: the registers did not differ: $fields"
echo "ok: with --seed 9 kddiff finds exactly the seed's values different: $fields"

# 5. Faults on the live side: the replay still completes.
faults="--noise 0.0005 --drop 0.05 --timeout 150 --seed 3"
target_replay faulty "$BOOT" "--timeout 200" "$SCRIPTS/boot.kds" "$faults"
[ "$drc" = 0 ] && [ "$rrc" = 0 ] || fail "faulty debugger: debugger $drc replay $rrc: $(cat "$WORK/faulty.report") $(tail -3 "$WORK/faulty.err")"
debugger_replay faulty2 "$BOOT" "--seed 1 --noise 0.0005 --drop 0.05 --timeout 150" "--timeout 200"
[ "$rrc" = 0 ] || fail "faulty target: replay exit $rrc: $(cat "$WORK/faulty2.report")"
"$KDDIFF" "$BOOT" "$WORK/faulty2.new" > /dev/null || fail "faulty target: kddiff differs"
echo "ok: with --drop and --noise on the live peer both directions complete"

# 6. Every sample, both directions: against kdsim (the options it was made
# with), and replay against replay (target side of one, debugger of the other).
while IFS='|' read -r name topts script key; do
  s="$CAP/$name.pcapng"
  debugger_replay "$name.d" "$s" "$topts" "--wait 2000 $key"
  if [ "$script" = - ]; then
    # Not made by kdsim: its DbgPrint while stopped is one kdsim target never sends.
    [ "$rrc" = 1 ] && grep -q 'not sent by the target: stop 1: #17 DbgPrint' "$WORK/$name.d.report" \
      || fail "$name: as debugger against kdsim target: exit $rrc: $(cat "$WORK/$name.d.report")"
  else
    [ "$rrc" = 0 ] || fail "$name: as debugger against kdsim target: exit $rrc: $(cat "$WORK/$name.d.report")"
    "$KDDIFF" $key "$s" "$WORK/$name.d.new" > /dev/null || fail "$name: kddiff finds the new session different"
    target_replay "$name.t" "$s" "$key" "$SCRIPTS/$script" ""
    [ "$drc" = 0 ] && [ "$rrc" = 0 ] || fail "$name: as target to $script: debugger $drc replay $rrc: $(cat "$WORK/$name.t.report")"
  fi
  timeout $T "$KDSIM" replay --as target --quiet $key "$s" "unix-listen:$WORK/$name.r.sock" > "$WORK/$name.r.report" 2>&1 & rp=$!
  wait_sock "$WORK/$name.r.sock" || fail "$name: no socket"
  rc=0; timeout $T "$KDSIM" replay --as debugger --quiet $key "$s" "unix:$WORK/$name.r.sock" --record "$WORK/$name.r.new" > /dev/null 2>&1 || rc=$?
  rc2=0; wait "$rp" || rc2=$?
  [ "$rc" = 0 ] && [ "$rc2" = 0 ] || fail "$name: replay against replay: debugger $rc target $rc2: $(cat "$WORK/$name.r.report")"
  "$KDDIFF" $key "$s" "$WORK/$name.r.new" > /dev/null || fail "$name: replay against replay: kddiff differs"
  echo "ok: $name replays in both directions"
done <<'SAMPLES'
kdsim-amd64-boot|--seed 1|boot.kds
kdsim-x86-xp|--seed 2 --arch x86 --build 2600|arch.kds
kdsim-x86-protocol32|--seed 3 --arch x86 --protocol 32|arch.kds
kdsim-arm64|--seed 4 --arch arm64|arch.kds
kdsim-noisy|--seed 1|boot.kds
kdsim-breakin|--seed 6|breakin.kds
kdsim-modules|--seed 7 --kaslr|modules.kds
serial-demo|--seed 1|-
kdsim-kdnet|--seed 1|boot.kds|--kdnet-key 1.2.3.4
SAMPLES
[ "$(ls "$CAP"/*.pcapng | wc -l)" = 9 ] || fail "a sample in captures/ is not in this test's list"

# 7. --until: the debugger stops early; kddiff shows what is left out.
debugger_replay until "$BOOT" "--seed 1" "--until 20"
[ "$rrc" = 0 ] || fail "--until: exit $rrc: $(cat "$WORK/until.report")"
rc=0; "$KDDIFF" --stat "$BOOT" "$WORK/until.new" > "$WORK/until.stat" || rc=$?
[ "$rc" = 1 ] && grep -q 'GetContext' "$WORK/until.stat" || fail "--until: $(cat "$WORK/until.stat")"
echo "ok: --until stops early"

# 8. Bad input: one line, exit 2.
bad() { # EXPECTED-TEXT ARGS...
  local want=$1 rc=0; shift
  timeout 20 "$KDSIM" replay "$@" > "$WORK/bad.out" 2> "$WORK/bad.err" || rc=$?
  [ "$rc" = 2 ] || fail "bad input ($*): exit $rc"
  [ "$(wc -l < "$WORK/bad.err")" = 1 ] && grep -qF -- "$want" "$WORK/bad.err" || fail "bad input ($*): $(cat "$WORK/bad.err")"
}
bad 'no debugger requests: nothing to replay as debugger' --as debugger -d t2d "$WORK/boot.t2d" "unix:$WORK/none.sock"
bad 'the target side is missing' --as target -d d2t "$WORK/boot.d2t" "unix:$WORK/none.sock"
bad "unix:$WORK/none.sock: " --as debugger "$BOOT" "unix:$WORK/none.sock"
bad 'No such file' --as target "$WORK/nothing.pcapng" "unix:$WORK/none.sock"
bad '--as target or --as debugger is required' "$BOOT" "unix:$WORK/none.sock"
bad "is not a number or an NTSTATUS name" --as target --unknown-status FROB "$BOOT" "unix:$WORK/none.sock"
echo "ok: bad input: one line, exit 2"
