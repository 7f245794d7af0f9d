#!/bin/bash
# Measures what the lintian override statically-linked-binary (debian/lintian-overrides) claims:
# the start-up cost of nacos-token linked statically (as shipped), dynamically, and with only
# libstdc++ static, against `cat` of the token file, each asking a running daemon.
#   packaging/measure-static-link.sh [BUILD_DIR]    (default: build; about a minute)
# Needs hyperfine (apt-get install hyperfine) and a built BUILD_DIR (nacos-token's object file,
# nacos-tokend, fake-nacos). Prints the median and minimum of each, for ROUNDS (3) rounds of
# RUNS (1000) calls after 50 warm-up calls.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
rounds=${ROUNDS:-3} runs=${RUNS:-1000}
command -v hyperfine >/dev/null || { echo "measure: hyperfine missing: apt-get install hyperfine" >&2; exit 1; }
obj=$build/src/CMakeFiles/nacos-token.dir/token_cli_main.cc.o
[[ -f $obj && -x $build/src/nacos-tokend && -x $build/tests/fake_nacos/fake-nacos ]] ||
  { echo "measure: build $build first (cmake --build $build -j2)" >&2; exit 1; }

work=$(mktemp -d /tmp/measure-static.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
chmod 700 "$work" && mkdir -m 750 "$work/run"
printf 'pw\n' > "$work/pw" && chmod 600 "$work/pw"

# The three links of the same object file, with the project's link flags, stripped as packaged.
# shellcheck disable=SC2054  # the commas belong to the linker options
flags=(-O2 -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
c++ "${flags[@]}" -static "$obj" -o "$work/static"
c++ "${flags[@]}" "$obj" -o "$work/dynamic"
c++ "${flags[@]}" -static-libstdc++ -static-libgcc "$obj" -o "$work/libstdc++-static"
strip "$work/static" "$work/dynamic" "$work/libstdc++-static"

# fake-nacos exits with its parent: a shell stays its parent.
sh -c "exec '$build/tests/fake_nacos/fake-nacos' --listen 127.0.0.1:0 --port-file '$work/port' \
  --control-port-file '$work/cport' --password-file '$work/pw' --user nacos --ttl 3600 \
  --max-lifetime 600 & wait" 2>"$work/fake.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
"$build/src/nacos-tokend" -D nacos.servers="127.0.0.1:$(cat "$work/port")" -D nacos.username=nacos \
  -D nacos.password_file="$work/pw" -D file.path="$work/run/token" \
  -D socket.path="$work/run/tokend.sock" 2>"$work/tokend.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/run/token ]] && break; sleep 0.05; done
[[ -s $work/run/token ]] || { cat "$work/tokend.log" >&2; echo "measure: no token" >&2; exit 1; }
"$work/dynamic" --socket "$work/run/tokend.sock" >/dev/null || { echo "measure: nacos-token failed" >&2; exit 1; }

sock=$work/run/tokend.sock
for r in $(seq "$rounds"); do
  hyperfine -N --warmup 50 --runs "$runs" --export-json "$work/r$r.json" \
    -n static "$work/static --socket $sock" -n dynamic "$work/dynamic --socket $sock" \
    -n libstdc++-static "$work/libstdc++-static --socket $sock" -n cat "cat $work/run/token" \
    >/dev/null 2>&1
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("round %s: " % sys.argv[2] + ", ".join(
    "%s median %.0f us (min %.0f)" % (x["command"], x["median"] * 1e6, x["min"] * 1e6)
    for x in d["results"]))' "$work/r$r.json" "$r"
done
