#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin on serial KD carried the way others capture it (issue 12 item
# 5), written by kdwrap (an independent pcap writer): TCP segments
# reordered, duplicated and overlapping decode as the recorded session with
# tcp.reassemble_out_of_order; a second connection is a new session (an x86
# session after an AMD64 one decodes its CONTEXT as x86); serial bytes in
# cbwang505-style UDP chunks keep a GetContext reply's CONTEXT; the
# heuristics (off by default) find KD in TCP without Decode As.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built"
KDWRAP="$KDSCOPE_BUILD/bin/kdwrap"
AMD64="$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng"
X86="$KDSCOPE_SRC/captures/kdsim-x86-xp.pcapng"

# "type id" of every KD packet with a header, per direction, as kdcat reads a session.
kdcat_packets() { # file dir
  "$KDCAT" --json "$1" | jq -r --arg d "$2" 'select(.dir == $d and ."kd.type" != null) |
    "\(."kd.type") 0x\(."kd.id" | . as $n | [range(7; -1; -1) as $s | ($n / pow(16; $s) | floor) % 16 |
    "0123456789abcdef"[.:.+1]] | join(""))"'
}
tshark_packets() { # pcap dir-port, tshark options...
  local f=$1 port=$2; shift 2
  tshark_kd -2 -r "$f" "$@" -T fields -E occurrence=a -E aggregator=, -e tcp.srcport -e udp.srcport -e kd.type -e kd.id |
    awk -F'\t' -v p="$port" '($1 == p || $2 == p) && $3 != "" {n = split($3, t, ","); split($4, i, ","); for (k = 1; k <= n; k++) print t[k], i[k]}'
}

# --- TCP, out of order ---------------------------------------------------
"$KDWRAP" "$AMD64" "$WORK/ooo.pcap" --seed 7 --seg 1-60 --reorder 20 --dup 10 --overlap 10 || fail "kdwrap"
f=$(public_copy "$WORK/ooo.pcap")
for d in d2t:40000 t2d:4444; do
  kdcat_packets "$AMD64" "${d%:*}" > "$WORK/want.${d%:*}"
  tshark_packets "$f" "${d#*:}" -o tcp.reassemble_out_of_order:TRUE -d tcp.port==4444,kd > "$WORK/got.${d%:*}"
  [ -s "$WORK/want.${d%:*}" ] || fail "no packets in the sample"
  diff -u "$WORK/want.${d%:*}" "$WORK/got.${d%:*}" > "$WORK/diff" || fail "${d%:*}: out-of-order TCP decodes differently: $(head -20 "$WORK/diff")"
done
echo "ok: reordered, duplicated and overlapping TCP segments decode as the recorded session ($(wc -l < "$WORK/got.t2d") t2d packets)"

# --- the heuristic: off by default, on when asked ---------------------------
n=$(tshark_kd -2 -r "$f" -o tcp.reassemble_out_of_order:TRUE -Y kd -T fields -e frame.number | wc -l)
[ "$n" = 0 ] || fail "the TCP heuristic is on by default ($n frames)"
tshark_packets "$f" 4444 -o tcp.reassemble_out_of_order:TRUE --enable-heuristic kd_tcp > "$WORK/heur.t2d"
diff -u "$WORK/want.t2d" "$WORK/heur.t2d" > "$WORK/diff" || fail "heuristic: $(head -20 "$WORK/diff")"
echo "ok: the kd_tcp heuristic is off by default and, enabled, decodes the session without Decode As"

# --- a second connection is a new session -----------------------------------
"$KDWRAP" "$AMD64" "$WORK/two.pcap" --then "$X86" || fail "kdwrap --then"
g=$(public_copy "$WORK/two.pcap")
tshark_kd -2 -r "$g" -d tcp.port==4444,kd -Y 'kd.manip.api_number == 0x3132 && kd.manip.return_status == 0' \
  -T fields -e tcp.dstport -e kd.context.rip -e kd.context.eip > "$WORK/ctx"
# The first connection's replies (to client port 40000) carry Rip, the second's (40001) Eip.
awk -F'\t' '$1 == 40000 && $2 == "" {exit 1}' "$WORK/ctx" || fail "AMD64 replies without Rip: $(cat "$WORK/ctx")"
awk -F'\t' '$1 == 40001 && ($3 == "" || $2 != "") {exit 1}' "$WORK/ctx" || fail "the x86 session decoded as AMD64: $(cat "$WORK/ctx")"
grep -q "^40001	" "$WORK/ctx" || fail "no GetContext reply in the second connection: $(cat "$WORK/ctx")"
echo "ok: an x86 session on a second connection decodes its CONTEXT as x86"

# --- serial bytes in UDP chunks ---------------------------------------------
"$KDWRAP" "$AMD64" "$WORK/udp.pcap" --udp --seed 3 --seg 40-400 || fail "kdwrap --udp"
u=$(public_copy "$WORK/udp.pcap")
want=$("$KDCAT" --json "$AMD64" | jq -r 'select(."kd.context.rip" != null) | ."kd.context.rip"' | sort)
got=$(tshark_kd -2 -r "$u" -d udp.port==51112,kd -d udp.port==51111,kd -T fields -E occurrence=a -e kd.context.rip |
  tr ',' '\n' | grep . | sed 's/^0x0*/0x/' | sort)
want=$(echo "$want" | sed 's/^0x0*/0x/')
[ -n "$want" ] && [ "$want" = "$got" ] || fail "UDP chunks: CONTEXT Rip values $got, want $want"
echo "ok: a GetContext reply cut into UDP datagrams keeps its CONTEXT ($(echo "$got" | wc -l) replies)"
