#!/bin/bash
# Builds the .deb with cpack, installs it on THIS machine with dpkg -i, checks
# what was installed, then removes and purges it again.
#   tests/systemd/package.sh [BUILD_DIR]     (default: build; needs root)
# The .deb is made by packaging/build-deb.sh (which sets CMAKE_INSTALL_PREFIX=/usr in
# BUILD_DIR if needed, recompiling nothing) and left in BUILD_DIR/package/.
# Refuses to run when nacos-tokend is already installed here or
# /etc/nacos-tokend exists (it would remove them). Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
[[ -d $build ]] && build=$(cd "$build" && pwd)  # absolute: the scripts cd around
pkg=nacos-tokend

fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok:   $*"; }
die() { echo "FAIL: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || { echo "SKIP: package.sh installs a package and needs root"; exit 77; }
command -v dpkg >/dev/null || { echo "SKIP: not a dpkg system"; exit 77; }
if dpkg-query -W -f='${Status}' $pkg 2>/dev/null | grep -q 'installed\|config-files'; then
  echo "SKIP: $pkg is already installed on this machine; not touching it"; exit 77
fi
[[ -e /etc/nacos-tokend ]] && { echo "SKIP: /etc/nacos-tokend exists here; not touching it"; exit 77; }

# Remember what existed before, so the cleanup removes only what this test made.
had_user=0; getent passwd nacos-tokend >/dev/null && had_user=1
had_group=0; getent group nacos-token >/dev/null && had_group=1
had_ugroup=0; getent group nacos-tokend >/dev/null && had_ugroup=1
cleanup() {
  if dpkg-query -W -f='${Status}' $pkg 2>/dev/null | grep -q 'installed\|config-files'; then
    dpkg --purge $pkg >/dev/null 2>&1 || true
  fi
  # Package removal keeps the system user by design; a test machine drops it.
  [[ $had_user -eq 0 ]] && userdel nacos-tokend 2>/dev/null
  [[ $had_ugroup -eq 0 ]] && groupdel nacos-tokend 2>/dev/null
  [[ $had_group -eq 0 ]] && groupdel nacos-token 2>/dev/null
  rm -rf /run/nacos-tokend
  true
}
trap cleanup EXIT

# --- build ---
blog=$(mktemp /tmp/build-deb.XXXXXX.log)
deb=$("$src/packaging/build-deb.sh" "$build" 2>"$blog" | tail -1)
[[ -f $deb ]] || { cat "$blog"; rm -f "$blog"; die "building the .deb"; }
rm -f "$blog"
ok "built $deb"

# --- the package itself ---
depends=$(dpkg-deb -f "$deb" Depends)
echo "      Depends: $depends"
for lib in libc6 libstdc++6 libsystemd0 libssl3 libpoconet; do
  [[ $depends == *"$lib"* ]] || bad "Depends lacks $lib"
done
[[ $(dpkg-deb -f "$deb" Package) == "$pkg" ]] || bad "package name is not $pkg"
ctl=$(mktemp -d); dpkg-deb -e "$deb" "$ctl/DEBIAN"
[[ $(cat "$ctl/DEBIAN/conffiles") == /etc/nacos-tokend/nacos-tokend.ini ]] ||
  bad "conffiles: '$(cat "$ctl/DEBIAN/conffiles")'"
for s in postinst prerm postrm; do [[ -x $ctl/DEBIAN/$s ]] || bad "no executable $s"; done
rm -rf "$ctl"
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/nacos-tokend ./usr/bin/nacos-token ./etc/nacos-tokend/nacos-tokend.ini \
         ./lib/systemd/system/nacos-tokend.service ./lib/systemd/system/nacos-tokend.socket \
         ./usr/lib/sysusers.d/nacos-tokend.conf ./usr/lib/tmpfiles.d/nacos-tokend.conf \
         ./usr/share/doc/nacos-tokend/examples/ip-allow-list.conf.example \
         ./usr/share/doc/nacos-tokend/copyright ./usr/share/doc/nacos-tokend/changelog.gz \
         ./usr/share/doc/nacos-tokend/README.zh-CN.md ./usr/share/lintian/overrides/nacos-tokend \
         ./usr/share/man/man8/nacos-tokend.8.gz ./usr/share/man/man1/nacos-token.1.gz \
         ./usr/share/man/man5/nacos-tokend.ini.5.gz \
         ./usr/share/bash-completion/completions/nacos-token \
         ./usr/share/bash-completion/completions/nacos-tokend; do
  grep -qx "$f" <<<"$files" || bad "the .deb lacks $f"
done
[[ $fail -eq 0 ]] && ok "package metadata, conffiles, maintainer scripts, file list"

# --- install ---
out=$(dpkg -i "$deb" 2>&1) || { echo "$out"; die "dpkg -i"; }
ok "dpkg -i"
grep -q "/etc/nacos-tokend/password does not exist" <<<"$out" &&
  ok "postinst notes the missing password" || bad "postinst printed no note about the password"

v=$(nacos-tokend --version 2>&1) && [[ $v == "nacos-tokend "* ]] && ok "nacos-tokend --version: $v" ||
  bad "nacos-tokend --version: $v"
nacos-token --help >/dev/null 2>&1 && ok "nacos-token --help" || bad "nacos-token --help"
[[ $(command -v nacos-tokend) == /usr/bin/nacos-tokend ]] || bad "nacos-tokend is not /usr/bin/nacos-tokend"
[[ $v == "nacos-tokend $(dpkg-deb -f "$deb" Version)" ]] || bad "--version '$v' is not the package's version"
for page in 8:nacos-tokend 1:nacos-token 5:nacos-tokend.ini; do
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings "${page%%:*}" "${page#*:}" 2>&1 >/dev/null) &&
    [[ -z $out ]] || bad "man ${page%%:*} ${page#*:}: ${out:-not found}"
done
[[ $fail -eq 0 ]] && ok "man nacos-tokend, man nacos-token, man 5 nacos-tokend.ini render without warnings"

out=$(systemd-analyze verify /lib/systemd/system/nacos-tokend.service \
      /lib/systemd/system/nacos-tokend.socket 2>&1) && [[ -z $out ]] &&
  ok "installed units verify (no output)" || bad "installed units: $out"
score=$(systemd-analyze security --offline=true --threshold=15 /lib/systemd/system/nacos-tokend.service 2>&1 |
        sed -n 's/.*Overall exposure level for nacos-tokend.service: \([0-9.]*\).*/\1/p')
[[ -n $score ]] && ok "installed service exposure $score" || bad "installed service: security check failed"

getent passwd nacos-tokend >/dev/null && ok "user nacos-tokend exists" || bad "no user nacos-tokend"
[[ $(getent passwd nacos-tokend | cut -d: -f7) == /usr/sbin/nologin ]] || bad "nacos-tokend has a login shell"
getent group nacos-token >/dev/null && ok "group nacos-token exists" || bad "no group nacos-token"
id -nG nacos-tokend 2>/dev/null | tr ' ' '\n' | grep -qx nacos-token &&
  ok "nacos-tokend is in nacos-token" || bad "nacos-tokend is not in nacos-token"

[[ -f /etc/nacos-tokend/nacos-tokend.ini ]] && ok "conffile /etc/nacos-tokend/nacos-tokend.ini in place" ||
  bad "no /etc/nacos-tokend/nacos-tokend.ini"
dpkg-query -W -f='${Conffiles}\n' $pkg | grep -q '/etc/nacos-tokend/nacos-tokend.ini' ||
  bad "dpkg does not list the conffile"
[[ $(stat -c '%U:%G %a' /etc/nacos-tokend) == "root:root 755" ]] && ok "/etc/nacos-tokend root:root 0755" ||
  bad "/etc/nacos-tokend is $(stat -c '%U:%G %a' /etc/nacos-tokend)"
[[ $(stat -c '%U:%G %a' /run/nacos-tokend 2>/dev/null) == "nacos-tokend:nacos-token 750" ]] &&
  ok "/run/nacos-tokend nacos-tokend:nacos-token 0750 (tmpfiles)" ||
  bad "/run/nacos-tokend is '$(stat -c '%U:%G %a' /run/nacos-tokend 2>&1)'"

# The shipped configuration is valid (the password as the unit delivers it).
cred=$(mktemp -d); echo secret > "$cred/nacos-password"
out=$(CREDENTIALS_DIRECTORY=$cred nacos-tokend --check-config 2>&1) &&
  ok "installed configuration passes --check-config" || bad "--check-config: $out"
rm -rf "$cred"

# A reinstall (the upgrade path of the scripts) keeps a changed conffile.
echo "; local change" >> /etc/nacos-tokend/nacos-tokend.ini
install -m 0644 /dev/null /etc/nacos-tokend/password   # wrong mode on purpose
out=$(dpkg -i "$deb" 2>&1) || { echo "$out"; bad "dpkg -i (again)"; }
grep -q '^; local change' /etc/nacos-tokend/nacos-tokend.ini && ok "reinstall keeps the changed conffile" ||
  bad "reinstall lost the local change"
[[ $(stat -c '%U:%G %a' /etc/nacos-tokend/password) == "root:root 600" ]] &&
  ok "postinst makes the password root:root 0600" || bad "password is $(stat -c '%U:%G %a' /etc/nacos-tokend/password)"

# --- remove, then purge ---
out=$(dpkg -r $pkg 2>&1) || { echo "$out"; bad "dpkg -r"; }
[[ ! -e /usr/bin/nacos-tokend && ! -e /usr/bin/nacos-token && ! -e /lib/systemd/system/nacos-tokend.service ]] &&
  ok "dpkg -r removed the programs and units" || bad "dpkg -r left files behind"
[[ -f /etc/nacos-tokend/nacos-tokend.ini ]] && ok "dpkg -r keeps the conffile" || bad "dpkg -r removed the conffile"
[[ ! -e /run/nacos-tokend ]] || bad "dpkg -r left /run/nacos-tokend"
getent passwd nacos-tokend >/dev/null && ok "dpkg -r keeps the user" || bad "dpkg -r removed the user"
out=$(dpkg -P $pkg 2>&1) || { echo "$out"; bad "dpkg -P"; }
[[ ! -e /etc/nacos-tokend ]] && ok "dpkg -P removed /etc/nacos-tokend" || bad "dpkg -P left $(ls -A /etc/nacos-tokend)"
dpkg-query -W -f='${Status}' $pkg 2>/dev/null | grep -q 'installed\|config-files' &&
  bad "dpkg still knows $pkg" || ok "purged cleanly"

if [[ $fail -eq 0 ]]; then echo "PASS: package ($deb)"; else echo "FAILED: package"; fi
exit $fail
