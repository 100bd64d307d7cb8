#!/usr/bin/env bash
# kdsim target <-> kdtap relay <-> kdsim debugger: every script completes,
# the debugger's transcript is that of a direct connection, and the
# recording holds exactly the bytes the debugger itself sent and received
# (zero loss), over unix sockets, TCP and ptys.  --reconnect: the debugger
# leaves mid-session and another one carries on.  A side that hangs up
# (a serial device) -> exit 3; SIGTERM while waiting for a side -> 0;
# a bad endpoint -> 2.
. "$(dirname "$0")/lib.sh"
KDTAP="$KDSCOPE_BIN/kdtap"
KDSIM="$KDSCOPE_BIN/kdsim"
KDFEED="$KDSCOPE_BIN/kdfeed"
SCRIPTS="$KDSCOPE_SRC/tests/kdsim"

wait_sock() { # PATH
  local n=300
  while [ "$n" -gt 0 ]; do [ -S "$1" ] && return 0; sleep 0.1; n=$((n - 1)); done
  return 1
}
prefix() { # A B: file A is a prefix of file B
  cmp -s -n "$(stat -c %s "$1")" "$1" "$2"
}
# A long ACK timeout: a retransmission caused by a busy machine would make
# the transcripts differ for no fault of the relay.
T_OPTS="--quiet --timeout 10000"

# debugger NAME SCRIPT ENDPOINT: runs the scripted debugger (recording what
# it sent and received), again while the endpoint is not there yet (exit 2).
debugger() {
  local name=$1 script=$2 ep=$3 rc n=100
  while :; do
    rc=0
    timeout 60 "$KDSIM" debugger --timeout 10000 --script "$script" --record "$WORK/$name.dbg.pcapng" "$ep" \
      > "$WORK/$name.dbg.out" 2> "$WORK/$name.dbg.err" || rc=$?
    [ "$rc" = 2 ] && [ "$n" -gt 0 ] || break
    sleep 0.1; n=$((n - 1))
  done
  [ "$rc" = 0 ] || fail "$name: debugger exit $rc: $(cat "$WORK/$name.dbg.err") $(tail -3 "$WORK/$name.dbg.out")"
}

# The reference: the debugger straight on the target.
"$KDSIM" target $T_OPTS "unix-listen:$WORK/direct.sock" & PIDS+=($!)
wait_sock "$WORK/direct.sock" || fail "direct: no target socket"
debugger direct "$SCRIPTS/boot.kds" "unix:$WORK/direct.sock"
"$KDSIM" target $T_OPTS --arch x86 "unix-listen:$WORK/direct2.sock" & PIDS+=($!)
wait_sock "$WORK/direct2.sock" || fail "direct2: no target socket"
debugger direct2 "$SCRIPTS/arch.kds" "unix:$WORK/direct2.sock"

# relay NAME SCRIPT "TARGET OPTIONS" TARGET_SIDE DEBUGGER_SIDE DEBUGGER_ENDPOINT REFERENCE
# TARGET_SIDE/DEBUGGER_SIDE are kdtap's endpoints; "pty" ones are read from
# kdtap's "kdtap: target pty: /dev/pts/N" lines.
relay() {
  local name=$1 script=$2 topts=$3 tside=$4 dside=$5 dep=$6 ref=$7
  local tp=""
  case $tside in
    unix:*) "$KDSIM" target $T_OPTS $topts "unix-listen:${tside#unix:}" & tp=$!; PIDS+=("$tp")
            wait_sock "${tside#unix:}" || fail "$name: no target socket" ;;
  esac
  "$KDTAP" relay "$tside" "$dside" -w "$WORK/$name.pcapng" 2> "$WORK/$name.err" &
  local kp=$!; PIDS+=("$kp")
  if [ "$tside" = pty ]; then
    wait_for "$WORK/$name.err" '^kdtap: target pty: ' || fail "$name: no target pty: $(cat "$WORK/$name.err")"
    "$KDSIM" target $T_OPTS $topts "$(sed -n 's/^kdtap: target pty: //p' "$WORK/$name.err")" & tp=$!; PIDS+=("$tp")
  fi
  if [ "$dep" = pty ]; then
    wait_for "$WORK/$name.err" '^kdtap: debugger pty: ' || fail "$name: no debugger pty: $(cat "$WORK/$name.err")"
    dep=$(sed -n 's/^kdtap: debugger pty: //p' "$WORK/$name.err")
  fi
  debugger "$name" "$script" "$dep"
  local rc=0; wait "$kp" || rc=$?
  wait "$tp" 2>/dev/null || true
  [ "$rc" = 0 ] || fail "$name: kdtap exit $rc: $(cat "$WORK/$name.err")"
  diff "$WORK/$ref.dbg.out" "$WORK/$name.dbg.out" > "$WORK/$name.diff" \
    || fail "$name: the transcript through the relay differs: $(head -20 "$WORK/$name.diff")"
  # Zero loss: kdtap recorded every byte the debugger sent, and every byte it
  # received (the target may say more after the debugger quit: recorded too).
  "$KDFEED" split "$WORK/$name.dbg.pcapng" "$WORK/$name.dbg.d2t" "$WORK/$name.dbg.t2d"
  "$KDFEED" split "$WORK/$name.pcapng" "$WORK/$name.d2t" "$WORK/$name.t2d"
  cmp -s "$WORK/$name.d2t" "$WORK/$name.dbg.d2t" || fail "$name: d2t: kdtap's recording is not what the debugger sent"
  prefix "$WORK/$name.dbg.t2d" "$WORK/$name.t2d" || fail "$name: t2d: the debugger received what kdtap did not record"
  "$KDFEED" check "$WORK/$name.pcapng" "$WORK/$name.d2t" "$WORK/$name.t2d" > "$WORK/$name.check" \
    || fail "$name: kdtap's records are not the items of its streams"
  echo "ok: $name: $(grep -c '   ok: ' "$WORK/$name.dbg.out") expects passed, the transcript is the direct one, zero loss ($(tr '\n' ' ' < "$WORK/$name.check"))"
}

relay unix "$SCRIPTS/boot.kds" "" "unix:$WORK/t1.sock" "unix-listen:$WORK/d1.sock" "unix:$WORK/d1.sock" direct
port=$((20000 + RANDOM % 20000))
relay tcp "$SCRIPTS/boot.kds" "" "unix:$WORK/t2.sock" "tcp-listen:127.0.0.1:$port" "tcp:127.0.0.1:$port" direct
relay pty "$SCRIPTS/arch.kds" "--arch x86" pty pty pty direct2
grep -q "^kdtap: debugger (pty): closed the connection" "$WORK/pty.err" || fail "pty: $(cat "$WORK/pty.err")"
echo "ok: a side that closes its connection ends the relay with status 0 and says so"

# --- --reconnect: the debugger leaves mid-session, another comes -----------
printf 'reset\nwait_state exception\nget_version\nexpect kd.manip.get_version64.machine_type == 0x8664\n' > "$WORK/part1.kds"
"$KDSIM" target $T_OPTS "unix-listen:$WORK/rt.sock" & PIDS+=($!)
wait_sock "$WORK/rt.sock" || fail "reconnect: no target socket"
"$KDTAP" relay --reconnect "unix:$WORK/rt.sock" "unix-listen:$WORK/rd.sock" -w "$WORK/rc.pcapng" 2> "$WORK/rc.err" &
kp=$!; PIDS+=("$kp")
wait_sock "$WORK/rd.sock" || fail "reconnect: kdtap does not listen"
debugger rc1 "$WORK/part1.kds" "unix:$WORK/rd.sock"
wait_for "$WORK/rc.err" 'waiting for it to come back' || fail "reconnect: $(cat "$WORK/rc.err")"
debugger rc2 "$SCRIPTS/reset.kds" "unix:$WORK/rd.sock"
wait_for "$WORK/rc.err" 'connected again' || fail "reconnect: $(cat "$WORK/rc.err")"
kill -TERM "$kp"; rc=0; wait "$kp" || rc=$?
[ "$rc" = 0 ] || fail "reconnect: kdtap exit $rc: $(cat "$WORK/rc.err")"
for n in rc1.dbg rc2.dbg rc; do "$KDFEED" split "$WORK/$n.pcapng" "$WORK/$n.d2t" "$WORK/$n.t2d"; done
cat "$WORK/rc1.dbg.d2t" "$WORK/rc2.dbg.d2t" | cmp -s - "$WORK/rc.d2t" \
  || fail "reconnect: d2t is not what the two debuggers sent, one after the other"
prefix "$WORK/rc1.dbg.t2d" "$WORK/rc.t2d" || fail "reconnect: t2d does not start with what the first debugger received"
"$KDFEED" check "$WORK/rc.pcapng" "$WORK/rc.d2t" "$WORK/rc.t2d" > "$WORK/rc.check" \
  || fail "reconnect: the records are not the items of the streams: $(cat "$WORK/rc.err")"
[ "$("$KDCAT" "$WORK/rc.pcapng" | grep -c ' d2t  RESET')" = 3 ] || fail "reconnect: not three RESETs from the debuggers"
echo "ok: --reconnect: the debugger went away after GetVersion, another ran reset.kds; one file holds both ($(tr '\n' ' ' < "$WORK/rc.check"))"

# --- A serial side that hangs up: exit 3 and a valid file ------------------
"$KDFEED" split "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d"
"$KDFEED" play --seed 21 --hangup "$WORK/boot.t2d" "$WORK/boot.d2t" > "$WORK/hup.feed" & fp=$!; PIDS+=("$fp")
wait_for "$WORK/hup.feed" '^d2t ' || fail "hang-up: no ptys"
t=$(awk '$1 == "t2d" {print $2}' "$WORK/hup.feed"); d=$(awk '$1 == "d2t" {print $2}' "$WORK/hup.feed")
rc=0; timeout 60 "$KDTAP" relay -q "$t" "$d" -w "$WORK/hup.pcapng" 2> "$WORK/hup.err" || rc=$?
wait "$fp" || true
[ "$rc" = 3 ] && grep -Eq "^kdtap: (target|debugger) \\(/dev/pts/[0-9]+\\): the port hung up" "$WORK/hup.err" \
  || fail "hang-up: exit $rc: $(cat "$WORK/hup.err")"
"$KDFEED" check "$WORK/hup.pcapng" "$WORK/boot.d2t" "$WORK/boot.t2d" > /dev/null || fail "hang-up: the file is not the streams"
echo "ok: a serial side hangs up: exit 3, '$(head -1 "$WORK/hup.err")', the file holds everything"

# --- SIGTERM while waiting for the debugger; a bad endpoint ---------------
"$KDSIM" target $T_OPTS "unix-listen:$WORK/w.sock" & PIDS+=($!)
wait_sock "$WORK/w.sock" || fail "waiting: no target socket"
"$KDTAP" relay -q "unix:$WORK/w.sock" "unix-listen:$WORK/nobody.sock" -w "$WORK/wait.pcapng" 2> "$WORK/wait.err" &
kp=$!; PIDS+=("$kp")
wait_sock "$WORK/nobody.sock" || fail "waiting: kdtap does not listen"
kill -TERM "$kp"; rc=0; wait "$kp" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM while waiting: exit $rc: $(cat "$WORK/wait.err")"
[ ! -e "$WORK/nobody.sock" ] || fail "SIGTERM while waiting: the socket file is left behind"
"$KDCAT" -q "$WORK/wait.pcapng" > /dev/null || fail "SIGTERM while waiting: unreadable file"
echo "ok: SIGTERM while waiting for the debugger: exit 0, a valid (empty) capture, no socket left"

rc=0; "$KDTAP" relay "unix:$WORK/none.sock" pty -w "$WORK/none.pcapng" 2> "$WORK/none.err" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/none.err")" = "kdtap: unix:$WORK/none.sock: No such file or directory" ] \
  || fail "bad endpoint: exit $rc: $(cat "$WORK/none.err")"
rc=0; "$KDTAP" relay frob:1 pty -w "$WORK/none.pcapng" 2> "$WORK/none.err" || rc=$?
[ "$rc" = 2 ] && grep -q "^kdtap: frob:1: unknown endpoint" "$WORK/none.err" || fail "unknown endpoint: exit $rc: $(cat "$WORK/none.err")"
echo "ok: a relay endpoint that cannot be opened: exit 2 naming it"

# --- Nobody connects: kdtap says whom it waits for, and --duration and SIGINT still stop it
port=$((20000 + RANDOM % 20000))
start=$(date +%s%N); rc=0
timeout 20 "$KDTAP" relay "tcp-listen:127.0.0.1:$port" pty -w "$WORK/nc.pcapng" --duration 1 2> "$WORK/nc.err" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 0 ] || fail "--duration 1, nobody connects: exit $rc: $(cat "$WORK/nc.err")"
[ "$(head -1 "$WORK/nc.err")" = "kdtap: waiting for the target on tcp-listen:127.0.0.1:$port" ] \
  || fail "--duration 1, nobody connects: no 'waiting for the target': $(cat "$WORK/nc.err")"
grep -q "^kdtap: target (tcp-listen:127.0.0.1:$port): nobody connected within --duration$" "$WORK/nc.err" \
  || fail "--duration 1, nobody connects: the end is not said: $(cat "$WORK/nc.err")"
[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ] || fail "--duration 1, nobody connects: stopped after $ms ms"
"$KDCAT" -q "$WORK/nc.pcapng" > /dev/null || fail "--duration 1, nobody connects: unreadable file"
echo "ok: --duration 1 while nobody connects: '$(head -1 "$WORK/nc.err")', stopped after $ms ms, exit 0"

# The target came, the debugger does not: the wait for the second side counts too.
"$KDSIM" target $T_OPTS "unix-listen:$WORK/nc2.sock" & PIDS+=($!)
wait_sock "$WORK/nc2.sock" || fail "waiting for the debugger: no target socket"
rc=0; timeout 20 "$KDTAP" relay "unix:$WORK/nc2.sock" "unix-listen:$WORK/nc2d.sock" -w "$WORK/nc2.pcapng" \
  --duration 1 --packets 5 2> "$WORK/nc2.err" || rc=$?
[ "$rc" = 0 ] && grep -q "^kdtap: waiting for the debugger on unix-listen:$WORK/nc2d.sock$" "$WORK/nc2.err" \
  || fail "waiting for the debugger with --duration 1 --packets 5: exit $rc: $(cat "$WORK/nc2.err")"
echo "ok: --duration 1 --packets 5 while the debugger does not come: 'waiting for the debugger on ...', exit 0"

"$KDTAP" relay "unix-listen:$WORK/nc3.sock" pty -w "$WORK/nc3.pcapng" 2> "$WORK/nc3.err" & kp=$!; PIDS+=("$kp")
wait_for "$WORK/nc3.err" 'waiting for the target' || fail "SIGINT while waiting: $(cat "$WORK/nc3.err")"
kill -INT "$kp"; rc=0; wait "$kp" || rc=$?
[ "$rc" = 0 ] || fail "SIGINT while waiting: exit $rc: $(cat "$WORK/nc3.err")"
[ ! -e "$WORK/nc3.sock" ] || fail "SIGINT while waiting: the socket file is left behind"
echo "ok: SIGINT while waiting for the target: exit 0, no socket left"
