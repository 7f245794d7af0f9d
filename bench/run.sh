#!/usr/bin/env bash
# bench/run.sh: the performance report for nacos-tokend (issue 3).
#
# In one run, inside a private temp dir that is removed on exit, it starts
# fake-nacos and nacos-tokend, starts a private nginx serving the same token
# bytes on its own Unix socket, loads both the same way with uxload, times
# `nacos-token` against `cat` and `curl`, measures the idle daemon's memory
# and wake-ups, and prints PASS/MISS per target.
#
# It is a report, not a test: exit 0 even when a target is missed; nonzero
# only when something broke (a build, a start, a crash under load).
#
# Environment (all optional):
#   BUILD_DIR      build tree (default: <repo>/build; built here if binaries are missing)
#   DURATION       seconds per load run (default 5)
#   ROUNDS         load runs per scenario and server, alternating servers;
#                  the table shows the median (default 3)
#   WARMUP         seconds of warm-up per scenario and server (default 1)
#   CALLS          calls per command in the CLI timing (default 500)
#   IDLE           seconds of each idle measurement (default 10)
#   UXLOAD_THREADS load threads (default 1: on a small machine the load
#                  generator must not take the cores the servers need)
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
CALLS=${CALLS:-500}
IDLE=${IDLE:-10}
UXLOAD_THREADS=${UXLOAD_THREADS:-1}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
CORES=$(nproc)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

BENCH=run.sh
# shellcheck source=bench/bench-lib.sh
. "$REPO/bench/bench-lib.sh"

# --- (a) tools -------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
command -v ps >/dev/null || missing+=(procps)
need_packages "${missing[@]}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- (b) binaries ----------------------------------------------------------
TOKEND=$BUILD_DIR/src/nacos-tokend
CLI=$BUILD_DIR/src/nacos-token
FAKE=$BUILD_DIR/tests/fake_nacos/fake-nacos
UXLOAD=$BUILD_DIR/bench/uxload
BINARIES=("$TOKEND" "$CLI" "$FAKE" "$UXLOAD")
build_targets nacos-tokend nacos-token fake-nacos uxload

# --- temp dir --------------------------------------------------------------
bench_tempdir
alive() { kill -0 "$1" 2>/dev/null; }

# --- (c) fake-nacos and nacos-tokend ---------------------------------------
printf 'nacos' >"$T/pw"
chmod 0600 "$T/pw"
"$FAKE" --listen 127.0.0.1:0 --port-file "$T/fake.port" --control-port-file "$T/fake.cport" \
  --password-file "$T/pw" --ttl 3600 --max-lifetime 900 2>"$T/fake.log" &
FAKE_PID=$!
track "$FAKE_PID"
wait_for 10 test -s "$T/fake.port" || die "fake-nacos did not start: $(tail -5 "$T/fake.log")"
FAKE_PORT=$(<"$T/fake.port")

SOCK=$T/tokend.sock
TOKEN_FILE=$T/token
"$TOKEND" -D "nacos.servers=127.0.0.1:$FAKE_PORT" -D nacos.username=nacos \
  -D "nacos.password_file=$T/pw" -D "file.path=$TOKEN_FILE" -D "socket.path=$SOCK" \
  2>"$T/tokend.log" &
TOKEND_PID=$!
track "$TOKEND_PID"
if ! wait_for 15 test -s "$TOKEN_FILE" -a -S "$SOCK"; then
  die "nacos-tokend did not publish a token: $(tail -5 "$T/tokend.log")"
fi
alive "$TOKEND_PID" || die "nacos-tokend exited: $(tail -5 "$T/tokend.log")"
BODY=$(curl -sf --unix-socket "$SOCK" http://localhost/v1/token) ||
  die "GET /v1/token on the daemon's socket failed"

# --- (d) nginx with a private configuration --------------------------------
# The same bytes the daemon serves: the token file, as long as it holds
# exactly the socket's body (raw format); otherwise the body itself.
mkdir -p "$T/www/v1" "$T/nginx-tmp"
if [[ $(<"$TOKEN_FILE") == "$BODY" && $(stat -c %s "$TOKEN_FILE") == "${#BODY}" ]]; then
  cp "$TOKEN_FILE" "$T/www/v1/token"
else
  printf '%s' "$BODY" >"$T/www/v1/token"
fi
chmod 0755 "$T/www" "$T/www/v1"
chmod 0644 "$T/www/v1/token"
TOKEN_BYTES=$(stat -c %s "$T/www/v1/token")
NGINX_SOCK=$T/nginx.sock
# Debian's default nginx.conf, minus what does not apply: worker_processes
# auto (= cores), 768 worker connections, sendfile; no access log.
cat >"$T/nginx.conf" <<EOF
worker_processes $CORES;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
daemon off;
events { worker_connections 768; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { }
  default_type text/plain;
  client_body_temp_path $T/nginx-tmp/body;
  proxy_temp_path $T/nginx-tmp/proxy;
  fastcgi_temp_path $T/nginx-tmp/fastcgi;
  uwsgi_temp_path $T/nginx-tmp/uwsgi;
  scgi_temp_path $T/nginx-tmp/scgi;
  server {
    listen unix:$NGINX_SOCK;
    root $T/www;
    location = /v1/token { }
  }
}
EOF
"$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/nginx-error.log" 2>"$T/nginx.stderr" &
NGINX_PID=$!
track "$NGINX_PID" QUIT
wait_for 10 test -S "$NGINX_SOCK" || die "nginx did not start: $(tail -5 "$T/nginx-error.log")"
[[ $(curl -sf --unix-socket "$NGINX_SOCK" http://localhost/v1/token) == "$BODY" ]] ||
  die "nginx does not serve the token: $(tail -5 "$T/nginx-error.log")"

# --- idle measurements (g) -------------------------------------------------
rss_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
pss_kib() { awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup"; }
switches() {  # voluntary + involuntary context switches of every thread
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(non)?voluntary_ctxt_switches:/ {n += $2} END {print n + 0}'
}
declare -A QUIET  # QUIET[<label>.<rss|anon|file|pss|wake|threads>]
idle_probe() {  # idle_probe LABEL: fills QUIET[LABEL.*]
  local before after tasks=("/proc/$TOKEND_PID/task"/*)
  before=$(switches "$TOKEND_PID")
  sleep "$IDLE"
  after=$(switches "$TOKEND_PID")
  alive "$TOKEND_PID" || die "nacos-tokend died while idle: $(tail -5 "$T/tokend.log")"
  QUIET[$1.rss]=$(rss_kib "$TOKEND_PID" VmRSS)
  QUIET[$1.anon]=$(rss_kib "$TOKEND_PID" RssAnon)
  QUIET[$1.file]=$(rss_kib "$TOKEND_PID" RssFile)
  QUIET[$1.pss]=$(pss_kib "$TOKEND_PID")
  QUIET[$1.wake]=$(awk -v d=$((after - before)) -v s="$IDLE" 'BEGIN {printf "%.2f", d / s}')
  QUIET[$1.threads]=${#tasks[@]}
}

log "idle probe (fresh daemon, ${IDLE}s)"
idle_probe fresh

# --- (e) load --------------------------------------------------------------
declare -A R  # R[<scenario>.<server>.<round>.<key>] = value from uxload's line
uxload() {  # uxload SOCKET SECONDS UXLOAD-ARGS...: prints uxload's result line
  local socket=$1 seconds=$2
  shift 2
  "$UXLOAD" --socket "$socket" --threads "$UXLOAD_THREADS" --duration "$seconds" \
    --expect-bytes "$TOKEN_BYTES" "$@"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
sum() { printf '%s\n' "$@" | awk '{n += $1} END {print n + 0}'; }
collect() {  # collect SCENARIO SERVER KEY: the values of KEY over all rounds
  local r
  for ((r = 1; r <= ROUNDS; r++)); do echo "${R[$1.$2.$r.$3]}"; done
}

SCENARIOS=(c16 c16ka c256)
declare -A ARGS=([c16]="--clients 16" [c16ka]="--clients 16 --keepalive" [c256]="--clients 256")
declare -A TITLE=([c16]="16 clients, conn/request" [c16ka]="16 clients, keep-alive"
  [c256]="256 clients, conn/request")
declare -A SOCKET=([tokend]=$SOCK [nginx]=$NGINX_SOCK)
declare -A M  # M[<scenario>.<server>.<key>]: median over the rounds (errors: the sum)
for s in "${SCENARIOS[@]}"; do
  log "load: ${TITLE[$s]}: ${WARMUP}s warm-up, then $ROUNDS x ${DURATION}s per server"
  for server in tokend nginx; do
    # shellcheck disable=SC2086  # ARGS holds several words on purpose
    uxload "${SOCKET[$server]}" "$WARMUP" ${ARGS[$s]} >/dev/null ||
      die "uxload warm-up on $server failed"
  done
  for ((r = 1; r <= ROUNDS; r++)); do
    for server in tokend nginx; do  # alternating, so a busy moment hits both
      # shellcheck disable=SC2086
      line=$(uxload "${SOCKET[$server]}" "$DURATION" ${ARGS[$s]}) ||
        die "uxload on $server failed: $line"
      echo "   $s $server #$r: $line" >&2
      for kv in $line; do R[$s.$server.$r.${kv%%=*}]=${kv#*=}; done
    done
  done
  alive "$TOKEND_PID" || die "nacos-tokend died under load: $(tail -5 "$T/tokend.log")"
  for server in tokend nginx; do
    for key in rps p50_us p99_us; do
      # shellcheck disable=SC2046  # one value per line on purpose
      M[$s.$server.$key]=$(median $(collect "$s" "$server" "$key"))
    done
    # shellcheck disable=SC2046
    M[$s.$server.errors]=$(sum $(collect "$s" "$server" errors))
  done
done

# --- (f) per-call cost of the CLI ------------------------------------------
# Without hyperfine: the three commands take turns call by call, each call
# timed with $EPOCHREALTIME (no fork), so a busy moment on the machine hits
# all three alike; mean and median per call.
CLI_CMD=("$CLI" --socket "$SOCK" --file "$TOKEN_FILE")
CAT_CMD=(cat "$TOKEN_FILE")
CURL_CMD=(curl -s --unix-socket "$SOCK" http://localhost/v1/token)
[[ $("${CLI_CMD[@]}") == "$BODY" ]] || die "nacos-token does not print the token"
CALLERS=(nacos-token cat curl)
call() {
  case $1 in
    nacos-token) "${CLI_CMD[@]}" ;;
    cat) "${CAT_CMD[@]}" ;;
    curl) "${CURL_CMD[@]}" ;;
  esac
}
declare -A CALL_MEAN CALL_MEDIAN  # microseconds per call
time_interleaved() {
  local i name t0 t1
  for name in "${CALLERS[@]}"; do : >"$T/calls.$name"; done
  for ((i = -20; i < CALLS; i++)); do  # the first 20 rounds warm the caches
    for name in "${CALLERS[@]}"; do
      t0=$EPOCHREALTIME
      call "$name" >/dev/null
      t1=$EPOCHREALTIME
      ((i < 0)) || echo $((${t1//[.,]/} - ${t0//[.,]/})) >>"$T/calls.$name"
    done
  done
  for name in "${CALLERS[@]}"; do
    read -r "CALL_MEAN[$name]" "CALL_MEDIAN[$name]" < <(sort -n "$T/calls.$name" |
      awk '{v[NR] = $1; n += $1} END {printf "%d %d\n", n / NR, v[int((NR + 1) / 2)]}')
  done
}
time_hyperfine() {  # hyperfine runs each command without a shell in between
  local name csv=$T/hyperfine.csv
  for name in "${CALLERS[@]}"; do
    case $name in
      nacos-token) set -- "${CLI_CMD[@]}" ;;
      cat) set -- "${CAT_CMD[@]}" ;;
      curl) set -- "${CURL_CMD[@]}" ;;
    esac
    hyperfine -N --warmup 20 --runs "$CALLS" --export-csv "$csv" "$*" >/dev/null 2>&1 ||
      die "hyperfine failed on $name"
    read -r "CALL_MEAN[$name]" "CALL_MEDIAN[$name]" < <(awk -F, \
      'NR == 2 {printf "%d %d\n", $2 * 1e6, $4 * 1e6}' "$csv")
  done
}
TIMER="interleaved bash loop"
command -v hyperfine >/dev/null && TIMER=hyperfine
log "CLI timing: $CALLS calls each ($TIMER)"
if [[ $TIMER == hyperfine ]]; then time_hyperfine; else time_interleaved; fi

log "idle probe (after load, ${IDLE}s)"
sleep 1  # let the last connections close
idle_probe loaded

# --- report ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "inf"}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }
times() { awk -v n="$1" -v f="$2" 'BEGIN {print n * f}'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN {print (a > b ? a : b)}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
verdict() { if "$@"; then echo PASS; else echo MISS; fi; }
target() { printf '%-4s %s\n' "$1" "$2"; }

echo
echo "nacos-tokend performance report, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "source: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)," \
  "binaries: $BUILD_DIR"
echo "machine: $CORES cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
  "kernel $(uname -r), load average at start $LOAD_AT_START"
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'): worker_processes $CORES, access_log off;" \
  "uxload: $UXLOAD_THREADS thread(s); token: $TOKEN_BYTES bytes"
echo "load: median of $ROUNDS runs of ${DURATION}s per cell (errors: summed), after" \
  "${WARMUP}s warm-up"
echo
fmt='%-26s | %9s %8s %8s %6s | %9s %8s %8s %6s | %6s %6s\n'
# shellcheck disable=SC2059  # the format is ours
printf "$fmt" "" "tokend" "" "" "" "nginx" "" "" "" "ratio" "ratio"
# shellcheck disable=SC2059
printf "$fmt" scenario rps p50_us p99_us errors rps p50_us p99_us errors rps p99
for s in "${SCENARIOS[@]}"; do
  printf '%-26s | %9.0f %8.1f %8.1f %6d | %9.0f %8.1f %8.1f %6d | %5sx %5sx\n' "${TITLE[$s]}" \
    "${M[$s.tokend.rps]}" "${M[$s.tokend.p50_us]}" "${M[$s.tokend.p99_us]}" \
    "${M[$s.tokend.errors]}" "${M[$s.nginx.rps]}" "${M[$s.nginx.p50_us]}" \
    "${M[$s.nginx.p99_us]}" "${M[$s.nginx.errors]}" \
    "$(ratio "${M[$s.tokend.rps]}" "${M[$s.nginx.rps]}")" \
    "$(ratio "${M[$s.tokend.p99_us]}" "${M[$s.nginx.p99_us]}")"
done
echo
printf '%-12s %9s %9s   (%s, %d calls each)\n' "per call" "mean_us" "median_us" "$TIMER" "$CALLS"
for name in "${CALLERS[@]}"; do
  printf '%-12s %9d %9d\n' "$name" "${CALL_MEAN[$name]}" "${CALL_MEDIAN[$name]}"
done
echo "nacos-token/cat: mean $(ratio "${CALL_MEAN[nacos-token]}" "${CALL_MEAN[cat]}")x," \
  "median $(ratio "${CALL_MEDIAN[nacos-token]}" "${CALL_MEDIAN[cat]}")x;" \
  "nacos-token/curl: mean $(ratio "${CALL_MEAN[nacos-token]}" "${CALL_MEAN[curl]}")x," \
  "median $(ratio "${CALL_MEDIAN[nacos-token]}" "${CALL_MEDIAN[curl]}")x"
echo
for when in fresh loaded; do
  echo "idle daemon ($([[ $when == fresh ]] && echo "fresh     " || echo "after load")):" \
    "VmRSS $(mib "${QUIET[$when.rss]}") MiB (anon $(mib "${QUIET[$when.anon]}"), file" \
    "$(mib "${QUIET[$when.file]}")), PSS $(mib "${QUIET[$when.pss]}") MiB," \
    "${QUIET[$when.wake]} wakeups/s over ${IDLE}s, ${QUIET[$when.threads]} threads"
done
echo

worst_rss=$(max "${QUIET[fresh.rss]}" "${QUIET[loaded.rss]}")
worst_wake=$(max "${QUIET[fresh.wake]}" "${QUIET[loaded.wake]}")
target "$(verdict le "${M[c16.nginx.rps]}" "${M[c16.tokend.rps]}")" \
  "rps >= 1.0x nginx, 16 clients conn/request ($(ratio "${M[c16.tokend.rps]}" \
  "${M[c16.nginx.rps]}")x)"
for s in "${SCENARIOS[@]}"; do
  target "$(verdict le "${M[$s.tokend.p99_us]}" "$(times "${M[$s.nginx.p99_us]}" 1.5)")" \
    "p99 <= 1.5x nginx, ${TITLE[$s]} ($(ratio "${M[$s.tokend.p99_us]}" \
    "${M[$s.nginx.p99_us]}")x)"
done
target "$(verdict test "${M[c256.tokend.errors]}" -eq 0)" \
  "0 errors at 256 clients (${M[c256.tokend.errors]})"
# The CLI verdicts use the median: robust to a busy moment on a shared machine.
target "$(verdict le "${CALL_MEDIAN[nacos-token]}" "$(times "${CALL_MEDIAN[cat]}" 1.5)")" \
  "nacos-token <= 1.5x cat, median ($(ratio "${CALL_MEDIAN[nacos-token]}" \
  "${CALL_MEDIAN[cat]}")x)"
target "$(verdict test "${CALL_MEDIAN[nacos-token]}" -lt "${CALL_MEDIAN[curl]}")" \
  "nacos-token faster than curl, median ($(ratio "${CALL_MEDIAN[nacos-token]}" \
  "${CALL_MEDIAN[curl]}")x)"
target "$(verdict le "$worst_rss" 8192)" \
  "idle VmRSS <= 8 MiB, worse of fresh/after load ($(mib "$worst_rss") MiB)"
target "$(verdict le "$worst_wake" 1)" \
  "idle wakeups <= 1/s, worse of fresh/after load ($worst_wake/s)"
