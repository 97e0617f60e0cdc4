#!/usr/bin/env bash
# Creates the Python reference environment in <repo>/.venv and installs the
# pinned packages from scripts/reference/requirements*.txt.
#
# Idempotent: a stamp file (.venv/.cfcam-requirements.sha256) records the hash
# of the requirement files; when it matches, nothing is installed.
# Needs python3 with the venv module (Debian: apt-get install python3-venv)
# and access to PyPI (pip honours PIP_INDEX_URL / PIP_FIND_LINKS as usual).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CFCAM_VENV:-$ROOT/.venv}"
REQ="$ROOT/scripts/reference/requirements.txt"
REQ_NODEPS="$ROOT/scripts/reference/requirements-nodeps.txt"
STAMP="$VENV/.cfcam-requirements.sha256"
PYTHON="${PYTHON:-python3}"

hash_now="$(cat "$REQ" "$REQ_NODEPS" | sha256sum | cut -d' ' -f1)"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "setup-python: creating virtual environment $VENV ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV"
else
    echo "setup-python: using existing virtual environment $VENV"
fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$hash_now" ]]; then
    echo "setup-python: requirements unchanged (stamp $hash_now), nothing to install"
    exit 0
fi

echo "setup-python: installing $REQ"
"$VENV/bin/python" -m pip install --disable-pip-version-check -r "$REQ"
echo "setup-python: installing $REQ_NODEPS (--no-deps)"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps -r "$REQ_NODEPS"

echo "setup-python: checking imports"
PYTHONPATH="$ROOT/scripts/reference${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" - <<'PY'
import tvshim  # noqa: F401  (must precede torchvision)
import numpy, onnx, onnxruntime, torch, torchvision
print(f"setup-python: torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, numpy {numpy.__version__}")
PY

echo "$hash_now" > "$STAMP"
echo "setup-python: done, stamp written to $STAMP"
