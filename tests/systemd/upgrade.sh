#!/bin/bash
# Upgrade and purge under a real systemd: in a throwaway sdbox machine, installs the previous
# release's .deb, runs it against fake-nacos, upgrades to this tree's .deb, then purges it and
# compares the file system with the one before the first install.
#   tests/systemd/upgrade.sh [BUILD_DIR]        (default: build; needs root)
# The new .deb comes from BUILD_DIR/package/ (made by packaging/build-deb.sh if missing); the
# old one is built from git (NACOS_TOKEND_OLD_REV, default the last 0.1.0 commit) into
# BUILD_DIR/upgrade-old/ and reused from there. fake-nacos comes from BUILD_DIR.
# Exit 0 pass, 1 fail, 77 skip (sdbox cannot run here, or the old commit is not in the clone).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
[[ -d $build ]] && build=$(cd "$build" && pwd)
old_rev=${NACOS_TOKEND_OLD_REV:-98ca1dc}   # 0.1.0; move on when a release is cut
box=tokend-up-$$
password='s3cret-Pass+word'
. "$here/box-lib.sh"

box_preflight git
if dpkg-query -W -f='${Status}' nacos-tokend 2>/dev/null | grep -q 'installed\|config-files'; then
  skip "nacos-tokend is installed on this host, so it would be in the box before the install"
fi

# --- the two packages ---
fake=$build/tests/fake_nacos/fake-nacos
[[ -x $fake ]] || cmake --build "$build" -j2 --target fake-nacos >/dev/null 2>&1 || die "cannot build fake-nacos"
new=$(ls "$build"/package/nacos-tokend_*.deb 2>/dev/null | head -1)
if [[ ! -f $new ]]; then
  new=$("$src/packaging/build-deb.sh" "$build" 2>"$build/upgrade-new.log" | tail -1)
  [[ -f $new ]] || { cat "$build/upgrade-new.log"; die "cannot build the new .deb"; }
fi
git -C "$src" cat-file -e "$old_rev^{commit}" 2>/dev/null || skip "commit $old_rev is not in this clone"
oldroot=$build/upgrade-old
old=$(ls "$oldroot"/build/package/nacos-tokend_*.deb 2>/dev/null | head -1)
if [[ ! -f $old || $(cat "$oldroot/rev" 2>/dev/null) != "$old_rev" ]]; then
  echo "building the .deb of $old_rev (about 2 minutes)"
  rm -rf "$oldroot" && mkdir -p "$oldroot/src"
  git -C "$src" archive "$old_rev" | tar -x -C "$oldroot/src" || die "git archive $old_rev"
  cmake -S "$oldroot/src" -B "$oldroot/build" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
    >"$oldroot/build.log" 2>&1 || { tail -20 "$oldroot/build.log"; die "configuring $old_rev"; }
  old=$("$oldroot/src/tests/systemd/build-deb.sh" "$oldroot/build" 2>>"$oldroot/build.log" | tail -1)
  [[ -f $old ]] || { tail -20 "$oldroot/build.log"; die "building the .deb of $old_rev"; }
  echo "$old_rev" > "$oldroot/rev"
fi
vold=$(dpkg-deb -f "$old" Version); vnew=$(dpkg-deb -f "$new" Version)
dpkg --compare-versions "$vnew" gt "$vold" && ok "upgrade $vold ($old_rev) -> $vnew" ||
  die "the new version $vnew is not greater than $vold"

# --- the box ---
box_up

# What the package may touch, before and after: path, type, mode, owner, and a digest of files
# under /etc (where a maintainer script could change one in place). Volatile state is left out.
snapshot() {
  T=60 bx 'find /etc /usr /lib /opt /srv /var -xdev \
      \( -path /var/lib/dpkg -o -path /var/cache -o -path /var/log -o -path /var/lib/apt \
         -o -path /var/lib/systemd/timers -o -path /var/lib/systemd/catalog \
         -o -path /var/lib/systemd/random-seed -o -path /var/tmp -o -path /srv/fake \
         -o -path /etc/ld.so.cache -o -path /var/lib/man-db \) -prune \
      -o -printf "%p %y %m %u:%g\n" | sort;
    find /etc -xdev -type f -newer /root/.before-install -print0 | sort -z | xargs -0r sha256sum' \
    2>/dev/null
}

# A container image's policy-rc.d (Docker's exits 101) forbids deb-systemd-invoke to start or stop
# anything; a Debian machine has none. The box's copy goes, the host's stays.
bx 'rm -f /usr/sbin/policy-rc.d; touch /root/.before-install'
# The box is the host's file system: files a `cmake --install` left on the host (no package owns
# them, see the check above) would be there before the install. A fresh machine has none.
bx 'rm -rf /etc/nacos-tokend /usr/lib/systemd/system/nacos-tokend.* /usr/lib/sysusers.d/nacos-tokend.conf \
      /usr/lib/tmpfiles.d/nacos-tokend.conf /usr/bin/nacos-token /usr/bin/nacos-tokend \
      /usr/lib/*/nacos-tokend /usr/share/doc/nacos-tokend /usr/share/man/man?/nacos-token* \
      /usr/share/bash-completion/completions/nacos-token* /usr/share/lintian/overrides/nacos-tokend &&
    systemctl daemon-reload'
before=$(snapshot)
[[ -n $before ]] || die "cannot list the box's files"
"$SDBOX" cp "$box" "$old" /root/old.deb
"$SDBOX" cp "$box" "$new" /root/new.deb
"$SDBOX" cp "$box" "$fake" /usr/local/bin/fake-nacos
bx "mkdir -p /srv/fake && printf '%s\n' '$password' > /srv/fake/pw" || die "fake password"
bx "systemd-run -q --unit=fake-nacos -p RuntimeMaxSec=600 /bin/sh -c \
  'exec 2>/srv/fake/log; /usr/local/bin/fake-nacos --listen 127.0.0.1:8848 --port-file /srv/fake/port \
   --control-port-file /srv/fake/cport --password-file /srv/fake/pw --user tokend --ttl 600 \
   --max-lifetime 600 & wait'" || die "systemd-run fake-nacos"
wait_until 15 "fake-nacos port file" 'test -s /srv/fake/port' || die "fake-nacos did not start"

# --- 1. the old release, configured and running as an operator would have it ---
out=$(T=120 bx 'dpkg -i /root/old.deb 2>&1') || { echo "$out"; die "dpkg -i $vold"; }
ok "dpkg -i $vold"
bx "install -m 0600 -o root -g root /dev/null /etc/nacos-tokend/password &&
    printf '%s\n' '$password' > /etc/nacos-tokend/password &&
    sed -i 's/^servers =.*/servers = 127.0.0.1:8848/; s/^username = .*/username = tokend/' \
      /etc/nacos-tokend/nacos-tokend.ini" || die "configuring $vold"
# Both units enabled, the socket first (it cannot start while its service runs).
T=60 bx 'systemctl enable nacos-tokend.socket nacos-tokend.service && systemctl start nacos-tokend.socket &&
         systemctl start nacos-tokend.service' >/dev/null 2>&1 || bad "systemctl enable, start ($vold)"
bx 'test -s /run/nacos-tokend/token' && ok "$vold runs (socket-activated) and published a token" ||
  bad "$vold: no token"
pid0=$(show MainPID); n0=$(logins); tok0=$(T=10 bx 'cat /run/nacos-tokend/token')
ino0=$(T=10 bx 'stat -c %i /run/nacos-tokend/tokend.sock')

# --- 2. upgrade ---
# As an unattended upgrade does it: the new version's example configuration differs from the
# old one and the operator edited theirs, so dpkg keeps theirs (and puts ours beside it).
out=$(T=120 bx 'DEBIAN_FRONTEND=noninteractive dpkg -i --force-confdef --force-confold /root/new.deb 2>&1') ||
  { echo "$out"; die "dpkg -i $vnew (upgrade)"; }
ok "dpkg -i $vnew over $vold"
[[ $(T=10 bx "dpkg-query -W -f='\${Version} \${Status}' nacos-tokend") == "$vnew install ok installed" ]] ||
  bad "dpkg does not show $vnew installed"
wait_until 20 "the service active again" '[[ $(systemctl is-active nacos-tokend.service) == active ]]'
pid1=$(show MainPID)
[[ -n $pid1 && $pid1 != 0 && $pid1 != "$pid0" ]] && ok "the running daemon was restarted ($pid0 -> $pid1)" ||
  bad "the daemon was not restarted on upgrade (MainPID $pid0 -> $pid1)"
[[ $(T=10 bx 'nacos-tokend --version') == "nacos-tokend $vnew" ]] && ok "the new binary runs ($vnew)" ||
  bad "nacos-tokend --version: $(T=10 bx 'nacos-tokend --version')"
n1=$(logins)
[[ -n $n0 && $n0 == "$n1" ]] && ok "the restart reused the saved token (logins $n0 -> $n1)" ||
  bad "the upgrade made a login (logins $n0 -> $n1)"
[[ $(T=10 bx 'nacos-token') == "$tok0" ]] && ok "the same token is served after the upgrade" ||
  bad "another or no token after the upgrade"
grep -q '^servers = 127.0.0.1:8848' <<<"$(T=10 bx 'cat /etc/nacos-tokend/nacos-tokend.ini')" &&
  ok "the edited conffile was kept" || bad "the upgrade lost the edited conffile"
[[ $(T=10 bx 'systemctl is-enabled nacos-tokend.service nacos-tokend.socket' | sort -u) == enabled ]] &&
  ok "both units still enabled" || bad "the upgrade changed the enablement"
[[ $(T=10 bx 'systemctl is-active nacos-tokend.socket') == active &&
   $(T=10 bx 'stat -c %i /run/nacos-tokend/tokend.sock') == "$ino0" ]] &&
  ok "the socket unit kept running with the same socket through the upgrade" ||
  bad "the socket unit or its socket changed in the upgrade"
[[ $(T=10 bx 'stat -c "%U:%G %a" /etc/nacos-tokend/password') == "root:root 600" ]] ||
  bad "the password is no longer root:root 0600"
T=10 bx 'man -w nacos-tokend && man -w nacos-token && man -w 5 nacos-tokend.ini' >/dev/null &&
  ok "man finds nacos-tokend(8), nacos-token(1), nacos-tokend.ini(5)" || bad "man does not find the pages"
T=10 bx 'test -f /usr/share/bash-completion/completions/nacos-token' || bad "no bash completion"

# --- 3. purge ---
out=$(T=120 bx 'dpkg --purge nacos-tokend 2>&1') || { echo "$out"; bad "dpkg --purge"; }
ok "dpkg --purge"
[[ $(T=10 bx 'systemctl is-active nacos-tokend.service') != active ]] || bad "the service still runs"
bx 'test ! -e /etc/nacos-tokend && test ! -e /run/nacos-tokend' &&
  ok "/etc/nacos-tokend and /run/nacos-tokend are gone" || bad "purge left /etc/nacos-tokend or /run/nacos-tokend"
bx 'for w in /etc/systemd/system/multi-user.target.wants/nacos-tokend.service \
             /etc/systemd/system/sockets.target.wants/nacos-tokend.socket; do
      test ! -e $w && test ! -L $w || exit 1; done' &&
  ok "the enablement symlinks are gone" || bad "purge left an enablement symlink"
[[ $(T=10 bx 'systemctl is-active nacos-tokend.socket') != active ]] || bad "the socket unit still runs"
bx 'getent passwd nacos-tokend >/dev/null && getent group nacos-token >/dev/null' &&
  ok "the system user and group stay (Debian does not remove them)" || bad "purge removed the user or group"
T=30 bx 'systemctl stop fake-nacos.service; rm -f /usr/local/bin/fake-nacos /root/old.deb /root/new.deb' || true
after=$(snapshot)
# Expected changes: the user and group (kept on purpose), and the shadow tools' backups of them.
expected='^[<>] /etc/(passwd|group|shadow|gshadow)-? |^[<>] [0-9a-f]{64}  /etc/(passwd|group|shadow|gshadow)-?$'
diff_out=$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | grep -Ev "$expected")
[[ -z $diff_out ]] && ok "after purge the file system is as before the install (but for the user and group)" ||
  { bad "purge left or changed:"; echo "$diff_out" | sed 's/^/      /' | head -40; }

if [[ $fail -eq 0 ]]; then echo "PASS: upgrade"; else echo "FAILED: upgrade"; fi
exit $fail
