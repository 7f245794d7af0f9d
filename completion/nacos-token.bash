# bash completion for nacos-token(1). Installed as
# /usr/share/bash-completion/completions/nacos-token (loaded on demand by bash-completion).

# The identity names in the daemon's configuration: its [nacos:NAME] sections.
_nacos_tokend_identities() {
  local config=${NACOS_TOKEND_CONFIG:-/etc/nacos-tokend/nacos-tokend.ini}
  [[ -r $config ]] || return 0
  sed -n 's/^[[:space:]]*\[nacos:\([a-z0-9][a-z0-9_-]*\)\][[:space:]]*\([;#].*\)\{0,1\}$/\1/p' "$config"
}

_nacos_token() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  case $prev in
    --socket | --file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0 ;;
    -i | --identity)
      mapfile -t COMPREPLY < <(compgen -W "default $(_nacos_tokend_identities)" -- "$cur")
      return 0 ;;
    --wait | --rejected)
      return 0 ;;  # a number of seconds; a token
  esac
  local opts="--socket --file --identity -i --header --json --env --wait --refresh --rejected
              --help -h --version -V"
  mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _nacos_token nacos-token
