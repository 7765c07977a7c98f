/*
 * ek_pfc_neon_insn: one int8 FullyConnected shape of the firmware and MLPerf Tiny models run N
 * times, for counting guest instructions under qemu-aarch64 with tools/qemu-insn-count
 * (scripts/pfc-neon-insn.sh runs it): the canonical 1x4c16 kernel (`canon`, NEON or with `dot`
 * SDOT) against the same tile over layout-6 weights packed beforehand (`packed`), the data
 * behind edgepack's layout-6 rule (WeightPacking.packedFC).
 *
 * Usage: ek_pfc_neon_insn                             list the shapes
 *        ek_pfc_neon_insn INDEX canon|packed N [dot]
 */
#include "CEdgeKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shape {
  const char *name;
  int k, n;
} shape;

static const shape kShapes[] = {
    {"digits_mlp fc1 64->32", 64, 32},   {"digits_mlp fc2 32->10", 32, 10},
    {"ad01 640->128", 640, 128},         {"ad01 128->128", 128, 128},
    {"ad01 128->8", 128, 8},             {"ad01 8->128", 8, 128},
    {"ad01 128->640", 128, 640},         {"kws fc 64->12", 64, 12},
};
enum { SHAPES = sizeof(kShapes) / sizeof(kShapes[0]) };

int main(int argc, char **argv) {
  if (argc < 4) {
    for (int i = 0; i < SHAPES; ++i) printf("%d\t%s\n", i, kShapes[i].name);
    return argc == 1 ? 0 : 2;
  }
  const int index = atoi(argv[1]);
  if (index < 0 || index >= SHAPES) return 2;
  const int packed = strcmp(argv[2], "packed") == 0, calls = atoi(argv[3]);
  const int dot = argc > 4 && strcmp(argv[4], "dot") == 0;
  const size_t k = (size_t)kShapes[index].k, n = (size_t)kShapes[index].n;
  int8_t *x = calloc(k + EK_EXTRA_BYTES, 1), *w = malloc(n * k), *y = malloc(n);
  int32_t *bias = malloc(n * sizeof(int32_t));
  double *scale = malloc(n * sizeof(double));
  void *p = malloc(ek_qs8_pfc_packed_bytes(n, k) + EK_EXTRA_BYTES);
  for (size_t i = 0; i < n * k; ++i) w[i] = (int8_t)((i * 37 + 11) % 255 - 127);
  for (size_t i = 0; i < k; ++i) x[i] = (int8_t)(i * 13);
  for (size_t j = 0; j < n; ++j) {
    bias[j] = (int32_t)j * 5 - 40;
    scale[j] = 1.0 / 4096;
  }
  ek_qs8_fc_params params = {-3, 1, -128, 127, scale};
  ek_fc_shape s = {1, (int32_t)k, (int32_t)n};
  ek_qs8_pfc_pack(n, k, w, bias, params.input_zero_point, p);
  const int32_t *folded = (const int32_t *)(const void *)((const char *)p + ek_qs8_pfc_bias_offset(n, k));
  for (int c = 0; c < calls; ++c) {
#if defined(__aarch64__)
    if (packed) {
      (dot ? ek_qs8_pfc_minmax_1x4c16__neondot : ek_qs8_pfc_minmax_1x4c16__neon)(&s, &params, x, p, folded, y);
    } else {
      (dot ? ek_qs8_fc_minmax_1x4c16__neondot : ek_qs8_fc_minmax_1x4c16__neon)(&s, &params, x, w, bias, y);
    }
#else
    (packed ? ek_qs8_pfc_minmax_1x4c16__ref : ek_qs8_fc_minmax_1x1__ref)(&s, &params, x, packed ? p : w,
                                                                        packed ? folded : bias, y);
    (void)dot;
#endif
  }
  printf("%d\n", y[0]);
  return 0;
}
