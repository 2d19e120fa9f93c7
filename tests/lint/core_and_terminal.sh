#!/usr/bin/env bash
# Lint (docs/architecture.md): only cli, ui and main.cpp write to the terminal, and core names no
# tool. Fails on a write to stdout or stderr (std::cout, std::cerr, printf, fprintf/fputs/fwrite
# to stdout or stderr, write(1, ...) or write(2, ...)) outside src/cli, src/ui and src/main.cpp,
# and on a tool's name (zfs, zpool, btrfs, lxc, incus, ssh, nft, sh) as a string literal, alone or
# as a command line's first word, in src/core: the adapters build the commands. First it checks
# itself on a scratch tree with one of each.
#   tests/lint/core_and_terminal.sh [REPO_ROOT]
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
terminal='std::(cout|cerr|clog)|\b(printf|puts|putchar)\(|\bf(printf|puts|write)\([^;]*\b(stdout|stderr)\b|\bwrite\((1|2|STDOUT_FILENO|STDERR_FILENO),'
tools='"(zfs|zpool|btrfs|lxc|incus|ssh|nft|sh)( [^"]*)?"'

# violations SRC_DIR: prints each FILE:LINE: TEXT that breaks a rule; exit 1 if any.
violations() {
  local src=$1 found
  found=$({
    grep -rnE --include='*.cpp' --include='*.hpp' "$terminal" "$src" | grep -vE "^$src/(cli|ui)/|^$src/main\.cpp:" || true
    grep -rnE --include='*.cpp' --include='*.hpp' "$tools" "$src/core" 2>/dev/null | sed 's/^/tool named in core: /' || true
  })
  [ -z "$found" ] && return 0
  printf '%s\n' "$found"
  return 1
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/core" "$scratch/storage" "$scratch/cli"
echo 'void f() { std::cerr << "x"; }' >"$scratch/storage/a.cpp"
echo 'auto v = std::vector<std::string>{"zfs", "list"};' >"$scratch/core/b.cpp"
echo 'void g() { std::cout << "fine here"; }' >"$scratch/cli/c.cpp"
if [ "$(violations "$scratch" | wc -l)" != 2 ]; then
  echo "core_and_terminal: the self-check did not find exactly the two planted violations:"; violations "$scratch" || true; exit 1
fi
violations "$top/src" || { echo "core_and_terminal: the lines above break the layers' rules (docs/architecture.md)"; exit 1; }
echo "core_and_terminal: no terminal write below cli, no tool named in core"
