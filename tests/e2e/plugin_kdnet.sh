#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin's kdnet dissector: the real KDNET capture in ../shared (counts
# of ../shared/reference/kdnet.md) with -o kdnet.key:8.8.8.8 in one pass and
# with -2, every HMAC good and the KD content decoded by kd; a wrong key or
# none decodes nothing as KD and says so in expert infos; damaged datagrams
# (a flipped byte, cut short) are marked, never a dissector bug.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null && command -v editcap >/dev/null || skip "tshark/editcap not installed"
PLUGINS=$(plugin_dir) || skip "the plugin was not built"
export WIRESHARK_ABORT_ON_DISSECTOR_BUG=1

# The project's own KDNET sample (kdsim over the loopback, key 1.2.3.4).
s=$(public_copy "$KDSCOPE_SRC/captures/kdsim-kdnet.pcapng")
all=$(tshark_kd -2 -o kdnet.key:1.2.3.4 -r "$s" -Y kdnet -T fields -e frame.number | wc -l)
good=$(tshark_kd -2 -o kdnet.key:1.2.3.4 -r "$s" -Y 'kdnet.hmac.status == 1' -T fields -e frame.number | wc -l)
want=$("$KDCAT" --kdnet-key 1.2.3.4 --json "$KDSCOPE_SRC/captures/kdsim-kdnet.pcapng" | jq -s '[.[] | select(."kd.type" != null)] | length')
got=$(tshark_kd -2 -o kdnet.key:1.2.3.4 -r "$s" -Y kd -T fields -e frame.number | wc -l)
[ "$all" -gt 20 ] && [ "$all" = "$good" ] && [ "$got" = "$want" ] || fail "sample: $all datagrams, $good good, $got KD packets (kdcat: $want)"
tshark_kd -2 -o kdnet.key:1.2.3.4 -r "$s" -Y 'kd.manip.api_number == 0x3146 && kd.manip.return_status == 0' \
  -T fields -e kd.manip.get_version64.machine_type | grep -q 0x8664 || fail "sample: no GetVersion reply"
echo "ok: captures/kdsim-kdnet.pcapng: $all datagrams good, $got KD packets as kdcat finds them"

cap="$KDSCOPE_SRC/../shared/captures/kdnet-windbg-win10-10586.pcapng"
[ -f "$cap" ] || skip "../shared is absent"
f=$(public_copy "$cap")
count() { # filter, tshark options...
  local filter=$1; shift
  tshark_kd "$@" -r "$f" -Y "$filter" -T fields -e frame.number | wc -l
}
for pass in "" "-2"; do
  k=(-o kdnet.key:8.8.8.8 $pass)
  [ "$(count kdnet "${k[@]}")" = 955 ] || fail "kdnet $pass: $(count kdnet "${k[@]}")"
  [ "$(count 'kdnet.hmac.status == 1' "${k[@]}")" = 955 ] || fail "hmac good $pass"
  [ "$(count 'kdnet.channel == 1' "${k[@]}")" = 428 ] || fail "control $pass"
  [ "$(count 'kdnet.channel == 0' "${k[@]}")" = 527 ] || fail "data $pass"
  for want in "4 259" "5 2" "6 2" "2 187" "3 7" "7 3" "11 66"; do
    set -- $want
    got=$(count "kd.type == $1" "${k[@]}")
    [ "$got" = "$2" ] || fail "kd.type == $1 $pass: $got, want $2"
  done
  [ "$(count 'kd.manip.api_number == 0x3130' "${k[@]}")" = 88 ] || fail "ReadVirtualMemory $pass"
  [ "$(count 'kd.manip.get_version64.minor_version == 10586 && kd.manip.get_version64.machine_type == 0x8664' "${k[@]}")" = 1 ] \
    || fail "GetVersion $pass"
  [ "$(count 'kd.expert.unexpected_id || kd.checksum.status == 2 || _ws.expert.severity >= 6291456' "${k[@]}")" = 0 ] \
    || fail "problems flagged $pass: $(tshark_kd "${k[@]}" -r "$f" -Y 'kd.expert.unexpected_id || _ws.expert.severity >= 6291456' | head -3)"
  [ "$(count 'kdnet.kind == 1' "${k[@]}")" = 427 ] || fail "pokes $pass"
  [ "$(count 'kdnet.kind == 2 && kdnet.response.zeros_ok' "${k[@]}")" = 1 ] || fail "response $pass"
  [ "$(count 'kdnet.unused.host == 192.168.2.1' "${k[@]}")" = 1 ] || fail "UNUSED $pass"
  [ "$(count 'kdnet.poke.target_addr == ::ffff:192.168.2.72 && kdnet.poke.host_port == 51111' "${k[@]}")" = 427 ] \
    || fail "poke addresses $pass"
done
# The Info column tells the handshake, the announcement and the KD packets apart.
tshark_kd -o kdnet.key:8.8.8.8 -r "$f" -c 12 > "$WORK/info"
grep -q "poke 192.168.2.72:51111 -> 192.168.2.1:51111" "$WORK/info" || fail "info: $(cat "$WORK/info")"
grep -q "response (sets the data key)" "$WORK/info" || fail "info: response"
grep -q "unused announcement (host 192.168.2.1)" "$WORK/info" || fail "info: UNUSED"
grep -q "GetVersion -> STATUS_SUCCESS, build 10586" "$WORK/info" || fail "info: GetVersion"
# The plaintext is a data source of its own.
tshark_kd -o kdnet.key:8.8.8.8 -r "$f" -Y 'frame.number == 12' -x > "$WORK/hex"
grep -q "Decrypted KDNET" "$WORK/hex" || fail "no decrypted data source"
echo "ok: the real capture with kdnet.key 8.8.8.8: 955 datagrams good, the KD content as kdnet.md counts it (one pass and -2)"

# Several keys: the one that authenticates is used.
[ "$(count 'kd.type == 4' -o 'kdnet.key:1.2.3.4, 8.8.8.8')" = 259 ] || fail "a list of keys"
# A wrong key, or none: nothing is KD, the expert infos say why.
[ "$(count kd -o kdnet.key:1.2.3.4)" = 0 ] || fail "decoded KD with a wrong key"
[ "$(count kdnet.expert.hmac_bad -o kdnet.key:1.2.3.4)" = 428 ] || fail "bad tags with a wrong key"
[ "$(count kdnet.expert.no_data_key -o kdnet.key:1.2.3.4)" = 527 ] || fail "no data key with a wrong key"
[ "$(count kdnet.expert.no_key)" = 955 ] || fail "no key"
[ "$(count kdnet.expert.bad_preference -o kdnet.key:1.2.3)" -gt 0 ] || fail "a malformed key preference is not said"
echo "ok: a wrong key, no key and a malformed key are named in expert infos; nothing decodes as KD"

# A capture that starts after the handshake: the data key decodes it.
editcap -r "$cap" "$WORK/late.pcapng" 3-955 2>/dev/null
g=$(public_copy "$WORK/late.pcapng")
[ "$(tshark_kd -o kdnet.key:8.8.8.8 -r "$g" -Y kdnet.expert.no_data_key -T fields -e frame.number | wc -l)" = 527 ] \
  || fail "late: no_data_key"
dk=$(tshark_kd -o kdnet.key:8.8.8.8 -r "$f" -Y 'frame.number == 2' -T fields -e kdnet.response.client_random -e kdnet.response.host_random | tr -d '\t:')
datakey=$(printf '%s0102%s%0512d' 0800000000000000080000000000000008000000000000000800000000000000 "$dk" 0 | xxd -r -p | sha256sum | cut -c1-64)
[ "$(tshark_kd -o kdnet.key:8.8.8.8 -o "kdnet.data_key:$datakey" -r "$g" -Y 'kd.type == 4' -T fields -e frame.number | wc -l)" = 259 ] \
  || fail "late with kdnet.data_key"
echo "ok: a capture after the handshake needs kdnet.data_key, and decodes with it"

# Damaged datagrams: every UDP payload byte flipped somewhere, cut short: marked, no dissector bug.
editcap -E 0.02 --seed 5 "$cap" "$WORK/bad.pcapng" 2>/dev/null || editcap -E 0.02 "$cap" "$WORK/bad.pcapng"
editcap -s 100 "$cap" "$WORK/cut.pcapng"
for d in bad cut; do
  h=$(public_copy "$WORK/$d.pcapng")
  tshark_kd -2 -o kdnet.key:8.8.8.8 -r "$h" -V > /dev/null 2> "$WORK/$d.err" || fail "$d: tshark failed: $(tail -3 "$WORK/$d.err")"
  ! grep -qi "dissector bug" "$WORK/$d.err" || fail "$d: $(grep -i 'dissector bug' "$WORK/$d.err" | head -2)"
done
h=$(public_copy "$WORK/bad.pcapng")
[ "$(tshark_kd -o kdnet.key:8.8.8.8 -r "$h" -Y 'kdnet.expert.hmac_bad || kdnet.expert.malformed' -T fields -e frame.number | wc -l)" -gt 0 ] \
  || fail "damaged datagrams not marked"
echo "ok: damaged and cut datagrams are marked, no dissector bug"

# The version byte is named once: "4 (Windows 10)", not "4 (Windows 10) (4)".
tshark_kd -o kdnet.key:8.8.8.8 -r "$f" -V -c 1 > "$WORK/v1"
grep -qE '^    Version: 4 \(Windows 10\)$' "$WORK/v1" || fail "version: $(grep 'Version: ' "$WORK/v1" | tail -1)"
echo "ok: the version is named once"
