#!/usr/bin/env bash
# Lint: the layers of src/ (docs/architecture.md). Each folder includes only the folders below
# it: cli -> core -> storage, instance, dns, health, forward -> exec -> util; ui (the terminal)
# only from cli; main.cpp from anywhere. Reads every `#include "folder/..."` under src/ and fails
# on an edge the layout forbids, naming the file and line. First it checks itself: a scratch
# tree with one forbidden include must fail.
#   tests/lint/layers.sh [REPO_ROOT]
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

declare -A may=(
  [cli]="core storage instance dns health forward exec ui util"
  [core]="storage instance dns health forward exec util"
  [storage]="exec util" [instance]="exec util" [dns]="exec util" [health]="exec util" [forward]="exec util"
  [exec]="util"
  [ui]="util"
  [util]=""
)

# violations SRC_DIR: prints each forbidden include as FILE:LINE: FROM -> TO; exit 1 if any.
violations() {
  local src=$1 bad=0 file from to line
  while IFS=: read -r file line text; do
    from=${file#"$src"/}
    from=${from%%/*}
    [ "$from" = main.cpp ] && continue
    to=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([a-z_]+)\/.*/\1/' <<<"$text")
    [ "$to" = "$from" ] && continue
    if [ -z "${may[$from]+x}" ]; then
      echo "$file:$line: folder '$from' has no place in the layers (add it to tests/lint/layers.sh and docs/architecture.md)"
      bad=1
    elif [[ " ${may[$from]} " != *" $to "* ]]; then
      echo "$file:$line: $from may not include $to (allowed: ${may[$from]:-nothing})"
      bad=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$src" --include='*.cpp' --include='*.hpp' || true)
  return $bad
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src/storage" "$scratch/src/exec"
printf '#include "exec/run.hpp"\n#include "ui/progress.hpp"\n' >"$scratch/src/storage/scratch.cpp"
printf '#include "util/error.hpp"\n' >"$scratch/src/exec/fine.cpp"
if out=$(violations "$scratch/src"); then
  echo "layers: the self-check passed a forbidden include (storage -> ui): the lint is broken"
  exit 1
fi
[ "$(wc -l <<<"$out")" = 1 ] && grep -q 'storage/scratch.cpp:2: storage may not include ui' <<<"$out" ||
  { echo "layers: the self-check did not name the one forbidden include: $out"; exit 1; }

# The build links by the same table: each ferry_module(NAME USES ...) in CMakeLists.txt must list
# exactly the folders NAME may include, so that the libraries and this lint cannot drift apart.
cmake_drift=0
while read -r name uses; do
  want=$(tr ' ' '\n' <<<"${may[$name]-}" | sort | xargs)
  have=$(tr ' ' '\n' <<<"$uses" | sort | xargs)
  if [ "$want" != "$have" ]; then
    echo "CMakeLists.txt: ferry_module($name) links '$have' where the layers allow '$want'"
    cmake_drift=1
  fi
done < <(sed -nE 's/^ferry_module\(([a-z]+)( USES ([a-z ]+?))?( LIBS.*|\))?$/\1 \3/p' "$top/CMakeLists.txt" |
  sed -E 's/ LIBS.*//')
[ "$(grep -c '^ferry_module(' "$top/CMakeLists.txt")" = "${#may[@]}" ] ||
  { echo "CMakeLists.txt: not one ferry_module per folder of the layers (${!may[*]})"; cmake_drift=1; }
[ $cmake_drift = 0 ] || exit 1

if out=$(violations "$top/src"); then
  echo "layers: every include under src/ follows the layers"
else
  echo "$out"
  echo "layers: forbidden includes under src/ (above)"
  exit 1
fi
