#!/usr/bin/env bash
# Bad input: exit 2 and exactly one line on stderr naming the file and the
# problem; never a crash.
. "$(dirname "$0")/lib.sh"

expect_refusal() { # file, pattern
  local f="$1" pat="$2" rc=0
  "$KDCAT" "$f" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [ "$rc" = 2 ] || fail "$f: exit $rc, expected 2 (stderr: $(cat "$WORK/err"))"
  [ "$(wc -l < "$WORK/err")" = 1 ] || fail "$f: expected one line on stderr, got: $(cat "$WORK/err")"
  grep -q "^kdcat: $f: " "$WORK/err" || fail "$f: stderr does not name the file: $(cat "$WORK/err")"
  grep -qi -- "$pat" "$WORK/err" || fail "$f: stderr lacks '$pat': $(cat "$WORK/err")"
  echo "ok: $(cat "$WORK/err")"
}

expect_refusal "$WORK/missing.pcapng" "no such file"
: > "$WORK/empty"; expect_refusal "$WORK/empty" "empty"
head -c 20 "$SAMPLE" > "$WORK/short.pcapng"; expect_refusal "$WORK/short.pcapng" "truncated"
size=$(stat -c %s "$SAMPLE")
head -c $((size - 10)) "$SAMPLE" > "$WORK/cut.pcapng"; expect_refusal "$WORK/cut.pcapng" "truncated"
# The records before the cut were still printed.
[ "$(wc -l < "$WORK/out")" -gt 10 ] || fail "records before the cut were not printed"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00' > "$WORK/image.png"
expect_refusal "$WORK/image.png" "not a pcapng"
mkdir "$WORK/dir"; expect_refusal "$WORK/dir" "directory"
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' > "$WORK/classic.pcap"
# A classic pcap (Ethernet) with no frames: read, and nothing in it is KD.
expect_refusal "$WORK/classic.pcap" "no KD found"

# Every prefix of the sample: exit 0 or 2, never a crash or a sanitizer report.
for n in $(seq 0 37 "$size"); do
  head -c "$n" "$SAMPLE" > "$WORK/prefix"
  rc=0; "$KDCAT" "$WORK/prefix" > /dev/null 2> "$WORK/err" || rc=$?
  case "$rc" in 0|2) ;; *) fail "prefix $n: exit $rc: $(cat "$WORK/err")";; esac
  [ "$(wc -l < "$WORK/err")" -le 1 ] || fail "prefix $n: more than one line on stderr"
done

# Usage errors.
rc=0; "$KDCAT" 2> "$WORK/err" || rc=$?; [ "$rc" = 2 ] || fail "no files: exit $rc"
rc=0; "$KDCAT" --bogus "$SAMPLE" > /dev/null 2> "$WORK/err" || rc=$?; [ "$rc" = 2 ] || fail "bad option: exit $rc"
rc=0; "$KDCAT" --direction sideways "$SAMPLE" 2> "$WORK/err" || rc=$?; [ "$rc" = 2 ] || fail "bad direction: exit $rc"
# The architectures are kdparse's (kd_vals_arch), named once.
rc=0; "$KDCAT" --arch arm7 "$SAMPLE" 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$WORK/err")" = "kdcat: --arch: 'arm7' is not x86, amd64, arm64, arm, ia64 or alpha" ] \
  || fail "bad arch: $rc $(cat "$WORK/err")"
"$KDCAT" --arch x64 "$SAMPLE" > /dev/null || fail "--arch x64 refused"
# Writing to a full disk is an I/O error at run time: exit 3.
rc=0; "$KDCAT" "$SAMPLE" > /dev/full 2> "$WORK/err" || rc=$?
[ "$rc" = 3 ] || fail "/dev/full: exit $rc, expected 3"
"$KDCAT" --version | grep -q '^kdcat (kdscope) ' || fail "--version"
"$KDCAT" --help | grep -q -- '--json' || fail "--help"
echo "ok: bad input refused cleanly"
