#!/usr/bin/env bash
# kdsim target <-> kdsim debugger as a user runs them in two terminals:
# over a unix socket, TCP on loopback and a pty; with faults on both sides
# (the session still completes; the recording shows the RESENDs and
# retransmissions); every architecture and the 32-bit protocol; the sample
# in captures/ regenerates byte for byte; bad scripts and endpoints -> 2.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"
SCRIPTS="$KDSCOPE_SRC/tests/kdsim"

# session NAME "TARGET OPTIONS" TARGET_ENDPOINT DEBUGGER_ENDPOINT "DEBUGGER OPTIONS" SCRIPT
session() {
  local name=$1 topts=$2 tep=$3 dep=$4 dopts=$5 script=$6 rc=0
  timeout 60 "$KDSIM" target $topts "$tep" > "$WORK/$name.target" 2>&1 &
  local tpid=$!
  if [ "$tep" = pty ]; then # the target prints its slave path
    for _ in $(seq 100); do grep -q 'pty: ' "$WORK/$name.target" && break; sleep 0.1; done
    dep=$(sed -n 's/^kdsim: pty: //p' "$WORK/$name.target")
  elif [ "${tep#unix-listen:}" != "$tep" ]; then # until the socket exists
    for _ in $(seq 50); do [ -S "${tep#unix-listen:}" ] && break; sleep 0.1; done
  fi
  # A TCP listener cannot be probed without taking its one connection: the
  # debugger tries again while the target is not listening yet.
  local tries=100
  while :; do
    rc=0
    timeout 60 "$KDSIM" debugger $dopts --script "$script" "$dep" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    [ "$rc" = 2 ] && grep -q 'Connection refused' "$WORK/$name.err" && [ "$tries" -gt 0 ] || break
    sleep 0.1; tries=$((tries - 1))
  done
  kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null || true
  [ "$rc" = 0 ] || fail "$name: debugger exit $rc: $(tail -3 "$WORK/$name.err") $(tail -5 "$WORK/$name.out")"
  grep -c '   ok: ' "$WORK/$name.out"
}

n=$(session unix "--seed 1" "unix-listen:$WORK/k.sock" "unix:$WORK/k.sock" "" "$SCRIPTS/boot.kds")
echo "ok: unix socket, boot.kds, $n expects passed"
port=$((20000 + RANDOM % 20000))
n=$(session tcp "--seed 1" "tcp-listen:127.0.0.1:$port" "tcp:127.0.0.1:$port" "" "$SCRIPTS/boot.kds")
echo "ok: TCP on loopback, $n expects passed"
n=$(session pty "--seed 1" pty "" "" "$SCRIPTS/boot.kds")
echo "ok: pty (the slave as a serial device), $n expects passed"
# "-": stdin/stdout, e.g. under socat or ssh; two fifos stand in for the
# pipes (the debugger opens its output first, or both would wait).  The
# debugger's transcript goes to stderr, stdout being the link.
mkfifo "$WORK/t2d.fifo" "$WORK/d2t.fifo"
timeout 60 "$KDSIM" target --quiet - < "$WORK/d2t.fifo" > "$WORK/t2d.fifo" & tpid=$!
rc=0; timeout 60 "$KDSIM" debugger --script "$SCRIPTS/boot.kds" - > "$WORK/d2t.fifo" < "$WORK/t2d.fifo" 2> "$WORK/stdio.err" || rc=$?
wait "$tpid" 2>/dev/null || true
[ "$rc" = 0 ] || fail "stdio: debugger exit $rc: $(tail -5 "$WORK/stdio.err")"
n=$(grep -c '   ok: ' "$WORK/stdio.err")
[ "$n" -ge 10 ] || fail "stdio: $n expects"
echo "ok: stdio (-) through two pipes, $n expects passed"
n=$(session reset "--seed 5" "unix-listen:$WORK/r.sock" "unix:$WORK/r.sock" "" "$SCRIPTS/reset.kds")
[ "$n" = 3 ] || fail "RESET mid-session: $n expects"
echo "ok: a RESET mid-session brings the state change again"
for a in x86 arm64; do
  n=$(session "$a" "--arch $a" "unix-listen:$WORK/$a.sock" "unix:$WORK/$a.sock" "" "$SCRIPTS/arch.kds")
  echo "ok: $a target, $n expects passed"
done
n=$(session p32 "--arch x86 --protocol 32" "unix-listen:$WORK/p32.sock" "unix:$WORK/p32.sock" "" "$SCRIPTS/arch.kds")
grep -q 'build 2195' "$WORK/p32.out" || fail "32-bit protocol: $(cat "$WORK/p32.out")"
echo "ok: the NT4/2000 32-bit protocol, $n expects passed"

# Faults on both sides: the protocol's retries carry the session through.
faults="--noise 0.0005 --drop 0.03 --timeout 150"
n=$(session noisy "--seed 3 $faults" "unix-listen:$WORK/n.sock" "unix:$WORK/n.sock" \
  "--seed 4 $faults --record $WORK/noisy.pcapng" "$SCRIPTS/boot.kds")
"$KDCAT" --stats "$WORK/noisy.pcapng" > "$WORK/noisy.stats"
r=$(awk '/retransmissions|resends|checksum errors/ {s += $NF} END {print s + 0}' "$WORK/noisy.stats")
[ "$r" -gt 0 ] || fail "faults left no trace in the recording: $(cat "$WORK/noisy.stats")"
echo "ok: with noise and drops the session completes ($n expects); the recording shows $r resends/retransmissions/bad checksums"

# The samples regenerate byte for byte (captures/README.md has the commands).
# A long ACK timeout on both sides where no fault is scheduled: a
# retransmission caused by a busy machine would be a real event in the
# recording, but not a reproducible one.  The noisy sample needs timeouts
# to happen (lost packets): the target waits 1 s, the debugger 2.5 s, so
# their timeouts never expire at the same moment (which would make the
# order of the two retransmissions a race).
slow="--timeout 10000"
while IFS='|' read -r name topts dopts script; do
  rm -f "$WORK/kdsim.sock"
  "$KDSIM" target $topts --quiet "unix-listen:$WORK/kdsim.sock" & tpid=$!
  for _ in $(seq 50); do [ -S "$WORK/kdsim.sock" ] && break; sleep 0.1; done
  # KDSCOPE_REGENERATE=1 writes them into captures/ (after a deliberate change).
  out="$WORK/regen"; [ -n "${KDSCOPE_REGENERATE:-}" ] && out="$KDSCOPE_SRC/captures"
  mkdir -p "$out"
  "$KDSIM" debugger $dopts --quiet --fixed-clock --script "$SCRIPTS/$script" \
    --record "$out/$name.pcapng" "unix:$WORK/kdsim.sock" > /dev/null || fail "regenerating $name"
  wait "$tpid" 2>/dev/null || true
  cmp "$out/$name.pcapng" "$KDSCOPE_SRC/captures/$name.pcapng" \
    || fail "captures/$name.pcapng is out of date (captures/README.md; KDSCOPE_REGENERATE=1 remakes it)"
  echo "ok: captures/$name.pcapng regenerates"
done <<LIST
kdsim-amd64-boot|--seed 1 $slow|$slow|boot.kds
kdsim-x86-xp|--seed 2 --arch x86 --build 2600 $slow|$slow|arch.kds
kdsim-x86-protocol32|--seed 3 --arch x86 --protocol 32 $slow|$slow|arch.kds
kdsim-arm64|--seed 4 --arch arm64 $slow|$slow|arch.kds
kdsim-noisy|--seed 1 --timeout 1000 --corrupt-packets 5,9 --drop-packets 14|--timeout 2500 --corrupt-packets 7 --drop-packets 12,20|boot.kds
kdsim-breakin|--seed 6 $slow|$slow|breakin.kds
kdsim-modules|--seed 7 --kaslr $slow|$slow|modules.kds
LIST

# What the noisy and break-in samples are for is in them.
"$KDCAT" --stats "$KDSCOPE_SRC/captures/kdsim-noisy.pcapng" > "$WORK/noisy-sample.stats"
grep -Eq 'RESEND +1$' "$WORK/noisy-sample.stats" && grep -Eq 'checksum errors +1$' "$WORK/noisy-sample.stats" \
  || fail "kdsim-noisy: $(cat "$WORK/noisy-sample.stats")"
"$KDCAT" "$KDSCOPE_SRC/captures/kdsim-noisy.pcapng" > "$WORK/noisy-sample.txt"
[ "$(grep -c 'retransmission of' "$WORK/noisy-sample.txt")" -ge 3 ] || fail "kdsim-noisy: too few retransmissions"
grep -q 'acknowledges nothing' "$WORK/noisy-sample.txt" || fail "kdsim-noisy: no damaged ACK"
# The noisy sample is the boot sample's session over a bad line: kddiff,
# which compares what was asked and answered, finds them the same; with
# --transport it shows the link's extra traffic.
rc=0; "$KDSCOPE_BIN/kddiff" "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" "$KDSCOPE_SRC/captures/kdsim-noisy.pcapng" \
  > "$WORK/noisy.diff" || rc=$?
[ "$rc" = 0 ] || fail "kddiff boot vs noisy: $rc $(head -20 "$WORK/noisy.diff")"
rc=0; "$KDSCOPE_BIN/kddiff" --transport "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" \
  "$KDSCOPE_SRC/captures/kdsim-noisy.pcapng" > "$WORK/noisy-transport.diff" || rc=$?
[ "$rc" = 1 ] && grep -q 'RESEND' "$WORK/noisy-transport.diff" || fail "kddiff --transport boot vs noisy: $rc"
echo "ok: kddiff finds the noisy session the same as the clean one (and --transport shows the RESEND)"
"$KDCAT" "$KDSCOPE_SRC/captures/kdsim-breakin.pcapng" > "$WORK/breakin.txt"
for want in 'd2t  Break-in' 'DbgPrint "kdsim: amd64' 'DbgPrompt "kdsim: say something> "' \
  'DbgPrompt answer "kdsim-was-here"' 'DbgPrint "kdsim: the debugger said \"kdsim-was-here\"'; do
  grep -qF "$want" "$WORK/breakin.txt" || fail "kdsim-breakin: no $want: $(cat "$WORK/breakin.txt")"
done
# The target's state changes carry the code bytes at the PC (int 2Dh at the
# boot load-symbols spot), which kd_encode alone would leave zero.
"$KDCAT" -V "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" | grep -q 'InstructionStream: cd2dcc' \
  || fail "the control report's InstructionStream is not sent"
echo "ok: the noisy sample shows a RESEND, retransmissions and a damaged ACK; the break-in sample a break-in, DbgPrint and an answered DbgPrompt"

# Bad input: one line naming the script line or the endpoint, exit 2.
printf 'reset\nread_virtual 0x1000 99999\n' > "$WORK/bad.kds"
rc=0; "$KDSIM" debugger --script "$WORK/bad.kds" unix:/nonexistent 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "bad.kds:2: read_virtual: bad length" "$WORK/err" || fail "bad script: $rc $(cat "$WORK/err")"
rc=0; "$KDSIM" debugger --script "$SCRIPTS/boot.kds" unix:/nonexistent/x 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "^kdsim: unix:/nonexistent/x: No such file or directory" "$WORK/err" || fail "bad endpoint: $rc $(cat "$WORK/err")"
rc=0; "$KDSIM" target frob:1 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "frob:1: unknown endpoint" "$WORK/err" || fail "unknown endpoint: $rc $(cat "$WORK/err")"
rc=0; "$KDSIM" target --drop-packets 3,x pty 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "^kdsim: --drop-packets: '3,x' is not a list of packet numbers" "$WORK/err" || fail "bad packet list: $rc $(cat "$WORK/err")"
rc=0; "$KDSIM" debugger --script "$WORK/nonexistent.kds" pty 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "nonexistent.kds: No such file or directory" "$WORK/err" || fail "missing script: $rc $(cat "$WORK/err")"
echo "ok: bad scripts, options and endpoints"
