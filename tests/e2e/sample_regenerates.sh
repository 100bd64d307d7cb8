#!/usr/bin/env bash
# captures/serial-demo.pcapng is exactly what its README command makes.
. "$(dirname "$0")/lib.sh"
"$KDSCOPE_BUILD/bin/kdsample" "$WORK/serial-demo.pcapng" || fail "kdsample failed"
cmp "$WORK/serial-demo.pcapng" "$SAMPLE" || fail "captures/serial-demo.pcapng is out of date: regenerate it (captures/README.md)"
echo "ok: sample regenerates byte for byte"

# kdsample --help prints its usage and writes no file named "--help".
mkdir -p "$WORK/cwd"
(cd "$WORK/cwd" && "$KDSCOPE_BUILD/bin/kdsample" --help > "$WORK/help.out") || fail "kdsample --help: exit $?"
grep -q '^usage: kdsample OUTPUT.pcapng' "$WORK/help.out" || fail "kdsample --help: $(cat "$WORK/help.out")"
rc=0; (cd "$WORK/cwd" && "$KDSCOPE_BUILD/bin/kdsample" --slide 10 x.pcapng 2> "$WORK/opt.err") || rc=$?
[ "$rc" = 2 ] || fail "kdsample --slide 10 x.pcapng: exit $rc"
[ -z "$(ls -A "$WORK/cwd")" ] || fail "kdsample with an option first wrote: $(ls -A "$WORK/cwd")"
echo "ok: kdsample --help prints its usage; an option in the output's place is refused; no stray file"
