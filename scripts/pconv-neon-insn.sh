#!/usr/bin/env bash
# Guest instructions per call, under qemu-aarch64, of each int8 Conv2D shape of the firmware and
# MLPerf Tiny models: the kernel the runtime picks over canonical weights against the NEON 8x8
# tile over layout-4 weights (Tests/KernelTests/ek_pconv_neon_insn.c), the measurement behind
# edgepack's layout-4 rule (WeightPacking.packedConv). Per call = (count with 3 calls - count
# with 1) / 2. CPU=cortex-a53 (default; NEON) or CPU=cortex-a76 DOT=dot (canonical weights on
# the dotprod kernels against the SDOT 8x8c4 tile over layout-5 weights, edgepack's layout-5
# rule for dot-product boards).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench/qemu
CPU=${CPU:-cortex-a53}
mkdir -p "$OUT"
make --no-print-directory "$OUT/ek_pconv_neon_insn" >/dev/null
clang -O2 -shared -fPIC -fvisibility=hidden -o "$OUT/libinsn_count.so" tools/qemu-insn-count/insn_count.c
count() {
  qemu-aarch64 -cpu "$CPU" -plugin "$OUT/libinsn_count.so" -d plugin "$OUT/ek_pconv_neon_insn" "$@" 2>&1 >/dev/null |
    sed -n 's/^insns //p'
}
L=${DOT:+5}; L=${L:-4}
printf '%-34s %12s %12s %7s\n' shape canonical "layout$L" "l$L/can"
while IFS=$'\t' read -r i name; do
  c1=$(count "$i" canon 1 ${DOT:-}); c3=$(count "$i" canon 3 ${DOT:-})
  p1=$(count "$i" packed 1 ${DOT:-}); p3=$(count "$i" packed 3 ${DOT:-})
  c=$(( (c3 - c1) / 2 )) p=$(( (p3 - p1) / 2 ))
  printf '%-34s %12s %12s %7s\n' "$name" "$c" "$p" "$(awk -v p="$p" -v c="$c" 'BEGIN { printf "%.2f", p / c }')"
done < <(qemu-aarch64 "$OUT/ek_pconv_neon_insn")
