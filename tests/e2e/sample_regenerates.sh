#!/usr/bin/env bash
# captures/serial-demo.pcapng is exactly what its README command makes.
. "$(dirname "$0")/lib.sh"
"$KDSCOPE_BUILD/bin/kdsample" "$WORK/serial-demo.pcapng" || fail "kdsample failed"
cmp "$WORK/serial-demo.pcapng" "$SAMPLE" || fail "captures/serial-demo.pcapng is out of date: regenerate it (captures/README.md)"
echo "ok: sample regenerates byte for byte"
