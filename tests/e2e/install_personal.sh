#!/usr/bin/env bash
# The README's personal install, as a normal user: configure, build and
# `cmake --install` with -DKDSCOPE_PLUGIN_PERSONAL=ON put every file under
# that user's HOME (the plugin, kdtap's extcap entry, the programs, the
# manual pages) and nothing elsewhere, and succeed without root.  The
# build folder was first configured without it (an existing build folder
# whose cache says KDSCOPE_EXTCAP_PERSONAL=OFF).  Needs root to drop to
# nobody (skipped otherwise); the sources must be readable by nobody.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: not root (cannot drop to a normal user)"; exit 77; }
command -v setpriv > /dev/null || { echo "skip: no setpriv"; exit 77; }
SRC=$KDSCOPE_SRC
cd "$SRC" # the README runs cmake -B from the source folder
chmod 755 "$WORK"
home="$WORK/home"; build="$WORK/build"; prefix="$WORK/prefix"
mkdir -p "$home" "$build" "$prefix"
chown 65534:65534 "$home" "$build"; chmod 700 "$home"
# A global prefix nobody may not write to: the old rules installed the programs there and failed.
chmod 755 "$prefix"
as_user() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_user test -r "$SRC/CMakeLists.txt" || { echo "skip: the sources are not readable by nobody"; exit 77; }
as_user cmake -S "$SRC" -B "$build" -DKDSCOPE_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX="$prefix" > "$WORK/configure1.log" 2>&1 || fail "configure: $(tail -5 "$WORK/configure1.log")"
grep -q '^KDSCOPE_EXTCAP_PERSONAL:BOOL=OFF' "$build/CMakeCache.txt" || fail "the first configure cached no KDSCOPE_EXTCAP_PERSONAL=OFF"
# As the README says: the same folder, now personal.
as_user cmake -B "$build" -DKDSCOPE_PLUGIN_PERSONAL=ON > "$WORK/configure2.log" 2>&1 \
  || fail "configure (personal): $(tail -5 "$WORK/configure2.log")"
as_user cmake --build "$build" -j2 > "$WORK/build.log" 2>&1 || fail "build: $(tail -20 "$WORK/build.log")"
touch "$WORK/before"
as_user cmake --install "$build" > "$WORK/install.log" 2>&1 || fail "install as a normal user: $(tail -5 "$WORK/install.log")"
# Every path the install wrote is under HOME.
grep -E '^-- (Installing|Up-to-date): ' "$WORK/install.log" | sed -E 's/^-- [^:]*: //' > "$WORK/installed"
[ -s "$WORK/installed" ] || fail "nothing installed: $(cat "$WORK/install.log")"
outside=$(grep -v "^$home/" "$WORK/installed" || true)
[ -z "$outside" ] || fail "installed outside HOME: $outside"
[ -z "$(ls -A "$prefix")" ] || fail "installed under the global prefix: $(ls -R "$prefix" | head)"
for f in .local/bin/kdcat .local/bin/kddiff .local/bin/kdtap .local/bin/kdsim .local/share/man/man1/kdcat.1; do
  [ -f "$home/$f" ] || fail "not installed: ~/$f ($(cat "$WORK/installed" | tr '\n' ' '))"
done
"$home/.local/bin/kdcat" "$SRC/captures/serial-demo.pcapng" > /dev/null || fail "the installed kdcat does not run"
extcap=$(grep -E '/wireshark/extcap/kdtap$' "$WORK/installed" || true)
[ -n "$extcap" ] || fail "kdtap's extcap entry is not in a personal extcap folder: $(grep kdtap "$WORK/installed")"
if grep -q '^kd plugin: ' "$WORK/configure2.log" || grep -q 'installs into' "$WORK/configure2.log"; then
  grep -qE "^$home/\.local/lib/wireshark/plugins/[0-9.-]+/epan/kd\.so$" "$WORK/installed" \
    || fail "the plugin is not in the personal plugin folder: $(grep 'kd.so' "$WORK/installed")"
fi
echo "ok: a personal install as nobody: $(wc -l < "$WORK/installed") files, all under HOME (programs, man pages, ${extcap#$home/}$(grep -q 'kd\.so$' "$WORK/installed" && echo ", the plugin"))"
