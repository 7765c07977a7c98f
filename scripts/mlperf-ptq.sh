#!/usr/bin/env bash
# `make mlperf-ptq`: edgepack's own int8 quantization of the MLPerf Tiny float models against
# the official int8 models, both judged by agreement with the float model on the same
# synthetic inputs (tools/mlperf-ptq/compare.py). Needs numpy (tools/peer-bench/.venv has it).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
. scripts/mlperf-dir.sh
[ -n "$MLPERF" ] || exit 2
PYTHON=${PYTHON:-python3}
VENV=tools/peer-bench/.venv
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tools/peer-bench/requirements.txt
fi
exec "$VENV/bin/python" tools/mlperf-ptq/compare.py --edgepack "$BIN/edgepack" --edgerun "$BIN/edgerun" --models "$MLPERF" "$@"
