#!/usr/bin/env bash
# kddiff as a CI job uses it, on sessions made by kdsample: the same session
# or the same script with other timing -> 0 and no output; a changed read
# address -> 1 showing exactly that field; an extra request -> insertions
# only; a kernel slid by ASLR -> 1, 0 with --rebase; --ignore, --stat,
# --json, --junit (valid XML listing the failure), --max-time-ratio; bad
# input -> 2 with a clear error.
. "$(dirname "$0")/lib.sh"
KDDIFF="$KDSCOPE_BIN/kddiff"
S="$KDSCOPE_BUILD/bin/kdsample"
"$S" "$WORK/a.pcapng"
"$S" "$WORK/time.pcapng" --time-scale 150
"$S" "$WORK/read.pcapng" --read-offset 1000
"$S" "$WORK/extra.pcapng" --extra-read
"$S" "$WORK/slide.pcapng" --slide 200000

run() { # expected exit, output file, kddiff args...
  local want=$1 out=$2 rc=0; shift 2
  "$KDDIFF" "$@" > "$out" 2> "$WORK/err" || rc=$?
  [ "$rc" = "$want" ] || fail "kddiff $*: exit $rc, expected $want: $(cat "$WORK/err") $(head -5 "$out")"
}

run 0 "$WORK/out" "$WORK/a.pcapng" "$WORK/a.pcapng"
[ ! -s "$WORK/out" ] || fail "a session against itself printed: $(cat "$WORK/out")"
run 0 "$WORK/out" "$WORK/a.pcapng" "$WORK/time.pcapng"
[ ! -s "$WORK/out" ] || fail "other timing printed: $(cat "$WORK/out")"
echo "ok: identical and retimed sessions match"

run 1 "$WORK/out" "$WORK/a.pcapng" "$WORK/read.pcapng"
fields=$(grep -E '^      kd\.' "$WORK/out" | cut -d: -f1 | sort -u | tr -d ' ')
[ "$fields" = "kd.manip.read_memory.target_base_address" ] || fail "changed read shows fields: $fields"
grep -q 'target_base_address: 0xfffff80002a00000 -> 0xfffff80002a01000' "$WORK/out" || fail "no A -> B values"
[ "$(grep -c '^- ' "$WORK/out")" = 2 ] && [ "$(grep -c '^+ ' "$WORK/out")" = 2 ] || fail "changed read: $(cat "$WORK/out")"
echo "ok: a changed read address shows exactly that field"

run 1 "$WORK/out" "$WORK/a.pcapng" "$WORK/extra.pcapng"
[ "$(grep -c '^- ' "$WORK/out")" = 0 ] || fail "extra request shows deletions: $(cat "$WORK/out")"
[ "$(grep -c '^+ ' "$WORK/out")" = 2 ] || fail "extra request: $(cat "$WORK/out")"
grep '^+ ' "$WORK/out" | grep -vq ReadVirtualMemory && fail "extra request: unexpected insertion"
echo "ok: an extra request is an insertion (request and reply), nothing else changes"

run 1 "$WORK/out" "$WORK/a.pcapng" "$WORK/slide.pcapng"
run 0 "$WORK/out" --rebase "$WORK/a.pcapng" "$WORK/slide.pcapng"
run 1 "$WORK/out" --rebase "$WORK/a.pcapng" "$WORK/read.pcapng"
echo "ok: an ASLR slide differs, and matches with --rebase"

run 0 "$WORK/out" --ignore 'kd.manip.read_memory.*' "$WORK/a.pcapng" "$WORK/read.pcapng"
run 1 "$WORK/out" --ignore-data "$WORK/a.pcapng" "$WORK/read.pcapng"
echo "ok: --ignore globs"

run 1 "$WORK/out" --stat "$WORK/a.pcapng" "$WORK/extra.pcapng"
grep -qE '^d2t ReadVirtualMemory +1 +0 +0 +1$' "$WORK/out" || fail "--stat: $(cat "$WORK/out")"
grep -qE '^total +7 +0 +0 +2$' "$WORK/out" || fail "--stat total: $(cat "$WORK/out")"
run 1 "$WORK/out" --json "$WORK/a.pcapng" "$WORK/read.pcapng"
command -v jq >/dev/null && {
  [ "$(jq -s 'length' "$WORK/out")" = 2 ] || fail "--json: $(cat "$WORK/out")"
  jq -e -s 'all(.[]; .op == "change" and .fields[0].field == "kd.manip.read_memory.target_base_address")' \
    "$WORK/out" > /dev/null || fail "--json content: $(cat "$WORK/out")"
}
run 1 "$WORK/out" --junit "$WORK/junit.xml" "$WORK/a.pcapng" "$WORK/read.pcapng"
if command -v xmllint >/dev/null; then
  xmllint --noout "$WORK/junit.xml" || fail "JUnit output is not well-formed XML"
  [ "$(xmllint --xpath 'count(//testcase/failure)' "$WORK/junit.xml")" = 2 ] || fail "JUnit failures: $(cat "$WORK/junit.xml")"
  xmllint --xpath 'string(//testcase[@name="d2t ReadVirtualMemory"]/failure)' "$WORK/junit.xml" \
    | grep -q 'target_base_address: 0xfffff80002a00000 -> 0xfffff80002a01000' || fail "JUnit failure text"
fi
echo "ok: --stat, --json, --junit"

run 0 "$WORK/out" --max-time-ratio 2 "$WORK/a.pcapng" "$WORK/time.pcapng"
run 1 "$WORK/out" --max-time-ratio 1.2 "$WORK/a.pcapng" "$WORK/time.pcapng"
grep -q '^slower: GetVersion p95 0.450 ms -> 0.675 ms' "$WORK/out" || fail "timing: $(cat "$WORK/out")"
echo "ok: --max-time-ratio"

bad() { # pattern, kddiff args...
  local pat=$1 rc=0; shift
  "$KDDIFF" "$@" > /dev/null 2> "$WORK/err" || rc=$?
  [ "$rc" = 2 ] || fail "kddiff $*: exit $rc, expected 2"
  [ "$(wc -l < "$WORK/err")" = 1 ] && grep -q "^kddiff: .*$pat" "$WORK/err" || fail "kddiff $*: $(cat "$WORK/err")"
}
bad "missing.pcapng: No such file" "$WORK/a.pcapng" "$WORK/missing.pcapng"
printf '\x89PNG\r\n\x1a\n' > "$WORK/x.png"; bad "x.png: not a pcapng" "$WORK/x.png" "$WORK/a.pcapng"
bad "expected two sessions" "$WORK/a.pcapng"
bad "no field is named 'kd.nope'" --ignore kd.nope "$WORK/a.pcapng" "$WORK/a.pcapng"
bad "max-time-ratio" --max-time-ratio -1 "$WORK/a.pcapng" "$WORK/a.pcapng"
echo "ok: bad input exits 2 with one line"
