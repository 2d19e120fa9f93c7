# bash completion for ferry(1). Installed as /usr/share/bash-completion/completions/ferry.
#   commands and options: read from `ferry [COMMAND...] --help`, so they never fall behind;
#   --from, --to, --target-from-source: the Host aliases of the ssh config (--ssh-config FILE
#     on the line, else ~/.ssh/config), and `local` for --from;
#   the instance: the names on the source host (--from, default local), LXD's and Incus's, in
#     one ssh call given at most 2 s (FERRY_COMPLETION_TIMEOUT).

# The options a --help text lists (long forms, and -v, -h, -f).
_ferry_options_of() {
  "$@" --help 2>/dev/null | grep -E '^  -' | grep -oE -- '^  (-[a-zA-Z],)?--[a-z0-9-]+(,--[a-z0-9-]+)?' |
    tr ',' '\n' | tr -d ' '
}

# Those of them that take a value: CLI11 prints its type after the name (TEXT, INT, FLOAT).
_ferry_value_options_of() {
  "$@" --help 2>/dev/null | grep -oE -- '^  (-[a-zA-Z],)?--[a-z0-9-]+(,--[a-z0-9-]+)? [A-Z]' |
    grep -oE -- '-[a-zA-Z]\b|--[a-z0-9-]+'
}

# The subcommands a --help text lists.
_ferry_commands_of() {
  "$@" --help 2>/dev/null | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# Host aliases of an ssh config: the names on Host lines, less patterns and negations.
_ferry_ssh_hosts() {
  [ -r "$1" ] || return 0
  awk 'tolower($1) == "host" { for (i = 2; i <= NF; i++) if ($i !~ /[*?!]/) print $i }' "$1" | sort -u
}

# The instance names on HOST (local or an ssh destination) in PROJECT, LXD's and Incus's.
_ferry_instances() {
  local host=$1 project=$2 config=$3 timeout=${FERRY_COMPLETION_TIMEOUT:-2}
  # A constant script; the project is its argument, quoted once for the remote shell.
  local script='for c in lxc incus; do command -v "$c" >/dev/null 2>&1 && "$c" list --project "$1" --format csv --columns n 2>/dev/null; done; true'
  if [ "$host" = local ]; then
    timeout "$timeout" sh -c "$script" sh "$project" 2>/dev/null
  else
    local ssh=(ssh -o BatchMode=yes -o ConnectTimeout="$timeout")
    [ -r "$config" ] && ssh+=(-F "$config")
    timeout "$timeout" "${ssh[@]}" -- "$host" "sh -c $(printf '%q' "$script") sh $(printf '%q' "$project")" 2>/dev/null
  fi
}

_ferry() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local ferry=${COMP_WORDS[0]} cmd=() from=local project=default config=~/.ssh/config i w values
  # The command path so far (ferry dns switch ..., then the instance), and the values of the
  # options that decide what to offer.
  values=" $(_ferry_value_options_of "$ferry" | tr '\n' ' ') "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $values == *" ${COMP_WORDS[i - 1]} "* ]] && [ "$i" -gt 1 ]; then
      case ${COMP_WORDS[i - 1]} in
        --from | --source) from=$w ;;
        --project) project=$w ;;
        --ssh-config) config=$w ;;
      esac
    elif [[ $w != -* ]]; then
      cmd+=("$w")
      values=" $(_ferry_value_options_of "$ferry" "${cmd[@]}" | tr '\n' ' ') "
    fi
  done
  config=${config/#\~/$HOME}

  case $prev in
    --from | --source)
      mapfile -t COMPREPLY < <(compgen -W "local $(_ferry_ssh_hosts "$config")" -- "$cur")
      return ;;
    --to | --target | --target-from-source)
      mapfile -t COMPREPLY < <(compgen -W "$(_ferry_ssh_hosts "$config")" -- "$cur")
      return ;;
    --ssh-config | --state-dir | --dns | -f | --migration-file | --key-file | --api-key-file)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
    --manager)
      mapfile -t COMPREPLY < <(compgen -W "auto lxd incus" -- "$cur")
      return ;;
    --mode)
      mapfile -t COMPREPLY < <(compgen -W "clean crash" -- "$cur")
      return ;;
  esac
  # Any other option's value is the user's own.
  [[ $values == *" $prev "* ]] && return

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_ferry_options_of "$ferry" "${cmd[@]}")" -- "$cur")
    return
  fi
  local sub
  sub=$(_ferry_commands_of "$ferry" "${cmd[@]}")
  if [ -n "$sub" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$sub" -- "$cur")
  elif [ ${#cmd[@]} -eq 1 ] && [ "${cmd[0]}" != dns ]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_ferry_instances "$from" "$project" "$config")" -- "$cur")
  fi
}
complete -F _ferry ferry
