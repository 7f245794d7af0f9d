# shellcheck shell=bash
# Sourced by the shell benches (run.sh, proxy_bench.sh) after they set BENCH (their name, for
# messages), REPO and BUILD_DIR. Provides: die, log, wait_for, need_packages, build_targets,
# bench_tempdir (sets T; everything started with track is stopped and T removed on exit).

die() {
  echo "$BENCH: $*" >&2
  exit 1
}
log() { echo "== $*" >&2; }

# wait_for SECONDS COMMAND...: true once COMMAND succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# need_packages PACKAGE...: apt-get installs those given (callers list what is missing).
need_packages() {
  (($#)) || return 0
  [[ $(id -u) == 0 ]] || die "missing $* and not root to install them"
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2 || die "apt-get install $* failed"
}

# build_targets TARGET...: builds them in BUILD_DIR (configured RelWithDebInfo if new) unless
# every one of the binaries named by BINARIES (paths) exists.
build_targets() {
  local missing=0 b
  for b in "${BINARIES[@]}"; do [[ -x $b ]] || missing=1; done
  ((missing)) || return 0
  log "building in $BUILD_DIR"
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2 ||
      die "cmake configure failed"
  fi
  cmake --build "$BUILD_DIR" -j2 --target "$@" >&2 || die "build failed"
}

# track PID [SIGNAL]: stop PID with SIGNAL (default TERM) on exit, the last tracked first.
TRACKED=()
track() { TRACKED=("$1:${2:-TERM}" "${TRACKED[@]}"); }

_bench_cleanup() {
  local rc=$? entry
  set +e
  for entry in "${TRACKED[@]}"; do
    kill -"${entry#*:}" "${entry%%:*}" 2>/dev/null && wait "${entry%%:*}" 2>/dev/null
  done
  [[ -n ${T:-} ]] && rm -rf "$T"
  exit "$rc"
}

# bench_tempdir: a private temp dir in T, 0711 (nginx workers, an unprivileged user, must
# traverse it; nothing in it is world-writable, as the daemon requires), removed on exit.
bench_tempdir() {
  T=$(mktemp -d "/tmp/tokend-$BENCH.XXXXXX")
  chmod 0711 "$T"
  trap _bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
