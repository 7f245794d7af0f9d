# shellcheck shell=bash disable=SC2034,SC2154  # fail, src and box are shared with the sourcing script
# Sourced by the tests that run the package under a real systemd in a throwaway
# sdbox machine (in-box.sh, upgrade.sh). Before sourcing, set `src` (the
# checkout) and `box` (the box's name). Provides verdicts (ok, bad, skip, die;
# `fail` is 1 once anything failed), box_preflight, box_up (with its teardown on
# exit), and helpers that run in the box: bx, wait_until, show, logins.

default_sdbox=$src/../shared/tools/sdbox # shared/ sits beside the checkout (as in CI)
[[ -x $default_sdbox ]] || default_sdbox=/work/shared/tools/sdbox
SDBOX=${SDBOX:-$default_sdbox}

fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok:   $*"; }
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }

# box_preflight TOOL...: skips unless this is root with sdbox, a bootable
# systemd and every TOOL.
box_preflight() {
  [[ $(id -u) -eq 0 ]] || skip "sdbox needs root"
  [[ -x $SDBOX ]] || skip "no sdbox at $SDBOX"
  local t
  for t in unshare nsenter pivot_root timeout flock "$@"; do
    command -v "$t" >/dev/null || skip "$t not found"
  done
  [[ -x /lib/systemd/systemd ]] || skip "no /lib/systemd/systemd to boot"
}

box_teardown() {
  if [[ ${KEEP_BOX:-0} == 1 ]]; then
    echo "box $box left up: $SDBOX run $box bash; $SDBOX down $box"
    return
  fi
  if [[ -n ${booted:-} ]]; then
    # Boxes share the host's cgroup tree: stopped units get their cgroups (and
    # any IPAddressDeny= BPF program on them) removed; a killed box leaves them.
    timeout 30 "$SDBOX" run "$box" systemctl stop nacos-tokend.socket nacos-tokend.service \
      fake-nacos.service >/dev/null 2>&1 || true
  fi
  "$SDBOX" down "$box" >/dev/null 2>&1 || true
  rm -f "/var/tmp/sdbox/$box.enter.sh" "/var/tmp/sdbox/$box.log"
}

# box_up: boots the box (torn down on exit; KEEP_BOX=1 leaves it up for a
# post-mortem) once no other such test runs: every box shares the host's cgroup
# tree, so two boxes running nacos-tokend.service would share its cgroup.
box_up() {
  trap box_teardown EXIT
  trap 'exit 1' INT TERM HUP PIPE
  mkdir -p /var/tmp/sdbox
  exec 9>/var/tmp/sdbox/nacos-tokend-in-box.lock
  flock -w 600 9 || skip "another box run holds /var/tmp/sdbox/nacos-tokend-in-box.lock"
  local err
  err=$(mktemp)
  if ! timeout 60 "$SDBOX" up "$box" >/dev/null 2>"$err" 9>&-; then
    local msg
    msg=$(cat "$err"; tail -5 "/var/tmp/sdbox/$box.log" 2>/dev/null)
    rm -f "$err"
    skip "sdbox cannot boot a box here: $msg"
  fi
  rm -f "$err"
  local state
  state=$(timeout 10 "$SDBOX" run "$box" systemctl is-system-running 2>/dev/null)
  [[ $state == running || $state == degraded ]] || skip "the box's systemd is '$state'"
  booted=1
  ok "box $box up (systemd $state)"
}

# Runs a bash snippet in the box, bounded (T seconds, default 60).
bx() { timeout "${T:-60}" "$SDBOX" run "$box" bash -c "$1" 9>&-; }
# wait_until SECONDS WHAT SNIPPET: polls SNIPPET in the box until it succeeds.
wait_until() {
  local end=$((SECONDS + $1))
  while ((SECONDS < end)); do
    T=10 bx "$3" >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  bad "timed out after $1 s waiting for: $2"
  return 1
}
# show PROPERTY [UNIT]: a systemd property of nacos-tokend.service (or UNIT).
show() { T=10 bx "systemctl show -p $1 --value ${2:-nacos-tokend.service}"; }
# Logins fake-nacos (its control port in /srv/fake/cport) has counted.
logins() {
  T=10 bx 'curl -s --max-time 5 http://127.0.0.1:$(cat /srv/fake/cport)/_fake/stats' |
    sed -n 's/.*"logins":\([0-9]*\).*/\1/p'
}
