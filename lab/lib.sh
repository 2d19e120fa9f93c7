# Shared by every lab script (source it). All lab state lives under one directory.
# FERRY_LAB_DIR    runtime state of running tiers (default /var/tmp/ferry-lab); lab/down empties it
# FERRY_LAB_CACHE  slow, deterministic artefacts (images) keyed by a hash of their recipe
#                  (default /var/cache/ferry-lab); survives lab/down
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}
LAB_CACHE=${FERRY_LAB_CACHE:-/var/cache/ferry-lab}
LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

lab_log() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }
lab_die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

# recipe_hash FILE...: a short hash of the files that define an artefact (its recipe)
recipe_hash() { cat "$@" | sha256sum | cut -c1-16; }

# A script whose stdout is its result (a path, a URL, a JSON line) calls lab_stdout_is_result
# before anything else: from then on every tool it runs writes its stdout to stderr, and only
# lab_result reaches the caller's stdout. (mkfs.ext4 -q still prints "Creating regular file ..."
# on stdout; that line once became part of the image path lab/zfs/up captured.)
# tests/lint/lab_results.sh checks that every script captured with $(...) does this.
lab_stdout_is_result() { exec 3>&1 1>&2; }
lab_result() { printf '%s\n' "$*" >&3; }
