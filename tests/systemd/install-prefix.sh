#!/usr/bin/env bash
# `cmake --install` follows the configured prefix or refuses, naming the mismatch: an install
# to another prefix would install units whose ExecStart= names a path where nothing is.
# Usage: install-prefix.sh BUILD_DIR   (a build configured with the default prefix)
set -euo pipefail
build=$1
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
other=/opt/elsewhere
[ "$prefix" != "$other" ] || other=/opt/elsewhere2

if out=$(DESTDIR="$stage/wrong" cmake --install "$build" --prefix "$other" 2>&1); then
  echo "FAIL: cmake --install --prefix $other into a build for $prefix succeeded" >&2
  exit 1
fi
grep -q "configured for the prefix $prefix" <<<"$out" || { echo "FAIL: no clear message: $out" >&2; exit 1; }
if [ -n "$(find "$stage/wrong" -type f 2>/dev/null)" ]; then
  echo "FAIL: the refused install copied files" >&2
  exit 1
fi

DESTDIR="$stage/right" cmake --install "$build" >/dev/null
unit=$(find "$stage/right" -name nacos-tokend.service | head -1)
[ -n "$unit" ] || { echo "FAIL: no unit installed" >&2; exit 1; }
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[ -x "$stage/right$exec_path" ] || { echo "FAIL: $unit runs $exec_path, which was not installed" >&2; exit 1; }
echo "ok: refused --prefix $other; the unit for $prefix runs $exec_path, which is installed"
