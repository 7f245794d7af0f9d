#!/bin/bash
# Static checks of the shipped systemd files; no running systemd needed.
#   tests/systemd/check-units.sh [BUILD_DIR]      (default: build)
# - systemd-analyze verify of nacos-tokend.service + .socket, and of the service
#   with the example IP allow-list drop-in: any output at all is a failure.
#   verify insists that ExecStart= exists, so the units are checked on a copy
#   whose ExecStart= names BUILD_DIR/src/nacos-tokend (or, without a build, the
#   installed /usr/bin/nacos-tokend); nothing else is changed.
# - systemd-analyze security --offline=true --threshold=15 (exposure <= 1.5).
# - the sysusers.d and tmpfiles.d files applied to a scratch root.
# - sh -n (and shellcheck, if installed) on the Debian maintainer scripts.
# Exit 0 when all pass, 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
sd=$src/systemd
build=${1:-$src/build}
[[ -d $build ]] && build=$(cd "$build" && pwd)  # absolute: the scripts cd around
threshold=15   # systemd-analyze's internal 0-100 scale: 15 = exposure 1.5

fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok:   $*"; }

command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found"; exit 1; }

if [[ -x $build/src/nacos-tokend ]]; then
  bin=$(cd "$build/src" && pwd)/nacos-tokend
elif [[ -x /usr/bin/nacos-tokend ]]; then
  bin=/usr/bin/nacos-tokend
else
  echo "FAIL: no nacos-tokend binary in $build/src or /usr/bin (build first)"; exit 1
fi
echo "units from $sd, ExecStart checked against $bin"

work=$(mktemp -d /tmp/check-units.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Copies that differ from the shipped units in the ExecStart= path only.
for u in nacos-tokend.service nacos-tokend.socket; do
  sed "s|^ExecStart=/usr/bin/nacos-tokend |ExecStart=$bin |" "$sd/$u" > "$work/$u"
done
grep -q "^ExecStart=$bin " "$work/nacos-tokend.service" || bad "ExecStart= not found in the service"
diff <(sed 's|^ExecStart=[^ ]*|ExecStart=X|' "$sd/nacos-tokend.service") \
     <(sed 's|^ExecStart=[^ ]*|ExecStart=X|' "$work/nacos-tokend.service") >/dev/null ||
  bad "the checked copy differs from the shipped unit beyond ExecStart="

# verify also checks that the Documentation= manual pages exist: the built ones, when there are.
man_check=(--man=no)
if [[ -f $build/man/nacos-tokend.8 && -f $build/man/nacos-tokend.ini.5 ]]; then
  mkdir -p "$work/man/man8" "$work/man/man5"
  cp "$build/man/nacos-tokend.8" "$work/man/man8/" && cp "$build/man/nacos-tokend.ini.5" "$work/man/man5/"
  export MANPATH=$work/man
  man_check=(--man=yes)
else
  echo "note: no manual pages in $build/man (scdoc missing?): Documentation= not checked"
fi

# verify: rc 0 and not one byte of output.
verify() {  # DIR UNIT...
  local dir=$1 out rc; shift
  out=$(cd "$dir" && systemd-analyze verify "${man_check[@]}" "$@" 2>&1); rc=$?
  if [[ $rc -ne 0 || -n $out ]]; then
    bad "systemd-analyze verify $* (rc $rc):"; printf '%s\n' "$out" | sed 's/^/      /'
  else
    ok "systemd-analyze verify $* printed nothing"
  fi
}
verify "$work" nacos-tokend.service nacos-tokend.socket

# The example drop-in must verify too (as an administrator would install it).
mkdir -p "$work/dropin/nacos-tokend.service.d"
cp "$work/nacos-tokend.service" "$work/dropin/"
cp "$sd/nacos-tokend.service.d/ip-allow-list.conf.example" \
   "$work/dropin/nacos-tokend.service.d/ip-allow-list.conf"
verify "$work/dropin" nacos-tokend.service

# The example pair for services that follow the token (systemd/examples), as an administrator
# would install them (my-app.service stands for theirs).
mkdir -p "$work/examples"
cp "$sd/examples/my-app-token.path" "$sd/examples/my-app-token.service" "$work/examples/"
printf '[Service]\nExecStart=/bin/true\n' > "$work/examples/my-app.service"
verify "$work/examples" my-app-token.path my-app-token.service

# security: the shipped unit, and with the drop-in.
security() {  # DIR LABEL
  local out rc score
  out=$(cd "$1" && systemd-analyze security --offline=true --threshold=$threshold \
        nacos-tokend.service 2>&1); rc=$?
  score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for nacos-tokend.service: \([0-9.]*\).*/\1/p')
  if [[ $rc -ne 0 || -z $score ]]; then
    bad "systemd-analyze security $2 (rc $rc, exposure '${score:-?}'):"
    printf '%s\n' "$out" | grep -E '✗|Overall' | sed 's/^/      /'
  else
    ok "systemd-analyze security --offline=true --threshold=$threshold $2: exposure $score"
  fi
}
security "$work" "(shipped unit)"
security "$work/dropin" "(with ip-allow-list drop-in)"

# The unit's promises that verify cannot see.
want() { grep -qx "$1" "$sd/$2" || bad "$2 lacks '$1'"; }
for l in Type=notify NotifyAccess=main User=nacos-tokend Group=nacos-token \
         RuntimeDirectory=nacos-tokend RuntimeDirectoryMode=0750 RuntimeDirectoryPreserve=yes \
         TimeoutStartSec=infinity Restart=on-failure UMask=0077 LimitCORE=0 \
         'LoadCredential=nacos-password:/etc/nacos-tokend/password' \
         'ExecStart=/usr/bin/nacos-tokend --config /etc/nacos-tokend/nacos-tokend.ini' \
         'ExecReload=/bin/kill -HUP $MAINPID'; do
  want "$l" nacos-tokend.service
done
grep -q '^IPAddressDeny=' "$sd/nacos-tokend.service" &&
  bad "the shipped service must not carry a site's IP allow-list"
for l in ListenStream=/run/nacos-tokend/tokend.sock SocketUser=nacos-tokend \
         SocketGroup=nacos-token SocketMode=0660 DirectoryMode=0750; do
  want "$l" nacos-tokend.socket
done
[[ $fail -eq 0 ]] && ok "unit settings match shared/interface.md"

# sysusers.d and tmpfiles.d, applied to a scratch root.
root=$work/root; mkdir -p "$root/etc" "$root/run"
if out=$(systemd-sysusers --root="$root" "$sd/nacos-tokend.sysusers" 2>&1); then
  if grep -q '^nacos-tokend:x:[0-9]*:[0-9]*:' "$root/etc/passwd" &&
     grep -Eq '^nacos-token:x:[0-9]+:(.*,)?nacos-tokend(,.*)?$' "$root/etc/group"; then
    ok "sysusers: user nacos-tokend, group nacos-token with nacos-tokend in it"
  else
    bad "sysusers did not create the user/group/membership:"; cat "$root/etc/passwd" "$root/etc/group"
  fi
else
  bad "systemd-sysusers: $out"
fi
if out=$(systemd-tmpfiles --root="$root" --create "$sd/nacos-tokend.tmpfiles" 2>&1) && [[ -z $out ]]; then
  uid=$(awk -F: '$1=="nacos-tokend"{print $3}' "$root/etc/passwd")
  gid=$(awk -F: '$1=="nacos-token"{print $3}' "$root/etc/group")
  got=$(stat -c '%a %u %g' "$root/run/nacos-tokend" 2>/dev/null)
  [[ $got == "750 $uid $gid" ]] && ok "tmpfiles: /run/nacos-tokend 0750 nacos-tokend:nacos-token" ||
    bad "tmpfiles: /run/nacos-tokend is '$got', want '750 $uid $gid'"
else
  bad "systemd-tmpfiles: $out"
fi

# Maintainer scripts.
for s in postinst prerm postrm; do
  f=$src/packaging/debian/$s
  [[ -x $f ]] || bad "$f is not executable"
  sh -n "$f" || bad "$f: syntax error"
  if command -v shellcheck >/dev/null; then
    shellcheck -s sh "$f" || bad "$f: shellcheck"
  fi
done
[[ $fail -eq 0 ]] && ok "maintainer scripts parse"

if [[ $fail -eq 0 ]]; then echo "PASS: check-units"; else echo "FAILED: check-units"; fi
exit $fail
