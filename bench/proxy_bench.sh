#!/usr/bin/env bash
# bench/proxy_bench.sh: the Nacos proxy against nginx doing the same job (issue 10).
#
# In one run, inside a private temp dir removed on exit:
#  - an upstream nginx on loopback TCP stands in for a fast Nacos: it answers the login with a
#    token and GET /nacos/v1/cs/configs with a small config (`return 200`);
#  - nacos-tokend logs in to it and serves [proxy] path on a Unix socket;
#  - a second nginx does the proxy's job on its own Unix socket: proxy_pass to the same
#    upstream, keep-alive upstream connections, proxy_set_header Authorization "Bearer <token>";
#  - uxload loads both the same way (16 and 256 keep-alive clients, 16 clients with a new
#    connection per request), rounds alternating between the two; the table shows medians;
#  - then 1000 long polls are held through a second daemon's proxy with proxy.timeout = 5s (the
#    upstream nginx holds them 20 s, echo_sleep) and that daemon's RSS, threads and descriptors
#    are printed once they outlived the timeout.
# A report, not a test: exit 0 when a target is missed, nonzero only when something broke.
#
# Environment: BUILD_DIR (default <repo>/build), DURATION seconds per run (default 5), ROUNDS
# (default 3), WARMUP seconds (default 1), POLLS long polls held (default 1000),
# UXLOAD_THREADS (default 1).
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
POLLS=${POLLS:-1000}
UXLOAD_THREADS=${UXLOAD_THREADS:-1}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
CORES=$(nproc)
BENCH=proxy_bench.sh
# shellcheck source=bench/bench-lib.sh
. "$REPO/bench/bench-lib.sh"

missing=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
need_packages "${missing[@]}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TOKEND=$BUILD_DIR/src/nacos-tokend
UXLOAD=$BUILD_DIR/bench/uxload
BINARIES=("$TOKEND" "$UXLOAD")
build_targets nacos-tokend uxload

bench_tempdir
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the upstream: nginx answering like a fast Nacos ------------------------
UP_PORT=$(free_port)
TOKEN="bench-token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CONFIG_BODY='server.port=8080\nspring.application.name=bench\n'
mkdir -p "$T/tmp-up" "$T/tmp-px"
temp_paths() {
  printf '  client_body_temp_path %s/body; proxy_temp_path %s/proxy; fastcgi_temp_path %s/f;\n' \
    "$1" "$1" "$1"
  printf '  uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n' "$1" "$1"
}
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
[[ -f $ECHO_MODULE ]] || need_packages libnginx-mod-http-echo
cat >"$T/upstream.conf" <<EOF
load_module $ECHO_MODULE;
worker_processes 1;
pid $T/upstream.pid;
error_log $T/upstream-error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 60s;
$(temp_paths "$T/tmp-up")
  server {
    listen 127.0.0.1:$UP_PORT;
    location = /nacos/v3/auth/user/login {
      default_type application/json;
      return 200 '{"accessToken":"$TOKEN","tokenTtl":18000,"globalAdmin":false,"username":"nacos"}';
    }
    location = /nacos/v1/cs/configs { default_type text/plain; return 200 "$CONFIG_BODY"; }
    # A long poll as Nacos holds one: no change, an empty answer after the hold.
    location = /nacos/v1/cs/configs/listener { echo_sleep 20; echo_flush; }
  }
}
EOF
"$NGINX" -p "$T" -c "$T/upstream.conf" -e "$T/upstream-error.log" 2>"$T/upstream.stderr" &
track $!
wait_for 10 curl -sf "http://127.0.0.1:$UP_PORT/nacos/v1/cs/configs" -o /dev/null ||
  die "upstream nginx did not start: $(tail -3 "$T/upstream-error.log")"
BODY_BYTES=$(curl -sf "http://127.0.0.1:$UP_PORT/nacos/v1/cs/configs" | wc -c)

# --- nacos-tokend with its proxy --------------------------------------------
printf 'nacos' >"$T/pw"
chmod 0600 "$T/pw"
PROXY_SOCK=$T/proxy.sock
"$TOKEND" -D "nacos.servers=127.0.0.1:$UP_PORT" -D nacos.username=nacos \
  -D "nacos.password_file=$T/pw" -D "file.path=$T/token" -D "socket.path=$T/tokend.sock" \
  -D "proxy.path=$PROXY_SOCK" 2>"$T/tokend.log" &
TOKEND_PID=$!
track "$TOKEND_PID"
wait_for 15 test -s "$T/token" -a -S "$PROXY_SOCK" ||
  die "nacos-tokend did not start its proxy: $(tail -5 "$T/tokend.log")"

# --- nginx doing the proxy's job ----------------------------------------------
NGINX_SOCK=$T/nginx.sock
cat >"$T/proxy.conf" <<EOF
worker_processes $CORES;
pid $T/proxy.pid;
error_log $T/proxy-error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
$(temp_paths "$T/tmp-px")
  upstream nacos { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen unix:$NGINX_SOCK;
    location / {
      proxy_pass http://nacos;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:$UP_PORT;
      proxy_set_header Authorization "Bearer $TOKEN";
      proxy_buffering off;
    }
  }
}
EOF
"$NGINX" -p "$T" -c "$T/proxy.conf" -e "$T/proxy-error.log" 2>"$T/proxy.stderr" &
track $!
wait_for 10 test -S "$NGINX_SOCK" || die "nginx did not start: $(tail -3 "$T/proxy-error.log")"
TARGET="/nacos/v1/cs/configs?dataId=app.properties&group=DEFAULT_GROUP"
for s in "$PROXY_SOCK" "$NGINX_SOCK"; do
  [[ $(curl -sf --unix-socket "$s" "http://nacos$TARGET" | wc -c) == "$BODY_BYTES" ]] ||
    die "no config through $s"
done

# --- load ---------------------------------------------------------------------
declare -A R M
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
SCENARIOS=(k16 k256 c16)
declare -A ARGS=([k16]="--clients 16 --keepalive" [k256]="--clients 256 --keepalive"
  [c16]="--clients 16")
declare -A TITLE=([k16]="16 clients, keep-alive" [k256]="256 clients, keep-alive"
  [c16]="16 clients, conn/request")
declare -A SOCKET=([tokend]=$PROXY_SOCK [nginx]=$NGINX_SOCK)
run() {  # run SOCKET SECONDS ARGS...
  local socket=$1 seconds=$2
  shift 2
  "$UXLOAD" --socket "$socket" --threads "$UXLOAD_THREADS" --duration "$seconds" \
    --path "$TARGET" --expect-bytes "$BODY_BYTES" "$@"
}
for s in "${SCENARIOS[@]}"; do
  log "load: ${TITLE[$s]}: ${WARMUP}s warm-up, then $ROUNDS x ${DURATION}s per server"
  for server in tokend nginx; do
    # shellcheck disable=SC2086
    run "${SOCKET[$server]}" "$WARMUP" ${ARGS[$s]} >/dev/null || die "warm-up on $server"
  done
  for ((r = 1; r <= ROUNDS; r++)); do
    for server in tokend nginx; do
      # shellcheck disable=SC2086
      line=$(run "${SOCKET[$server]}" "$DURATION" ${ARGS[$s]}) || die "uxload on $server: $line"
      echo "   $s $server #$r: $line" >&2
      for kv in $line; do R[$s.$server.$r.${kv%%=*}]=${kv#*=}; done
    done
  done
  kill -0 "$TOKEND_PID" || die "nacos-tokend died under load: $(tail -5 "$T/tokend.log")"
  for server in tokend nginx; do
    for key in rps p50_us p99_us errors; do
      vals=()
      for ((r = 1; r <= ROUNDS; r++)); do vals+=("${R[$s.$server.$r.$key]}"); done
      if [[ $key == errors ]]; then
        M[$s.$server.$key]=$(printf '%s\n' "${vals[@]}" | awk '{n += $1} END {print n + 0}')
      else
        M[$s.$server.$key]=$(median "${vals[@]}")
      fi
    done
  done
done
LOAD_RSS=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$TOKEND_PID/status")

# --- 1000 held long polls -----------------------------------------------------
log "holding $POLLS long polls through a second daemon's proxy (the upstream holds them 20 s)"
POLL_SOCK=$T/poll.sock
"$TOKEND" -D "nacos.servers=127.0.0.1:$UP_PORT" -D nacos.username=nacos \
  -D "nacos.password_file=$T/pw" -D "file.path=$T/token2" -D "socket.path=$T/tokend2.sock" \
  -D "proxy.path=$POLL_SOCK" -D proxy.timeout=5s 2>"$T/tokend2.log" &
POLL_PID=$!
track "$POLL_PID"
wait_for 15 test -s "$T/token2" -a -S "$POLL_SOCK" ||
  die "the second nacos-tokend did not start: $(tail -5 "$T/tokend2.log")"
IDLE_RSS=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$POLL_PID/status")
POLL_LINE=$(python3 - "$POLL_SOCK" "$POLLS" "$POLL_PID" <<'EOF'
import hashlib, resource, socket, sys, time, urllib.parse
path, count, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
entry = "\x02".join(["probe", "DEFAULT_GROUP", hashlib.md5(b"probe").hexdigest()]) + "\x01"
body = urllib.parse.urlencode({"Listening-Configs": entry}).encode()
request = (b"POST /nacos/v1/cs/configs/listener HTTP/1.1\r\nHost: nacos\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\nLong-Pulling-Timeout: 30000\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
socks = []
for _ in range(count):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(request)
    socks.append(s)
time.sleep(8)  # past proxy.timeout (5 s): held as long polls, not timed out
for s in socks:
    s.setblocking(False)
answered = 0
for s in socks:
    try:
        answered += len(s.recv(1)) > 0
    except BlockingIOError:
        pass
status = open(f"/proc/{pid}/status").read().split("\n")
rss = next(l.split()[1] for l in status if l.startswith("VmRSS:"))
threads = next(l.split()[1] for l in status if l.startswith("Threads:"))
import os
fds = len(os.listdir(f"/proc/{pid}/fd"))
print(f"held={count - answered} answered_early={answered} rss_kib={rss} threads={threads} fds={fds}")
EOF
) || die "the long-poll client failed"
kill -0 "$POLL_PID" || die "nacos-tokend died holding long polls: $(tail -5 "$T/tokend2.log")"
declare -A P
for kv in $POLL_LINE; do P[${kv%%=*}]=${kv#*=}; done

# --- report -------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
echo
echo "nacos-tokend proxy vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') (worker_processes $CORES," \
  "upstream keepalive 64), $CORES cores, uxload threads $UXLOAD_THREADS, ${ROUNDS}x${DURATION}s medians"
fmt="%-26s %9s %8s %8s %6s | %9s %8s %8s %6s | %6s %6s\n"
printf "$fmt" "" "tokend" "" "" "" "nginx" "" "" "" "ratio" "ratio"
printf "$fmt" "scenario" "rps" "p50_us" "p99_us" "errors" "rps" "p50_us" "p99_us" "errors" "rps" "p99"
for s in "${SCENARIOS[@]}"; do
  printf "$fmt" "${TITLE[$s]}" "${M[$s.tokend.rps]}" "${M[$s.tokend.p50_us]}" \
    "${M[$s.tokend.p99_us]}" "${M[$s.tokend.errors]}" "${M[$s.nginx.rps]}" \
    "${M[$s.nginx.p50_us]}" "${M[$s.nginx.p99_us]}" "${M[$s.nginx.errors]}" \
    "$(ratio "${M[$s.tokend.rps]}" "${M[$s.nginx.rps]}")" \
    "$(ratio "${M[$s.tokend.p99_us]}" "${M[$s.nginx.p99_us]}")"
done
echo "daemon peak RSS after the load runs: $((LOAD_RSS / 1024)) MiB"
echo "long polls: ${P[held]} of $POLLS held past proxy.timeout (${P[answered_early]} answered early);" \
  "daemon RSS $((IDLE_RSS / 1024)) MiB idle -> $((P[rss_kib] / 1024)) MiB holding them," \
  "${P[threads]} threads, ${P[fds]} descriptors"
echo
verdict() { awk -v c="$1" 'BEGIN {print (c ? "PASS" : "MISS")}'; }
for s in k16 k256; do
  echo "$(verdict "$(awk -v a="${M[$s.tokend.rps]}" -v b="${M[$s.nginx.rps]}" 'BEGIN {print (a >= b)}')")" \
    "rps >= 1.0x nginx, ${TITLE[$s]}"
  echo "$(verdict "$(awk -v a="${M[$s.tokend.p99_us]}" -v b="${M[$s.nginx.p99_us]}" 'BEGIN {print (a <= 1.5 * b)}')")" \
    "p99 <= 1.5x nginx, ${TITLE[$s]}"
  echo "$(verdict "$((M[$s.tokend.errors] == 0))")" "0 errors, ${TITLE[$s]}"
done
echo "$(verdict "$((P[rss_kib] < 32 * 1024 && P[held] == POLLS))")" \
  "$POLLS long polls held with RSS < 32 MiB"
