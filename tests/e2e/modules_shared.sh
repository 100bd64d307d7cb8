#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Module-relative addresses on the real KDNET capture in ../shared (a boot
# debugger session, Windows 10 10586; not shipped): the target's LoadSymbols
# of winload.efi at 0x96f000 (size 0x17d000, frame 8) names the image the
# debugger then reads, so the reads of 0x96f000 and 0x96f0e8 (its PE
# headers) show as winload+0x0 and winload+0xe8.  GetVersion gives the same
# base as KernBase: the image keeps its name (WinDbg says winload too).
. "$(dirname "$0")/lib.sh"
cap="$KDSCOPE_SRC/../shared/captures/kdnet-windbg-win10-10586.pcapng"
[ -f "$cap" ] || skip "../shared is absent"

"$KDCAT" -q --kdnet-key 8.8.8.8 "$cap" > "$WORK/lines" 2> "$WORK/err" || fail "kdcat: $(cat "$WORK/err")"
grep -qF 'LoadSymbols "winload.efi" base winload+0x0 size 0x17d000' "$WORK/lines" || fail "LoadSymbols base"
grep -qE '^ +26 .* d2t  ReadVirtualMemory winload\+0x0 len 0x40$' "$WORK/lines" || fail "read of 0x96f000"
grep -qE '^ +30 .* d2t  ReadVirtualMemory winload\+0xe8 len 0x80$' "$WORK/lines" || fail "read of 0x96f0e8"
grep -qF 'kernel winload+0x0' "$WORK/lines" || fail "GetVersion KernBase"
# Only module-relative where the image is: nothing claims 0x96f000 + 0x17d000.
grep -q 'winload+0x17d000' "$WORK/lines" && fail "an address past the image was claimed"

"$KDCAT" -q -V --kdnet-key 8.8.8.8 "$cap" > "$WORK/tree"
grep -qF 'TargetBaseAddress: 0x000000000096f0e8 (winload+0xe8)' "$WORK/tree" || fail "-V beside the number"
"$KDCAT" -q --json --kdnet-key 8.8.8.8 "$cap" > "$WORK/json"
grep -qF '"kd.manip.read_memory.target_base_address":"0x000000000096f000","kd.manip.read_memory.target_base_address.module":"winload+0x0"' \
  "$WORK/json" || fail "--json companion"

"$KDCAT" -q --modules --kdnet-key 8.8.8.8 "$cap" > "$WORK/mods"
grep -qE '^  0x0096f000 +0x0017d000 winload +LoadSymbols +8$' "$WORK/mods" || { cat "$WORK/mods" >&2; fail "--modules"; }
echo "ok: the real capture's reads are winload+0x0 and winload+0xe8"
