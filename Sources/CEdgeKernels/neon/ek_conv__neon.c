/* AArch64 Advanced SIMD (NEON) Conv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__aarch64__)
#include "../common/ek_conv_f32_driver.h"
#include "ek_requant_neon.h"

/* Lanes [0, n) set, n <= 16. */
EK_NEON_INLINE int8x16_t ek_keep_s8(size_t n) {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vreinterpretq_s8_u8(vcltq_u8(lanes, vdupq_n_u8((uint8_t)n)));
}

/* [sum a0, sum a1, sum a2, sum a3]. */
EK_NEON_INLINE int32x4_t ek_hsum4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3) {
  return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
}

EK_NEON_INLINE void ek_qs8_conv_wsum(size_t k, const int8_t *const *w4, int32_t *out4) {
  int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < 4; ++j) {
      a[j] = vpadalq_s16(a[j], vpaddlq_s8(vandq_s8(keep, vld1q_s8(w4[j] + i))));
    }
  }
  vst1q_s32(out4, ek_hsum4(a[0], a[1], a[2], a[3]));
}

/* 2 rows x 4 weight rows, 16 bytes per step: vmull_s8 products (|x * w| <= 2^14 fits int16)
 * added pairwise into int32 by vpadalq_s16, so nothing saturates (-128 included). The tail
 * clears weight lanes past k. */
EK_NEON_INLINE void ek_qs8_conv_dot_2x4(size_t k, const int8_t *const *rows,
                                        const int8_t *const *w4, int32_t *sums) {
  int32x4_t a0[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  int32x4_t a1[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  const int8_t *r0 = rows[0], *r1 = rows[1];
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    const int8x16_t x0 = vld1q_s8(r0 + i), x1 = vld1q_s8(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const int8x16_t w = vandq_s8(keep, vld1q_s8(w4[j] + i));
      a0[j] = vpadalq_s16(a0[j], vmull_s8(vget_low_s8(x0), vget_low_s8(w)));
      a0[j] = vpadalq_s16(a0[j], vmull_high_s8(x0, w));
      a1[j] = vpadalq_s16(a1[j], vmull_s8(vget_low_s8(x1), vget_low_s8(w)));
      a1[j] = vpadalq_s16(a1[j], vmull_high_s8(x1, w));
    }
  }
  vst1q_s32(sums, ek_hsum4(a0[0], a0[1], a0[2], a0[3]));
  vst1q_s32(sums + 4, ek_hsum4(a1[0], a1[1], a1[2], a1[3]));
}

EK_NEON_INLINE void ek_qs8_requant(size_t n, const int32_t *acc, const int32_t *multiplier,
                                   const int32_t *shift, const ek_qs8_requant_params *p,
                                   int8_t *out) {
  ek_qs8_requant_n__neon(n, acc, multiplier, shift, p, out);
}

void ek_qs8_conv2d_minmax_2x4c16__neon(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias,
                                       int8_t *output) {
  if (!ek_qs8_conv_drive(shape, params, input, weights, bias, output, 2,
                         (uint32_t)params->input_zero_point, ek_qs8_conv_wsum,
                         ek_qs8_conv_dot_2x4, ek_qs8_requant)) {
    ek_qs8_conv2d_minmax_1x1__ref(shape, params, input, weights, bias, output);
  }
}

/* 2 rows x 4 weight rows, 4 floats per step. The tail reads one whole step (within
 * EK_EXTRA_BYTES) and clears both operands' lanes past k, so stray NaN or Inf bits there
 * cannot leak into the sums. */
EK_NEON_INLINE void ek_f32_conv_dot_2x4(size_t k, const float *const *rows,
                                        const float *const *w4, float *sums) {
  float32x4_t a0[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
  float32x4_t a1[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
  const float *r0 = rows[0], *r1 = rows[1];
  size_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const float32x4_t x0 = vld1q_f32(r0 + i), x1 = vld1q_f32(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const float32x4_t w = vld1q_f32(w4[j] + i);
      a0[j] = vfmaq_f32(a0[j], x0, w);
      a1[j] = vfmaq_f32(a1[j], x1, w);
    }
  }
  if (i < k) {
    const uint32x4_t lanes = {0, 1, 2, 3};
    const uint32x4_t keep = vcltq_u32(lanes, vdupq_n_u32((uint32_t)(k - i)));
    const float32x4_t x0 = vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(vld1q_f32(r0 + i))));
    const float32x4_t x1 = vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(vld1q_f32(r1 + i))));
    for (size_t j = 0; j < 4; ++j) {
      const float32x4_t w =
          vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(vld1q_f32(w4[j] + i))));
      a0[j] = vfmaq_f32(a0[j], x0, w);
      a1[j] = vfmaq_f32(a1[j], x1, w);
    }
  }
  vst1q_f32(sums, vpaddq_f32(vpaddq_f32(a0[0], a0[1]), vpaddq_f32(a0[2], a0[3])));
  vst1q_f32(sums + 4, vpaddq_f32(vpaddq_f32(a1[0], a1[1]), vpaddq_f32(a1[2], a1[3])));
}

void ek_f32_conv2d_minmax_2x4c4__neon(const ek_conv2d_shape *shape, const float *input,
                                      const float *weights, const float *bias, float *output,
                                      float output_min, float output_max) {
  if (!ek_f32_conv_drive(shape, input, weights, bias, output, output_min, output_max, 2,
                         ek_f32_conv_dot_2x4)) {
    ek_f32_conv2d_minmax_1x1__ref(shape, input, weights, bias, output, output_min, output_max);
  }
}

#endif
