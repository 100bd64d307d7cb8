#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kdsim's command line (issue 17, items 7, 8, 9, 11): bad input gives one
# line "kdsim: what: why" and exit 2, before any endpoint exists; a failed
# expect shows the value's bytes in hex; --help is for a user.
. "$(dirname "$0")/lib.sh"
KDSIM="$KDSCOPE_BIN/kdsim"

# refused EXPECTED_LINE ARGS...: exit 2 and exactly that one line on stderr.
refused() {
  local want=$1; shift
  local rc=0
  timeout 10 "$KDSIM" "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null || rc=$?
  [ "$rc" = 2 ] || fail "kdsim $*: exit $rc, not 2 ($(head -3 "$WORK/err"))"
  [ "$(wc -l < "$WORK/err")" = 1 ] || fail "kdsim $*: not one line: $(cat "$WORK/err")"
  [ "$(cat "$WORK/err")" = "$want" ] || fail "kdsim $*: '$(cat "$WORK/err")', not '$want'"
  [ ! -s "$WORK/out" ] || fail "kdsim $*: wrote to stdout: $(head -3 "$WORK/out")"
}

cd "$WORK"
refused "kdsim: .: Is a directory" debugger --script . pty
refused "kdsim: --delay: '-5' is not a number from 0 to 60000" target --delay -5 pty
refused "kdsim: --jitter: 'x' is not a number from 0 to 60000" target --jitter x pty
refused "kdsim: --timeout: '0' is not a number from 1 to 3600000" target --timeout 0 pty
refused "kdsim: target: --script is for the debugger (kdsim debugger --script FILE)" target --script x pty
# --record that cannot be written: before the pty (no "kdsim: pty: ..." line).
refused "kdsim: /nonexist/x: No such file or directory" target --record /nonexist/x pty
refused "kdsim: --arch: 'arm' is not x86, amd64 or arm64" target --arch arm pty
refused "kdsim: --frob: unknown option (try 'kdsim --help')" target --frob pty
# Numbers are numbers (issue 14 item 5: --seed x was seed 0, --baud was not checked).
refused "kdsim: --seed: 'x' is not a number" target --seed x pty
refused "kdsim: --seed: '-1' is not a number" target --seed -1 pty
refused "kdsim: --kaslr: '5q' is not a number" target --kaslr=5q pty
refused "kdsim: --build: '' is not a number" target --build "" pty
refused "kdsim: --noise: 'nan' is not a rate from 0 to 1" target --noise nan pty
refused "kdsim: --baud: '12345' is not a standard rate (50 to 921600, e.g. 9600, 57600, 115200)" target --baud 12345 pty
refused "kdsim: --baud: 'fast' is not a standard rate (50 to 921600, e.g. 9600, 57600, 115200)" \
  replay --as target --baud fast "$SAMPLE" pty
refused "kdsim: --until: '-1' is not a frame number (from 1)" replay --as target --until -1 "$SAMPLE" pty
refused "kdsim: --record: needs a value (try 'kdsim --help')" target --record
refused "kdsim: --frob: unknown option (try 'kdsim replay --help')" replay --as target --frob "$SAMPLE" pty
refused "kdsim: /nonexist/x: No such file or directory" replay --as target --record /nonexist/x "$SAMPLE" pty

# --help: says how to get help and the version, no path into the source tree.
"$KDSIM" --help > help.txt
grep -q -- '-h, --help' help.txt || fail "--help does not list --help"
grep -q -- '--version' help.txt || fail "--help does not list --version"
! grep -qE 'tools/|tests/|\.h\b' help.txt || fail "--help points into the source tree: $(grep -E 'tools/|tests/' help.txt)"

# A failed expect: the value's bytes in hex, never raw.  The kernel image
# starts "MZ" then zeros (model_image.c).
printf 'reset\nwait_state exception\nget_version\nread_virtual kernbase 8\nexpect kd.manip.read_memory.data contains ZZZZ\n' > bad.kds
"$KDSIM" target --quiet "unix-listen:$WORK/t.sock" & PIDS+=($!)
n=100; while [ ! -S t.sock ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
rc=0
timeout 30 "$KDSIM" debugger --quiet --script bad.kds "unix:$WORK/t.sock" > out 2> err || rc=$?
[ "$rc" = 1 ] || fail "failed expect: exit $rc, not 1: $(cat err)"
want='kdsim: bad.kds:5: expect kd.manip.read_memory.data contains "ZZZZ": it is "MZ\x00\x00\x00\x00\x00\x00"'
[ "$(cat err)" = "$want" ] || fail "failed expect: '$(cat -v err)', not '$want'"
echo "PASS"
