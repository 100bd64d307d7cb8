#!/usr/bin/env bash
# Stock tshark (no plugin) opens our pcapng: record count, directions,
# interface names and the exported-PDU dissector name.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark not installed"
f=$(public_copy "$SAMPLE")
tshark_user -r "$f" -T fields -E separator=/t -e frame.number -e frame.p2p_dir \
  -e frame.interface_name -e exported_pdu.prot_name -e frame.time_epoch > "$WORK/fields" 2> "$WORK/err" \
  || fail "tshark failed: $(cat "$WORK/err")"
"$KDCAT" --json "$SAMPLE" > "$WORK/json"
records=$(wc -l < "$WORK/json")
[ "$(wc -l < "$WORK/fields")" = "$records" ] || fail "tshark sees $(wc -l < "$WORK/fields") records, kdcat $records"
[ "$records" -gt 20 ] || fail "too few records: $records"
# Direction: p2p_dir 0 = sent = d2t on interface debugger-tx, 1 = received = t2d on target-tx.
n=0
while IFS=$'\t' read -r num p2p ifname prot epoch; do
  n=$((n + 1))
  line=$(sed -n "${n}p" "$WORK/json")
  dir=$(jq -r .dir <<<"$line")
  case "$dir" in
    d2t) [ "$p2p" = 0 ] && [ "$ifname" = debugger-tx ] || fail "record $num: $p2p/$ifname for d2t" ;;
    t2d) [ "$p2p" = 1 ] && [ "$ifname" = target-tx ] || fail "record $num: $p2p/$ifname for t2d" ;;
    *) fail "record $num: kdcat direction $dir" ;;
  esac
  [ "$prot" = kd ] || fail "record $num: exported_pdu.prot_name is '$prot'"
  t=$(jq -r .time <<<"$line")
  [ "${epoch:0:20}" = "${t:0:20}" ] || fail "record $num: tshark time $epoch, kdcat $t"
done < "$WORK/fields"
# The display filter a user would type.
c=$(tshark_user -r "$f" -Y 'exported_pdu.prot_name == "kd" && frame.p2p_dir == 1' 2>/dev/null | wc -l)
want=$(jq -s '[.[] | select(.dir == "t2d")] | length' "$WORK/json")
[ "$c" = "$want" ] || fail "filter found $c t2d records, expected $want"
echo "ok: tshark reads $records records with the right directions"
