#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin shows addresses as modules see them (issue 15): a generated
# kd.session.module / kd.session.module_offset under each address a known
# module holds (filterable), nt+0x... beside the value and in the Info
# column.  The amd64 sample's kernel is at 0xfffff80002a00000, hal at
# 0xfffff80003400000 (its LoadSymbols).
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built (no Wireshark development files)"
f=$(public_copy "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng")

tshark_kd -2 -r "$f" > "$WORK/lines" 2>&1
grep -qF 'Exception STATUS_BREAKPOINT at nt+0x1000, first chance' "$WORK/lines" || { head -20 "$WORK/lines" >&2; fail "Info: exception"; }
grep -qF 'ReadVirtualMemory nt+0x300010 len 0x20' "$WORK/lines" || fail "Info: read"
# One pass (tshark without -2): what the first pass learned so far.
tshark_kd -r "$f" > "$WORK/lines1" 2>&1
grep -qF 'LoadSymbols "\\SystemRoot\\system32\\hal.dll" base hal+0x0' "$WORK/lines1" || fail "one pass: LoadSymbols"

# Filterable: the hal LoadSymbols (frame 8, and its BaseOfDll) only.
tshark_kd -2 -r "$f" -Y 'kd.session.module == "hal"' -T fields -e frame.number > "$WORK/hal" 2>&1
[ "$(tr '\n' ' ' < "$WORK/hal")" = "8 " ] || fail "kd.session.module == \"hal\": $(cat "$WORK/hal")"
tshark_kd -2 -r "$f" -Y 'frame.number == 24' -T fields -e kd.session.module -e kd.session.module_offset > "$WORK/f24" 2>&1
[ "$(cat "$WORK/f24")" = "$(printf 'nt\t0x0000000000300010')" ] || fail "frame 24 module fields: $(cat "$WORK/f24")"
tshark_kd -2 -r "$f" -V -Y 'frame.number == 24' > "$WORK/tree" 2>&1
grep -qF 'TargetBaseAddress: 0xfffff80002d00010 (nt+0x300010)' "$WORK/tree" || { cat "$WORK/tree" >&2; fail "-V beside the value"; }
grep -qF '[Module: nt]' "$WORK/tree" || fail "-V: no generated Module"
grep -qF '[Module offset: 0x0000000000300010]' "$WORK/tree" || fail "-V: no generated Module offset"
echo "ok: the plugin's module fields, tree and Info column"
