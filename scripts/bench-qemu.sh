#!/usr/bin/env bash
# `make bench`, aarch64: guest instructions executed per inference by the cross-built static
# edgerun under qemu-aarch64, per CPU model (cortex-a53 and cortex-a72: NEON; cortex-a76:
# + dotprod; max: + i8mm), for the kernels `auto` picks and for the scalar `ref` kernels.
# Counts come from tools/qemu-insn-count (a TCG plugin) and are deterministic, so they show
# kernel regressions without a board and whatever else the machine is doing.
# Per inference = (count with 11 runs - count with 1 run) / 10, which cancels load and setup.
# The `level` column is the kernel level `auto` picks on that CPU model (`edgerun info`); a
# second table sets i8mm against dotprod on the same CPU model (max), so the SMMLA kernels'
# effect is visible on its own. A third table sets the int8 models packed for rpi4 (layout-4
# Conv2D weights, FORMAT.md "Packed int8 Conv2D weights for NEON") against the canonical files
# on cortex-a53, a fourth those packed for rpi5 (layout 5, "... for the NEON dot product") on
# cortex-a76; both also pack int8 FullyConnected weights in layout 6 ("Packed int8
# FullyConnected weights for NEON"). MODELS=<regex> keeps only matching models (default: all); PACKED_ONLY=1 prints
# only the last two tables.
set -euo pipefail
export PATH=/opt/swift/usr/bin:$PATH
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
EDGERUN=${EDGERUN_AARCH64:-out/rpi4/edgerun}
OUT=${OUT:-out/bench/qemu}
CPUS=${CPUS:-cortex-a53 cortex-a72 cortex-a76 max}
. scripts/mlperf-dir.sh
mkdir -p "$OUT"
[ -x "$EDGERUN" ] || { echo "bench-qemu: $EDGERUN missing; run 'make cross BOARD=rpi4' first" >&2; exit 2; }
clang -O2 -shared -fPIC -fvisibility=hidden -o "$OUT/libinsn_count.so" tools/qemu-insn-count/insn_count.c

models=()
for model in digits_mlp digits_cnn; do
  src=firmware-models/$model
  "$BIN/edgepack" pack "$src/model.onnx" -o "$OUT/$model-f32.bin" >/dev/null
  "$BIN/edgepack" pack "$src/model.onnx" -o "$OUT/$model-int8.bin" --quantize int8 \
      --calibration "$src/calibration.npy" >/dev/null
  models+=("$model-f32:$src/sample_0.npy" "$model-int8:$src/sample_0.npy")
done
for model in ad01_int8 kws_ref_model pretrainedResnet_quant vww_96_int8 str_ww_ref_model; do
  [ -f "$MLPERF/$model.tflite" ] || continue
  if "$BIN/edgepack" pack "$MLPERF/$model.tflite" -o "$OUT/$model.bin" >/dev/null 2>&1; then
    models+=("$model:$MLPERF/goldens/$model/input_0.npy")
  fi
done

MODELS=${MODELS:-.}
keep=()
for entry in "${models[@]}"; do [[ ${entry%%:*} =~ $MODELS ]] && keep+=("$entry"); done
models=("${keep[@]}")

qemu_cpu() { echo "${1/max/max,pauth-impdef=on}"; }

level() {  # level CPU MODEL -> the kernel level `auto` picks
  EDGE_KERNELS=auto qemu-aarch64 -cpu "$(qemu_cpu "$1")" "$EDGERUN" info "$2" | sed -n 's/^kernels: //p'
}

per_inference() {  # per_inference CPU KERNELS MODEL INPUT
  local one eleven
  one=$(count "$(qemu_cpu "$1")" "$2" "$3" "$4" 1)
  eleven=$(count "$(qemu_cpu "$1")" "$2" "$3" "$4" 11)
  echo $(( (eleven - one) / 10 ))
}

count() {  # count CPU KERNELS MODEL INPUT RUNS -> instructions of the whole process
  EDGE_KERNELS=$2 qemu-aarch64 -cpu "$1" -plugin "$OUT/libinsn_count.so" -d plugin \
      "$EDGERUN" bench "$3" --input "$4" --runs "$5" --warmup 0 2>&1 >/dev/null |
    sed -n 's/^insns //p'
}

[ "${PACKED_ONLY:-0}" = 1 ] && CPUS=
printf '%-24s %-11s %-9s %14s %14s %7s\n' model cpu level "auto insn/inf" "ref insn/inf" ref/auto
for entry in "${models[@]}"; do
  model=${entry%%:*} input=${entry#*:}
  for cpu in $CPUS; do
    auto=$(per_inference "$cpu" auto "$OUT/$model.bin" "$input")
    ref=$(per_inference "$cpu" ref "$OUT/$model.bin" "$input")
    printf '%-24s %-11s %-9s %14s %14s %7s\n' "$model" "$cpu" "$(level "$cpu" "$OUT/$model.bin")" "$auto" "$ref" \
        "$(awk -v r="$ref" -v a="$auto" 'BEGIN { printf "%.2f", r / a }')"
  done
done
if [[ " $CPUS " == *" max "* ]]; then
  echo
  echo "int8 models on qemu max: i8mm (SMMLA) kernels against the dotprod (SDOT) ones"
  printf '%-24s %16s %16s %9s\n' model "neondot insn/inf" "neoni8mm insn/inf" dot/i8mm
  for entry in "${models[@]}"; do
    model=${entry%%:*} input=${entry#*:}
    [[ $model == *-f32 ]] && continue
    dot=$(per_inference max neondot "$OUT/$model.bin" "$input")
    mm=$(per_inference max neoni8mm "$OUT/$model.bin" "$input")
    printf '%-24s %16s %16s %9s\n' "$model" "$dot" "$mm" "$(awk -v d="$dot" -v m="$mm" 'BEGIN { printf "%.2f", d / m }')"
  done
fi
packed_table() {  # packed_table BOARD CPU LAYOUT: int8 models packed for BOARD against canonical on CPU
  echo
  echo "int8 models packed for $1 (edgepack pack --board $1: $3) against canonical, $2, auto"
  printf '%-24s %16s %16s %9s\n' model "canonical insn/inf" "$1 insn/inf" "$1/can"
  for entry in "${models[@]}"; do
    model=${entry%%:*} input=${entry#*:}
    [[ $model == *-f32 ]] && continue
    case $model in
      digits_*) src=firmware-models/${model%-int8}
                "$BIN/edgepack" pack "$src/model.onnx" -o "$OUT/$model.$1.bin" --quantize int8 \
                    --calibration "$src/calibration.npy" --board "$1" >/dev/null ;;
      *) "$BIN/edgepack" pack "$MLPERF/$model.tflite" -o "$OUT/$model.$1.bin" --board "$1" >/dev/null ;;
    esac
    can=$(per_inference "$2" auto "$OUT/$model.bin" "$input")
    packed=$(per_inference "$2" auto "$OUT/$model.$1.bin" "$input")
    printf '%-24s %16s %16s %9s\n' "$model" "$can" "$packed" "$(awk -v c="$can" -v l="$packed" 'BEGIN { printf "%.2f", l / c }')"
  done
}
packed_table rpi4 cortex-a53 "layouts 4 and 6"
packed_table rpi5 cortex-a76 "layouts 5 and 6"
echo
echo "reproduce a row: EDGE_KERNELS=auto|ref|neondot|neoni8mm qemu-aarch64 -cpu <cpu> -plugin $OUT/libinsn_count.so -d plugin \\"
echo "    $EDGERUN bench $OUT/<model>.bin --input <input.npy> --runs 11 --warmup 0   (minus the same with --runs 1, over 10)"
