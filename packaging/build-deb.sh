#!/bin/bash
# Builds the .deb from BUILD_DIR and prints its path on the last line.
#   packaging/build-deb.sh [BUILD_DIR]      (default: build)
# BUILD_DIR is (re)configured with -DCMAKE_INSTALL_PREFIX=/usr and
# -DNACOS_TOKEND_MANPAGES=ON if it is not already (no recompilation), the
# programs and manual pages are built (-j2), and cpack -G DEB (the CMake target
# "deb") writes BUILD_DIR/package/nacos-tokend_VERSION_ARCH.deb. Needs
# dpkg-shlibdeps (dpkg-dev) and scdoc; installs them with apt-get when running
# as root. Check the result with: lintian BUILD_DIR/package/nacos-tokend_*.deb
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-$src/build}
mkdir -p "$build" && build=$(cd "$build" && pwd)  # absolute: the scripts cd around

need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v scdoc >/dev/null || need+=(scdoc)
if ((${#need[@]})); then
  [[ $(id -u) -eq 0 ]] || { echo "build-deb: missing ${need[*]}: apt-get install ${need[*]}" >&2; exit 1; }
  echo "build-deb: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi
cache=$build/CMakeCache.txt
if ! grep -qx 'CMAKE_INSTALL_PREFIX:PATH=/usr' "$cache" 2>/dev/null ||
   ! grep -qx 'NACOS_TOKEND_MANPAGES:STRING=ON' "$cache"; then
  cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DNACOS_TOKEND_MANPAGES=ON >&2
fi
cmake --build "$build" -j2 --target nacos-tokend nacos-token nacos-tokend-tls manpages changelog >&2
rm -rf "$build/package"
if ! cmake --build "$build" -j2 --target deb >"$build/package.log" 2>&1; then
  cat "$build/package.log" >&2
  echo "build-deb: cpack failed" >&2; exit 1
fi
deb=$(ls "$build"/package/nacos-tokend_*.deb 2>/dev/null | head -1)
[[ -f $deb ]] || { echo "build-deb: cpack made no .deb (see $build/package.log)" >&2; exit 1; }
echo "$deb"
