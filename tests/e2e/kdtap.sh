#!/usr/bin/env bash
# kdtap tap over a pair of ptys standing in for the Y-cable: kdfeed writes
# known streams (kdsim sessions, the noisy sample, random streams with
# noise) in random chunks at random moments; the recording must hold
# exactly the bytes sent per direction and the framer's packets.  Then the
# faults: SIGINT/SIGTERM/SIGKILL, a pulled adapter, a full disk, a file
# size limit, bad ports and options; and --decode, -w -, --packets,
# --duration, ring files.
. "$(dirname "$0")/lib.sh"
KDTAP="$KDSCOPE_BIN/kdtap"
KDFEED="$KDSCOPE_BIN/kdfeed"


# feed NAME T2D_IN D2T_IN [kdfeed play options]: the cable; sets T2D, D2T, FEED_PID.
feed() {
  local name=$1 t=$2 d=$3; shift 3
  "$KDFEED" play "$@" "$t" "$d" > "$WORK/$name.feed" &
  FEED_PID=$!; PIDS+=("$FEED_PID")
  wait_for "$WORK/$name.feed" '^d2t ' || fail "$name: the feeder made no ptys"
  T2D=$(awk '$1 == "t2d" {print $2}' "$WORK/$name.feed")
  D2T=$(awk '$1 == "d2t" {print $2}' "$WORK/$name.feed")
}

# tap NAME SIGNAL T2D_IN D2T_IN "FEED OPTIONS" [KDTAP OPTIONS]: records the
# streams, stops kdtap with SIGNAL once it has read everything; RC is its status.
tap() {
  local name=$1 sig=$2 t=$3 d=$4 fopts=$5; shift 5
  feed "$name" "$t" "$d" $fopts
  "$KDTAP" tap "$@" "$T2D" "$D2T" -w "$WORK/$name.pcapng" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  local kp=$!; PIDS+=("$kp")
  wait_for "$WORK/$name.feed" '^drained' 600 || fail "$name: kdtap did not read everything: $(cat "$WORK/$name.err")"
  kill "-$sig" "$kp"; RC=0; wait "$kp" || RC=$?
  kill "$FEED_PID" 2>/dev/null; wait "$FEED_PID" || true
}

# The streams: a kdsim boot, the sample (noise, a RESEND, a truncated
# packet), two random streams (packets, bad checksums and trailers, noise,
# partial leaders, break-ins; ending inside a packet or not).
"$KDFEED" split "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d"
"$KDFEED" split "$SAMPLE" "$WORK/demo.d2t" "$WORK/demo.t2d"
"$KDFEED" random --seed 1 --size 300000 "$WORK/r1.t2d"
"$KDFEED" random --seed 2 --size 250000 "$WORK/r1.d2t"
"$KDFEED" random --seed 3 --size 40000 "$WORK/r2.t2d"
"$KDFEED" random --seed 4 --size 60000 "$WORK/r2.d2t"

# --- Exactly the bytes sent, and the framer's packets --------------------
n=0
for s in "boot INT --seed=1" "demo TERM --seed=2 --max-chunk=1 --max-delay-us=300" \
         "r1 INT --seed=3 --max-chunk=4096" "r2 TERM --seed=4 --max-chunk=5 --max-delay-us=200" "boot TERM --seed=5 --max-delay-us=0"; do
  set -- $s; n=$((n + 1)); fo="${*:3}"
  tap "exact$n" "$2" "$WORK/$1.t2d" "$WORK/$1.d2t" "$fo"
  [ "$RC" = 0 ] || fail "exact$n ($1, SIG$2): exit $RC: $(cat "$WORK/exact$n.err")"
  "$KDFEED" check "$WORK/exact$n.pcapng" "$WORK/$1.d2t" "$WORK/$1.t2d" > "$WORK/exact$n.check" \
    || fail "exact$n ($1, $fo): the recording is not the streams"
  "$KDCAT" -q "$WORK/exact$n.pcapng" > /dev/null || fail "exact$n: kdcat cannot read it"
  grep -q "^kdtap: t2d ($T2D): $(stat -c %s "$WORK/$1.t2d") bytes" "$WORK/exact$n.err" \
    || fail "exact$n: totals: $(cat "$WORK/exact$n.err")"
  echo "ok: $1 streams ($fo, stopped by SIG$2): the recording holds exactly them ($(tr '\n' ' ' < "$WORK/exact$n.check"))"
done
# The section comment names the command line; the interfaces the ports.
grep -aq "kdtap (kdscope [0-9.]*): tap $T2D $D2T -w $WORK/exact5.pcapng" "$WORK/exact5.pcapng" \
  || fail "the section comment does not hold the command line"
tshark_fields() { tshark_user -r "$1" -T fields -e frame.interface_name "${@:2}" 2>/dev/null; }
if command -v tshark > /dev/null; then
  f=$(public_copy "$WORK/exact5.pcapng")
  [ "$(tshark_fields "$f" -Y 'frame.p2p_dir == 1' | sort -u)" = "$T2D" ] \
    || fail "t2d records are not on the interface named $T2D"
  echo "ok: tshark sees the t2d records on interface $T2D, the comment holds the command line"
fi

# --interval: bytes read as they come (0), or gathered for 100 ms a round;
# either way exactly the streams.  While bytes flow a round comes at most
# every interval, unless it read 4 KB or more (which the 100 KB of r2 allow
# 25 times, if a loaded machine keeps kdtap from running), so a session of
# T seconds has at most T / 0.1 + 27 distinct timestamps (the read times,
# and the drain at the end) at 100 ms; without the wait near a thousand
# (the feeder writes 1-5 bytes every 0-200 us).
for iv in 0 100; do
  t0=$(date +%s%N)
  tap "interval$iv" INT "$WORK/r2.t2d" "$WORK/r2.d2t" "--seed=12 --max-chunk=5 --max-delay-us=200" --interval "$iv"
  t1=$(date +%s%N)
  [ "$RC" = 0 ] || fail "--interval $iv: exit $RC: $(cat "$WORK/interval$iv.err")"
  "$KDFEED" check "$WORK/interval$iv.pcapng" "$WORK/r2.d2t" "$WORK/r2.t2d" > /dev/null \
    || fail "--interval $iv: the recording is not the streams"
  rounds=$("$KDCAT" -q "$WORK/interval$iv.pcapng" | awk '{print $2}' | sort -u | wc -l)
  most=$(( (t1 - t0) / 100000000 + 27 ))
  echo "ok: --interval $iv: exactly the streams; $rounds distinct read times in $(( (t1 - t0) / 1000000 )) ms"
done
[ "$rounds" -le "$most" ] || fail "--interval 100: $rounds read times in $(( (t1 - t0) / 1000000 )) ms (at most $most)"

# --- --decode: kdcat's lines, live ---------------------------------------
# kdcat decodes what it holds again once GetVersion shows the architecture
# (the Continue2 before it gains its control set); a live view prints at
# once: both are told the sample's architecture.
tap decode INT "$WORK/demo.t2d" "$WORK/demo.d2t" "--seed=6" --decode --quiet --arch amd64
[ "$RC" = 0 ] || fail "--decode: exit $RC"
[ ! -s "$WORK/decode.err" ] || fail "--quiet still wrote: $(cat "$WORK/decode.err")"
"$KDCAT" --arch amd64 "$WORK/decode.pcapng" | sed 's/ \[no response\]//' > "$WORK/decode.kdcat"
diff "$WORK/decode.out" "$WORK/decode.kdcat" > "$WORK/decode.diff" \
  || fail "--decode lines differ from kdcat's: $(head -20 "$WORK/decode.diff")"
echo "ok: --decode prints kdcat's lines as the items arrive ($(wc -l < "$WORK/decode.out") lines); --quiet is quiet"

# --- -w - ------------------------------------------------------------------
feed stdout "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=7
"$KDTAP" tap --quiet "$T2D" "$D2T" -w - > "$WORK/stdout.pcapng" &
kp=$!; PIDS+=("$kp")
wait_for "$WORK/stdout.feed" '^drained' 600 || fail "-w -: not drained"
kill -INT "$kp"; rc=0; wait "$kp" || rc=$?; kill "$FEED_PID"; wait "$FEED_PID" || true
[ "$rc" = 0 ] || fail "-w -: exit $rc"
"$KDFEED" check "$WORK/stdout.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > /dev/null || fail "-w -: not the streams"
echo "ok: -w - writes the recording to standard output"

# --- SIGKILL: every block written before it reads back ---------------------
# "drained" says kdtap has read every byte, not that it has written them:
# on a loaded machine a SIGKILL can fall between a read and its write.  So
# the kill waits until the file holds the streams (a kdtap that kept blocks
# in memory until exit would never get there), then must not spoil it.
feed kill "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=8
"$KDTAP" tap -q "$T2D" "$D2T" -w "$WORK/kill.pcapng" 2> "$WORK/kill.err" & kp=$!; PIDS+=("$kp")
wait_for "$WORK/kill.feed" '^drained' 600 || fail "SIGKILL: kdtap did not read everything: $(cat "$WORK/kill.err")"
n=300
until "$KDFEED" check "$WORK/kill.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > /dev/null 2>&1; do
  n=$((n - 1)); [ "$n" -gt 0 ] || fail "SIGKILL: 30 s after reading everything, the file still lacks it"
  sleep 0.1
done
kill -KILL "$kp"; RC=0; wait "$kp" 2>/dev/null || RC=$?
kill "$FEED_PID" 2>/dev/null; wait "$FEED_PID" || true
[ "$RC" = 137 ] || fail "SIGKILL: exit $RC"
"$KDFEED" check "$WORK/kill.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > /dev/null \
  || fail "SIGKILL: the file does not hold what was read"
echo "ok: SIGKILL leaves a readable file with every item read before it"

# --- A pulled adapter: the pty masters close under the tap ---------------
feed pulled "$WORK/r2.t2d" "$WORK/r2.d2t" --seed=9 --hangup
rc=0; timeout 60 "$KDTAP" tap -q "$T2D" "$D2T" -w "$WORK/pulled.pcapng" 2> "$WORK/pulled.err" || rc=$?
wait "$FEED_PID" || true
[ "$rc" = 3 ] || fail "pulled adapter: exit $rc: $(cat "$WORK/pulled.err")"
grep -Eq "^kdtap: /dev/pts/[0-9]+: the port hung up" "$WORK/pulled.err" || fail "pulled adapter: $(cat "$WORK/pulled.err")"
[ "$(wc -l < "$WORK/pulled.err")" = 1 ] || fail "pulled adapter: more than one line: $(cat "$WORK/pulled.err")"
"$KDFEED" check "$WORK/pulled.pcapng" "$WORK/r2.d2t" "$WORK/r2.t2d" > /dev/null || fail "pulled adapter: the file is not the streams"
echo "ok: a pulled adapter: exit 3, '$(cat "$WORK/pulled.err")', and the file holds everything"

# --- A full disk, a file size limit ----------------------------------------
feed full "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=10
rc=0; "$KDTAP" tap -q "$T2D" "$D2T" -w /dev/full 2> "$WORK/full.err" || rc=$?
kill "$FEED_PID"; wait "$FEED_PID" || true
[ "$rc" = 3 ] && [ "$(cat "$WORK/full.err")" = "kdtap: /dev/full: No space left on device" ] \
  || fail "/dev/full: exit $rc: $(cat "$WORK/full.err")"
echo "ok: -w /dev/full: exit 3, '$(cat "$WORK/full.err")'"

feed limit "$WORK/r1.t2d" "$WORK/r1.d2t" --seed=11
rc=0; (ulimit -f 100; exec timeout 60 "$KDTAP" tap -q "$T2D" "$D2T" -w "$WORK/limit.pcapng") 2> "$WORK/limit.err" || rc=$?
kill "$FEED_PID"; wait "$FEED_PID" || true
[ "$rc" = 3 ] && grep -q "^kdtap: $WORK/limit.pcapng: File too large$" "$WORK/limit.err" \
  || fail "file size limit: exit $rc: $(cat "$WORK/limit.err")"
"$KDCAT" -q "$WORK/limit.pcapng" > /dev/null || fail "file size limit: the file is unreadable"
"$KDFEED" split "$WORK/limit.pcapng" "$WORK/limit.d2t" "$WORK/limit.t2d"
for d in t2d d2t; do
  cmp -s "$WORK/limit.$d" "$WORK/r1.$d" && fail "file size limit: everything fit?"
  c=$(cmp "$WORK/limit.$d" "$WORK/r1.$d" 2>&1 || true)
  case $c in *"EOF on $WORK/limit.$d"*) ;; *) [ ! -s "$WORK/limit.$d" ] || fail "file size limit: $d: $c" ;; esac
done
echo "ok: the disk fills mid-session (ulimit -f): exit 3, one line, the file reads back up to its last block"

# --- Bad ports and options: exit 2 naming them, no file left ---------------
feed bad "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=12
: > "$WORK/regular"
bad_case() { # EXPECTED_MESSAGE ARGS...
  local want=$1; shift
  rm -f "$WORK/bad.pcapng"; local rc=0
  "$KDTAP" "$@" 2> "$WORK/bad.err" > /dev/null || rc=$?
  [ "$rc" = 2 ] || fail "kdtap $*: exit $rc: $(cat "$WORK/bad.err")"
  [ "$(cat "$WORK/bad.err")" = "$want" ] || fail "kdtap $*: '$(cat "$WORK/bad.err")', not '$want'"
  [ ! -e "$WORK/bad.pcapng" ] || fail "kdtap $*: left a file"
}
bad_case "kdtap: /dev/ttyNOPE0: No such file or directory" tap /dev/ttyNOPE0 "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: /dev/null: not a tty" tap "$T2D" /dev/null -w "$WORK/bad.pcapng"
bad_case "kdtap: $WORK/regular: not a tty" tap "$WORK/regular" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: $T2D@12345: unsupported baud rate 12345" tap "$T2D@12345" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --baud: '12345' is not a standard rate (50 to 921600, e.g. 9600, 57600, 115200)" \
  tap --baud 12345 "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --baud: '1000000' is not a standard rate (50 to 921600, e.g. 9600, 57600, 115200)" \
  tap -b 1000000 "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: unix:$WORK/x.sock: not a serial device (a receive-only port is needed)" \
  tap "unix:$WORK/x.sock" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: $T2D: the same port for both directions" tap "$T2D" "$T2D" -w "$WORK/bad.pcapng"
bad_case "kdtap: -w FILE is required (-w - for standard output)" tap "$T2D" "$D2T"
bad_case "kdtap: record: expected 'tap' or 'relay' (try 'kdtap --help')" record "$T2D" "$D2T"
bad_case "kdtap: expected 'tap' or 'relay' (try 'kdtap --help')"
# Unknown options and missing values: one line of ours, not getopt's two.
bad_case "kdtap: --frobnicate: unknown option (try 'kdtap --help')" --frobnicate
bad_case "kdtap: --frobnicate: unknown option (try 'kdtap --help')" tap --frobnicate "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: -Z: unknown option (try 'kdtap --help')" relay -Z "unix:$WORK/a" "unix:$WORK/b" -w "$WORK/bad.pcapng"
bad_case "kdtap: -w: needs a value (try 'kdtap --help')" tap "$T2D" "$D2T" -w
bad_case "kdtap: --duration: needs a value (try 'kdtap --help')" tap "$T2D" "$D2T" -w "$WORK/bad.pcapng" --duration
bad_case "kdtap: --duration: expected 'tap' or 'relay' before the options (try 'kdtap --help')" --duration 1 tap "$T2D" "$D2T"
# A file that cannot be created fails before recording starts: bad usage (2), not I/O (3).
bad_case "kdtap: /nonexistent/x.pcapng: No such file or directory" tap "$T2D" "$D2T" -w /nonexistent/x.pcapng
bad_case "kdtap: /nonexistent/x.pcapng: No such file or directory" relay pty pty -w /nonexistent/x.pcapng
bad_case "kdtap: --reconnect is for relay (a tap only listens)" tap --reconnect "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --ring-files 3 needs --ring-size" tap --ring-files 3 "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --decode prints on standard output: it cannot share it with -w -" tap --decode "$T2D" "$D2T" -w -
bad_case "kdtap: --duration: 'soon' is not a number of seconds" tap --duration soon "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --interval: '-1' is not a number of milliseconds (0 to 100)" tap --interval -1 "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --interval: '5s' is not a number of milliseconds (0 to 100)" tap --interval 5s "$T2D" "$D2T" -w "$WORK/bad.pcapng"
bad_case "kdtap: --interval is for tap (a relay forwards every byte at once)" relay --interval 5 "unix:$WORK/a" "unix:$WORK/b" -w "$WORK/bad.pcapng"
kill "$FEED_PID"; wait "$FEED_PID" || true
# At a legal rate the pty opens (a tap at 921600 and 9600 alike).
echo "ok: bad ports, rates and options: exit 2, one line naming them, no file"

# --- Stop conditions --------------------------------------------------------
feed packets "$WORK/r1.t2d" "$WORK/r1.d2t" --seed=13
rc=0; timeout 60 "$KDTAP" tap -q --baud 921600 --packets 100 "$T2D" "$D2T@9600" -w "$WORK/packets.pcapng" || rc=$?
kill "$FEED_PID"; wait "$FEED_PID" || true
[ "$rc" = 0 ] || fail "--packets: exit $rc"
got=$("$KDCAT" --json "$WORK/packets.pcapng" | grep -cE '"kind":"(data|control)"')
[ "$got" = 100 ] || fail "--packets 100: $got packets recorded"
echo "ok: --packets 100 stops after exactly 100 packets (at 921600 and 9600 baud)"

feed duration "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=14
start=$(date +%s%N); rc=0
timeout 60 "$KDTAP" tap -q --duration 3 "$T2D" "$D2T" -w "$WORK/duration.pcapng" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
kill "$FEED_PID"; wait "$FEED_PID" || true
[ "$rc" = 0 ] && [ "$ms" -ge 2900 ] && [ "$ms" -lt 10000 ] || fail "--duration 3: exit $rc after $ms ms"
"$KDFEED" check "$WORK/duration.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > /dev/null || fail "--duration: not the streams"
echo "ok: --duration 3 stops after $ms ms with everything recorded"

# --- Ring files ---------------------------------------------------------------
"$KDFEED" random --seed 5 --size 1400000 "$WORK/big.t2d"
"$KDFEED" random --seed 6 --size 1300000 "$WORK/big.d2t"
mkdir "$WORK/ring" "$WORK/ring2"
tap ring INT "$WORK/big.t2d" "$WORK/big.d2t" "--seed=15 --max-chunk=8192 --max-delay-us=0" -q --ring-size 1
[ "$RC" = 0 ] || fail "ring: exit $RC"
ls "$WORK/ring.pcapng" > /dev/null 2>&1 && fail "ring: the plain name was written too"
tap ring2/out INT "$WORK/big.t2d" "$WORK/big.d2t" "--seed=16 --max-chunk=8192 --max-delay-us=0" -q --ring-size 1 --ring-files 2
[ "$RC" = 0 ] || fail "ring --ring-files: exit $RC"
files=$(ls "$WORK"/ring_*.pcapng)
[ "$(echo "$files" | wc -l)" -ge 3 ] || fail "ring: $(echo $files)"
: > "$WORK/ring.all.d2t"; : > "$WORK/ring.all.t2d"
for f in $files; do
  case $(basename "$f") in ring_[0-9][0-9][0-9][0-9][0-9]_[0-9]*.pcapng) ;; *) fail "ring name: $f" ;; esac
  size=$(stat -c %s "$f"); [ "$size" -lt 1010000 ] || fail "ring: $f is $size bytes"
  "$KDCAT" -q "$f" > /dev/null || fail "ring: $f is not a complete capture"
  "$KDFEED" split "$f" "$WORK/part.d2t" "$WORK/part.t2d"
  cat "$WORK/part.d2t" >> "$WORK/ring.all.d2t"; cat "$WORK/part.t2d" >> "$WORK/ring.all.t2d"
done
cmp -s "$WORK/ring.all.d2t" "$WORK/big.d2t" && cmp -s "$WORK/ring.all.t2d" "$WORK/big.t2d" \
  || fail "ring: the files together are not the streams"
kept=$(ls "$WORK"/ring2/out_*.pcapng)
[ "$(echo "$kept" | wc -l)" = 2 ] || fail "--ring-files 2 kept: $(echo $kept)"
echo "$kept" | head -1 | grep -q "out_0000[2-9]_" || fail "--ring-files 2 kept the oldest: $(echo $kept)"
echo "ok: --ring-size 1: $(echo "$files" | wc -l) complete files of <= 1 MB that together are the streams; --ring-files 2 keeps the newest 2"

# --- On a terminal: the live status line, then the totals -------------------
if command -v script > /dev/null; then
  feed status "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=17 --max-delay-us=100000
  rc=0; script -qefc "$KDTAP tap $T2D $D2T -w $WORK/status.pcapng --duration 2" "$WORK/status.tty" > /dev/null || rc=$?
  kill "$FEED_PID"; wait "$FEED_PID" || true
  [ "$rc" = 0 ] || fail "on a terminal: exit $rc"
  grep -aq $'\r.*\033\\[K' "$WORK/status.tty" || fail "the status line is not redrawn in place"
  tr '\r' '\n' < "$WORK/status.tty" | sed 's/\x1b\[K//g' > "$WORK/status.lines"
  grep -aEq '^kdtap: 0:00:0[0-9]  t2d [0-9.]+ k?B [0-9]+ pkt [0-9]+ bad [0-9]+ resend.* \| d2t ' "$WORK/status.lines" \
    || fail "no status line: $(head -c 600 "$WORK/status.lines")"
  # The last message of each direction, named as kdcat names it.
  grep -aEq ' t2d [^|]* resends? (LoadSymbols|Exception|GetVersion|ReadVirtualMemory|GetContext|WriteVirtualMemory|SetContext|WriteBreakPoint|RestoreBreakPoint|DbgPrint) \| d2t ' \
    "$WORK/status.lines" || fail "the status line names no t2d message: $(head -c 600 "$WORK/status.lines")"
  grep -aq "^kdtap: t2d ($T2D): [0-9]* bytes, [0-9]* packets, 0 checksum errors, 0 resends" "$WORK/status.lines" \
    || fail "no totals after the status line: $(tail -5 "$WORK/status.lines")"
  echo "ok: on a terminal, one status line redrawn in place ($(grep -ac '^kdtap: 0:' "$WORK/status.lines") times), then the totals"

  # A narrow terminal: the line fits its width and still shows both directions.
  for cols in 80 40; do
    feed "status$cols" "$WORK/boot.t2d" "$WORK/boot.d2t" --seed=17 --max-delay-us=100000
    rc=0; script -qefc "stty cols $cols; $KDTAP tap $T2D $D2T -w $WORK/status$cols.pcapng --duration 2" \
      "$WORK/status$cols.tty" > /dev/null || rc=$?
    kill "$FEED_PID"; wait "$FEED_PID" || true
    [ "$rc" = 0 ] || fail "on a $cols-column terminal: exit $rc"
    tr '\r' '\n' < "$WORK/status$cols.tty" | sed 's/\x1b\[K//g' | grep -a '^\(kdtap: \)\?0:00:0' > "$WORK/status$cols.lines" || true
    [ -s "$WORK/status$cols.lines" ] || fail "$cols columns: no status line: $(head -c 600 "$WORK/status$cols.tty")"
    long=$(awk -v c="$cols" 'length($0) > c - 1' "$WORK/status$cols.lines" | head -1)
    [ -z "$long" ] || fail "$cols columns: a status line of ${#long} characters: $long"
    nod2t=$(grep -av ' t2d .* | d2t [0-9]' "$WORK/status$cols.lines" | head -1 || true)
    [ -z "$nod2t" ] || fail "$cols columns: a status line without both directions: $nod2t"
    echo "ok: a $cols-column terminal: every status line fits and shows t2d and d2t ($(tail -1 "$WORK/status$cols.lines"))"
  done
fi
