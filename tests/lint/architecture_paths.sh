#!/usr/bin/env bash
# Lint: every repository path docs/architecture.md names (in backquotes: src/..., tests/...,
# docs/..., lab/...) exists, so that the page a newcomer reads first does not send them to a file
# that moved. First it checks itself: a scratch page naming a missing file must fail.
#   tests/lint/architecture_paths.sh [REPO_ROOT]
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

# missing PAGE: prints each named path that does not exist under $top; exit 1 if any.
missing() {
  local bad=0 path
  while read -r path; do
    [ -e "$top/$path" ] || { echo "$1: names $path, which does not exist"; bad=1; }
  done < <(grep -oE '`(src|tests|docs|lab|scripts|bench)/[^` ]+`' "$1" | tr -d '`' | sort -u)
  return $bad
}

scratch=$(mktemp)
trap 'rm -f "$scratch"' EXIT
echo 'start from `src/core/no_such_file.cpp`' >"$scratch"
if missing "$scratch" >/dev/null; then
  echo "architecture_paths: the self-check passed a page naming a missing file"; exit 1
fi
page=$top/docs/architecture.md
[ -s "$page" ] || { echo "architecture_paths: $page is missing"; exit 1; }
missing "$page"
echo "architecture_paths: every path docs/architecture.md names exists ($(grep -oE '`(src|tests|docs|lab|scripts|bench)/[^` ]+`' "$page" | sort -u | wc -l) paths)"
