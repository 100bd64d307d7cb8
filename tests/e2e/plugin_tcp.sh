#!/usr/bin/env bash
# Raw KD bytes in TCP (a VM's serial port exposed as a socket, captured with
# tcpdump), cut at odd places: Decode As port 4444 reassembles the same
# packets as the recorded session, in order, in both directions.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null && command -v text2pcap >/dev/null || skip "tshark/text2pcap not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built"
command -v jq >/dev/null || skip "jq not installed"
"$KDSCOPE_BUILD/bin/kdsample" "$WORK/s.pcapng" --text2pcap "$WORK/tcp.txt" || fail "kdsample"
text2pcap -q -D -T 4444,50000 "$WORK/tcp.txt" "$WORK/tcp.pcapng" 2>/dev/null || fail "text2pcap"
segments=$(grep -c 000000 "$WORK/tcp.txt")
f=$(public_copy "$WORK/tcp.pcapng")
tshark_kd -2 -r "$f" -d tcp.port==4444,kd -T fields -E occurrence=a -E aggregator=, \
  -e frame.p2p_dir -e tcp.srcport -e kd.type -e kd.id > "$WORK/tcp.tsv"
# Items per direction in order: (type, id) from tshark and from kdcat.
for d in d2t t2d; do
  port=$([ $d = t2d ] && echo 4444 || echo 50000)
  awk -F'\t' -v p=$port '$2 == p && $3 != "" {n = split($3, t, ","); split($4, i, ","); for (k = 1; k <= n; k++) print t[k], i[k]}' \
    "$WORK/tcp.tsv" > "$WORK/ws.$d"
  "$KDCAT" --json "$SAMPLE" | jq -r --arg d $d 'select(.dir == $d and ."kd.type" != null) |
      "\(."kd.type") \(."kd.id" | . as $n | "0x" + ([range(7; -1; -1) as $s | ($n / pow(16; $s) | floor) % 16 |
      "0123456789abcdef"[.:.+1]] | join("")))"' > "$WORK/kd.$d"
  diff -u "$WORK/kd.$d" "$WORK/ws.$d" || fail "$d: TCP decode differs from the recorded session"
done
n=$(wc -l < "$WORK/ws.d2t"); m=$(wc -l < "$WORK/ws.t2d")
tshark_kd -2 -r "$f" -d tcp.port==4444,kd -Y 'kd.expert.retransmission && kd.session.retransmission_of' \
  -T fields -e frame.number | grep -q . || fail "no retransmission linked over TCP"
echo "ok: $segments segments, $n d2t and $m t2d packets reassembled as recorded"

# One big segment (as with TCP offload) holding 300 ACKs: every one is shown.
{ printf 'I 000000'; for i in $(seq 1 300); do printf ' 69 69 69 69 04 00 00 00 01 00 80 80 00 00 00 00'; done; echo; } > "$WORK/big.txt"
text2pcap -q -D -T 4444,50000 "$WORK/big.txt" "$WORK/big.pcapng" 2>/dev/null || fail "text2pcap"
g=$(public_copy "$WORK/big.pcapng")
acks=$(tshark_kd -2 -r "$g" -d tcp.port==4444,kd -T fields -E occurrence=a -E aggregator=, -e kd.type | tr ',' '\n' | grep -c '^4$')
[ "$acks" = 300 ] || fail "a segment of 300 ACKs shows $acks"
echo "ok: one segment with 300 packets shows all 300"
