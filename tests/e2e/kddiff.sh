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

# Issue 17.1: slowdowns are JSON objects in --json, JUnit failures in --junit.
run 1 "$WORK/out" --json --max-time-ratio 1.2 --junit "$WORK/t.xml" "$WORK/a.pcapng" "$WORK/time.pcapng"
command -v jq >/dev/null && {
  jq -e -s 'length == 2 and all(.[]; .op == "slower") and any(.[]; .api == "GetVersion" and .a_p95_ms == 0.45)' \
    "$WORK/out" > /dev/null || fail "--json slowdown: $(cat "$WORK/out")"
}
if command -v xmllint >/dev/null; then
  [ "$(xmllint --xpath 'string(//testsuite/@failures)' "$WORK/t.xml")" -ge 1 ] || fail "JUnit: slowdown not a failure: $(cat "$WORK/t.xml")"
  xmllint --xpath 'string(//testcase[@name="GetVersion p95"]/failure/@message)' "$WORK/t.xml" | grep -q 'x1.50' \
    || fail "JUnit slowdown: $(cat "$WORK/t.xml")"
fi
# Equal times are never slower; a ratio below 1 is refused.
run 0 "$WORK/out" --max-time-ratio 1 "$WORK/a.pcapng" "$WORK/a.pcapng"
echo "ok: slowdowns in JSON and JUnit"

# Issue 17.3: kdcat's names; JUnit classnames by packet type.
run 1 "$WORK/out" --stat --transport "$WORK/a.pcapng" "$WORK/extra.pcapng"
grep -qE '^t2d ACK ' "$WORK/out" || fail "--stat --transport: ACK not named: $(cat "$WORK/out")"
grep -q 'item 0x' "$WORK/out" && fail "--stat --transport: unnamed items: $(cat "$WORK/out")"
run 1 "$WORK/out" --stat "$KDSCOPE_SRC/captures/kdsim-amd64-boot.pcapng" "$KDSCOPE_SRC/captures/kdsim-breakin.pcapng"
grep -q 'DbgKd' "$WORK/out" && fail "--stat: Windows names: $(cat "$WORK/out")"
grep -qE '^t2d LoadSymbols ' "$WORK/out" && grep -qE '^t2d DbgPrint ' "$WORK/out" || fail "--stat names: $(cat "$WORK/out")"
run 1 "$WORK/out" --junit "$WORK/j.xml" "$WORK/a.pcapng" "$WORK/extra.pcapng"
grep -q 'classname="kddiff"' "$WORK/j.xml" && fail "JUnit classnames all kddiff"
grep -q 'classname="kddiff.STATE_MANIPULATE" name="d2t ReadVirtualMemory"' "$WORK/j.xml" || fail "JUnit classname: $(cat "$WORK/j.xml")"
echo "ok: one naming (kdcat's)"

# Issue 17.8: --stat --json is one JSON object.
run 1 "$WORK/out" --stat --json "$WORK/a.pcapng" "$WORK/extra.pcapng"
command -v jq >/dev/null && {
  jq -e -s 'length == 1 and .[0].total.only_b == 2 and .[0].classes[0].class == "d2t ReadVirtualMemory"' "$WORK/out" \
    > /dev/null || fail "--stat --json: $(cat "$WORK/out")"
}
echo "ok: --stat --json"

# Issue 17.4: kdcat's input options: --format raw and --direction label raw streams.
mkdir -p "$WORK/raw"; "$S" "$WORK/r.pcapng" "$WORK/raw"
run 0 "$WORK/out" -d t2d "$WORK/raw/t2d.bin" "$WORK/raw/t2d.bin"
run 1 "$WORK/out" -d t2d "$WORK/raw/t2d.bin" -d d2t "$WORK/raw/t2d.bin"
grep -q '^- #[0-9 ]* t2d' "$WORK/out" && grep -q '^+ #[0-9 ]* d2t' "$WORK/out" || fail "--direction per session: $(head "$WORK/out")"
grep -q ' ? ' "$WORK/out" && fail "raw stream direction '?': $(head "$WORK/out")"
printf 'hello\n' > "$WORK/text.bin"
run 1 "$WORK/out" --format raw "$WORK/text.bin" "$WORK/a.pcapng"
echo "ok: --direction, --format"

# Issue 17.2: memory bounded whatever the sessions: 20 000 reads against the
# sample and against themselves cut short (whole-session RSS < 64 MB here;
# the old code took 3 GB for 1 M; the benchmark is tests/bench/bench_kddiff.sh).
"$S" "$WORK/long.pcapng" --reads 20000; "$S" "$WORK/short.pcapng" --reads 15000
for pair in "long short" "long a" "a long"; do
  set -- $pair
  /usr/bin/time -f '%M' -o "$WORK/rss" "$KDDIFF" -q --stat "$WORK/$1.pcapng" "$WORK/$2.pcapng" > "$WORK/out" 2>&1 && fail "$pair: no difference"
  [ "$(tail -1 "$WORK/rss")" -lt 65536 ] || fail "kddiff $pair: $(tail -1 "$WORK/rss") KB"
done
run 1 "$WORK/out" --stat "$WORK/long.pcapng" "$WORK/short.pcapng"
grep -qE '^total +30007 +0 +10000 +0$' "$WORK/out" || fail "long vs short: $(cat "$WORK/out")"
echo "ok: memory bounded; the tail dropped is 10 000 deletions"

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
bad "max-time-ratio: '0.5' is not a ratio of at least 1" --max-time-ratio 0.5 "$WORK/a.pcapng" "$WORK/a.pcapng"
bad "--frobnicate: unknown option" --frobnicate "$WORK/a.pcapng" "$WORK/a.pcapng"
bad "-U: needs a value" "$WORK/a.pcapng" "$WORK/a.pcapng" -U
bad "format: 'png' is not" --format png "$WORK/a.pcapng" "$WORK/a.pcapng"
echo "ok: bad input exits 2 with one line"
