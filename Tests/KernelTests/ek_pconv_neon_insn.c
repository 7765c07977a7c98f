/*
 * ek_pconv_neon_insn: one int8 Conv2D shape of the firmware and MLPerf Tiny models run N
 * times, for counting guest instructions under qemu-aarch64 with tools/qemu-insn-count
 * (scripts/pconv-neon-insn.sh runs it): the kernel the runtime picks over canonical weights
 * (`canon`: 8x8 or 2x4c16 by Conv2D.prepare's rule; 8x8c4 or 4x4c16 with `dot`) against the
 * NEON 8x8 tile over layout-4 weights packed beforehand (`packed`; with `dot` the SDOT 8x8c4
 * tile over layout-5 weights), the data behind edgepack's layout-4 and layout-5 rules
 * (WeightPacking.packedConv).
 *
 * Usage: ek_pconv_neon_insn                       list the shapes
 *        ek_pconv_neon_insn INDEX canon|packed N [dot]   (dot: SDOT kernels, layout 5)
 */
#include "CEdgeKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shape {
  const char *name;
  int in_h, in_w, in_c, out_c, kh, kw, stride, pt, pl, pb, pr;
} shape;

static const shape kShapes[] = {
    {"digits_cnn conv1 3x3 1->8 @8", 8, 8, 1, 8, 3, 3, 1, 1, 1, 1, 1},
    {"digits_cnn pw1 1x1 8->16 @8", 8, 8, 8, 16, 1, 1, 1, 0, 0, 0, 0},
    {"digits_cnn conv2 3x3 16->16 @4", 4, 4, 16, 16, 3, 3, 1, 1, 1, 1, 1},
    {"ds-cnn conv1 10x4/2 1->64", 49, 10, 1, 64, 10, 4, 2, 4, 1, 5, 1},
    {"ds-cnn pw 1x1 64->64 @25x5", 25, 5, 64, 64, 1, 1, 1, 0, 0, 0, 0},
    {"vww conv1 3x3/2 3->8", 96, 96, 3, 8, 3, 3, 2, 0, 0, 1, 1},
    {"vww pw 1x1 8->16 @48", 48, 48, 8, 16, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 16->32 @24", 24, 24, 16, 32, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 32->32 @24", 24, 24, 32, 32, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 32->64 @12", 12, 12, 32, 64, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 64->64 @12", 12, 12, 64, 64, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 64->128 @6", 6, 6, 64, 128, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 128->128 @6", 6, 6, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 128->256 @3", 3, 3, 128, 256, 1, 1, 1, 0, 0, 0, 0},
    {"vww pw 1x1 256->256 @3", 3, 3, 256, 256, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww pw 1x1 40->128 @28", 28, 1, 40, 128, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww pw 1x1 128->128 @24", 24, 1, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww pw 1x1 128->128 @15", 15, 1, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww pw 1x1 128->32 @1", 1, 1, 128, 32, 1, 1, 1, 0, 0, 0, 0},
    {"resnet-8 conv 3x3 3->16 @32", 32, 32, 3, 16, 3, 3, 1, 1, 1, 1, 1},
    {"resnet-8 conv 3x3 16->16 @32", 32, 32, 16, 16, 3, 3, 1, 1, 1, 1, 1},
    {"resnet-8 conv 3x3/2 16->32 @32", 32, 32, 16, 32, 3, 3, 2, 0, 0, 1, 1},
    {"resnet-8 shortcut 1x1/2 16->32", 32, 32, 16, 32, 1, 1, 2, 0, 0, 0, 0},
    {"resnet-8 conv 3x3 32->32 @16", 16, 16, 32, 32, 3, 3, 1, 1, 1, 1, 1},
    {"resnet-8 shortcut 1x1/2 32->64", 16, 16, 32, 64, 1, 1, 2, 0, 0, 0, 0},
    {"resnet-8 conv 3x3 64->64 @8", 8, 8, 64, 64, 3, 3, 1, 1, 1, 1, 1},
};
enum { SHAPES = sizeof(kShapes) / sizeof(kShapes[0]) };

int main(int argc, char **argv) {
  if (argc < 4) {
    for (int i = 0; i < SHAPES; ++i) printf("%d\t%s\n", i, kShapes[i].name);
    return argc == 1 ? 0 : 2;
  }
  const int index = atoi(argv[1]);
  if (index < 0 || index >= SHAPES) {
    fprintf(stderr, "ek_pconv_neon_insn: shape %d is not in 0..%d\n", index, SHAPES - 1);
    return 2;
  }
#if defined(__aarch64__)
  const shape *h = &kShapes[index];
  const int packed = strcmp(argv[2], "packed") == 0, reps = atoi(argv[3]);
  const int dot = argc > 4 && strcmp(argv[4], "dot") == 0;
  const ek_conv2d_shape s = {1, h->in_h, h->in_w, h->in_c,
                             (h->in_h + h->pt + h->pb - h->kh) / h->stride + 1,
                             (h->in_w + h->pl + h->pr - h->kw) / h->stride + 1, h->out_c, h->kh,
                             h->kw, h->stride, h->stride, 1, 1, h->pt, h->pl, 1};
  const size_t k = (size_t)h->kh * h->kw * h->in_c, n = (size_t)h->out_c;
  int8_t *x = calloc((size_t)h->in_h * h->in_w * h->in_c + EK_EXTRA_BYTES, 1);
  int8_t *w = calloc(n * k + EK_EXTRA_BYTES, 1);
  int8_t *y = calloc((size_t)s.out_h * s.out_w * n, 1);
  int32_t *bias = calloc(n, sizeof(int32_t)), *mult = calloc(n, sizeof(int32_t));
  int32_t *shift = calloc(n, sizeof(int32_t));
  const size_t packed_n = dot ? ek_qs8_pconv2d_o8c4_packed_bytes(n, k) : ek_qs8_pconv2d_o8_packed_bytes(n, k);
  void *wp = aligned_alloc(64, (packed_n + EK_EXTRA_BYTES + 63) / 64 * 64);
  if (!x || !w || !y || !bias || !mult || !shift || !wp) return 2;
  for (size_t i = 0; i < n * k; ++i) w[i] = (int8_t)(i * 37 + 11);
  for (size_t i = 0; i < n; ++i) {
    mult[i] = 1 << 30;
    shift[i] = -8;
    bias[i] = (int32_t)i;
  }
  ek_qs8_requant_params p;
  p.multiplier = mult;
  p.shift = shift;
  p.input_zero_point = 3;
  p.output_zero_point = -5;
  p.output_min = -128;
  p.output_max = 127;
  (dot ? ek_qs8_pconv2d_o8c4_pack : ek_qs8_pconv2d_o8_pack)(n, k, w, bias, p.input_zero_point, wp);
  const size_t bias_at = dot ? ek_qs8_pconv2d_o8c4_bias_offset(n, k) : ek_qs8_pconv2d_o8_bias_offset(n, k);
  const int32_t *folded = (const int32_t *)(const void *)((const char *)wp + bias_at);
  /* Conv2D.prepare's choice for canonical weights. */
  const int few = (h->in_c <= EK_CONV_SC_MAX_C && (int)n <= EK_CONV_SC_NEON_MAX_OUT_C) ||
                  ((int)k <= EK_CONV_SC_NEON_MAX_K && s.out_h * s.out_w >= EK_CONV_SC_MIN_PIXELS);
  for (int r = 0; r < reps; ++r) {
    if (packed) {
      (dot ? ek_qs8_pconv2d_minmax_8x8c4__neondot : ek_qs8_pconv2d_minmax_8x8__neon)(&s, &p, x, wp, folded, y);
    } else if (dot) {
      (few ? ek_qs8_conv2d_minmax_8x8c4__neondot : ek_qs8_conv2d_minmax_4x4c16__neondot)(&s, &p, x, w, bias, y);
    } else {
      (few ? ek_qs8_conv2d_minmax_8x8__neon : ek_qs8_conv2d_minmax_2x4c16__neon)(&s, &p, x, w, bias, y);
    }
  }
  return 0;
#else
  fprintf(stderr, "ek_pconv_neon_insn: aarch64 only (run it under qemu-aarch64)\n");
  return 2;
#endif
}
