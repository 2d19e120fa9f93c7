#!/usr/bin/env bash
# Lint: every script of the repo whose stdout a caller captures with $(...) keeps its tools off
# that stdout (lab/lib.sh's lab_stdout_is_result, or the same `exec 3>&1 1>&2` inlined), so that
# nothing but its result reaches the caller. A captured script that lets its tools print to
# stdout returns garbage the day one of them prints (mkfs.ext4 -q did, on a cold cache).
#   tests/lint/lab_results.sh [REPO_ROOT]
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
mapfile -t shell_files < <(git ls-files lab scripts bench tests .ci | while read -r f; do
  [ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*(bash|sh)\b' && echo "$f"; true
done; git ls-files 'tests/lab/*.sh' 'bench/*.sh' 'lab/*.sh')
mapfile -t repo_files < <(git ls-files)
bad=0 checked=0
# A capture of a repo script: $( then an optional quote, a variable or a relative directory, a path.
capture_re='\$\( *"?(\$\{?[A-Za-z_]+\}?|lab|bench|scripts|tests)(/[A-Za-z0-9_.$/-]+)'
for f in $(printf '%s\n' "${shell_files[@]}" | sort -u); do
  while IFS= read -r hit; do
    tail_path=$(sed -E "s#^$capture_re.*#\\2#" <<<"$hit")
    first=$(sed -E "s#^$capture_re.*#\\1#" <<<"$hit")
    case "$first" in \$*) ;; *) tail_path=/$first$tail_path ;; esac
    glob="*${tail_path//\$\{[A-Za-z_]*\}/*}"
    glob=$(sed -E 's/\$[A-Za-z_]+/*/g' <<<"$glob")
    for target in "${repo_files[@]}"; do
      # shellcheck disable=SC2053
      [[ "/$target" == $glob ]] || continue
      head -n1 "$target" | grep -qE '^#!.*(bash|sh)\b' || continue   # python prints what it means to
      checked=$((checked + 1))
      if ! grep -qE '^[^#]*(lab_stdout_is_result|exec 3>&1 1>&2)' "$target"; then
        echo "lint: $f captures the stdout of $target, which does not call lab_stdout_is_result" >&2
        bad=1
      fi
    done
  done < <(grep -oE "$capture_re" "$f" || true)
done
[ $checked -gt 0 ] || { echo "lint: found no captured script at all: the pattern is broken" >&2; exit 1; }
[ $bad = 0 ] && echo "lint: $checked captures of repo scripts, each keeps its tools off stdout"
exit $bad
