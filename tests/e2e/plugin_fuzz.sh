#!/usr/bin/env bash
# Fuzz loop (Wireshark's own recipe): editcap -E corrupts bytes, tshark -nVxr
# dissects with WIRESHARK_ABORT_ON_DISSECTOR_BUG=1.  Rounds: KDSCOPE_WS_FUZZ_ROUNDS
# (default 20 for CI; run thousands by hand).
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null && command -v editcap >/dev/null || skip "tshark/editcap not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built"
rounds=${KDSCOPE_WS_FUZZ_ROUNDS:-20}
"$KDSCOPE_BUILD/bin/bench_decode" --write "$WORK/session.pcapng" 400 > /dev/null
"$KDSCOPE_BUILD/bin/kdsample" "$WORK/s.pcapng" --text2pcap "$WORK/tcp.txt"
text2pcap -q -D -T 4444,50000 "$WORK/tcp.txt" "$WORK/tcp.pcapng" 2>/dev/null
export WIRESHARK_ABORT_ON_DISSECTOR_BUG=1
for i in $(seq 1 "$rounds"); do
  for src in "$SAMPLE:24:" "$WORK/session.pcapng:24:" "$WORK/tcp.pcapng:54:-d tcp.port==4444,kd"; do
    IFS=: read -r file skip opts <<<"$src"
    editcap -E 0.03 -o "$skip" -s 8000 "$file" "$WORK/fz.pcapng" > /dev/null 2>&1 || fail "editcap"
    cp "$WORK/fz.pcapng" "$WORK/last-fuzz.pcapng"
    g=$(public_copy "$WORK/fz.pcapng")
    rc=0; tshark_kd -2 -nVxr "$g" $opts > /dev/null 2> "$WORK/err" || rc=$?
    [ "$rc" -eq 0 ] || { cp "$WORK/fz.pcapng" /tmp/kd-fuzz-crash.pcapng; fail "round $i $(basename "$file"): tshark exit $rc (kept /tmp/kd-fuzz-crash.pcapng): $(tail -3 "$WORK/err")"; }
    grep -qiE 'dissector bug|malformed packet.*kd' "$WORK/err" && fail "round $i: $(cat "$WORK/err")"
  done
done
echo "ok: $rounds rounds x 3 captures fuzzed without a dissector bug"
