#!/bin/bash
# Checks the bash completion of nacos-token and nacos-tokend: each case completes a command
# line as bash would (COMP_WORDS/COMP_CWORD) and compares COMPREPLY.
#   completion/test-completion.sh [DIR]      (DIR: where the .bash files are)
set -u
dir=${1:-$(dirname "$0")}
# shellcheck source=/dev/null
source "$dir/nacos-token.bash" && source "$dir/nacos-tokend.bash" || exit 1
fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '[nacos]\nservers = a:1\n[nacos:staging] ; ci\n[nacos:prod-2]\n[file:staging]\n' > "$tmp/t.ini"
export NACOS_TOKEND_CONFIG=$tmp/t.ini
mkdir "$tmp/etc" && touch "$tmp/etc/a.ini" "$tmp/etc/b.conf"
mkdir "$tmp/bin" && touch "$tmp/bin/nacos-fake-cmd" && chmod 755 "$tmp/bin/nacos-fake-cmd"
PATH=$tmp/bin:$PATH

# expect "COMMAND LINE (the last word is completed)" "EXPECTED REPLIES (sorted, space-separated)"
expect() {
  read -ra COMP_WORDS <<<"$1"
  [[ $1 == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$1; COMP_POINT=${#1}
  "$(complete -p "${COMP_WORDS[0]}" | sed 's/.*-F \([^ ]*\) .*/\1/')"
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd " " -)  # not xargs: echo would take --help
  if [[ $got == "$2" ]]; then echo "ok:   '$1' -> $got"; else echo "FAIL: '$1' -> '$got', want '$2'"; fail=1; fi
}

expect "nacos-token --he" "--header --help"
expect "nacos-token --re" "--refresh --rejected"
expect "nacos-token -i " "default prod-2 staging"
expect "nacos-token --identity st" "staging"
expect "nacos-token --wait " ""
expect "nacos-token --file $tmp/etc/a." "$tmp/etc/a.ini"
expect "nacos-token --w" "--wait --watch"
expect "nacos-token --mi" "--min-valid"
expect "nacos-token --min-valid " ""
expect "nacos-token --rejected " "-"
expect "nacos-token --rejected ey" ""
expect "nacos-token -i staging --wa" "--wait --watch"
expect "nacos-token --identity" "--identity"
expect "nacos-token ex" "exec"
expect "nacos-token --watch --j" "--json"
expect "nacos-token --watch --w" ""
expect "nacos-token --watch ex" ""
expect "nacos-token exec --h" "--help"
expect "nacos-token exec --mi" "--min-valid"
expect "nacos-token --min-valid 5m exec -- nacos-fake-c" "nacos-fake-cmd"
expect "nacos-token -i staging exec nacos-fake-c" "nacos-fake-cmd"
expect "nacos-token exec -- nacos-fake-cmd --hea" ""
expect "nacos-token --file exec --hea" "--header"
expect "nacos-token exec -i " "default prod-2 staging"
expect "nacos-tokend --c" "--check-config --config"
expect "nacos-tokend -c $tmp/etc/" "$tmp/etc/a.ini"
expect "nacos-tokend -D nacos.pass" "nacos.password_env= nacos.password_file="
expect "nacos-tokend --define refresh." "refresh.at= refresh.jitter= refresh.retry_max= refresh.retry_min="
expect "nacos-tokend -D nacos:staging.user" "nacos:staging.username="
expect "nacos-tokend -D file:staging.f" "file:staging.format="
expect "nacos-tokend -D socket:staging." "socket:staging.allow_groups= socket:staging.allow_users="
expect "nacos-tokend -D lo" "log.level="
expect "nacos-tokend -D ho" "hook.on_change= hook.timeout="
expect "nacos-tokend -D hook:staging.t" "hook:staging.timeout="
expect "nacos-tokend --on" "--once"
exit $fail
