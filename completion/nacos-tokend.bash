# bash completion for nacos-tokend(8). Installed as
# /usr/share/bash-completion/completions/nacos-tokend (loaded on demand by bash-completion).

_nacos_tokend() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  # The keys of nacos-tokend.ini(5), per section kind.
  local nacos="servers context_path api username password_file password_env connect_timeout
               request_timeout ca_file tls_verify"
  local refresh="at jitter retry_min retry_max" file="path mode group format"
  local socket="path mode group allow_users allow_groups" hook="on_change timeout" log="level"
  case $prev in
    -c | --config)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -X '!*.ini' -- "$cur"; compgen -d -- "$cur")
      return 0 ;;
    -D | --define)
      local words=() k
      case $cur in
        nacos:*.* | file:*.* | hook:*.*)
          local section=${cur%%.*} kind=${cur%%:*}
          for k in ${!kind}; do words+=("$section.$k="); done ;;
        socket:*.*)
          words=("${cur%%.*}.allow_users=" "${cur%%.*}.allow_groups=") ;;
        *)
          for k in $nacos; do words+=("nacos.$k="); done
          for k in $refresh; do words+=("refresh.$k="); done
          for k in $file; do words+=("file.$k="); done
          for k in $socket; do words+=("socket.$k="); done
          for k in $hook; do words+=("hook.$k="); done
          words+=("log.level=") ;;
      esac
      compopt -o nospace 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
      return 0 ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "--config -c --define -D --once --check-config --help -h
                                       --version -V" -- "$cur")
}
complete -F _nacos_tokend nacos-tokend
