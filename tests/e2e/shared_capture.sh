#!/usr/bin/env bash
# The real KDNET capture in ../shared (reference data, not shipped): until
# KDNET decoding lands, kdcat must refuse it cleanly, naming the link type.
. "$(dirname "$0")/lib.sh"
cap="$KDSCOPE_SRC/../shared/captures/kdnet-windbg-win10-10586.pcapng"
[ -f "$cap" ] || skip "../shared is absent"
rc=0; "$KDCAT" "$cap" > /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "exit $rc"
[ "$(wc -l < "$WORK/err")" = 1 ] || fail "stderr: $(cat "$WORK/err")"
grep -q "link type 1 is not supported yet" "$WORK/err" || fail "stderr: $(cat "$WORK/err")"
echo "ok: $(cat "$WORK/err")"
