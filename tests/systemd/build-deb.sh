#!/bin/bash
# Builds the .deb from BUILD_DIR and prints its path on the last line.
#   tests/systemd/build-deb.sh [BUILD_DIR]      (default: build)
# BUILD_DIR is (re)configured with -DCMAKE_INSTALL_PREFIX=/usr if it is not
# already (no recompilation), the two programs are built (-j2), and cpack -G DEB
# writes BUILD_DIR/package/nacos-tokend_VERSION_ARCH.deb. Needs dpkg-shlibdeps
# (dpkg-dev); installs it with apt-get when running as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
[[ -d $build ]] && build=$(cd "$build" && pwd)  # absolute: the scripts cd around

if ! command -v dpkg-shlibdeps >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "build-deb: dpkg-shlibdeps missing: apt-get install dpkg-dev" >&2; exit 1; }
  echo "build-deb: installing dpkg-dev (dpkg-shlibdeps)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q dpkg-dev >&2
fi
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [[ $prefix != /usr ]]; then
  cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr >&2
fi
cmake --build "$build" -j2 --target nacos-tokend nacos-token >&2
rm -rf "$build/package"
if ! (cd "$build" && cpack -G DEB -B "$build/package") >"$build/package.log" 2>&1; then
  cat "$build/package.log" >&2
  echo "build-deb: cpack failed" >&2; exit 1
fi
deb=$(ls "$build"/package/nacos-tokend_*.deb 2>/dev/null | head -1)
[[ -f $deb ]] || { echo "build-deb: cpack made no .deb (see $build/package.log)" >&2; exit 1; }
echo "$deb"
