#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two KASLR boots of the same kdsim target (issue 15 item 4): --seed 5 with
# --kaslr=1 and --kaslr=2 put nt, hal, kdcom and kdtest.sys at independent
# bases.  The debugger walks the module list (script command "modules") and
# breaks in the driver.  kdcat --modules finds the four modules at the bases
# the debugger's walk printed (two readers of the same replies: kdsim's
# script and kdparse's module map) and GetVersion / LoadSymbols reported;
# kddiff --rebase finds the two boots equal where plain kddiff does not;
# a breakpoint moved by 0x20 in the driver shows as kdtest+0x1100 ->
# kdtest+0x1120 on both sides.  The list entries the debugger read hold
# absolute pointers that differ; --rebase compares the pointer-sized words
# of memory a module holds as module and offset, so they compare equal too.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
KDDIFF="$KDSCOPE_BIN/kddiff"
record() { # NAME KASLR_SEED BREAKPOINT_OFFSET
  cat > "$WORK/$1.kds" <<KDS
reset
wait_state exception
get_version
modules
expect modules == 4
bp kdtest+$3
expect kd.manip.return_status == 0
continue
wait_state exception
expect kd.exception.exception_address == kdtest+$3
bc 1
continue
wait_io print
KDS
  rm -f "$WORK/k.sock"
  "$KDSIM" target --seed 5 --kaslr="$2" --timeout 10000 --quiet "unix-listen:$WORK/k.sock" & local t=$!
  PIDS+=("$t")
  for _ in $(seq 50); do [ -S "$WORK/k.sock" ] && break; sleep 0.1; done
  "$KDSIM" debugger --timeout 10000 --fixed-clock --script "$WORK/$1.kds" --record "$WORK/$1.pcapng" \
    "unix:$WORK/k.sock" > "$WORK/$1.log" 2>&1 || fail "kdsim debugger for $1: $(tail -3 "$WORK/$1.log")"
  wait "$t" 2>/dev/null || true
}
record a 1 0x1100
record b 2 0x1100
record c 2 0x1120

# kdcat --modules: nt, hal, kdcom, kdtest at the walk's bases and sizes.
for s in a b; do
  "$KDCAT" --modules "$WORK/$s.pcapng" > "$WORK/$s.mods"
  for name in nt hal kdcom kdtest; do
    walk=$(awk -v n="$name" '$1 == "module" && $4 == n {print $2, $3}' "$WORK/$s.log")
    [ -n "$walk" ] || fail "$s: the debugger's walk did not print $name: $(cat "$WORK/$s.log")"
    got=$(awk -v n="$name" '$3 == n {print $1, $2}' "$WORK/$s.mods")
    [ "$got" = "$walk" ] || fail "$s: kdcat --modules has $name at '$got', the walk '$walk': $(cat "$WORK/$s.mods")"
  done
  # The list agrees with GetVersion's KernBase and hal's LoadSymbols.
  kern=$(awk '$3 == "nt" {print $1}' "$WORK/$s.mods")
  "$KDCAT" --no-modules -q "$WORK/$s.pcapng" > "$WORK/$s.raw"
  grep -q "GetVersion -> STATUS_SUCCESS.*kernel $kern" "$WORK/$s.raw" || fail "$s: GetVersion's KernBase is not $kern"
  hal=$(awk '$3 == "hal" {print $1}' "$WORK/$s.mods")
  grep -q "LoadSymbols .*hal.dll\" base $hal " "$WORK/$s.raw" || fail "$s: hal's LoadSymbols is not at $hal"
  grep -q "kdcom .*PsLoadedModuleList" "$WORK/$s.mods" && grep -q "kdtest .*PsLoadedModuleList" "$WORK/$s.mods" \
    || fail "$s: kdcom and kdtest not learned from the list: $(cat "$WORK/$s.mods")"
done
# Two boots: every module elsewhere, and the driver not just slid with nt.
for name in nt hal kdcom kdtest; do
  x=$(awk -v n="$name" '$3 == n {print $1}' "$WORK/a.mods"); y=$(awk -v n="$name" '$3 == n {print $1}' "$WORK/b.mods")
  [ "$x" != "$y" ] || fail "$name at $x in both boots"
done
da=$(( $(awk '$3 == "kdtest" {print $1}' "$WORK/a.mods") - $(awk '$3 == "nt" {print $1}' "$WORK/a.mods") ))
db=$(( $(awk '$3 == "kdtest" {print $1}' "$WORK/b.mods") - $(awk '$3 == "nt" {print $1}' "$WORK/b.mods") ))
[ "$da" != "$db" ] || fail "kdtest moved with nt: the bases are not independent"
"$KDCAT" -q "$WORK/a.pcapng" | grep -qF 'WriteBreakPoint kdtest+0x1100' || fail "kdcat: the breakpoint is not kdtest+0x1100"
echo "ok: two --kaslr boots: nt, hal, kdcom, kdtest at independent bases, kdcat --modules agrees with the walk, GetVersion and LoadSymbols"

rc=0; "$KDDIFF" "$WORK/a.pcapng" "$WORK/b.pcapng" > "$WORK/plain" || rc=$?
[ "$rc" = 1 ] || fail "plain kddiff of two boots: exit $rc, expected 1"
rc=0; "$KDDIFF" --rebase "$WORK/a.pcapng" "$WORK/b.pcapng" > "$WORK/rebased" || rc=$?
[ "$rc" = 0 ] || fail "kddiff --rebase of two boots: exit $rc: $(head -30 "$WORK/rebased")"
echo "ok: kddiff finds the two boots different, kddiff --rebase the same"

rc=0; "$KDDIFF" --rebase "$WORK/a.pcapng" "$WORK/c.pcapng" > "$WORK/moved" || rc=$?
[ "$rc" = 1 ] || fail "a moved breakpoint: exit $rc: $(cat "$WORK/moved")"
grep -qF 'break_point_address: kdtest+0x1100 -> kdtest+0x1120' "$WORK/moved" || { cat "$WORK/moved" >&2; fail "no kdtest+0x1100 -> kdtest+0x1120"; }
grep -qF 'exception_address: kdtest+0x1100 -> kdtest+0x1120' "$WORK/moved" || { cat "$WORK/moved" >&2; fail "the hit is not kdtest+0x1100 -> kdtest+0x1120"; }
echo "ok: a breakpoint moved by 0x20 in the driver shows as kdtest+0x1100 -> kdtest+0x1120"

# Issue 16: the recorded debugger replayed against the same target booted
# elsewhere (--kaslr=2) asks the same absolute addresses.  kddiff finds the
# new session different at exactly the addresses that moved: plainly, only
# address fields (and the read of the list head, now at no module, failing);
# with --rebase, only that read, named as what it was (nt+0x...) -> a bare
# number, and its reply.
cat > "$WORK/walk.kds" <<KDS
reset
wait_state exception
get_version
modules
expect modules == 4
continue
KDS
rm -f "$WORK/k.sock"
"$KDSIM" target --seed 5 --kaslr=1 --timeout 10000 --quiet "unix-listen:$WORK/k.sock" & t=$!
PIDS+=("$t")
for _ in $(seq 50); do [ -S "$WORK/k.sock" ] && break; sleep 0.1; done
"$KDSIM" debugger --timeout 10000 --fixed-clock --script "$WORK/walk.kds" --record "$WORK/w.pcapng" \
  "unix:$WORK/k.sock" > "$WORK/w.log" 2>&1 || fail "kdsim debugger (walk): $(tail -3 "$WORK/w.log")"
wait "$t" 2>/dev/null || true
rm -f "$WORK/k.sock"
"$KDSIM" target --seed 5 --kaslr=2 --timeout 10000 --quiet "unix-listen:$WORK/k.sock" & t=$!
PIDS+=("$t")
for _ in $(seq 50); do [ -S "$WORK/k.sock" ] && break; sleep 0.1; done
rc=0; timeout 30 "$KDSIM" replay --as debugger --quiet "$WORK/w.pcapng" "unix:$WORK/k.sock" \
  --record "$WORK/wr.pcapng" > "$WORK/wr.log" 2>&1 || rc=$?
wait "$t" 2>/dev/null || true
[ -s "$WORK/wr.pcapng" ] || fail "replay --as debugger against --kaslr=2 recorded nothing (exit $rc): $(cat "$WORK/wr.log")"
fields() { grep -E '^ +kd\.' "$1" | sed 's/^ *//; s/:.*//' | sort -u; }
rc=0; "$KDDIFF" "$WORK/w.pcapng" "$WORK/wr.pcapng" > "$WORK/wplain" || rc=$?
[ "$rc" = 1 ] || fail "kddiff of the replayed session: exit $rc, expected 1"
other=$(fields "$WORK/wplain" | grep -vxE 'kd\.state\.(thread|program_counter)|kd\.load_symbols\.base_of_dll|kd\.exception\.exception_address|kd\.manip\.get_version64\.(kern_base|ps_loaded_module_list|debugger_data_list)|kd\.manip\.return_status|kd\.manip\.read_memory\.(actual_bytes_read|data)' || true)
[ -z "$other" ] || fail "kddiff of the replayed session: fields other than moved addresses differ: $other"
fields "$WORK/wplain" | grep -qx 'kd.manip.get_version64.kern_base' || fail "kddiff of the replayed session: KernBase not among the differences"
rc=0; "$KDDIFF" --rebase "$WORK/w.pcapng" "$WORK/wr.pcapng" > "$WORK/wrebased" || rc=$?
[ "$rc" = 1 ] || fail "kddiff --rebase of the replayed session: exit $rc, expected 1"
other=$(fields "$WORK/wrebased" | grep -vxE 'kd\.manip\.read_memory\.(target_base_address|actual_bytes_read|data)|kd\.manip\.return_status' || true)
[ -z "$other" ] || fail "kddiff --rebase of the replayed session: unexpected fields: $other"
grep -qE 'read_memory\.target_base_address: nt\+0x[0-9a-f]+ -> 0x[0-9a-f]+$' "$WORK/wrebased" \
  || { cat "$WORK/wrebased" >&2; fail "kddiff --rebase does not name the moved read as nt+0x... -> a number"; }
echo "ok: replay --as debugger against the target booted elsewhere differs at exactly the addresses that moved"
