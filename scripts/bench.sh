#!/usr/bin/env bash
# `make bench`: single-thread edgerun latency on the firmware models, float32 and int8,
# with the command that reproduces each row. Latency is measured by `edgerun bench`
# (monotonic clock around each inference, after warm-up); compare rows of one run only,
# since the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
OUT=${OUT:-out/bench}
RUNS=${RUNS:-2000}
mkdir -p "$OUT"

printf '%-12s %-6s %10s %10s %9s %9s %9s %9s\n' model dtype file_B arena_B p50_ms p90_ms p99_ms load_ms
for model in digits_mlp digits_cnn; do
  src=firmware-models/$model
  "$BIN/edgepack" pack "$src/model.onnx" -o "$OUT/$model-f32.bin" --labels "$src/labels.txt" >/dev/null
  "$BIN/edgepack" pack "$src/model.onnx" -o "$OUT/$model-int8.bin" --labels "$src/labels.txt" \
      --quantize int8 --calibration "$src/calibration.npy" >/dev/null
  for dtype in f32 int8; do
    json=$("$BIN/edgerun" bench "$OUT/$model-$dtype.bin" --runs "$RUNS" --input "$src/sample_0.npy" --json)
    field() { printf '%s' "$json" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
    printf '%-12s %-6s %10s %10s %9s %9s %9s %9s\n' "$model" "$dtype" "$(field mapped_bytes)" "$(field arena_bytes)" \
        "$(field p50_ms)" "$(field p90_ms)" "$(field p99_ms)" "$(field load_ms)"
  done
done
echo
echo "reproduce a row: $BIN/edgerun bench $OUT/<model>-<dtype>.bin --runs $RUNS --input firmware-models/<model>/sample_0.npy"

# Convolution kernel throughput (GOPS), __ref and SIMD side by side, plus the int8 peak.
echo
make --no-print-directory kernel-bench
echo "reproduce: make kernel-bench   (or out/kernel-test/ek_kbench --min-seconds S)"

# The same models with the reference kernels and with the kernels `auto` picks on this CPU,
# side by side (p50 latency; ratio = ref / auto).
echo
printf '%-12s %-6s %12s %12s %7s\n' model dtype ref_p50_ms auto_p50_ms ratio
for model in digits_mlp digits_cnn; do
  for dtype in f32 int8; do
    p50() {
      EDGE_KERNELS=$1 "$BIN/edgerun" bench "$OUT/$model-$dtype.bin" --runs "$RUNS" \
          --input "firmware-models/$model/sample_0.npy" --json | sed -n 's/.*"p50_ms":\([^,}]*\).*/\1/p'
    }
    ref=$(p50 ref) auto=$(p50 auto)
    printf '%-12s %-6s %12s %12s %7s\n' "$model" "$dtype" "$ref" "$auto" "$(awk -v r="$ref" -v a="$auto" 'BEGIN { printf "%.2f", (a > 0 ? r / a : 0) }')"
  done
done
echo "reproduce: EDGE_KERNELS=ref|auto $BIN/edgerun bench $OUT/<model>-<dtype>.bin --runs $RUNS --input firmware-models/<model>/sample_0.npy"
