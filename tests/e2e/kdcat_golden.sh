#!/usr/bin/env bash
# kdcat on the shipped sample: text and JSON match the golden files checked
# by eye, and the raw streams of the same session decode to the same items.
. "$(dirname "$0")/lib.sh"
GOLD="$KDSCOPE_SRC/tests/golden"

check() { # golden file, kdcat options...
  local golden="$GOLD/$1"; shift
  "$KDCAT" "$@" "$SAMPLE" > "$WORK/out" || fail "kdcat $* exited $?"
  diff -u "$golden" "$WORK/out" || fail "kdcat $* differs from $golden"
}
check serial-demo.txt
check serial-demo-V.txt -V
check serial-demo.jsonl --json
check serial-demo-stats.txt --stats
"$KDCAT" --json "$SAMPLE" > "$WORK/json"

# Every line is a JSON object with the keys design.md puts first, in order.
command -v jq >/dev/null || skip "jq not installed"
jq -e -s 'all(.[]; (keys_unsorted[0:6] == ["frame","time","dir","kind","offset","length"]))' \
  "$WORK/json" >/dev/null || fail "JSON keys out of order"
# Lossless per direction: items tile each stream from offset 0.
for d in d2t t2d; do
  jq -e -s --arg d "$d" '[.[] | select(.dir == $d)] as $v |
      ([$v[] | .length] | add) as $total |
      all(range(1; $v | length); $v[.].offset == $v[. - 1].offset + $v[. - 1].length) and $v[0].offset == 0' \
    "$WORK/json" >/dev/null || fail "$d items do not tile the stream"
done

# The raw streams of the same session: same items, direction by direction.
mkdir "$WORK/raw"
"$KDSCOPE_BUILD/bin/kdsample" "$WORK/regen.pcapng" "$WORK/raw" || fail "kdsample failed"
"$KDCAT" --json --direction d2t "$WORK/raw/d2t.bin" --direction t2d "$WORK/raw/t2d.bin" > "$WORK/rawjson" \
  || fail "kdcat on raw streams exited $?"
for d in d2t t2d; do
  size=$(stat -c %s "$WORK/raw/$d.bin")
    # Framing is per direction; session problems need both directions, so
  # compare the framing problems only.
  f='select(.dir == $d) | [.kind, .offset, .length, ."kd.type", ."kd.id",
     ((.problems // []) - ["resend","reset","retransmission","duplicate","no_response","no_ack",
                           "stray_ack","unexpected_id","error_status"])]'
  jq -c --arg d "$d" "$f" "$WORK/json" > "$WORK/a.$d"
  jq -c --arg d "$d" "$f" "$WORK/rawjson" > "$WORK/b.$d"
  diff -u "$WORK/a.$d" "$WORK/b.$d" || fail "$d: pcapng and raw stream decode differently"
  sum=$(jq -s --arg d "$d" '[.[] | select(.dir == $d) | .length] | add' "$WORK/json")
  [ "$sum" = "$size" ] || fail "$d: items hold $sum bytes, the stream has $size"
done
echo "ok: golden text and JSON, lossless, raw == pcapng"

# --arch / --width override what the session shows: the x86 sample's
# context read as x86 (learned from GetVersion) or, forced, as amd64.
X86="$KDSCOPE_SRC/captures/kdsim-x86-xp.pcapng"
"$KDCAT" -V "$X86" | grep -q "^ *Eip: 0x80801000 (nt+0x1000)$" || fail "x86 sample: no x86 context"
"$KDCAT" -V --arch amd64 "$X86" > "$WORK/forced" || fail "--arch amd64 exited $?"
grep -q '^ *Rip: ' "$WORK/forced" && ! grep -q '^ *Eip: ' "$WORK/forced" \
  || fail "--arch amd64 did not decode the context as amd64"
"$KDCAT" --json --width 32 "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" > "$WORK/w32" || fail "--width 32 exited $?"
"$KDCAT" --json "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" > "$WORK/w64"
cmp -s "$WORK/w32" "$WORK/w64" && fail "--width 32 changed nothing"
echo "ok: --arch and --width override what the session shows"
