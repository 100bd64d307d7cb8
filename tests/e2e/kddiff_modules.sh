#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kddiff --rebase compares addresses as module + offset when the session
# revealed the module (issue 15): two kdsim sessions whose breakpoint in hal
# moved by 0x10 differ in exactly that field, shown hal+0x2000 ->
# hal+0x2010 (kdsim's hal is at 0xfffff80003400000, from its LoadSymbols);
# the same script twice compares equal.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
KDDIFF="$KDSCOPE_BIN/kddiff"
record() { # output, breakpoint offset in hal
  cat > "$WORK/s.kds" <<KDS
reset
wait_state exception
get_version
bp kernbase+0xa0$2
continue
KDS
  rm -f "$WORK/k.sock"
  "$KDSIM" target --seed 1 --timeout 10000 --quiet "unix-listen:$WORK/k.sock" & local t=$!
  PIDS+=("$t")
  for _ in $(seq 50); do [ -S "$WORK/k.sock" ] && break; sleep 0.1; done
  "$KDSIM" debugger --timeout 10000 --quiet --fixed-clock --script "$WORK/s.kds" --record "$1" "unix:$WORK/k.sock" \
    > /dev/null || fail "kdsim debugger for $1"
  wait "$t" 2>/dev/null || true
}
# KDSIM_HAL_OFFSET is 0xa00000: kernbase+0xa02000 is hal+0x2000.
record "$WORK/a.pcapng" 2000
record "$WORK/b.pcapng" 2010
"$KDCAT" -q "$WORK/a.pcapng" | grep -qF 'WriteBreakPoint hal+0x2000' || fail "kdcat: the breakpoint is not hal+0x2000"
rc=0; "$KDDIFF" --rebase "$WORK/a.pcapng" "$WORK/a.pcapng" > "$WORK/same" || rc=$?
[ "$rc" = 0 ] || fail "the same session differs: $(cat "$WORK/same")"
rc=0; "$KDDIFF" --rebase "$WORK/a.pcapng" "$WORK/b.pcapng" > "$WORK/out" || rc=$?
[ "$rc" = 1 ] || fail "a moved breakpoint: exit $rc: $(cat "$WORK/out")"
grep -qF 'break_point_address: hal+0x2000 -> hal+0x2010' "$WORK/out" || { cat "$WORK/out" >&2; fail "no hal+0x2000 -> hal+0x2010"; }
grep -qF 'WriteBreakPoint hal+0x2010' "$WORK/out" || { cat "$WORK/out" >&2; fail "summary not module-relative"; }
echo "ok: kddiff --rebase shows a moved breakpoint as hal+0x2000 -> hal+0x2010"
