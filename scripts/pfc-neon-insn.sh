#!/usr/bin/env bash
# Guest instructions per call, under qemu-aarch64, of each int8 FullyConnected shape of the
# firmware and MLPerf Tiny models: the canonical 1x4c16 kernel against the same tile over
# layout-6 weights (Tests/KernelTests/ek_pfc_neon_insn.c), the measurement behind edgepack's
# layout-6 rule (WeightPacking.packedFC). Per call = (count with 3 calls - count with 1) / 2.
# CPU=cortex-a53 (default; the NEON kernels) or CPU=cortex-a76 DOT=dot (the SDOT kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench/qemu
CPU=${CPU:-cortex-a53}
mkdir -p "$OUT"
make --no-print-directory "$OUT/ek_pfc_neon_insn" >/dev/null
clang -O2 -shared -fPIC -fvisibility=hidden -o "$OUT/libinsn_count.so" tools/qemu-insn-count/insn_count.c
count() {
  qemu-aarch64 -cpu "$CPU" -plugin "$OUT/libinsn_count.so" -d plugin "$OUT/ek_pfc_neon_insn" "$@" 2>&1 >/dev/null |
    sed -n 's/^insns //p'
}
printf '%-26s %12s %12s %7s\n' shape canonical layout6 l6/can
while IFS=$'\t' read -r i name; do
  c1=$(count "$i" canon 1 ${DOT:-}); c3=$(count "$i" canon 3 ${DOT:-})
  p1=$(count "$i" packed 1 ${DOT:-}); p3=$(count "$i" packed 3 ${DOT:-})
  c=$(( (c3 - c1) / 2 )) p=$(( (p3 - p1) / 2 ))
  printf '%-26s %12s %12s %7s\n' "$name" "$c" "$p" "$(awk -v p="$p" -v c="$c" 'BEGIN { printf "%.2f", p / c }')"
done < <(qemu-aarch64 "$OUT/ek_pfc_neon_insn")
