#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real KDNET capture in ../shared (reference data, not shipped; counts
# from ../shared/reference/kdnet.md): with key 8.8.8.8 every datagram
# authenticates and the KD content is what a WinDbg <-> Windows 10 10586
# session holds, in kdcat's lines, --json, --stats and kddiff; with a wrong
# key or none, the datagrams are still listed and one line says why nothing
# was decoded; a bad key is refused.
. "$(dirname "$0")/lib.sh"
cap="$KDSCOPE_SRC/../shared/captures/kdnet-windbg-win10-10586.pcapng"
[ -f "$cap" ] || skip "../shared is absent"

# --- the right key ---------------------------------------------------------
"$KDCAT" --kdnet-key 8.8.8.8 "$cap" > "$WORK/lines" 2> "$WORK/err" || fail "kdcat: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "stderr with the right key: $(cat "$WORK/err")"
[ "$(wc -l < "$WORK/lines")" = 955 ] || fail "lines: $(wc -l < "$WORK/lines")"
"$KDCAT" --json --kdnet-key 8.8.8.8 "$cap" > "$WORK/json"
count() { jq -s "[.[] | select($1)] | length" "$WORK/json"; }
[ "$(count '."kdnet.hmac.status" == 1')" = 955 ] || fail "hmac good: $(count '."kdnet.hmac.status" == 1')"
[ "$(count '."kdnet.channel" == 1')" = 428 ] || fail "control: $(count '."kdnet.channel" == 1')"
[ "$(count '."kdnet.channel" == 0')" = 527 ] || fail "data: $(count '."kdnet.channel" == 0')"
for want in "4 259" "5 2" "6 2" "2 187" "3 7" "7 3" "11 66"; do
  set -- $want
  got=$(count "has(\"kd.type\") and .\"kd.type\" == $1")
  [ "$got" = "$2" ] || fail "packets of type $1: $got, want $2"
done
[ "$(count '.kind == "data"')" = 263 ] || fail "data items: $(count '.kind == "data"')"
[ "$(count '.kind == "control"')" = 263 ] || fail "control items: $(count '.kind == "control"')"
[ "$(count '."kd.checksum.status" == 2')" = 0 ] || fail "bad checksums"
[ "$(count 'has("problems") and (.problems | index("unexpected_id"))')" = 0 ] \
  || fail "KDNET ids judged wrong: $(grep 'unexpected id' "$WORK/lines" | head -3)"
for api in "12592 88" "12597 64"; do
  set -- $api
  got=$(count "has(\"kd.manip.api_number\") and .\"kd.manip.api_number\" == $1")
  [ "$got" = "$2" ] || fail "API $1: $got, want $2"
done
grep -q "GetVersion -> STATUS_SUCCESS, build 10586, AMD64, protocol 6" "$WORK/lines" \
  || fail "no GetVersion reply"
jq -s -e 'map(select(."kd.manip.get_version64.minor_version" == 10586) | ."kd.manip.get_version64.machine_type") == [34404]' \
  "$WORK/json" > /dev/null || fail "GetVersion fields"
grep -q "poke 192.168.2.72:51111 -> 192.168.2.1:51111" "$WORK/lines" || fail "no poke line"
grep -q "response (sets the data key)" "$WORK/lines" || fail "no response line"
grep -q "unused announcement (host 192.168.2.1)" "$WORK/lines" || fail "no UNUSED line"
"$KDCAT" --stats --kdnet-key 8.8.8.8 "$cap" > "$WORK/stats"
grep -Eq "^  ACKNOWLEDGE +259$" "$WORK/stats" || fail "stats: $(head -20 "$WORK/stats")"
echo "ok: key 8.8.8.8: 955 datagrams authenticated, the KD content as kdnet.md counts it"

# A session compares equal to itself; kddiff reads KDNET the same way.
"$KDSCOPE_BIN/kddiff" --kdnet-key 8.8.8.8 "$cap" "$cap" > "$WORK/diff" || fail "kddiff: $(head "$WORK/diff")"
rc=0; "$KDSCOPE_BIN/kddiff" --kdnet-key 8.8.8.8 "$cap" "$SAMPLE" > /dev/null || rc=$?
[ "$rc" = 1 ] || fail "kddiff against another session: $rc"
echo "ok: kddiff on the KDNET session"

# --- a wrong key, no key, a bad key -----------------------------------------
"$KDCAT" --kdnet-key 1.2.3.4 "$cap" > "$WORK/wrong" 2> "$WORK/err" || fail "wrong key: exit $?"
[ "$(wc -l < "$WORK/err")" = 1 ] || fail "wrong key stderr: $(cat "$WORK/err")"
grep -q "no datagram authenticated with the key given (955 KDNET datagrams)" "$WORK/err" \
  || fail "wrong key: $(cat "$WORK/err")"
[ "$(wc -l < "$WORK/wrong")" = 955 ] || fail "wrong key lines: $(wc -l < "$WORK/wrong")"
! grep -Eq "GetVersion|ReadVirtualMemory|ACK" "$WORK/wrong" || fail "decoded KD with a wrong key"
grep -q "HMAC does not verify" "$WORK/wrong" || fail "wrong key: datagrams not marked"
"$KDCAT" "$cap" > /dev/null 2> "$WORK/err" || fail "no key: exit $?"
grep -q "955 KDNET datagrams not decrypted: no --kdnet-key given" "$WORK/err" || fail "no key: $(cat "$WORK/err")"
rc=0; "$KDCAT" --kdnet-key 1.2.3 "$cap" > /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q "^kdcat: --kdnet-key 1.2.3: 3 parts, a key has 4" "$WORK/err" \
  || fail "bad key: $rc $(cat "$WORK/err")"
rc=0; "$KDCAT" --kdnet-data-key 12ab "$cap" > /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < "$WORK/err")" = 1 ] || fail "bad data key: $rc $(cat "$WORK/err")"
echo "ok: wrong key, no key and bad keys say so in one line"

# --- a capture that starts after the handshake ------------------------------
editcap -r "$cap" "$WORK/late.pcapng" 3-955 2> /dev/null || skip "editcap missing"
"$KDCAT" --kdnet-key 8.8.8.8 "$WORK/late.pcapng" > /dev/null 2> "$WORK/err"
grep -q "the data channel needs the handshake or --kdnet-data-key" "$WORK/err" || fail "late: $(cat "$WORK/err")"
# With the data key (SHA-256 of the control key and the response's 322 bytes),
# the data channel decodes.
dk=$(jq -r 'select(.frame == 2) | ."kdnet.response.client_random" + ."kdnet.response.host_random"' "$WORK/json")
key=$(printf '0800000000000000080000000000000008000000000000000800000000000000')
datakey=$(printf '%s0102%s%0512d' "$key" "$dk" 0 | xxd -r -p | sha256sum | cut -c1-64)
"$KDCAT" --kdnet-key 8.8.8.8 --kdnet-data-key "$datakey" "$WORK/late.pcapng" > "$WORK/late" 2> "$WORK/err"
[ ! -s "$WORK/err" ] || fail "late with the data key: $(cat "$WORK/err")"
grep -q "GetVersion -> STATUS_SUCCESS, build 10586" "$WORK/late" || fail "late: data channel not decoded"
echo "ok: a capture after the handshake needs --kdnet-data-key, and decodes with it"
