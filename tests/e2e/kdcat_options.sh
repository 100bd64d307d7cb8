#!/usr/bin/env bash
# kdcat's options as a user meets them: one-line complaints, outputs that
# go together (--stats --json) or are refused, several files each under a
# header, exact percentiles from few samples, progress in percent on a
# terminal.
. "$(dirname "$0")/lib.sh"

# refused WANT ARGS...: exit 2 and exactly the line WANT on stderr.
refused() {
  local want=$1 rc=0; shift
  "$KDCAT" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [ "$rc" = 2 ] || fail "kdcat $*: exit $rc, expected 2: $(cat "$WORK/err")"
  [ "$(cat "$WORK/err")" = "$want" ] || fail "kdcat $*: '$(cat "$WORK/err")', not '$want'"
  [ ! -s "$WORK/out" ] || fail "kdcat $*: printed on standard output: $(head -3 "$WORK/out")"
}
refused "kdcat: --frobnicate: unknown option (try 'kdcat --help')" --frobnicate "$SAMPLE"
refused "kdcat: -Z: unknown option (try 'kdcat --help')" -Z "$SAMPLE"
refused "kdcat: --port: needs a value (try 'kdcat --help')" "$SAMPLE" --port
refused "kdcat: -a: needs a value (try 'kdcat --help')" "$SAMPLE" -a
refused "kdcat: --verbose and --json: choose one output (try 'kdcat --help')" -V --json "$SAMPLE"
refused "kdcat: --json and --modules: choose one output (try 'kdcat --help')" --modules --json "$SAMPLE"
refused "kdcat: --hex: the hex dump goes under the lines or the tree, not with --json" --json -x "$SAMPLE"
refused "kdcat: --hex: the hex dump goes under the lines or the tree, not with --stats" -s -x "$SAMPLE"
echo "ok: unknown options, missing values and outputs that conflict: exit 2, one line"

# --stats --json: the statistics as one JSON object, the same figures as --stats.
"$KDCAT" --stats --json "$SAMPLE" > "$WORK/stats.json"
[ "$(wc -l < "$WORK/stats.json")" = 1 ] || fail "--stats --json: not one line: $(head -3 "$WORK/stats.json")"
python3 - "$WORK/stats.json" <<'PY' || fail "--stats --json: $(cat "$WORK/stats.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["items"] == 21, s["items"]
assert s["kinds"] == {"data": 8, "control": 10, "breakin": 1, "noise": 1, "truncated": 1}, s["kinds"]
assert s["types"]["ACKNOWLEDGE"] == 7 and s["types"]["RESEND"] == 1, s["types"]
rvm = [a for a in s["apis"] if a["api"] == "ReadVirtualMemory"][0]
assert rvm["requests"] == 1 and rvm["replies"] == 1 and rvm["p50_ns"] == rvm["max_ns"] == 1020000, rvm
assert s["problems"]["resends"] == 1, s["problems"]
PY
"$KDCAT" --stats "$SAMPLE" | grep -q '^  ReadVirtualMemory .* 1\.020      1\.020      1\.020$' \
  || fail "--stats: ReadVirtualMemory's times differ from the JSON's"
echo "ok: --stats --json: one JSON object with the counts and times of --stats"

# Several files: each one's output under a header line, a blank line between.
"$KDCAT" "$SAMPLE" "$SAMPLE" > "$WORK/two.txt"
"$KDCAT" "$SAMPLE" > "$WORK/one.txt"
{ echo "==> $SAMPLE <=="; cat "$WORK/one.txt"; echo; echo "==> $SAMPLE <=="; cat "$WORK/one.txt"; } > "$WORK/two.want"
cmp -s "$WORK/two.txt" "$WORK/two.want" || fail "two files: $(diff "$WORK/two.want" "$WORK/two.txt" | head)"
[ "$("$KDCAT" "$SAMPLE" | head -1 | cut -c1-3)" != "==>" ] || fail "one file: a header line"
cat "$SAMPLE" | "$KDCAT" - "$SAMPLE" | grep -qx '==> standard input <==' || fail "two files: no header for -"
# JSON Lines stay JSON: every object names its file.
"$KDCAT" --json "$SAMPLE" "$SAMPLE" > "$WORK/two.json"
python3 - "$WORK/two.json" "$SAMPLE" <<'PY' || fail "two files, --json: $(head -2 "$WORK/two.json")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 42 and all(o["file"] == sys.argv[2] for o in objs), len(objs)
assert list(objs[0])[:2] == ["file", "frame"], list(objs[0])
PY
"$KDCAT" --json "$SAMPLE" | grep -q '"file"' && fail "one file, --json: a file member"
echo "ok: several files: '==> FILE <==' before each (text), a \"file\" member (JSON)"

# Progress on a terminal: the percentage of the file read.
if command -v script > /dev/null; then
  for i in $(seq 300); do cat "$SAMPLE"; done > "$WORK/big.pcapng"   # 300 sections, 6300 items
  script -qefc "$KDCAT $WORK/big.pcapng > /dev/null" "$WORK/progress.tty" > /dev/null || fail "progress: kdcat failed"
  tr '\r' '\n' < "$WORK/progress.tty" | grep -Eq '^kdcat: +[0-9]{1,3}%  [0-9]+ items, [0-9.]+ MB' \
    || fail "progress: no percentage: $(tr '\r' '\n' < "$WORK/progress.tty" | head -3)"
  echo "ok: progress on a terminal: '$(tr '\r' '\n' < "$WORK/progress.tty" | grep -a '%' | head -1)'"
fi
echo "ok: kdcat's options"
