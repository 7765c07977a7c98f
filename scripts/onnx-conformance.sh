#!/usr/bin/env bash
# `make onnx-conformance`: runs the ONNX backend node tests of every op type edgepack supports
# through edgepack + edgerun and rewrites tools/onnx-conformance/RESULTS.md (per-op pass table).
# The onnx package (1.17.0, the last wheel with the generated test data) lives in its own
# virtualenv, tools/onnx-conformance/.venv. Exits 1 if any case gives a wrong answer or crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
PYTHON=${PYTHON:-python3}
VENV=tools/onnx-conformance/.venv
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tools/onnx-conformance/requirements.txt
exec "$VENV/bin/python" tools/onnx-conformance/run.py --edgepack "$BIN/edgepack" --edgerun "$BIN/edgerun" \
    --table tools/onnx-conformance/RESULTS.md "$@"
