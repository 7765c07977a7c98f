#!/usr/bin/env bash
# `make bench-mlperf`: the MLPerf Tiny reference models imported from TFLite, packed and
# timed by `edgerun bench` with the reference kernels (EDGE_KERNELS=ref) and with the kernels
# this machine picks (auto), side by side in one run. The models are not in the repository:
# EDGERUN_MLPERF_DIR, else ../shared/models/mlperf-tiny, else /work/shared/models/mlperf-tiny.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
EDGEPACK=${EDGEPACK:-$BIN/edgepack}
OUT=${OUT:-out/bench-mlperf}
RUNS=${RUNS:-200}
. scripts/mlperf-dir.sh
DIR=$MLPERF
if [ ! -f "$DIR/goldens/manifest.json" ]; then
  echo "bench-mlperf: no MLPerf Tiny models at $DIR (set EDGERUN_MLPERF_DIR)" >&2
  exit 3
fi
mkdir -p "$OUT"

printf '%-24s %11s %11s %9s %11s %11s %7s\n' model tflite_B model.bin_B arena_B p50_ref_ms p50_auto_ms ref/auto
for src in "$DIR"/*.tflite; do
  model=$(basename "$src" .tflite)
  "$EDGEPACK" pack "$src" -o "$OUT/$model.bin" >/dev/null
  input="$DIR/goldens/$model/input_0.npy"
  field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }
  ref=$(EDGE_KERNELS=ref "$BIN/edgerun" bench "$OUT/$model.bin" --runs "$RUNS" --input "$input" --json)
  auto=$(EDGE_KERNELS=auto "$BIN/edgerun" bench "$OUT/$model.bin" --runs "$RUNS" --input "$input" --json)
  p50ref=$(field "$ref" p50_ms)
  p50auto=$(field "$auto" p50_ms)
  printf '%-24s %11s %11s %9s %11s %11s %7s\n' "$model" "$(wc -c < "$src")" "$(field "$ref" mapped_bytes)" \
      "$(field "$ref" arena_bytes)" "$p50ref" "$p50auto" "$(awk -v a="$p50ref" -v b="$p50auto" 'BEGIN { printf "%.2f", a / b }')"
done
echo
echo "reproduce a row: EDGE_KERNELS=ref|auto $BIN/edgerun bench $OUT/<model>.bin --runs $RUNS --input $DIR/goldens/<model>/input_0.npy"
