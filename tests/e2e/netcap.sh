#!/usr/bin/env bash
# KD carried in TCP and UDP, as others capture it (issue 12): the sample
# session wrapped by kdwrap (a classic pcap written byte by byte, not by
# libpcap) in every link type, cut into segments at every byte, reordered,
# duplicated, overlapping, with a segment lost, two connections, a
# connection seen from its middle, cbwang505's UDP, a snap length; an HTTP
# capture; --port, --target-port, --target; standard input.  Each read by
# kdcat (the same messages as the recording) and kddiff (exit 0).
. "$(dirname "$0")/lib.sh"
KDDIFF="$KDSCOPE_BIN/kddiff"
KDWRAP="$KDSCOPE_BUILD/bin/kdwrap"

# What a message says, without its frame, time and session links (frame
# numbers and times are those of the carrier).
messages() { "$KDCAT" "$@" | cut -c 24- | sed -E 's/, reply in [0-9.]+ (ms|µs)//; s/ \[(retransmission|duplicate) of #[0-9]+\]//'; }
messages "$SAMPLE" > "$WORK/ref.txt"
[ "$(wc -l < "$WORK/ref.txt")" -ge 20 ] || fail "the sample has $(wc -l < "$WORK/ref.txt") messages"

same_session() { # name, kdwrap options...
  local name=$1; shift
  "$KDWRAP" "$SAMPLE" "$WORK/$name.pcap" "$@" || fail "$name: kdwrap"
  messages "$WORK/$name.pcap" > "$WORK/$name.txt" 2> "$WORK/$name.err" || fail "$name: kdcat: $(cat "$WORK/$name.err")"
  diff "$WORK/ref.txt" "$WORK/$name.txt" > "$WORK/$name.diff" || fail "$name: not the sample's messages: $(head -20 "$WORK/$name.diff")"
  [ ! -s "$WORK/$name.err" ] || fail "$name: stderr: $(cat "$WORK/$name.err")"
  local rc=0; "$KDDIFF" --transport "$SAMPLE" "$WORK/$name.pcap" > "$WORK/$name.kddiff" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$name: kddiff --transport exit $rc: $(head -20 "$WORK/$name.kddiff")"
  echo "ok: $name: $(wc -l < "$WORK/$name.txt") messages, as recorded"
}

same_session tcp
same_session bytewise --seg 1-1
for seed in 1 2 3; do
  same_session "reordered$seed" --seed "$seed" --seg 1-40 --reorder 30
  same_session "duplicated$seed" --seed "$seed" --seg 1-40 --dup 30 --overlap 40
done
for link in eth vlan sll sll2 raw ipv4 null loop; do
  same_session "$link-v4" --link "$link"
  same_session "$link-v6" --link "$link" --ipv6 --seg 2-30 --seed 7
done
same_session nano --nano
same_session wrap --isn-wrap --seg 1-7
same_session target-connects --target-client
for seed in 1 2 3 4; do same_session "cbwang505-$seed" --udp --seed "$seed" --seg 1-64; done
same_session cbwang505-v6 --udp --ipv6 --seg 5-9

# A lost segment: the gap is named with its size, the rest is decoded.
"$KDWRAP" "$SAMPLE" "$WORK/lost.pcap" --seg 3-20 --drop 5
messages "$WORK/lost.pcap" > "$WORK/lost.txt" 2> "$WORK/lost.err" || fail "lost: kdcat exit"
[ "$(wc -l < "$WORK/lost.err")" = 1 ] || fail "lost: stderr: $(cat "$WORK/lost.err")"
grep -qE '^kdcat: .*lost\.pcap: conversation 1 .* \(t2d\): [0-9]+ bytes lost before frame [0-9]+; framing restarts after the gap$' "$WORK/lost.err" \
  || fail "lost: $(cat "$WORK/lost.err")"
for m in 'GetVersion -> STATUS_SUCCESS' 'DbgPrint "kdscope sample: hello' 'Continue2 DBG_CONTINUE'; do
  grep -q "$m" "$WORK/lost.txt" || fail "lost: '$m' not decoded after the gap"
done
echo "ok: a lost segment: $(cut -d: -f4- "$WORK/lost.err")"

# Two connections one after the other: two sessions (the second learns its
# architecture again, framing restarts).
"$KDWRAP" "$SAMPLE" "$WORK/two.pcap" --seg 1-30 --then "$SAMPLE"
messages "$WORK/two.pcap" > "$WORK/two.txt"
cat "$WORK/ref.txt" "$WORK/ref.txt" | diff - "$WORK/two.txt" > /dev/null || fail "two connections: $(diff "$WORK/ref.txt" "$WORK/two.txt" | head)"
echo "ok: two connections: twice the session"

# Seen from its middle (no SYN; it starts after the 10th record): the
# target is still the side that prints, the rest decodes (direction and
# message; details that need the architecture, which the start told, aside).
"$KDWRAP" "$SAMPLE" "$WORK/middle.pcap" --from-middle 10
"$KDCAT" "$SAMPLE" | awk '$1 > 10 {print $3, $4, $5}' > "$WORK/middle.ref"
"$KDCAT" "$WORK/middle.pcap" | awk '{print $3, $4, $5}' > "$WORK/middle.txt"
diff "$WORK/middle.ref" "$WORK/middle.txt" || fail "from the middle: not the recording's messages"
echo "ok: a connection seen from its middle: $(wc -l < "$WORK/middle.txt") messages, directions right"

# --target-port names the target (here, wrongly, the debugger: every direction flips).
"$KDCAT" --target-port 40000 "$WORK/tcp.pcap" | awk '{print $3}' > "$WORK/flipped"
"$KDCAT" "$SAMPLE" | awk '{print $3}' | tr 'dt' 'td' | sed 's/t2t/d2t/; s/d2d/t2d/' > "$WORK/flipped.ref"
diff "$WORK/flipped.ref" "$WORK/flipped" > /dev/null || fail "--target-port: directions not flipped"
"$KDCAT" --target 10.0.0.2:4444 "$WORK/tcp.pcap" | cut -c 24- | sed -E 's/, reply in [0-9.]+ (ms|µs)//; s/ \[(retransmission|duplicate) of #[0-9]+\]//' | diff "$WORK/ref.txt" - > /dev/null || fail "--target HOST:PORT"
"$KDCAT" --target '[fd00::2]:4444' "$WORK/eth-v6.pcap" | awk '{print $3}' | sort | uniq -c | tr -s ' ' > "$WORK/v6dirs"
"$KDCAT" "$SAMPLE" | awk '{print $3}' | sort | uniq -c | tr -s ' ' | diff - "$WORK/v6dirs" > /dev/null || fail "--target [v6]:port"
echo "ok: --target-port and --target name the target"

# Snap length: cut frames are marked and their lost bytes are gaps; nothing
# is misread (every intact packet kdcat shows is one of the recording's).
"$KDWRAP" "$SAMPLE" "$WORK/snap.pcap" --snaplen 80
"$KDCAT" --json "$WORK/snap.pcap" > "$WORK/snap.json" 2> "$WORK/snap.err" || fail "snaplen: kdcat exit"
grep -q "frames cut short by the snap length" "$WORK/snap.err" || fail "snaplen: not marked: $(cat "$WORK/snap.err")"
grep -q "bytes lost before frame" "$WORK/snap.err" || fail "snaplen: no gap: $(cat "$WORK/snap.err")"
jq -c 'select(.kind == "data" or .kind == "control") | [."kd.type", ."kd.id", ."kd.checksum"]' "$WORK/snap.json" | sort -u > "$WORK/snap.got"
"$KDCAT" --json "$SAMPLE" | jq -c 'select(.kind == "data" or .kind == "control") | [."kd.type", ."kd.id", ."kd.checksum"]' | sort -u > "$WORK/snap.all"
[ -n "$(comm -23 "$WORK/snap.got" "$WORK/snap.all")" ] && fail "snaplen: a packet the session does not hold"
echo "ok: snap length 80: marked, $(wc -l < "$WORK/snap.got") intact packets, none misread"

# Not KD: an HTTP session -> one line, exit 2.
"$KDWRAP" - "$WORK/http.pcap" --http
rc=0; "$KDCAT" "$WORK/http.pcap" > "$WORK/http.out" 2> "$WORK/http.err" || rc=$?
[ "$rc" = 2 ] || fail "http: exit $rc"
[ "$(wc -l < "$WORK/http.err")" = 1 ] || fail "http: stderr: $(cat "$WORK/http.err")"
grep -q "^kdcat: $WORK/http.pcap: no KD found (1 TCP and 0 UDP conversations" "$WORK/http.err" || fail "http: $(cat "$WORK/http.err")"
[ ! -s "$WORK/http.out" ] || fail "http: output"
echo "ok: $(cat "$WORK/http.err")"
rc=0; "$KDDIFF" "$WORK/http.pcap" "$SAMPLE" > /dev/null 2> "$WORK/http.err" || rc=$?
[ "$rc" = 2 ] && grep -q "^kddiff: .*no KD found" "$WORK/http.err" || fail "kddiff http: exit $rc: $(cat "$WORK/http.err")"

# KD next to something else: the other stream is ignored with a count;
# --port restricts and forces.
mergecap -F pcap -w "$WORK/mixed.pcap" "$WORK/http.pcap" "$WORK/reordered1.pcap" 2>/dev/null || fail "mergecap"
messages "$WORK/mixed.pcap" > "$WORK/mixed.txt" 2> "$WORK/mixed.err"
diff "$WORK/ref.txt" "$WORK/mixed.txt" > /dev/null || fail "mixed: not the session"
[ "$(cat "$WORK/mixed.err")" = "kdcat: $WORK/mixed.pcap: ignored 1 TCP and 0 UDP conversations that are not KD" ] || fail "mixed: $(cat "$WORK/mixed.err")"
messages --port 4444 "$WORK/mixed.pcap" 2> "$WORK/mixed.err" | diff "$WORK/ref.txt" - > /dev/null || fail "--port 4444"
"$KDCAT" --port 80 "$WORK/mixed.pcap" > "$WORK/port80" 2>/dev/null || fail "--port 80"
grep -q GetVersion "$WORK/port80" && fail "--port 80 took the KD stream"
grep -q Noise "$WORK/port80" || fail "--port 80 did not force the HTTP stream"
echo "ok: a KD stream next to HTTP: the other ignored with a count; --port restricts and forces"

# Standard input.
messages - < "$WORK/reordered2.pcap" | diff "$WORK/ref.txt" - > /dev/null || fail "kdcat -"
cat "$WORK/cbwang505-1.pcap" | "$KDDIFF" --transport "$SAMPLE" - > /dev/null || fail "kddiff A -"
cat "$SAMPLE" | "$KDDIFF" --transport - "$WORK/tcp.pcap" > /dev/null || fail "kddiff - B"
rc=0; "$KDDIFF" - - < "$SAMPLE" 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < "$WORK/err")" = 1 ] || fail "kddiff - -: exit $rc: $(cat "$WORK/err")"
echo "ok: - is standard input (kdcat, kddiff A or B)"

# Bad options: one line, exit 2.
for o in "--port 0" "--port x" "--target-port 70000" "--target 1.2.3.4" "--target [::1]5"; do
  rc=0; "$KDCAT" $o "$SAMPLE" > /dev/null 2> "$WORK/err" || rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l < "$WORK/err")" = 1 ] || fail "kdcat $o: exit $rc: $(cat "$WORK/err")"
  rc=0; "$KDDIFF" $o "$SAMPLE" "$SAMPLE" > /dev/null 2> "$WORK/err" || rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l < "$WORK/err")" = 1 ] || fail "kddiff $o: exit $rc: $(cat "$WORK/err")"
done
echo "ok: bad --port/--target values refused in one line"
