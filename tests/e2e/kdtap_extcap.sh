#!/usr/bin/env bash
# kdtap as Wireshark's extcap program: its answers to the extcap calls;
# cmake --install puts it in Wireshark's extcap folder; and, run by tshark
# as a user would (nobody, WIRESHARK_EXTCAP_DIR), tshark -D lists it and
# tshark -i kdtap-tap records a session from two ptys: with the packet
# limit of the extcap settings, and stopped by tshark itself.
. "$(dirname "$0")/lib.sh"
KDTAP="$KDSCOPE_BIN/kdtap"
KDFEED="$KDSCOPE_BIN/kdfeed"

# --- The extcap calls -------------------------------------------------------
"$KDTAP" --extcap-interfaces --extcap-version=4.0 > "$WORK/ifaces"
grep -q '^extcap {version=[0-9.]*}' "$WORK/ifaces" || fail "no extcap line: $(cat "$WORK/ifaces")"
grep -q '^interface {value=kdtap-tap}{display=' "$WORK/ifaces" || fail "no kdtap-tap: $(cat "$WORK/ifaces")"
grep -q '^interface {value=kdtap-relay}{display=' "$WORK/ifaces" || fail "no kdtap-relay: $(cat "$WORK/ifaces")"
for i in kdtap-tap kdtap-relay; do
  [ "$("$KDTAP" --extcap-interface "$i" --extcap-dlts)" = "dlt {number=252}{name=WIRESHARK_UPPER_PDU}{display=Windows KD (exported PDU)}" ] \
    || fail "$i: dlts"
done
"$KDTAP" --extcap-interface kdtap-tap --extcap-config > "$WORK/tap.cfg"
"$KDTAP" --extcap-interface kdtap-relay --extcap-config > "$WORK/relay.cfg"
for call in t2d-port d2t-port baud packets duration interval; do
  grep -q "{call=--$call}" "$WORK/tap.cfg" || fail "tap config lacks --$call: $(cat "$WORK/tap.cfg")"
done
for call in target debugger reconnect baud packets duration; do
  grep -q "{call=--$call}" "$WORK/relay.cfg" || fail "relay config lacks --$call: $(cat "$WORK/relay.cfg")"
done
grep -q '^value {arg=2}{value=115200}{display=115200}{default=true}$' "$WORK/tap.cfg" || fail "no default baud"
# Every serial port present is offered (ttyS only with a UART behind it).
for p in /dev/ttyUSB* /dev/ttyACM*; do
  [ -e "$p" ] || continue
  grep -q "^value {arg=0}{value=$p}" "$WORK/tap.cfg" || fail "port $p not offered"
done
# The two port selectors default to two different ports: on this machine
# (whatever it has) ...
def0=$(sed -n 's/^value {arg=0}{value=\([^}]*\)}.*{default=true}$/\1/p' "$WORK/tap.cfg")
def1=$(sed -n 's/^value {arg=1}{value=\([^}]*\)}.*{default=true}$/\1/p' "$WORK/tap.cfg")
[ "$(echo "$def0" | grep -c .)" -le 1 ] && [ "$(echo "$def1" | grep -c .)" -le 1 ] || fail "several default ports: $def0 / $def1"
[ -z "$def0" ] || [ "$def0" != "$def1" ] || fail "both ports default to $def0: $(grep '^value {arg=[01]}' "$WORK/tap.cfg")"
# ... and on stand-in machines (KDTAP_DEVICE_ROOT: its dev/ and sys/class/tty/):
# a built-in UART, a ttyS line with none behind it, two USB adapters.
devices() { # devices DIR NAME...: a stand-in /dev (ttyS1 has no UART)
  local d=$1; shift
  mkdir -p "$d/dev" "$d/sys/class/tty/ttyS0" "$d/sys/class/tty/ttyS1"
  echo 4 > "$d/sys/class/tty/ttyS0/type"; echo 0 > "$d/sys/class/tty/ttyS1/type"
  for n in "$@"; do touch "$d/dev/$n"; done
}
devices "$WORK/pc" ttyS0 ttyS1 ttyUSB1 ttyUSB0 tty0 ttyprintk
KDTAP_DEVICE_ROOT="$WORK/pc" "$KDTAP" --extcap-interface kdtap-tap --extcap-config | grep '^value {arg=[01]}' > "$WORK/pc.cfg"
P="$WORK/pc/dev"
printf '%s\n' "value {arg=0}{value=$P/ttyS0}{display=/dev/ttyS0}" \
  "value {arg=0}{value=$P/ttyUSB0}{display=/dev/ttyUSB0}{default=true}" \
  "value {arg=0}{value=$P/ttyUSB1}{display=/dev/ttyUSB1}" \
  "value {arg=1}{value=$P/ttyS0}{display=/dev/ttyS0}" \
  "value {arg=1}{value=$P/ttyUSB0}{display=/dev/ttyUSB0}" \
  "value {arg=1}{value=$P/ttyUSB1}{display=/dev/ttyUSB1}{default=true}" > "$WORK/pc.want"
diff "$WORK/pc.want" "$WORK/pc.cfg" > "$WORK/pc.diff" || fail "ports of a PC with two USB adapters: $(cat "$WORK/pc.diff")"
# One port: it is t2d's default, and d2t has none (not the same one).
devices "$WORK/one" ttyS0
KDTAP_DEVICE_ROOT="$WORK/one" "$KDTAP" --extcap-interface kdtap-tap --extcap-config | grep '^value {arg=[01]}' > "$WORK/one.cfg"
[ "$(grep -c 'default=true' "$WORK/one.cfg")" = 1 ] && grep -q '^value {arg=0}.*/ttyS0}{default=true}$' "$WORK/one.cfg" \
  || fail "one port: $(cat "$WORK/one.cfg")"
# At capture (tshark passes no selector's default) the same defaults hold:
# one port is not enough, and the same port twice is refused as kdtap tap does.
rc=0; KDTAP_DEVICE_ROOT="$WORK/one" "$KDTAP" --capture --extcap-interface kdtap-tap --fifo "$WORK/fifo" 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/err")" = "kdtap: extcap: the tap needs --t2d-port and --d2t-port, two serial ports (found: /dev/ttyS0)" ] \
  || fail "capture with one port: $rc $(cat "$WORK/err")"
rc=0; "$KDTAP" --capture --extcap-interface kdtap-tap --fifo "$WORK/fifo" --t2d-port /dev/null --d2t-port /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/err")" = "kdtap: extcap: /dev/null: the same port for both directions" ] \
  || fail "capture on the same port twice: $rc $(cat "$WORK/err")"
echo "ok: the two ports default to two different ports (USB adapters first), none twice, also at capture"

# Calls of newer Wireshark versions (upstream extcap-base, newest) are understood.
[ "$("$KDTAP" --extcap-version=4.6)" = "$(head -1 "$WORK/ifaces")" ] || fail "--extcap-version alone: $("$KDTAP" --extcap-version=4.6 2>&1)"
"$KDTAP" --extcap-interfaces --extcap-version=4.6 --log-level debug --log-file "$WORK/ext.log" > "$WORK/ifaces46" \
  && cmp -s "$WORK/ifaces" "$WORK/ifaces46" || fail "--log-level/--log-file: $(cat "$WORK/ifaces46")"
KDTAP_DEVICE_ROOT="$WORK/pc" "$KDTAP" --extcap-interface kdtap-tap --extcap-config-option-name d2t-port \
  --extcap-config-option-value "" > "$WORK/opt" || fail "--extcap-config-option-name: exit $?"
[ "$(cat "$WORK/opt")" = "$(grep '^value {arg=1}' "$WORK/pc.want" | sed 's/{default=true}//')" ] || fail "--extcap-config-option-name d2t-port: $(cat "$WORK/opt")"
"$KDTAP" --extcap-interface kdtap-tap --extcap-cleanup-postkill > "$WORK/post" && [ ! -s "$WORK/post" ] || fail "--extcap-cleanup-postkill"
echo "ok: --extcap-version alone, --log-level, --log-file, --extcap-config-option-name, --extcap-cleanup-postkill"

rc=0; "$KDTAP" --extcap-interface kdtap-nope --extcap-config 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown interface 'kdtap-nope'" "$WORK/err" || fail "unknown interface: $rc $(cat "$WORK/err")"
mkdir "$WORK/none"
rc=0; KDTAP_DEVICE_ROOT="$WORK/none" "$KDTAP" --capture --extcap-interface kdtap-tap --fifo "$WORK/fifo" 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "needs --t2d-port and --d2t-port, two serial ports (found: none)" "$WORK/err" \
  || fail "capture without ports: $rc $(cat "$WORK/err")"
rc=0; "$KDTAP" --capture --extcap-interface kdtap-tap --fifo "$WORK/fifo" --interval 101 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "interval: not a number of milliseconds (0 to 100)" "$WORK/err" || fail "--interval 101: $rc $(cat "$WORK/err")"
# The stops' values are checked before anything is opened (issue 14 item 5:
# --packets -5 or --duration nan were taken).
extcap_refused() { # extcap_refused LINE ARGS...
  local want=$1; shift
  local rc=0
  KDTAP_DEVICE_ROOT="$WORK/none" "$KDTAP" --capture --extcap-interface kdtap-tap --fifo "$WORK/fifo" "$@" 2> "$WORK/err" || rc=$?
  [ "$rc" = 2 ] && [ "$(cat "$WORK/err")" = "$want" ] || fail "extcap $*: $rc $(cat "$WORK/err")"
}
for v in -5 "" 12x 99999999999999999999 " 7"; do
  extcap_refused "kdtap: extcap: --packets: not a number" --packets "$v"
done
for v in nan inf -1 "" 1e999 2s; do
  extcap_refused "kdtap: extcap: --duration: not a number of seconds" --duration "$v"
done
extcap_refused "kdtap: extcap: --baud: '1234' is not a standard rate (50 to 921600, e.g. 9600, 57600, 115200)" --baud 1234
echo "ok: --extcap-interfaces, --extcap-dlts, --extcap-config (ports present, rates, endpoints, stops)"

# Capture filters: kdtap records every byte, so Wireshark's check of a
# filter (no --capture) gets the reason as its one line (a red filter bar),
# the empty filter gets nothing (valid), and a capture with a filter is refused.
NOFILTER="capture filters are not supported: kdtap records every byte; use a display filter (e.g. kd.manip.api_number == 0x3146)"
for i in kdtap-tap kdtap-relay; do
  [ "$("$KDTAP" --extcap-capture-filter "tcp port 80" --extcap-interface "$i")" = "$NOFILTER" ] || fail "$i: a filter is not refused"
  [ -z "$("$KDTAP" --extcap-capture-filter "" --extcap-interface "$i")" ] || fail "$i: the empty filter is refused"
done
: > "$WORK/fifo" # Wireshark's fifo: opened (Wireshark waits on it), left empty
rc=0; "$KDTAP" --capture --extcap-interface kdtap-tap --fifo "$WORK/fifo" --extcap-capture-filter "kd" \
  --t2d-port /dev/null --d2t-port /dev/zero 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/err")" = "kdtap: $NOFILTER" ] || fail "capture with a filter: $rc $(cat "$WORK/err")"
[ ! -s "$WORK/fifo" ] || fail "capture with a filter: something was written"
echo "ok: capture filters: refused with the reason when Wireshark checks one, and at capture"

# --- cmake --install puts it in Wireshark's extcap folder -------------------
if [ -f "$KDSCOPE_BUILD/cmake_install.cmake" ] && grep -q 'wireshark/extcap' "$KDSCOPE_BUILD/tools/kdtap/cmake_install.cmake"; then
  DESTDIR="$WORK/dest" cmake --install "$KDSCOPE_BUILD" > "$WORK/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$WORK/install.log")"
  inst=$(find "$WORK/dest" -path '*/wireshark/extcap/kdtap' -type f | head -1)
  [ -n "$inst" ] && [ -x "$inst" ] || fail "no kdtap in an extcap folder: $(grep -i extcap "$WORK/install.log")"
  "$inst" --extcap-interfaces | grep -q kdtap-tap || fail "the installed extcap does not answer"
  echo "ok: cmake --install puts kdtap in ${inst#"$WORK/dest"}"
fi

command -v tshark > /dev/null || skip "tshark is not installed"

# --- tshark, as a user runs it ----------------------------------------------
EXTCAP="$WORK/extcap"
mkdir -p "$EXTCAP" "$WORK/out"
cp "$KDTAP" "$EXTCAP/"
chmod 755 "$WORK" "$EXTCAP" "$EXTCAP/kdtap"; chmod 777 "$WORK/out"
tshark_extcap() { WIRESHARK_EXTCAP_DIR="$EXTCAP" tshark_env "$@"; }
tshark_env() {
  if [ "$(id -u)" = 0 ]; then
    local home; home=$(mktemp -d "$WORK/home.XXXX"); chmod 777 "$home"
    env HOME="$home" TZ=UTC WIRESHARK_EXTCAP_DIR="$WIRESHARK_EXTCAP_DIR" \
      setpriv --reuid=65534 --regid=65534 --clear-groups tshark "$@"
  else
    env TZ=UTC tshark "$@"
  fi
}
tshark_extcap -D > "$WORK/D" 2> "$WORK/D.err" || fail "tshark -D: $(cat "$WORK/D.err")"
grep -q '\. kdtap-tap (Windows KD serial tap' "$WORK/D" && grep -q '\. kdtap-relay (' "$WORK/D" \
  || fail "tshark -D does not list kdtap: $(cat "$WORK/D")"
echo "ok: tshark -D lists kdtap-tap and kdtap-relay"

"$KDFEED" split "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d"
packets=$("$KDCAT" --json "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" | grep -cE '"kind":"(data|control)"')

# capture NAME "TSHARK OPTIONS": the boot session through two ptys, recorded by tshark -i kdtap-tap.
capture() {
  local name=$1 topts=$2
  "$KDFEED" play --seed 31 "$WORK/boot.t2d" "$WORK/boot.d2t" > "$WORK/$name.feed" & local fp=$!; PIDS+=("$fp")
  wait_for "$WORK/$name.feed" '^d2t ' || fail "$name: no ptys"
  local t d; t=$(awk '$1 == "t2d" {print $2}' "$WORK/$name.feed"); d=$(awk '$1 == "d2t" {print $2}' "$WORK/$name.feed")
  chmod 666 "$t" "$d" # the user's ports
  local rc=0
  timeout 60 bash -c 'tshark_extcap "$@"' _ -i kdtap-tap -o "extcap.kdtap_tap.t2dport:$t" -o "extcap.kdtap_tap.d2tport:$d" \
    $topts -w "$WORK/out/$name.pcapng" > "$WORK/$name.tshark" 2>&1 || rc=$?
  kill "$fp"; wait "$fp" || true
  [ "$rc" = 0 ] || fail "$name: tshark exit $rc: $(cat "$WORK/$name.tshark")"
  "$KDCAT" "$WORK/out/$name.pcapng" > "$WORK/$name.txt" || fail "$name: kdcat cannot read tshark's file"
}
export -f tshark_extcap tshark_env
export EXTCAP WORK

capture limit "-o extcap.kdtap_tap.packets:$packets -o extcap.kdtap_tap.baud:57600 -o extcap.kdtap_tap.interval:50"
"$KDFEED" check "$WORK/out/limit.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > "$WORK/limit.check" \
  || fail "tshark -i kdtap-tap: the file is not the session"
grep -q 'GetVersion -> STATUS_SUCCESS' "$WORK/limit.txt" || fail "tshark -i kdtap-tap: the file does not decode"
# The settings reach kdtap (its section comment is its command line).
grep -aq -- '--interval 50' "$WORK/out/limit.pcapng" || fail "tshark did not pass the read interval to kdtap"
echo "ok: tshark -i kdtap-tap (packet limit $packets) records the session from two ptys, and it decodes ($(tr '\n' ' ' < "$WORK/limit.check"))"

# Stopped by tshark (Wireshark's stop: SIGTERM to the extcap); the file is
# complete up to then.
# tshark -f: the capture is refused with kdtap's reason, not run unfiltered.
"$KDFEED" play --seed 32 "$WORK/boot.t2d" "$WORK/boot.d2t" > "$WORK/filter.feed" & fp=$!; PIDS+=("$fp")
wait_for "$WORK/filter.feed" '^d2t ' || fail "filter: no ptys"
t=$(awk '$1 == "t2d" {print $2}' "$WORK/filter.feed"); d=$(awk '$1 == "d2t" {print $2}' "$WORK/filter.feed")
chmod 666 "$t" "$d"
rc=0; timeout 60 bash -c 'tshark_extcap "$@"' _ -i kdtap-tap -o "extcap.kdtap_tap.t2dport:$t" \
  -o "extcap.kdtap_tap.d2tport:$d" -f "tcp" -a duration:5 -w "$WORK/out/filter.pcapng" > "$WORK/filter.tshark" 2>&1 || rc=$?
kill "$fp"; wait "$fp" || true
[ "$rc" != 0 ] && grep -q "capture filters are not supported" "$WORK/filter.tshark" \
  || fail "tshark -f: exit $rc: $(cat "$WORK/filter.tshark")"
echo "ok: tshark -i kdtap-tap -f tcp: refused, with kdtap's reason"

capture stopped "-a duration:3"
"$KDFEED" split "$WORK/out/stopped.pcapng" "$WORK/stopped.d2t" "$WORK/stopped.t2d"
for d in d2t t2d; do
  cmp -s "$WORK/stopped.$d" "$WORK/boot.$d" || fail "stopped by tshark: $d is not the stream"
done
echo "ok: tshark -a duration:3 stops kdtap-tap; the file holds the whole session"

# No ports named (tshark passes no selector's default): kdtap takes the
# defaults it offers, here the two USB adapters of a stand-in machine whose
# ttyUSB0 and ttyUSB1 are the two ptys.
"$KDFEED" play --seed 33 "$WORK/boot.t2d" "$WORK/boot.d2t" > "$WORK/rig.feed" & fp=$!; PIDS+=("$fp")
wait_for "$WORK/rig.feed" '^d2t ' || fail "rig: no ptys"
t=$(awk '$1 == "t2d" {print $2}' "$WORK/rig.feed"); d=$(awk '$1 == "d2t" {print $2}' "$WORK/rig.feed")
chmod 666 "$t" "$d"
devices "$WORK/rig" ttyS0
ln -s "$t" "$WORK/rig/dev/ttyUSB0"; ln -s "$d" "$WORK/rig/dev/ttyUSB1"
chmod -R a+rX "$WORK/rig"
rc=0; KDTAP_DEVICE_ROOT="$WORK/rig" timeout 60 bash -c 'tshark_extcap "$@"' _ -i kdtap-tap \
  -o "extcap.kdtap_tap.packets:$packets" -w "$WORK/out/rig.pcapng" > "$WORK/rig.tshark" 2>&1 || rc=$?
kill "$fp"; wait "$fp" || true
[ "$rc" = 0 ] || fail "tshark -i kdtap-tap with the default ports: exit $rc: $(cat "$WORK/rig.tshark")"
"$KDFEED" check "$WORK/out/rig.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > "$WORK/rig.check" \
  || fail "tshark -i kdtap-tap with the default ports: the file is not the session"
echo "ok: tshark -i kdtap-tap with no port named records from the default ports, t2d on ttyUSB0 and d2t on ttyUSB1 ($(tr '\n' ' ' < "$WORK/rig.check"))"
