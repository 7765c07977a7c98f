#!/usr/bin/env bash
# `make bench`, peers: edgerun against LiteRT (ai-edge-litert, XNNPACK, 1 thread) and ONNX
# Runtime (1 thread) on the same models and inputs, in one run, as a ratio table with
# latency, process start to first result and peak RSS (tools/peer-bench/peers.py).
# The peers live in their own virtualenv, tools/peer-bench/.venv (created when absent).
set -euo pipefail
export PATH=/opt/swift/usr/bin:$PATH
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
# The static Embedded Swift edgerun is what ships to boards; fall back to the host build.
EDGERUN=${EDGERUN:-.build-embedded/release/edgerun}
[ -x "$EDGERUN" ] || EDGERUN=$BIN/edgerun
OUT=${OUT:-out/bench/peers}
PYTHON=${PYTHON:-python3}
VENV=tools/peer-bench/.venv
. scripts/mlperf-dir.sh

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tools/peer-bench/requirements.txt
mkdir -p "$OUT"
clang -O2 -o "$OUT/spawn_stats" tools/peer-bench/spawn_stats.c
exec "$VENV/bin/python" tools/peer-bench/peers.py --root . --edgerun "$EDGERUN" \
    --edgepack "$BIN/edgepack" --out "$OUT" --spawn-stats "$OUT/spawn_stats" --mlperf "$MLPERF" "$@"
