/* AArch64 NEON + dot product (SDOT, FEAT_DotProd) Conv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__aarch64__)
#include "../common/ek_conv_driver.h"
#include "ek_requant_neon.h"

#define EK_NEONDOT EK_TARGET("dotprod")
#define EK_NEONDOT_INLINE static inline __attribute__((always_inline)) EK_NEONDOT

EK_NEONDOT_INLINE int8x16_t ek_keep_s8(size_t n) {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vreinterpretq_s8_u8(vcltq_u8(lanes, vdupq_n_u8((uint8_t)n)));
}

EK_NEONDOT_INLINE int32x4_t ek_hsum4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3) {
  return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
}

/* sum(w) as SDOT with ones; lanes past k cleared. */
EK_NEONDOT_INLINE void ek_qs8_conv_wsum(size_t k, const int8_t *const *w4, int32_t *out4) {
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < 4; ++j) {
      a[j] = vdotq_s32(a[j], ones, vandq_s8(keep, vld1q_s8(w4[j] + i)));
    }
  }
  vst1q_s32(out4, ek_hsum4(a[0], a[1], a[2], a[3]));
}

/* 4 rows x 4 weight rows, 16 bytes per step: SDOT adds four exact int8 products per lane. */
EK_NEONDOT_INLINE void ek_qs8_conv_dot_4x4(size_t k, const int8_t *const *rows,
                                           const int8_t *const *w4, int32_t *sums) {
  int32x4_t a[4][4];
  for (size_t m = 0; m < 4; ++m) {
    for (size_t j = 0; j < 4; ++j) a[m][j] = vdupq_n_s32(0);
  }
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    const int8x16_t x0 = vld1q_s8(rows[0] + i), x1 = vld1q_s8(rows[1] + i);
    const int8x16_t x2 = vld1q_s8(rows[2] + i), x3 = vld1q_s8(rows[3] + i);
    for (size_t j = 0; j < 4; ++j) {
      const int8x16_t w = vandq_s8(keep, vld1q_s8(w4[j] + i));
      a[0][j] = vdotq_s32(a[0][j], x0, w);
      a[1][j] = vdotq_s32(a[1][j], x1, w);
      a[2][j] = vdotq_s32(a[2][j], x2, w);
      a[3][j] = vdotq_s32(a[3][j], x3, w);
    }
  }
  for (size_t m = 0; m < 4; ++m) {
    vst1q_s32(sums + 4 * m, ek_hsum4(a[m][0], a[m][1], a[m][2], a[m][3]));
  }
}

EK_NEONDOT_INLINE void ek_qs8_requant(size_t n, const int32_t *acc, const int32_t *multiplier,
                                      const int32_t *shift, const ek_qs8_requant_params *p,
                                      int8_t *out) {
  ek_qs8_requant_n__neon(n, acc, multiplier, shift, p, out);
}

EK_NEONDOT void ek_qs8_conv2d_minmax_4x4c16__neondot(const ek_conv2d_shape *shape,
                                                     const ek_qs8_requant_params *params,
                                                     const int8_t *input, const int8_t *weights,
                                                     const int32_t *bias, int8_t *output) {
  if (!ek_qs8_conv_drive(shape, params, input, weights, bias, output, 4,
                         (uint32_t)params->input_zero_point, ek_qs8_conv_wsum,
                         ek_qs8_conv_dot_4x4, ek_qs8_requant)) {
    ek_qs8_conv2d_minmax_1x1__ref(shape, params, input, weights, bias, output);
  }
}

#endif
