#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/check-wireshark: on the installed Wireshark's headers it compiles
# the plugin's sources, and the probe of every name ws_compat.h gives, and
# names that version; a tree whose version and
# headers disagree fails, naming the files; bad use is refused.
. "$(dirname "$0")/lib.sh"
CHECK="$KDSCOPE_SRC/scripts/check-wireshark"
inc=$(pkg-config --variable=includedir wireshark 2> /dev/null || true)
[ -n "$inc" ] && [ -f "$inc/wireshark.h" ] || inc=/usr/include/wireshark
[ -f "$inc/wireshark.h" ] || skip "Wireshark's headers are not installed"
version=$(awk '$2 ~ /^WIRESHARK_VERSION_(MAJOR|MINOR|MICRO)$/ {printf "%s%s", sep, $3; sep="."}' "$inc/ws_version.h")
[ -n "$version" ] || fail "no version in $inc/ws_version.h"

PROBE="$KDSCOPE_SRC/tests/tools/ws_compat_probe.c"
"$CHECK" "$inc" "$PROBE" > "$WORK/out" 2> "$WORK/err" || fail "the installed headers: exit $?: $(cat "$WORK/err")"
grep -q "^check-wireshark: Wireshark $version ($inc): dissector/kd-stats.c dissector/packet-kd.c dissector/packet-kdnet.c dissector/plugin.c tests/tools/ws_compat_probe.c compile without a warning" \
  "$WORK/out" || fail "the installed headers: $(cat "$WORK/out")"
echo "ok: $(cat "$WORK/out")"

# The same headers, said to be one minor version on: ws_compat.h then picks
# the other version's names, which these headers do not have.
cp -r "$inc" "$WORK/next"
minor=$(awk '$2 == "WIRESHARK_VERSION_MINOR" {print $3}' "$inc/ws_version.h")
sed -i "s/^#define WIRESHARK_VERSION_MINOR .*/#define WIRESHARK_VERSION_MINOR $((minor + 2))/" "$WORK/next/ws_version.h"
rc=0; "$CHECK" "$WORK/next" > "$WORK/out" 2> "$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "^check-wireshark: Wireshark ${version%%.*}\.$((minor + 2))\.[0-9]* ($WORK/next): .*dissector/plugin.c did not compile without a warning" "$WORK/err" \
  || fail "a tree that is not what it says: exit $rc: $(tail -3 "$WORK/err")"
echo "ok: headers that are not the version they say fail, with the files named"

rc=0; "$CHECK" > /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "^usage: check-wireshark INCLUDE_DIR \[FILE.c...\]" "$WORK/err" || fail "no argument: $rc $(cat "$WORK/err")"
mkdir "$WORK/empty"
rc=0; "$CHECK" "$WORK/empty" > /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/err")" = "check-wireshark: $WORK/empty: no wireshark.h (give the folder that holds wireshark.h, ws_version.h, epan/ and wsutil/)" ] \
  || fail "a folder without headers: $rc $(cat "$WORK/err")"
echo "ok: no argument, a folder without Wireshark's headers: refused with the reason"
