#!/usr/bin/env bash
# kdtap's benchmark (run by hand; not a test).  design.md's budgets: relay
# >= 90% of socat's throughput on the same socket path with zero bytes
# lost; CPU < 1% of a core at 2 x 115200 baud; memory constant in the
# length of the session.
#
#   tests/bench/bench_kdtap.sh BUILD_DIR [SECONDS [relay|cpu|memory]]
#
# 1. Relay throughput: a KD stream (kdfeed random: packets up to 4000-byte
#    bodies, noise, break-ins) served by socat on a unix socket, relayed to
#    a socat sink on another unix socket, by kdtap (recording to a file)
#    and by socat; MB/s of each (best of 5), bytes checked at the sink.
# 2. CPU at 2 x 115200: kdfeed paces the kdsim boot session, repeated, into
#    two ptys at 115200 baud each, in chunks as a UART (1-16 bytes) or a
#    USB adapter (62 bytes) delivers them, for SECONDS (default 60);
#    kdtap's CPU time from /proc/PID/sched.
# 3. Memory: the same streams at full speed for SECONDS; kdtap's VmRSS
#    sampled as the session grows, and VmHWM at the end (plain and --decode).
set -euo pipefail
BUILD=${1:?usage: bench_kdtap.sh BUILD_DIR [SECONDS]}
SECS=${2:-60}
PART=${3:-all}
want() { [ "$PART" = all ] || [ "$PART" = "$1" ]; }
BIN=$(cd "$BUILD/bin" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v socat > /dev/null || { echo "bench_kdtap: socat is needed (apt-get install socat)" >&2; exit 2; }
W=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT

now_ns() { date +%s%N; }
# CPU time in ms: the scheduler's own count (/proc/PID/sched), exact to the
# ns.  utime + stime from /proc/PID/stat are sampled at the timer tick
# (250 Hz here), which a program that wakes a few hundred times a second
# for a few microseconds at a time can dodge or hit in bulk.
cpu_ms() { awk '$1 == "se.sum_exec_runtime" {print $3}' "/proc/$1/sched"; }
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }

# ---------------------------------------------------------------- 1. relay
if want relay; then
"$BIN/kdfeed" random --seed 42 --size 200000000 "$W/stream.bin"
size=$(stat -c %s "$W/stream.bin")
# relay_once RELAY...: source -> RELAY -> sink; prints MB/s, checks the byte count.
relay_once() {
  # The last run's recording goes before the clock starts: truncating 200 MB
  # of page cache is not relaying (and socat has no file to truncate).
  rm -f "$W/src.sock" "$W/dst.sock" "$W/relay.pcapng" /dev/shm/kdtap-bench.pcapng
  socat -u "OPEN:$W/stream.bin" "UNIX-LISTEN:$W/src.sock" & local sp=$!
  socat -u "UNIX-LISTEN:$W/dst.sock" STDOUT > "$W/sink.bin" & local kp=$!
  wait_sock "$W/src.sock"; wait_sock "$W/dst.sock"
  local t0; t0=$(now_ns)
  "$@"
  wait "$kp"
  local t1; t1=$(now_ns)
  wait "$sp" || true
  local got; got=$(stat -c %s "$W/sink.bin")
  [ "$got" = "$size" ] || { echo "bench_kdtap: $1 delivered $got of $size bytes" >&2; exit 1; }
  cmp -s "$W/sink.bin" "$W/stream.bin" || { echo "bench_kdtap: $1 changed the bytes" >&2; exit 1; }
  echo "$size $t0 $t1" | awk '{printf "%.1f\n", $1 / (($3 - $2) / 1e9) / 1e6}'
}
best() { sort -g | tail -1; }
kd=$(for _ in 1 2 3 4 5; do relay_once "$BIN/kdtap" relay -q "unix:$W/src.sock" "unix:$W/dst.sock" -w "$W/relay.pcapng"; done | best)
"$BIN/kdfeed" split "$W/relay.pcapng" "$W/r.d2t" "$W/r.t2d"
cmp -s "$W/r.t2d" "$W/stream.bin" || { echo "bench_kdtap: the recording is not the stream" >&2; exit 1; }
shm=$(for _ in 1 2 3 4 5; do relay_once "$BIN/kdtap" relay -q "unix:$W/src.sock" "unix:$W/dst.sock" -w /dev/shm/kdtap-bench.pcapng; done | best)
rm -f /dev/shm/kdtap-bench.pcapng
kdn=$(for _ in 1 2 3 4 5; do relay_once "$BIN/kdtap" relay -q "unix:$W/src.sock" "unix:$W/dst.sock" -w /dev/null; done | best)
so=$(for _ in 1 2 3 4 5; do relay_once socat -b 65536 "UNIX-CONNECT:$W/src.sock" "UNIX-CONNECT:$W/dst.sock"; done | best)
echo "relay, $((size / 1000000)) MB over unix sockets (best of 5):"
echo "  socat                            $so MB/s"
echo "  kdtap relay -w FILE (disk)       $kd MB/s  ($(echo "$kd $so" | awk '{printf "%.0f", 100 * $1 / $2}')% of socat; recording checked)"
echo "  kdtap relay -w /dev/shm/FILE     $shm MB/s  ($(echo "$shm $so" | awk '{printf "%.0f", 100 * $1 / $2}')% of socat; tmpfs)"
echo "  kdtap relay -w /dev/null         $kdn MB/s  ($(echo "$kdn $so" | awk '{printf "%.0f", 100 * $1 / $2}')% of socat)"
fi

# ---------------------------------------------------------------- 2. CPU
"$BIN/kdfeed" split "$SRC/captures/kdsim-amd64-boot.pcapng" "$W/boot.d2t" "$W/boot.t2d"
# session SECONDS "FEED OPTIONS" "KDTAP OPTIONS": sets KP (kdtap), FP (feeder).
session() {
  "$BIN/kdfeed" play $2 --repeat-for "$1" "$W/boot.t2d" "$W/boot.d2t" > "$W/feed" & FP=$!; PIDS+=("$FP")
  for _ in $(seq 100); do grep -q '^d2t ' "$W/feed" && break; sleep 0.05; done
  local t d; t=$(awk '$1 == "t2d" {print $2}' "$W/feed"); d=$(awk '$1 == "d2t" {print $2}' "$W/feed")
  "$BIN/kdtap" tap $3 "$t" "$d" -w "$W/s.pcapng" > /dev/null 2> "$W/s.err" & KP=$!; PIDS+=("$KP")
}
finish() {
  for _ in $(seq 600); do grep -q '^drained' "$W/feed" && break; sleep 0.1; done
  kill -INT "$KP"; wait "$KP" || true; kill "$FP"; wait "$FP" || true
}
# How the bytes come: a 16550 UART hands them over a few at a time (FIFO
# trigger level 8, or fewer at its timeout); a USB adapter (FTDI) in 62-byte
# packets.
want cpu && for feed in "uart|--min-chunk 1 --max-chunk 16" "usb|--min-chunk 62 --max-chunk 62"; do
  for opts in "-q" "-q --decode" "-q --interval 0"; do
    session "$SECS" "--seed 1 --rate 115200 ${feed#*|}" "$opts"
    sleep 1; c0=$(cpu_ms "$KP"); t0=$(now_ns)
    sleep $((SECS - 2))
    c1=$(cpu_ms "$KP"); t1=$(now_ns)
    finish
    echo "CPU at 2 x 115200 baud, ${feed%%|*}-like reads (${feed#*|}), kdtap tap $opts: $(echo "$c0 $c1 $t0 $t1" | \
      awk '{printf "%.2f%% of a core (%.0f ms in %.0f s)", 100 * ($2 - $1) / 1e3 / (($4 - $3) / 1e9), $2 - $1, ($4 - $3) / 1e9}')"
  done
done

# ---------------------------------------------------------------- 3. memory
want memory && for opts in "-q" "-q --decode"; do
  session "$SECS" "--seed 2 --max-chunk 4096 --max-delay-us 0" "$opts"
  line=""
  start=$(now_ns)
  for frac in 10 30 50 70 90; do
    target=$((start + SECS * frac * 10000000))
    while [ "$(now_ns)" -lt "$target" ]; do sleep 0.2; done
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$KP/status")
    recs=$(stat -c %s "$W/s.pcapng")
    line="$line $((frac * SECS / 100))s:${rss}kB/$((recs / 1000000))MB"
  done
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$KP/status")
  finish
  echo "memory, kdtap tap $opts at full speed: VmRSS at time:rss/file-size${line}; VmHWM ${hwm} kB; $(tail -1 "$W/s.err")"
done
