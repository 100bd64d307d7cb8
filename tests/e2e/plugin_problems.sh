#!/usr/bin/env bash
# Every line of kdparse's problem table (fields/problems.def) is an expert
# info of the plugin, kd.expert.<name> with the table's text, and the plugin
# has no other: the expert infos are made from the table.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built (no Wireshark development files)"
DEF="$KDSCOPE_SRC/kdparse/include/kdparse/fields/problems.def"
# KD_PROBLEM(id, source, bit, "name", group, severity, field, tag, detail, stat, "text")
awk '/^KD_PROBLEM\(/ {
  n = split($0, q, "\""); name = q[2]; text = q[n - 1]
  printf "kd.expert.%s\t%s\n", name, text }' "$DEF" | sort > "$WORK/table"
[ "$(wc -l < "$WORK/table")" -ge 20 ] || fail "read only $(wc -l < "$WORK/table") problems from $DEF"
tshark_kd -G fields | awk -F'\t' '$1 == "F" && $3 ~ /^kd\.expert\./ {printf "%s\t%s\n", $3, $2}' | sort > "$WORK/ws"
diff -u "$WORK/table" "$WORK/ws" || fail "the plugin's expert infos differ from the problem table"
echo "ok: $(wc -l < "$WORK/ws") expert infos, one per problem of the table"
