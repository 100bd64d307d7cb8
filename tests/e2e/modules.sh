#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Addresses as modules see them (issue 15): kdcat learns the modules from
# the session itself (LoadSymbols here) and shows nt+0x... / hal+0x... in
# the summary, -V and --json; --modules lists the map; --no-modules and
# addresses outside every module print as numbers.  Expected values are the
# samples' own: kdsim's amd64 kernel at 0xfffff80002a00000 (size 0x800000),
# hal at 0xfffff80003400000 (0x80000); the x86 ones at 0x80800000 (0x400000)
# and 0x81200000, sent sign-extended on the wire.
. "$(dirname "$0")/lib.sh"
CAP="$KDSCOPE_SRC/captures"
AMD64="$CAP/kdsim-amd64-boot.pcapng"
X86="$CAP/kdsim-x86-xp.pcapng"

has() { # file, fixed string, what
  grep -qF -- "$2" "$1" || { sed -n 1,40p "$1" >&2; fail "$3: no '$2'"; }
}

"$KDCAT" -q "$AMD64" > "$WORK/a.txt" || fail "kdcat exited $?"
has "$WORK/a.txt" 'LoadSymbols "\\SystemRoot\\system32\\hal.dll" base hal+0x0 size 0x80000' "LoadSymbols base"
has "$WORK/a.txt" 'Exception STATUS_BREAKPOINT at nt+0x1000, first chance' "exception address"
has "$WORK/a.txt" 'ReadVirtualMemory nt+0x300010 len 0x20' "read address"
has "$WORK/a.txt" 'WriteVirtualMemory nt+0x304000 len 0x6' "write address"
has "$WORK/a.txt" 'amd64 Rip nt+0x1000' "GetContext program counter"
has "$WORK/a.txt" 'kernel nt+0x0' "GetVersion KernBase"

"$KDCAT" -q -V "$AMD64" > "$WORK/a.V" || fail "kdcat -V exited $?"
has "$WORK/a.V" 'ProgramCounter: 0xfffff80002a01010 (nt+0x1010)' "-V program counter"
has "$WORK/a.V" 'PsLoadedModuleList: 0xfffff80002d00400 (nt+0x300400)' "-V PsLoadedModuleList"
has "$WORK/a.V" 'BaseOfDll: 0xfffff80003400000 (hal+0x0)' "-V BaseOfDll"

"$KDCAT" -q --json "$AMD64" > "$WORK/a.json" || fail "kdcat --json exited $?"
has "$WORK/a.json" '"kd.manip.read_memory.target_base_address":"0xfffff80002d00010","kd.manip.read_memory.target_base_address.module":"nt+0x300010"' "JSON companion"
has "$WORK/a.json" '"kd.exception.exception_address.module":"nt+0x1000"' "JSON exception"
if command -v jq >/dev/null; then
  jq -e . "$WORK/a.json" >/dev/null || fail "--json is not JSON any more"
fi

# The map at the end of the session.
"$KDCAT" -q --modules "$AMD64" > "$WORK/a.mods" || fail "kdcat --modules exited $?"
has "$WORK/a.mods" 'session 1: 2 modules' "--modules count"
grep -qE '^  0xfffff80002a00000 0x00800000 nt +LoadSymbols +2$' "$WORK/a.mods" || { cat "$WORK/a.mods" >&2; fail "--modules: nt"; }
grep -qE '^  0xfffff80003400000 0x00080000 hal +LoadSymbols +8$' "$WORK/a.mods" || { cat "$WORK/a.mods" >&2; fail "--modules: hal"; }

# x86: sign-extended addresses on the wire, the same module names.
"$KDCAT" -q "$X86" > "$WORK/x.txt" || fail "kdcat x86 exited $?"
has "$WORK/x.txt" 'WriteBreakPoint nt+0x2000' "x86 breakpoint"
has "$WORK/x.txt" 'x86 Eip nt+0x1000' "x86 Eip"
"$KDCAT" -q --modules "$X86" > "$WORK/x.mods"
grep -qE '^  0x80800000 +0x00400000 nt ' "$WORK/x.mods" || { cat "$WORK/x.mods" >&2; fail "x86 --modules: nt"; }
grep -qE '^  0x81200000 +0x00080000 hal ' "$WORK/x.mods" || { cat "$WORK/x.mods" >&2; fail "x86 --modules: hal"; }

# No module known, or --no-modules: numbers as before.
"$KDCAT" -q "$SAMPLE" > "$WORK/s.txt"
has "$WORK/s.txt" 'Exception STATUS_BREAKPOINT at 0xfffff80002a7d490' "serial-demo (kernel size never revealed)"
"$KDCAT" -q --no-modules "$AMD64" > "$WORK/n.txt"
grep -q 'nt+\|hal+' "$WORK/n.txt" && fail "--no-modules still shows modules"
has "$WORK/n.txt" 'ReadVirtualMemory 0xfffff80002d00010 len 0x20' "--no-modules number"
# A corrupted LoadSymbols teaches nothing: its line keeps the number.
"$KDCAT" -q "$CAP/kdsim-noisy.pcapng" > "$WORK/noisy.txt"
has "$WORK/noisy.txt" 'base 0xfffff80003400000 size 0x80000 [bad checksum]' "bad checksum not learned"
has "$WORK/noisy.txt" 'base hal+0x0 size 0x80000 [retransmission of #8]' "retransmission learned"
echo "ok: module-relative addresses in text, -V, JSON and --modules"
