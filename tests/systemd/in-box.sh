#!/bin/bash
# End-to-end test under a real service manager: installs the .deb in a
# throwaway sdbox machine (systemd as PID 1, loopback-only network), runs
# fake-nacos there as a transient unit and checks what an operator sees.
#   tests/systemd/in-box.sh [BUILD_DIR]          (default: build; needs root)
# The .deb comes from BUILD_DIR/package/ (made by packaging/build-deb.sh if missing, or
# given as NACOS_TOKEND_DEB=path); fake-nacos from BUILD_DIR/tests/fake_nacos/.
# Exit 0 pass, 1 fail, 77 skip (sdbox cannot run here). The box is always torn
# down; every wait is bounded. KEEP_BOX=1 leaves it up for a post-mortem.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
[[ -d $build ]] && build=$(cd "$build" && pwd)  # absolute: the scripts cd around
box=tokend-$$
ttl=30                 # fake-nacos token lifetime (s): refreshes every ~24 s
password='s3cret-Pass+word'
. "$here/box-lib.sh"

# --- can we run at all? ---
box_preflight curl

fake=$build/tests/fake_nacos/fake-nacos
if [[ ! -x $fake ]]; then
  cmake --build "$build" -j2 --target fake-nacos >/dev/null 2>&1 || die "cannot build fake-nacos in $build"
fi
deb=${NACOS_TOKEND_DEB:-$(ls "$build"/package/nacos-tokend_*.deb 2>/dev/null | head -1)}
if [[ ! -f $deb ]]; then
  blog=$(mktemp /tmp/build-deb.XXXXXX.log)
  deb=$("$src/packaging/build-deb.sh" "$build" 2>"$blog" | tail -1)
  [[ -f $deb ]] || { cat "$blog"; rm -f "$blog"; die "cannot build the .deb"; }
  rm -f "$blog"
fi
echo "package: $deb"

box_up

fault() { T=10 bx "curl -sf --max-time 5 -X POST \"http://127.0.0.1:\$(cat /srv/fake/cport)/_fake/fault?mode=$1\"" >/dev/null ||
            bad "fake-nacos: cannot set fault $1"; }
as() { local u=$1; shift; T=30 bx "runuser -u $u -- $*"; }
journal_mark() { T=10 bx 'journalctl -u nacos-tokend.service --show-cursor -n 0 -q | sed -n "s/^-- cursor: //p"'; }
journal_since() { T=10 bx "journalctl -u nacos-tokend.service --no-pager -q -o cat --after-cursor='$1'"; }

# A cgroup left by a killed box would carry its old BPF filters into ours.
for u in nacos-tokend.service fake-nacos.service; do
  T=10 bx "d=/sys/fs/cgroup/system.slice/$u; [[ ! -d \$d ]] || { [[ -z \$(cat \$d/cgroup.procs) ]] && rmdir \$d; }" ||
    skip "a stale, busy cgroup system.slice/$u exists (another box runs it?)"
done

# --- install, users, the stand-in ---
"$SDBOX" cp "$box" "$deb" /root/nacos-tokend.deb
"$SDBOX" cp "$box" "$fake" /usr/local/bin/fake-nacos
out=$(T=120 bx 'dpkg -i /root/nacos-tokend.deb 2>&1') || { echo "$out"; die "dpkg -i in the box"; }
ok "dpkg -i in the box"
bx 'useradd -m -G nacos-token reader && useradd -m other' || die "cannot create test users"
# --- 0. start failures that no restart can fix fail at once (no loop) ---
T=30 bx 'systemctl start nacos-tokend.service' 2>/dev/null && bad "started without a password"
r="$(show ActiveState) $(show ExecMainStatus) $(show NRestarts)"
[[ $r == "failed 243 0" ]] && ok "no /etc/nacos-tokend/password: fails at once (243/CREDENTIALS), no restart" ||
  bad "without a password: state/status/restarts '$r'"
bx "install -m 0600 -o root -g root /dev/null /etc/nacos-tokend/password &&
    printf '%s\n' '$password' > /etc/nacos-tokend/password &&
    sed -i 's/^servers = .*/servers =/' /etc/nacos-tokend/nacos-tokend.ini && systemctl reset-failed nacos-tokend"
T=30 bx 'systemctl start nacos-tokend.service' 2>/dev/null && bad "started with an empty nacos.servers"
r="$(show ActiveState) $(show ExecMainStatus) $(show NRestarts)"
[[ $r == "failed 78 0" ]] && ok "configuration error: fails at once (78/CONFIG), no restart" ||
  bad "bad configuration: state/status/restarts '$r'"
bx 'systemctl reset-failed nacos-tokend.service'
mark0=$(journal_mark)

bx "mkdir -p /srv/fake && printf '%s\n' '$password' > /srv/fake/pw" || die "fake password"
# fake-nacos exits when its parent dies (and when its parent is PID 1), so a
# shell stays as its parent inside its own transient unit.
bx "systemd-run -q --unit=fake-nacos -p RuntimeMaxSec=900 /bin/sh -c \
  'exec 2>/srv/fake/log; /usr/local/bin/fake-nacos --listen 127.0.0.1:8848 --port-file /srv/fake/port \
   --control-port-file /srv/fake/cport --password-file /srv/fake/pw --user tokend --ttl $ttl \
   --max-lifetime 900 & wait'" || die "systemd-run fake-nacos"
wait_until 15 "fake-nacos port file" 'test -s /srv/fake/port' || die "fake-nacos did not start"
ok "fake-nacos runs in the box (control port $(T=5 bx 'cat /srv/fake/cport'))"

# The operator's steps: the password as root:root 0600, the config edited.
bx "install -m 0600 -o root -g root /dev/null /etc/nacos-tokend/password &&
    printf '%s\n' '$password' > /etc/nacos-tokend/password &&
    sed -i 's/^servers =.*/servers = 127.0.0.1:8848/; s/^username = .*/username = tokend/' \
      /etc/nacos-tokend/nacos-tokend.ini &&
    install -m 0600 /srv/fake/pw /srv/fake/nacos-password &&
    CREDENTIALS_DIRECTORY=/srv/fake nacos-tokend --check-config" >/dev/null ||
  bad "the edited configuration does not pass --check-config"

# --- 1. Type=notify: active only once the token exists ---
fault down                                  # Nacos unreachable at start
bx 'systemctl start --no-block nacos-tokend.service'
wait_until 20 "STATUS= reporting the failed login" \
  '[[ $(systemctl show -p StatusText --value nacos-tokend) == *"login failed"* ]]'
st=$(show ActiveState); txt=$(show StatusText)
[[ $st == activating ]] && ok "unreachable Nacos: unit stays 'activating' (Status: $txt)" ||
  bad "unreachable Nacos: unit is '$st', want activating"
bx 'test ! -e /run/nacos-tokend/token' && ok "no token file while activating" ||
  bad "a token file exists before READY"
sleep 3
[[ $(show NRestarts) == 0 && $(show ActiveState) == activating ]] &&
  ok "no restart loop while Nacos is down" || bad "restarted while waiting for Nacos"
# A reload while the first login still fails must not make the unit active (READY=1 comes
# once, after the first valid token).
bx 'systemctl kill -s HUP --kill-who=main nacos-tokend.service'
sleep 2
[[ $(show ActiveState) == activating ]] && bx 'test ! -e /run/nacos-tokend/token' &&
  ok "HUP during the outage: still 'activating', no READY before a token" ||
  bad "HUP during the outage made the unit '$(show ActiveState)'"
fault none
bx 'systemctl kill -s USR1 --kill-who=main nacos-tokend.service'    # USR1: log in now
if T=40 bx 'systemctl start nacos-tokend.service'; then
  bx 'test -s /run/nacos-tokend/token' && ok "systemctl start returned once the token existed" ||
    bad "systemctl start returned but there is no token file"
else
  bad "systemctl start failed or hung"
fi
[[ $(show ActiveState) == active ]] || bad "unit not active after start"

# --- 2. systemctl status ---
status=$(T=10 bx 'systemctl status --no-pager nacos-tokend.service')
if grep -Eq 'Status: "token valid for [0-9]' <<<"$status"; then
  ok "systemctl status: $(grep -o 'Status: .*' <<<"$status")"
else
  bad "no 'token valid for' Status line:"; echo "$status" | sed 's/^/      /'
fi
[[ $(show WatchdogUSec) == 30s ]] || bad "WatchdogUSec is $(show WatchdogUSec)"

# --- 3. ownership and who may read ---
perms=$(T=10 bx 'stat -c "%n %U:%G %a" /run/nacos-tokend /run/nacos-tokend/token /run/nacos-tokend/.token.state /run/nacos-tokend/tokend.sock')
want_perms="/run/nacos-tokend nacos-tokend:nacos-token 750
/run/nacos-tokend/token nacos-tokend:nacos-token 640
/run/nacos-tokend/.token.state nacos-tokend:nacos-token 600
/run/nacos-tokend/tokend.sock nacos-tokend:nacos-token 660"
[[ $perms == "$want_perms" ]] && ok "runtime directory, token, state and socket owners/modes" ||
  { bad "owners/modes:"; echo "$perms" | sed 's/^/      /'; }
tok=$(as reader cat /run/nacos-tokend/token)
cli=$(as reader nacos-token)
[[ -n $tok && $tok == "$cli" ]] && ok "member of nacos-token reads the file and runs nacos-token" ||
  bad "reader: file '$tok' vs nacos-token '$cli'"
[[ $(as reader nacos-token --header) == "Authorization: Bearer $tok" ]] || bad "nacos-token --header"
as reader curl -sf --unix-socket /run/nacos-tokend/tokend.sock http://localhost/v1/health >/dev/null &&
  ok "member of nacos-token uses the socket (curl /v1/health)" || bad "reader: curl over the socket"
as other cat /run/nacos-tokend/token >/dev/null 2>&1 && bad "user 'other' can read the token file"
as other nacos-token >/dev/null 2>&1; rc=$?
[[ $rc -eq 69 ]] && ok "user 'other' cannot: nacos-token exits 69" || bad "user 'other': nacos-token rc $rc"

# --- 4. reload (good, then bad) ---
mark=$(journal_mark)
T=30 bx 'systemctl reload nacos-tokend.service' && ok "systemctl reload returned 0" || bad "systemctl reload"
wait_until 10 "reload in the journal" \
  "journalctl -u nacos-tokend -q -o cat --after-cursor='$mark' | grep -q 'configuration reloaded'" &&
  ok "journal shows the reload"
wait_until 10 "active after reload" '[[ $(systemctl is-active nacos-tokend) == active ]]'
bx 'cp /etc/nacos-tokend/nacos-tokend.ini /root/good.ini && sed -i "s/^servers = .*/servers =/" /etc/nacos-tokend/nacos-tokend.ini'
mark=$(journal_mark)
T=30 bx 'systemctl reload nacos-tokend.service'
wait_until 10 "a failed reload in the journal" \
  "journalctl -u nacos-tokend -q -o cat --after-cursor='$mark' | grep -q 'previous configuration stays'" &&
  ok "a bad file on reload is reported"
wait_until 10 "active after a bad reload" '[[ $(systemctl is-active nacos-tokend) == active ]]' &&
  as reader nacos-token >/dev/null && ok "still serving with the old configuration"
bx 'cp /root/good.ini /etc/nacos-tokend/nacos-tokend.ini'

# --- 4b. the hook under the hardened unit: a script in /usr/local/libexec ---
bx "install -d /usr/local/libexec && printf '%s\n' '#!/bin/sh' \
      'echo \"\$NACOS_TOKEN_IDENTITY \$NACOS_TOKEN_GENERATION \${#NACOS_ACCESS_TOKEN}\" >> /run/nacos-tokend/hook.log' \
      > /usr/local/libexec/nacos-token-changed && chmod 0755 /usr/local/libexec/nacos-token-changed &&
    printf '\n[hook]\non_change = /usr/local/libexec/nacos-token-changed\ntimeout = 10s\n' \
      >> /etc/nacos-tokend/nacos-tokend.ini"
mark=$(journal_mark)
T=30 bx 'systemctl reload nacos-tokend.service'
sleep 1.2  # the stand-in gives one token per user and second: let the next login get a new one
bx 'systemctl kill -s USR1 --kill-who=main nacos-tokend.service'
wait_until 15 "the hook's line" 'grep -q "^default [0-9]* [1-9]" /run/nacos-tokend/hook.log' &&
  ok "hook ran under the hardened unit: $(T=5 bx 'tail -1 /run/nacos-tokend/hook.log')" ||
  { bad "the hook did not run"; journal_since "$mark" | tail -5 | sed 's/^/      /'; }
journal_since "$mark" | grep -q 'hook /usr/local/libexec/nacos-token-changed: exit status 0' &&
  ok "journal: the hook's exit status" || bad "no hook exit status in the journal"
bx 'cp /root/good.ini /etc/nacos-tokend/nacos-tokend.ini && rm -f /run/nacos-tokend/hook.log'
T=30 bx 'systemctl reload nacos-tokend.service'

# --- 5. restart reuses the saved token: no login ---
# A fresh login first, so no scheduled refresh falls inside the restart.
n0=$(logins)
bx 'systemctl kill -s USR1 --kill-who=main nacos-tokend.service'
wait_until 10 "the USR1 login at the stand-in" "[[ \$(curl -s http://127.0.0.1:\$(cat /srv/fake/cport)/_fake/stats | sed -n 's/.*\"logins\":\\([0-9]*\\).*/\\1/p') -gt $n0 ]]" &&
  ok "USR1 made a login"
sleep 1
n1=$(logins); mark=$(journal_mark)
T=40 bx 'systemctl restart nacos-tokend.service' || bad "systemctl restart"
n2=$(logins)
[[ -n $n1 && $n1 == "$n2" ]] && ok "systemctl restart made no login (logins $n1 -> $n2)" ||
  bad "systemctl restart logged in (logins $n1 -> $n2)"
journal_since "$mark" | grep -q 'reusing the token saved by the previous run' &&
  ok "journal: reusing the saved token" || bad "no 'reusing the token' line after restart"
as reader nacos-token >/dev/null && ok "token served after restart" || bad "no token after restart"

# --- 6. kill -9 of the main process: systemd restarts it ---
pid=$(show MainPID); nr=$(show NRestarts)
bx "kill -9 $pid"
wait_until 20 "a new main process after kill -9" \
  "[[ \$(systemctl show -p MainPID --value nacos-tokend) != $pid && \$(systemctl show -p MainPID --value nacos-tokend) != 0 && \$(systemctl is-active nacos-tokend) == active ]]" &&
  ok "kill -9 $pid: restarted as $(show MainPID) (NRestarts $nr -> $(show NRestarts))"
as reader nacos-token --wait 10 >/dev/null && ok "token served again after kill -9" ||
  bad "no token after kill -9"

# --- 7. watchdog pings (WatchdogSec=2s for a few seconds) ---
bx 'mkdir -p /run/systemd/system/nacos-tokend.service.d &&
    printf "[Service]\nWatchdogSec=2s\n" > /run/systemd/system/nacos-tokend.service.d/wd.conf &&
    systemctl daemon-reload && systemctl restart nacos-tokend.service'
pid=$(show MainPID); nr=$(show NRestarts)
sleep 6
[[ $(show MainPID) == "$pid" && $(show NRestarts) == "$nr" && $(show ActiveState) == active ]] &&
  ok "WatchdogSec=2s: still the same process after 6 s (pinged)" || bad "watchdog killed the daemon"
bx 'rm -rf /run/systemd/system/nacos-tokend.service.d && systemctl daemon-reload &&
    systemctl restart nacos-tokend.service'

# --- 8. stop of a self-bound socket: socket removed, valid token kept ---
T=30 bx 'systemctl stop nacos-tokend.service'
bx 'test ! -e /run/nacos-tokend/tokend.sock && test -s /run/nacos-tokend/token' &&
  ok "stop: socket removed, still-valid token file kept" || bad "stop: socket/token file state"

# --- 9. socket activation through nacos-tokend.socket ---
bx 'systemctl start nacos-tokend.socket'
[[ $(show ActiveState) == inactive ]] || bad "service started with the socket"
ino=$(T=5 bx 'stat -c %i /run/nacos-tokend/tokend.sock')
as reader nacos-token --wait 20 >/dev/null && ok "a reader's request started the service via the socket" ||
  bad "socket activation: no token"
[[ $(show ActiveState) == active ]] || bad "service not active after the request"
T=10 bx 'journalctl -u nacos-tokend -q -o cat -n 20' | grep -q 'socket socket-activated' ||
  bad "the daemon did not report the activated socket"
T=40 bx 'systemctl restart nacos-tokend.service'
[[ $(T=5 bx 'stat -c %i /run/nacos-tokend/tokend.sock') == "$ino" ]] &&
  as reader nacos-token >/dev/null && ok "restart keeps the activated socket (same inode)" ||
  bad "socket changed across a restart"
# As after a boot: /run empty, tmpfiles.d makes the directory, the socket unit the socket.
T=30 bx 'systemctl stop nacos-tokend.socket nacos-tokend.service && rm -rf /run/nacos-tokend &&
         systemd-tmpfiles --create nacos-tokend.conf && systemctl start nacos-tokend.socket'
[[ $(T=5 bx 'stat -c "%U:%G %a" /run/nacos-tokend') == "nacos-tokend:nacos-token 750" ]] ||
  bad "fresh /run/nacos-tokend is $(T=5 bx 'stat -c "%U:%G %a" /run/nacos-tokend')"
as reader nacos-token --wait 20 >/dev/null &&
  ok "fresh boot layout: a reader activates the service through the socket" ||
  bad "fresh boot layout: socket activation failed"

# --- 9b. the example IP allow-list drop-in, as the README tells to install it ---
T=30 bx 'systemctl stop nacos-tokend.socket nacos-tokend.service &&
  mkdir -p /etc/systemd/system/nacos-tokend.service.d &&
  cp /usr/share/doc/nacos-tokend/examples/ip-allow-list.conf.example \
     /etc/systemd/system/nacos-tokend.service.d/ip-allow-list.conf &&
  systemctl daemon-reload && systemctl start nacos-tokend.service'
n0=$(logins)
bx 'systemctl kill -s USR1 --kill-who=main nacos-tokend.service'
wait_until 15 "a login allowed by IPAddressAllow=localhost" \
  "[[ \$(curl -s http://127.0.0.1:\$(cat /srv/fake/cport)/_fake/stats | sed -n 's/.*\"logins\":\\([0-9]*\\).*/\\1/p') -gt $n0 ]]" &&
  ok "example allow-list drop-in: login to 127.0.0.1 allowed"
# Now without localhost: the login must be blocked.
bx 'sed -i "s/^IPAddressAllow=localhost$/#&/" /etc/systemd/system/nacos-tokend.service.d/ip-allow-list.conf &&
    systemctl daemon-reload && systemctl restart nacos-tokend.service'
n0=$(logins); mark=$(journal_mark)
bx 'systemctl kill -s USR1 --kill-who=main nacos-tokend.service'
if wait_until 15 "a blocked login" \
     "journalctl -u nacos-tokend -q -o cat --after-cursor='$mark' | grep -q 'login failed'"; then
  [[ $(logins) == "$n0" ]] && ok "allow-list without 127.0.0.1: the login is blocked ($(show StatusText))" ||
    bad "a blocked login reached the stand-in"
elif [[ $(logins) != "$n0" ]]; then
  fail=0; echo "note: IPAddressDeny= is not enforced in this box (no cgroup BPF); allow-list check skipped"
fi
# (a .socket unit cannot start while its service runs: socket first, then service)
bx 'rm -rf /etc/systemd/system/nacos-tokend.service.d && systemctl daemon-reload &&
    systemctl stop nacos-tokend.service && systemctl start nacos-tokend.socket &&
    systemctl start nacos-tokend.service' || bad 'restart with the socket unit'
as reader nacos-token --wait 20 >/dev/null || bad "no token after removing the allow-list"

# --- 10. the journal: priorities, no secrets ---
T=10 bx 'curl -s -X POST "http://127.0.0.1:$(cat /srv/fake/cport)/_fake/fault?mode=503&count=1"' >/dev/null
bx 'systemctl kill -s USR1 --kill-who=main nacos-tokend.service'
wait_until 15 "a failed login in the journal" \
  'journalctl -u nacos-tokend -q -o cat | grep -q "login failed"'
json=$(T=20 bx "journalctl -u nacos-tokend.service -u nacos-tokend.socket -o json --no-pager --after-cursor='$mark0'")
prio() {  # MESSAGE-SUBSTRING -> the PRIORITY fields of the daemon's lines containing it
  python3 -c '
import json, sys
want = sys.argv[1]
for line in sys.stdin:
    e = json.loads(line)
    if e.get("_COMM") == "nacos-tokend" and want in str(e.get("MESSAGE")):
        print(e.get("PRIORITY"))' "$1" <<<"$json" | sort -u | tr '\n' ' '
}
p=$(prio 'received SIGHUP'); [[ $p == "6 " ]] && ok "info lines at PRIORITY 6" || bad "SIGHUP line priority '$p'"
p=$(prio 'login failed'); [[ $p == "4 " ]] && ok "login failure at PRIORITY 4 (warning)" || bad "login failure priority '$p'"
p=$(prio 'reload failed'); [[ $p == "3 " ]] && ok "failed reload at PRIORITY 3 (error)" || bad "reload failure priority '$p'"
python3 -c '
import json, sys, re
for line in sys.stdin:
    e = json.loads(line)
    if e.get("_COMM") == "nacos-tokend" and re.match(r"<[0-7]>", str(e.get("MESSAGE"))):
        sys.exit(1)' <<<"$json" && ok "no raw <N> prefixes left in messages" || bad "a message kept its <N> prefix"
leaks=0
grep -qF -- "$password" <<<"$json" && { bad "the password is in the journal"; leaks=1; }
grep -q 'eyJ[A-Za-z0-9_-]*\.eyJ' <<<"$json" && { bad "a token (JWT) is in the journal"; leaks=1; }
[[ -n $tok ]] && grep -qF -- "$tok" <<<"$json" && { bad "the token is in the journal"; leaks=1; }
[[ $leaks -eq 0 ]] && ok "no password or token in the journal ($(wc -l <<<"$json") entries)"
sysw=$(python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("_COMM") == "systemd" and int(e.get("PRIORITY", 6)) <= 4 and "nacos-tokend" in str(e.get("MESSAGE")):
        m = str(e.get("MESSAGE"))
        if "status=9/KILL" in m or "with result" in m: continue   # from the kill -9 test
        print(m)' <<<"$json")
[[ -z $sysw ]] && ok "systemd logged no warnings about the unit" || { bad "systemd warnings:"; echo "$sysw" | sed 's/^/      /'; }

# --- 11. clean stop ---
T=30 bx 'systemctl stop nacos-tokend.socket nacos-tokend.service'
r="$(show ActiveState) $(show Result) $(show ExecMainStatus)"
[[ $r == "inactive success 0" ]] && ok "systemctl stop: inactive, result success, exit 0" || bad "after stop: $r"
bx 'test ! -e /run/nacos-tokend/tokend.sock' || bad "socket file left after stopping the socket unit"
T=10 bx 'journalctl -u nacos-tokend -q -o cat -n 5' | grep -qx 'stopped' || bad "no 'stopped' line"
[[ $(T=5 bx 'systemctl is-failed nacos-tokend.service nacos-tokend.socket' | sort -u) == inactive ]] ||
  bad "a unit is failed"

# --- 12. https to Nacos by name, from inside the sandbox (TLS module, CA file, name lookup) ---
bx "mkdir -p /srv/tls && cd /srv/tls &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=box-ca &&
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost &&
    printf 'subjectAltName=DNS:localhost\n' > ext &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext &&
    install -m 0644 ca.pem /etc/nacos-tokend/ca.pem" >/dev/null 2>&1 || bad "cannot make certificates in the box"
bx "systemd-run -q --unit=fake-nacos-tls -p RuntimeMaxSec=300 /bin/sh -c \
  'exec 2>/srv/tls/log; /usr/local/bin/fake-nacos --listen 127.0.0.1:8443 --port-file /srv/tls/port \
   --control-port-file /srv/tls/cport --password-file /srv/fake/pw --user tokend --ttl $ttl \
   --tls-cert /srv/tls/srv.pem --tls-key /srv/tls/srv.key --max-lifetime 300 & wait'" || bad "fake-nacos over TLS"
wait_until 15 "fake-nacos over TLS" 'test -s /srv/tls/port'
bx "cp /etc/nacos-tokend/nacos-tokend.ini /root/http.ini &&
    sed -i 's|^servers =.*|servers = https://localhost:8443|; s|^ca_file =.*|ca_file = /etc/nacos-tokend/ca.pem|' \
      /etc/nacos-tokend/nacos-tokend.ini && rm -f /run/nacos-tokend/.token.state && systemctl start nacos-tokend.service" ||
  bad "start against https://localhost:8443"
if T=10 bx 'curl -s http://127.0.0.1:$(cat /srv/tls/cport)/_fake/stats' | grep -q '"login_ok":1,'; then
  ok "https login by name under the sandbox ($(show StatusText))"
else
  bad "no https login under the sandbox ($(show StatusText))"
fi
as reader nacos-token >/dev/null || bad "no token over https"
bx 'systemctl stop nacos-tokend.service fake-nacos-tls.service; cp /root/http.ini /etc/nacos-tokend/nacos-tokend.ini'

if [[ $fail -ne 0 ]]; then
  echo "--- journal of nacos-tokend in the box ---"
  T=20 bx 'journalctl -u nacos-tokend -u nacos-tokend.socket --no-pager -q | tail -60'
  echo "FAILED: in-box"
else
  echo "PASS: in-box"
fi
exit $fail
