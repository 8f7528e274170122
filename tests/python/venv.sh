#!/usr/bin/env bash
# tests/python/venv.sh NAME REQUIREMENTS-FILE
#
# Makes (or reuses) a Python virtual environment owned by the test suite, at
# "${CARGO_TARGET_DIR:-<repo>/target}/pyenv/NAME", with the pinned packages of
# REQUIREMENTS-FILE installed from the Python package index, and prints its directory on
# the last line of stdout. Everything else (pip's output, the reasons for a failure) goes to
# stderr.
#
# Invariants:
# - Idempotent and fast the second time: the venv carries a stamp of the requirements
#   file's SHA-256 and the interpreter's version; when the stamp matches nothing is installed.
#   A changed requirements file (or interpreter) rebuilds the venv from nothing.
# - Safe to call from several processes at once: the whole check-and-install runs under an
#   exclusive flock on "pyenv/NAME.lock", so two callers never install into one venv at the
#   same time; the second waits and then finds the stamp.
# - A venv is stamped only after every package installed: a failed or killed install leaves
#   no stamp, and the next call starts again.
# - Exit status: 0 with the venv's path on stdout; 2 for a usage error; 3 when Python or its
#   venv module is missing; 4 when pip could not install the requirements (no network, a
#   package or version the index does not have).
#
# Environment: STRATA_PYTHON (the interpreter to build the venv from, default python3),
# PIP_INDEX_URL and the other PIP_* settings pip itself reads.
set -euo pipefail

usage() {
  echo "usage: $0 NAME REQUIREMENTS-FILE   (NAME: letters, digits, '-', '_')" >&2
  exit 2
}

[ $# -eq 2 ] || usage
name=$1
requirements=$2
[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || usage
[ -f "$requirements" ] || {
  echo "$0: no requirements file at $requirements" >&2
  exit 2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="${CARGO_TARGET_DIR:-$root/target}/pyenv"
venv="$base/$name"
python="${STRATA_PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "$0: $python is not installed: cannot make the $name virtual environment" >&2
  exit 3
fi
if ! command -v flock >/dev/null 2>&1; then
  echo "$0: flock (util-linux) is not installed: cannot make the $name virtual environment safely" >&2
  exit 3
fi

mkdir -p "$base"
stamp="$(
  {
    sha256sum <"$requirements"
    "$python" -c 'import sys; print(sys.version)'
  } | sha256sum | cut -d' ' -f1
)"

exec 9>"$base/$name.lock"
flock 9

if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.strata-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv"
  exit 0
fi

echo "== $0: making the $name virtual environment at $venv from $requirements" >&2
rm -rf "$venv"
if ! "$python" -m venv "$venv" >&2; then
  rm -rf "$venv"
  echo "$0: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
  exit 3
fi
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
  --timeout 60 --retries 2 --quiet -r "$requirements" >&2; then
  echo "$0: pip could not install $requirements into $venv" >&2
  exit 4
fi
echo "$stamp" >"$venv/.strata-stamp"
echo "$venv"
