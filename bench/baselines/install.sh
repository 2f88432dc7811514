#!/usr/bin/env bash
# Creates the Python virtual environment the baselines run in (bench/baselines/.venv) and
# installs their packages from PyPI. A benchmark baseline only: tributary never needs it.
# Prints the environment's python, which the benchmarks take as --python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${BASELINES_VENV:-$here/.venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
echo "$venv/bin/python"
