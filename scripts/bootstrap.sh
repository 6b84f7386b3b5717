#!/usr/bin/env bash
# Prepare a development environment from nothing: uv, the virtualenv, the hash-pinned
# dependencies and the package itself. Re-running is cheap: nothing is reinstalled while
# the lock files are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

export UV_PYTHON_DOWNLOADS=never
VENV=.venv
LOCK=${1:-requirements-dev.lock}
STAMP="$VENV/.installed-$(sha256sum "$LOCK" pyproject.toml | sha256sum | cut -c1-16)"

if ! command -v uv >/dev/null 2>&1; then
    echo "bootstrap: installing uv"
    python3 -m pip install --quiet --disable-pip-version-check uv
    hash -r
fi
UV=$(command -v uv || echo "python3 -m uv")

[ -f "$STAMP" ] && exit 0

if [ ! -x "$VENV/bin/python" ]; then
    PYTHON=$(command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
    $UV venv --quiet --python "$PYTHON" "$VENV"
fi
echo "bootstrap: installing pinned dependencies from $LOCK"
$UV pip sync --quiet --python "$VENV/bin/python" "$LOCK"
$UV pip install --quiet --python "$VENV/bin/python" --no-deps -e .
rm -f "$VENV"/.installed-*
touch "$STAMP"
