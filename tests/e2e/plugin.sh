#!/usr/bin/env bash
# The Wireshark plugin, as a user meets it through tshark: it loads, its
# fields are the schema's, it decodes the sample as the golden outputs say
# and as kdcat does (every field of every packet), flags the problems as
# expert infos, and fills Statistics -> KD.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built (no Wireshark development files)"
command -v jq >/dev/null || skip "jq not installed"
GOLD="$KDSCOPE_SRC/tests/golden"
f=$(public_copy "$SAMPLE")

tshark_kd -G plugins | grep -q '^kd\.so' || fail "tshark -G plugins does not list kd.so"

# Every schema field is a Wireshark field of the same name, and no other
# (besides the bits of bitmask fields, checked in plugin_tree.sh).
"$KDCAT" --list-fields | cut -f1 | sort > "$WORK/schema"
tshark_kd -G fields | awk -F'\t' '$1 == "F" && $3 ~ /^kd\./ && $3 !~ /^kd\.expert\./ && $7 == "0x0" {print $3}' | sort > "$WORK/ws"
diff -u "$WORK/schema" "$WORK/ws" || fail "Wireshark's kd.* fields differ from the schema"
echo "ok: $(wc -l < "$WORK/ws") fields, the same as the schema"

# Golden outputs, checked by eye when made.
tshark_kd -2 -r "$f" > "$WORK/lines" 2>&1
diff -u "$GOLD/serial-demo.tshark.txt" "$WORK/lines" || fail "tshark summary differs from golden"
tshark_kd -2 -V -r "$f" > "$WORK/tree" 2>&1
diff -u "$GOLD/serial-demo.tshark-V.txt" "$WORK/tree" || fail "tshark -V differs from golden"
tshark_kd -2 -r "$f" -T fields -E separator=/t -e frame.number -e kd.type -e kd.id -e kd.checksum.status \
  -e kd.manip.api_number -e kd.session.ack_in -e kd.session.response_in -e kd.session.request_in \
  -e kd.session.response_time -e kd.session.retransmission_of > "$WORK/fields" 2>&1
diff -u "$GOLD/serial-demo.tshark-fields.tsv" "$WORK/fields" || fail "tshark -T fields differs from golden"

# One source of truth, two renderers: every field kdcat prints for every
# packet has the same value(s) in tshark.
"$KDCAT" --json "$SAMPLE" > "$WORK/json"
mapfile -t keys < <(jq -r 'keys_unsorted[] | select(startswith("kd."))' "$WORK/json" | sort -u)
args=(); for k in "${keys[@]}"; do args+=(-e "$k"); done
tshark_kd -2 -r "$f" -T fields -E separator=/t -E occurrence=a -E aggregator='|' "${args[@]}" > "$WORK/tsv"
jq -n -R --argjson keys "$(printf '%s\n' "${keys[@]}" | jq -R . | jq -s .)" '
  [inputs | split("\t") | [$keys, .] | transpose | map({(.[0]): .[1]}) | add]' < "$WORK/tsv" > "$WORK/ws.json"
checked=$(jq -n --slurpfile k "$WORK/json" --slurpfile w "$WORK/ws.json" '
  def tsv_num: if startswith("0x") then (ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 +
      (if $c >= 97 then $c - 87 elif $c >= 65 then $c - 55 else $c - 48 end))) else tonumber end;
  def same($kv; $tv):
    if ($kv | type) == "number" then ($tv | tsv_num) == $kv
    else ($kv | gsub("\n"; "\\n")) == $tv end;
  [$k[] as $rec | $w[0][$rec.frame - 1] as $ws |
   ($rec | to_entries[] | select(.key | startswith("kd."))) as $e |
   ($e.value | if type == "array" then . else [.] end) as $kvs |
   (($ws[$e.key] // "") | split("|")) as $tvs |
   if ($kvs | length) == ($tvs | length) and ([range(0; $kvs | length) as $j | same($kvs[$j]; $tvs[$j])] | all)
   then 1 else error("frame \($rec.frame) \($e.key): kdcat \($kvs) tshark \($tvs)") end] | length') \
  || fail "kdcat and tshark disagree"
[ "$checked" -gt 150 ] || fail "only $checked fields compared"
echo "ok: $checked field values identical in kdcat --json and tshark"

# Expert infos where the sample has problems.
expect_frames() { # filter, frames
  local got; got=$(tshark_kd -2 -r "$f" -Y "$1" -T fields -e frame.number | tr '\n' ' ')
  [ "$got" = "$2" ] || fail "$1: frames '$got', expected '$2'"
}
expect_frames kd.expert.bad_checksum "13 "
expect_frames kd.expert.resend "14 "
expect_frames kd.expert.retransmission "15 "
expect_frames kd.expert.noise "12 "
expect_frames kd.expert.truncated "21 "
expect_frames kd.expert.reset "2 3 "
expect_frames 'kd.manip.api_number == 0x3130 && kd.session.response_in == 15' "10 "
expect_frames 'kd.session.response_time > 0.001' "15 "
echo "ok: expert infos and filters"

tshark_kd -2 -q -r "$f" -z kd,tree > "$WORK/stats"
grep -qE '^ *STATE_MANIPULATE +6 ' "$WORK/stats" || fail "stats tree: $(cat "$WORK/stats")"
grep -qE '^ *GetVersion +1 ' "$WORK/stats" || fail "stats tree lacks GetVersion"
echo "ok: Statistics -> KD"
