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

# ---- pruning: dense vs block-sparse int8 kernels per layer shape and sparsity ----
echo
echo "== sparse kernels (Tests/KernelTests/ek_sparse_bench.c; crossover data for edgepack's dense/sparse choice)"
"$OUT/ek_sparse_bench"

# ---- pruning: end-to-end latency and size ----
# digits_mlp at 75 % (unstructured and 1x4 blocks, stored where smaller), and a wider
# random-weight MLP (scripts/make_bench_mlp.py) at 80 % 1x16 blocks (layer-wide and balanced
# rows, rows1x16), stored where measured faster.
echo
echo "== pruned models end to end (int8 dense vs pruned; size vs float32)"
python3 scripts/make_bench_mlp.py "$OUT/mlp512.onnx" "$OUT/mlp512-calibration.npy" 256,512,512,10
prune_row() {  # name onnx calibration input extra-pack-args...
  local name=$1 onnx=$2 calib=$3 input=$4
  shift 4
  "$BIN/edgepack" pack "$onnx" -o "$OUT/$name.bin" --quantize int8 --calibration "$calib" "$@" >"$OUT/$name.txt"
  json=$("$BIN/edgerun" bench "$OUT/$name.bin" --runs "$RUNS" --input "$input" --json)
  field() { printf '%s' "$json" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
  printf '%-28s %10s %9s %9s   %s\n' "$name" "$(field mapped_bytes)" "$(field p50_ms)" "$(field p90_ms)" "$*"
}
head -c $((128 + 256 * 4)) "$OUT/mlp512-calibration.npy" | python3 -c "
import sys; d = sys.stdin.buffer.read(); h = d[10:128].replace(b'(128, 256)', b'(1, 256)  ')
sys.stdout.buffer.write(d[:10] + h + d[128:])" >"$OUT/mlp512-sample.npy"
"$BIN/edgepack" pack "$OUT/mlp512.onnx" -o "$OUT/mlp512-f32.bin" >/dev/null
"$BIN/edgepack" pack firmware-models/digits_mlp/model.onnx -o "$OUT/digits_mlp-f32.bin" >/dev/null
printf '%-28s %10s %9s %9s   %s\n' model file_B p50_ms p90_ms "edgepack options"
printf '%-28s %10s\n' "digits_mlp float32" "$(wc -c <"$OUT/digits_mlp-f32.bin")"
d=firmware-models/digits_mlp
prune_row digits_mlp-int8 $d/model.onnx $d/calibration.npy $d/sample_0.npy
prune_row digits_mlp-p75-unstructured $d/model.onnx $d/calibration.npy $d/sample_0.npy --prune 0.75 --prune-pattern unstructured --sparse-storage size
prune_row digits_mlp-p75-1x4 $d/model.onnx $d/calibration.npy $d/sample_0.npy --prune 0.75 --prune-pattern block1x4 --sparse-storage size
printf '%-28s %10s\n' "mlp512 float32" "$(wc -c <"$OUT/mlp512-f32.bin")"
prune_row mlp512-int8 "$OUT/mlp512.onnx" "$OUT/mlp512-calibration.npy" "$OUT/mlp512-sample.npy"
for pct in 50 75 80 90; do
  p=0.$pct
  prune_row "mlp512-p$pct-1x16" "$OUT/mlp512.onnx" "$OUT/mlp512-calibration.npy" "$OUT/mlp512-sample.npy" \
      --prune $p --prune-pattern block1x16 --prune-layer fc1=$p --prune-layer fc2=$p --prune-layer fc3=0
done
prune_row mlp512-p80-rows1x16 "$OUT/mlp512.onnx" "$OUT/mlp512-calibration.npy" "$OUT/mlp512-sample.npy" \
    --prune 0.8 --prune-pattern rows1x16 --prune-layer fc1=0.8 --prune-layer fc2=0.8 --prune-layer fc3=0
prune_row mlp512-p80-1x4 "$OUT/mlp512.onnx" "$OUT/mlp512-calibration.npy" "$OUT/mlp512-sample.npy" \
    --prune 0.8 --prune-pattern block1x4 --prune-layer fc1=0.8 --prune-layer fc2=0.8 --prune-layer fc3=0
# A MobileNet-style separable stack (scripts/make_bench_pointwise.py: 24x24 pixels, 64
# channels, 4 x (3x3 depthwise + 1x1 conv)): its 1x1 convs pruned to 1x4 blocks run the
# pixel-panel sparse kernel (ek_sparse_px.h) on arena scratch; the depthwise convs stay dense.
python3 scripts/make_bench_pointwise.py "$OUT/pw24.onnx" "$OUT/pw24-calibration.npy" "$OUT/pw24-sample.npy" 24,24,64,4
"$BIN/edgepack" pack "$OUT/pw24.onnx" -o "$OUT/pw24-f32.bin" >/dev/null
printf '%-28s %10s\n' "pw24 float32" "$(wc -c <"$OUT/pw24-f32.bin")"
prune_row pw24-int8 "$OUT/pw24.onnx" "$OUT/pw24-calibration.npy" "$OUT/pw24-sample.npy"
for pct in 50 70 80 90; do
  p=0.$pct
  prune_row "pw24-p$pct-1x4" "$OUT/pw24.onnx" "$OUT/pw24-calibration.npy" "$OUT/pw24-sample.npy" \
      --prune $p --prune-pattern block1x4 --prune-layer pw1=$p --prune-layer pw2=$p --prune-layer pw3=$p --prune-layer pw4=$p
done
echo "(edgepack's per-layer choice and reconstruction errors: $OUT/<model>.txt)"
