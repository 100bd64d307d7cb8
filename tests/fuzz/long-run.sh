#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Long fuzzing run: every libFuzzer target found in the fuzz build
# (build/fuzz/bin/fuzz_*, so targets added later are run too), or the TARGETs
# named, fuzzes from its committed seed corpus for SECONDS (default 600; 0 =
# no time limit) or until KDSCOPE_FUZZ_RUNS executions (libFuzzer -runs=N),
# whichever comes first, two targets at a time (KDSCOPE_FUZZ_PARALLEL), at
# nice 19 (KDSCOPE_FUZZ_NICE) so it can run in the background while others
# work.  Afterwards the new inputs worth keeping go into
# tests/fuzz/corpus/<target> through libFuzzer's -set_cover_merge=1 (a small
# set with the coverage of all of them, not -merge=1's thousands of files);
# KDSCOPE_FUZZ_MERGE=0 leaves the corpus alone; KDSCOPE_FUZZ_CORPUS=DIR starts
# from and merges into DIR/<target> instead (a copy, for runs left going while
# the worktree changes).  Prints one row per target:
# executions, exec/s (wall clock, and per CPU second: the machine may be
# shared), coverage (cov: edges, ft: features), corpus files and bytes after
# the merge, and crashes.  Logs (<target>/fuzz.log, libFuzzer's own lines) and
# crash inputs (<target>/crashes/) are kept in the run directory it names
# (KDSCOPE_FUZZ_RUN_DIR, default a new /tmp/kdscope-fuzz-run.*); the table is
# also written there as table.txt.  Exits 1 if there is any crash.
#
#   tests/fuzz/long-run.sh [SECONDS] [TARGET...]   (from the repository root, after
#                                          cmake --preset fuzz && cmake --build --preset fuzz)
#   KDSCOPE_FUZZ_RUNS=10000000 tests/fuzz/long-run.sh 0 fuzz_model    (10 M executions)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
[ $# -gt 0 ] && shift
build=${KDSCOPE_FUZZ_BUILD:-build/fuzz}
parallel=${KDSCOPE_FUZZ_PARALLEL:-2}
merge=${KDSCOPE_FUZZ_MERGE:-1}
runs=${KDSCOPE_FUZZ_RUNS:--1}
niceness=${KDSCOPE_FUZZ_NICE:-19}
corpora=${KDSCOPE_FUZZ_CORPUS:-tests/fuzz/corpus}
case "$seconds" in '' | *[!0-9]*) echo "long-run.sh: SECONDS: not a number: $seconds" >&2; exit 2 ;; esac
case "$runs" in -1) ;; '' | *[!0-9]*) echo "long-run.sh: KDSCOPE_FUZZ_RUNS: not a number: $runs" >&2; exit 2 ;; esac
case "$niceness" in '' | *[!0-9]*) echo "long-run.sh: KDSCOPE_FUZZ_NICE: not a number: $niceness" >&2; exit 2 ;; esac
if [ "$seconds" = 0 ] && [ "$runs" = -1 ]; then
  echo "long-run.sh: SECONDS 0 needs KDSCOPE_FUZZ_RUNS (else it never ends)" >&2; exit 2
fi

targets=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    t="$build/bin/$name"
    [ -x "$t" ] || { echo "long-run.sh: $t: no such target" >&2; exit 2; }
    targets+=("$t")
  done
else
  for t in "$build"/bin/fuzz_*; do
    [ -x "$t" ] && targets+=("$t")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "long-run.sh: $build/bin: no fuzz_* targets (build the fuzz preset first)" >&2; exit 2; }

if [ -n "${KDSCOPE_FUZZ_RUN_DIR:-}" ]; then
  run=$KDSCOPE_FUZZ_RUN_DIR
  mkdir -p "$run"
else
  run=$(mktemp -d /tmp/kdscope-fuzz-run.XXXXXX)
fi
echo "long-run.sh: ${#targets[@]} targets, ${seconds} s each (0: no limit), runs $runs (-1: no limit)," \
  "$parallel at a time, nice $niceness; logs and crashes in $run" >&2

# One target: fuzz a scratch copy of the corpus, then merge into the committed one.
one() {
  local t=$1 name dir corpus
  name=$(basename "$t")
  dir="$run/$name"
  corpus="$corpora/$name"
  mkdir -p "$dir/work" "$dir/crashes" "$corpus"
  cp -r "$corpus/." "$dir/work/" 2> /dev/null || true
  local rc=0
  { TIMEFORMAT='%U %S'; time nice -n "$niceness" "$t" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
      -artifact_prefix="$dir/crashes/" "$dir/work" > "$dir/fuzz.log" 2>&1 || rc=$?; } 2> "$dir/cpu"
  echo "$rc" > "$dir/rc"
  if [ "$merge" = 1 ]; then
    # The greedy set cover (not -merge=1, which keeps every input that adds a
    # feature: thousands of files): few inputs with the same coverage.
    nice -n "$niceness" "$t" -set_cover_merge=1 "$corpus" "$dir/work" > "$dir/merge.log" 2>&1 || echo "merge failed" >> "$dir/rc"
  fi
}

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
    wait -n || true
  done
  one "$t" &
done
wait

# The table.
crashes_total=0
{
printf '%-16s %12s %8s %10s %6s %7s %7s %9s %7s\n' target executions exec/s exec/cpu-s cov ft files bytes crashes
for t in "${targets[@]}"; do
  name=$(basename "$t")
  dir="$run/$name"
  log="$dir/fuzz.log"
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<< "$last")
  read -r user sys < "$dir/cpu" || { user=0; sys=0; }
  cpu_rate=$(awk -v e="${execs:-0}" -v u="$user" -v s="$sys" 'BEGIN { c = u + s; printf "%d", (c > 0 ? e / c : 0) }')
  files=$(find "$corpora/$name" -type f | wc -l)
  bytes=$(find "$corpora/$name" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  crashes=$(find "$dir/crashes" -type f | wc -l)
  if [ "$crashes" -eq 0 ] && [ "$(head -1 "$dir/rc")" != 0 ]; then
    crashes=1 # the fuzzer failed without leaving an input: see the log
  fi
  crashes_total=$((crashes_total + crashes))
  printf '%-16s %12s %8s %10s %6s %7s %7s %9s %7s\n' "$name" "${execs:-?}" "${rate:-?}" "$cpu_rate" \
    "${cov:-?}" "${ft:-?}" "$files" "$bytes" "$crashes"
done
} > "$run/table.txt"
cat "$run/table.txt"
if [ "$crashes_total" -gt 0 ]; then
  echo "long-run.sh: $crashes_total crash(es): inputs in $run/*/crashes, logs in $run/*/fuzz.log" >&2
  exit 1
fi
