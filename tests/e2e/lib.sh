# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the end-to-end scripts.  ctest sets KDSCOPE_BIN, KDSCOPE_SRC,
# KDSCOPE_BUILD.  Exit 77 means "skipped".
set -euo pipefail
: "${KDSCOPE_BIN:?run through ctest}" "${KDSCOPE_SRC:?}"
KDCAT="$KDSCOPE_BIN/kdcat"
SAMPLE="$KDSCOPE_SRC/captures/serial-demo.pcapng"
WORK=$(mktemp -d)
# Background programs a script starts (PIDS+=($!)) are killed on the way out.
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# wait_for FILE REGEX [TENTHS_OF_A_SECOND]: until a line of FILE matches
# (default 30 s); 1 if none does in time.
wait_for() {
  local n=${3:-300}
  while [ "$n" -gt 0 ]; do
    grep -qE -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1; n=$((n - 1))
  done
  return 1
}
skip() { echo "SKIP: $*"; exit 77; }

# Runs tshark the way a user's non-root session would: as root, tshark
# ignores plugin folders and personal settings (wireshark-plugin.md §1), so
# drop to nobody with a private HOME.  Files it reads must be world-readable.
tshark_user() {
  if [ "$(id -u)" = 0 ]; then
    local home; home=$(mktemp -d "$WORK/home.XXXX"); chmod 777 "$home"
    env HOME="$home" TZ=UTC ${WIRESHARK_PLUGIN_DIR:+WIRESHARK_PLUGIN_DIR=$WIRESHARK_PLUGIN_DIR} ${WIRESHARK_ABORT_ON_DISSECTOR_BUG:+WIRESHARK_ABORT_ON_DISSECTOR_BUG=1} setpriv --reuid=65534 --regid=65534 --clear-groups tshark "$@"
  else
    env TZ=UTC tshark "$@"
  fi
}

# A world-readable copy of a file, for tshark run as nobody.
public_copy() {
  local dir; dir=$(mktemp -d "$WORK/pub.XXXX"); chmod 755 "$WORK" "$dir"
  cp "$1" "$dir/"; chmod 644 "$dir/$(basename "$1")"
  echo "$dir/$(basename "$1")"
}

# The plugin staged in the build tree, copied where nobody can read it.
plugin_dir() {
  [ -d "$KDSCOPE_BUILD/plugins" ] || return 1
  local dir; dir=$(mktemp -d "$WORK/plugins.XXXX"); chmod 755 "$WORK" "$dir"
  cp -r "$KDSCOPE_BUILD/plugins/." "$dir/"; chmod -R a+rX "$dir"
  echo "$dir"
}

# tshark with the kd plugin, as a user would run it.
tshark_kd() {
  WIRESHARK_PLUGIN_DIR="$PLUGINS" tshark_user "$@"
}
