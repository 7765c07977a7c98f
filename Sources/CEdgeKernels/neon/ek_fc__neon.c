/* AArch64 Advanced SIMD (NEON) fully connected kernels (see ek_conv.h). */
#include "ek_conv.h"
#include "ek_pfc.h"
#include "../common/ek_fc_driver.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define EK_NEON_INLINE static inline __attribute__((always_inline))

/* nr (1..4) float dot products, 4 per step. The tail reads one whole step (within
 * EK_EXTRA_BYTES) and clears both operands' lanes past k, so stray NaN or Inf bits there
 * cannot leak into the sum. */
EK_NEON_INLINE void ek_f32_dot_1xN(size_t nr, size_t k, const float *x, const float *w,
                                   float *sums) {
  float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                        vdupq_n_f32(0.0f)};
  size_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const float32x4_t xv = vld1q_f32(x + i);
    for (size_t j = 0; j < nr; ++j) {
      acc[j] = vfmaq_f32(acc[j], xv, vld1q_f32(w + j * k + i));
    }
  }
  if (i < k) {
    const uint32x4_t lanes = {0, 1, 2, 3};
    const uint32x4_t keep = vcltq_u32(lanes, vdupq_n_u32((uint32_t)(k - i)));
    const float32x4_t xv =
        vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(vld1q_f32(x + i))));
    for (size_t j = 0; j < nr; ++j) {
      const float32x4_t wv = vreinterpretq_f32_u32(
          vandq_u32(keep, vreinterpretq_u32_f32(vld1q_f32(w + j * k + i))));
      acc[j] = vfmaq_f32(acc[j], xv, wv);
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    sums[j] = vaddvq_f32(acc[j]);
  }
}

void ek_f32_fc_minmax_1x4c4__neon(const ek_fc_shape *shape, const float *input,
                                  const float *weights, const float *bias, float *output,
                                  float output_min, float output_max) {
  ek_f32_fc_drive_1x4(shape, input, weights, bias, output, output_min, output_max, ek_f32_dot_1xN);
}

/* Lanes [0, n) set, n <= 16. */
EK_NEON_INLINE int8x16_t ek_keep_s8(size_t n) {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vreinterpretq_s8_u8(vcltq_u8(lanes, vdupq_n_u8((uint8_t)n)));
}

/* sum(w * (x - zp)) = sum(w * x) - zp * sum(w) modulo 2^32. Products are formed by
 * vmull_s8 (|w * x| <= 2^14 fits int16) and added pairwise into int32 by vpadalq_s16, so
 * nothing saturates, whatever the weights (-128 included). sum(w) is computed per call, once
 * for all batch rows. The tail reads one whole step (within EK_EXTRA_BYTES) and clears the
 * weight lanes past k, which removes them from both sums. */
EK_NEON_INLINE void ek_qs8_wsum_N(size_t nr, size_t k, const int8_t *w, int32_t *wsums) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < nr; ++j) {
      const int8x16_t wv = vandq_s8(keep, vld1q_s8(w + j * k + i));
      acc[j] = vpadalq_s16(acc[j], vpaddlq_s8(wv));
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    wsums[j] = vaddvq_s32(acc[j]);
  }
}

EK_NEON_INLINE void ek_qs8_dot_1xN(size_t nr, size_t k, const int8_t *x, const int8_t *w,
                                   int32_t *sums) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const int8x16_t xv = vld1q_s8(x + i);
    for (size_t j = 0; j < nr; ++j) {
      const int8x16_t wv = vld1q_s8(w + j * k + i);
      acc[j] = vpadalq_s16(acc[j], vmull_s8(vget_low_s8(xv), vget_low_s8(wv)));
      acc[j] = vpadalq_s16(acc[j], vmull_high_s8(xv, wv));
    }
  }
  if (i < k) {
    const int8x16_t keep = ek_keep_s8(k - i);
    const int8x16_t xv = vld1q_s8(x + i);
    for (size_t j = 0; j < nr; ++j) {
      const int8x16_t wv = vandq_s8(keep, vld1q_s8(w + j * k + i));
      acc[j] = vpadalq_s16(acc[j], vmull_s8(vget_low_s8(xv), vget_low_s8(wv)));
      acc[j] = vpadalq_s16(acc[j], vmull_high_s8(xv, wv));
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    sums[j] = vaddvq_s32(acc[j]);
  }
}

void ek_qs8_fc_minmax_1x4c16__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output) {
  ek_qs8_fc_drive_1x4_folded(shape, params, input, weights, bias, output,
                             (uint32_t)params->input_zero_point, ek_qs8_wsum_N, ek_qs8_dot_1xN);
}

/* Layout 6: one LD1 of the block's four 16-byte rows per step, no tail (K padded with zero
 * weights), the four sums reduced pairwise into one vector with the folded bias. Layout-6
 * weights are never -128 (ek_pfc.h), so two products |w x| <= 127 * 128 add in an int16 lane
 * (SMULL + SMLAL2) before the pairwise widening add: three instructions per row and step. */
EK_NEON_INLINE void ek_qs8_pdot_1x4(size_t kr, const int8_t *x, const int8_t *w,
                                    const int32_t *bias, int32_t *sums) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  size_t i = 0;
  do { /* kr >= 16: in_features >= 1 */
    const int8x16_t xv = vld1q_s8(x + i);
    const int8x16x4_t wv = vld1q_s8_x4(w + 4 * i);
    for (size_t j = 0; j < 4; ++j) {
      const int16x8_t p = vmull_s8(vget_low_s8(xv), vget_low_s8(wv.val[j]));
      acc[j] = vpadalq_s16(acc[j], vmlal_high_s8(p, xv, wv.val[j]));
    }
    i += 16;
  } while (i < kr);
  const int32x4_t s = vpaddq_s32(vpaddq_s32(acc[0], acc[1]), vpaddq_s32(acc[2], acc[3]));
  vst1q_s32(sums, vaddq_s32(s, vld1q_s32(bias)));
}

void ek_qs8_pfc_minmax_1x4c16__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                    const int8_t *input, const int8_t *weights,
                                    const int32_t *bias, int8_t *output) {
  ek_qs8_pfc_drive_1x4(shape, params, input, weights, bias, output, ek_qs8_pdot_1x4);
}

#endif
