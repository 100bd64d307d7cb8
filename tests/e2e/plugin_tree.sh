#!/usr/bin/env bash
# What a good Wireshark dissector shows (issue 17 item 12): bitmask fields
# bit by bit, expert infos on the item they are about, only the
# NumberParameters ExceptionInformation slots, unknown packet types and
# APIs in hex with an expert info and the [unknown type] tag, kd.dir, and
# the Problems section of Statistics -> KD.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null && command -v text2pcap >/dev/null || skip "tshark/text2pcap not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built (no Wireshark development files)"
f=$(public_copy "$SAMPLE")

# GetVersion reply (frame 8): Flags 0x0007 = MP | DATA | PTR64 (kd-protocol.md §1.6).
got=$(tshark_kd -2 -r "$f" -Y 'frame.number == 8' -T fields -e kd.manip.get_version64.flags.mp \
  -e kd.manip.get_version64.flags.ptr64 -e kd.manip.get_version64.flags.nomm)
[ "$got" = "$(printf '1\t1\t0')" ] || fail "GetVersion Flags bits: '$got'"
tshark_kd -2 -r "$f" -Y 'kd.control_report.report_flags.standard_cs' -T fields -e frame.number | grep -qx 4 \
  || fail "ReportFlags bits not filterable"
echo "ok: bitmask fields bit by bit"

# The bad checksum's expert info sits under the Checksum item (frame 13).
tshark_kd -2 -V -r "$f" -Y 'frame.number == 13' > "$WORK/v13"
grep -A1 -E '^    Checksum: 0x0000820a' "$WORK/v13" | grep -q 'Expert Info (Error/Checksum)' \
  || fail "the checksum expert info is not on the Checksum item: $(grep -n Expert "$WORK/v13")"
echo "ok: expert infos on their item"

# The breakpoint (frame 4) has NumberParameters 1: one slot shown.
n=$(tshark_kd -2 -V -r "$f" -Y 'frame.number == 4' | grep -c 'ExceptionInformation:')
[ "$n" = 1 ] || fail "$n ExceptionInformation slots shown, NumberParameters is 1"
echo "ok: only NumberParameters ExceptionInformation slots"

# kd.dir on every item, as the capture says.
got=$(tshark_kd -2 -r "$f" -T fields -e kd.dir | head -4 | tr '\n' ' ')
[ "$got" = "d2t d2t t2d t2d " ] || fail "kd.dir: '$got'"
echo "ok: kd.dir"

# Hand-made raw KD over TCP (target port 4444): a data packet of type 0x10
# (body 01 02 03 04, checksum 0x0a) from the target, and a manipulate
# request of ApiNumber 0x3170 (56-byte body, checksum 0x70 + 0x31 = 0xa1),
# which gets no response.
body=$(printf ' 00%.0s' $(seq 1 52))
{
  echo "I 000000 30 30 30 30 10 00 04 00 00 00 80 80 0a 00 00 00 01 02 03 04 aa"
  echo "O 000000 30 30 30 30 02 00 38 00 00 00 80 80 a1 00 00 00 70 31 00 00$body aa"
} > "$WORK/u.txt"
text2pcap -q -D -T 4444,50000 "$WORK/u.txt" "$WORK/u.pcapng" 2>/dev/null || fail "text2pcap"
u=$(public_copy "$WORK/u.pcapng")
tshark_kd -2 -V -r "$u" -d tcp.port==4444,kd > "$WORK/vu"
grep -q 'PacketType: Unknown (0x0010) \[unknown type\]' "$WORK/vu" || fail "unknown type not in hex with its tag: $(grep PacketType "$WORK/vu")"
grep -A1 'PacketType: Unknown' "$WORK/vu" | grep -q 'Expert Info (Warning/Undecoded): Unknown packet type' \
  || fail "no unknown_type expert info on PacketType"
grep -q 'ApiNumber: Unknown (0x00003170)' "$WORK/vu" || fail "unknown API not in hex"
grep -A1 'ApiNumber: Unknown' "$WORK/vu" | grep -q 'Unknown API or state' || fail "no unknown_api expert info on ApiNumber"
tshark_kd -2 -r "$u" -d tcp.port==4444,kd | grep -q 'Packet type 0x0010, 4 bytes \[unknown type\]' \
  || fail "Info column lacks the [unknown type] tag"
tshark_kd -2 -r "$u" -d tcp.port==4444,kd -Y kd.expert.no_response -T fields -e kd.manip.api_number | grep -qx 0x00003170 \
  || fail "the request without response is not flagged"
echo "ok: unknown type and API in hex, with expert infos and the tag; no response"

# Statistics -> KD: the Problems lines kdcat --stats prints, same counts.
tshark_kd -2 -q -r "$f" -z kd,tree > "$WORK/stats"
"$KDCAT" --stats "$SAMPLE" | sed -n '/^Problems:/,$p' | tail -n +2 > "$WORK/kdcat"
while read -r line; do
  count=${line##* }; label=${line% *}; label=$(echo "$label" | sed 's/ *$//')
  grep -qE "^ +$label +$count( |$)" "$WORK/stats" || fail "Statistics -> KD lacks '$label $count': $(cat "$WORK/stats")"
done < "$WORK/kdcat"
echo "ok: Statistics -> KD Problems as kdcat --stats"

# The coloring rules: every filter compiles, and the error rule matches the
# bad checksum (frame 13).
c="$KDSCOPE_SRC/dissector/colorfilters.kd"
[ -f "$c" ] || fail "no $c"
while IFS=@ read -r _ name filter _; do
  tshark_kd -2 -r "$f" -Y "$filter" -T fields -e frame.number > "$WORK/cf" 2>&1 || fail "coloring rule '$name': $(cat "$WORK/cf")"
  [ "$name" = "KD errors" ] && { grep -qx 13 "$WORK/cf" || fail "'KD errors' does not match frame 13"; }
done < <(grep '^@' "$c")
echo "ok: coloring rules"
