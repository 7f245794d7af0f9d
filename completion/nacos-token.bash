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
  # Where "exec" and its COMMAND are, skipping option values (as nacos-token parses them:
  # COMMAND is the word after "exec ... --", or the first non-option word after "exec").
  local i word exec_at=0 command_at=0 watch=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --socket | --file | -i | --identity | --wait | --rejected | --min-valid) ((i++)) ;;
      --watch) watch=1 ;;
      exec) ((exec_at)) || exec_at=$i ;;
      --) if ((exec_at)); then command_at=$((i + 1)); break; fi ;;
      -*) ;;
      *) if ((exec_at)); then command_at=$i; break; fi ;;
    esac
  done
  if ((command_at)); then
    if ((COMP_CWORD == command_at)); then
      mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
    elif declare -F _command_offset >/dev/null; then
      _command_offset "$command_at"  # bash-completion: complete COMMAND's own arguments
    else
      compopt -o default 2>/dev/null
    fi
    return 0
  fi
  if ((exec_at)) && [[ $cur != -* ]] &&
    [[ ! $prev =~ ^(--socket|--file|-i|--identity|--wait|--rejected|--min-valid)$ ]]; then
    mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)  # COMMAND, without a -- before it
    return 0
  fi
  case $prev in
    --socket | --file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0 ;;
    -i | --identity)
      mapfile -t COMPREPLY < <(compgen -W "default $(_nacos_tokend_identities)" -- "$cur")
      return 0 ;;
    --rejected)
      COMPREPLY=(-)  # the token from standard input, kept out of ps; or the token itself
      [[ -z $cur || $cur == - ]] || COMPREPLY=()
      return 0 ;;
    --wait | --min-valid)
      return 0 ;;  # a number of seconds; a duration (90, 500ms, 30s, 5m, 2h)
  esac
  local opts="--socket --file --identity -i --wait --refresh --rejected --min-valid
              --help -h --version -V"
  if ((exec_at)); then
    opts+=" --"  # then COMMAND; --header, --json, --env and --watch do not apply to exec
  elif ((watch)); then
    opts="--socket --file --identity -i --header --json --env"
  else
    opts+=" --header --json --env --watch exec"
  fi
  mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _nacos_token nacos-token
