/* AArch64 NEON + dot product (SDOT, FEAT_DotProd) fully connected kernels (see ek_conv.h). */
#include "ek_conv.h"
#include "ek_pfc.h"
#include "../common/ek_fc_driver.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define EK_NEONDOT EK_TARGET("dotprod")
#define EK_NEONDOT_INLINE static inline __attribute__((always_inline)) EK_NEONDOT

/* Lanes [0, n) set, n <= 16. */
EK_NEONDOT_INLINE int8x16_t ek_keep_s8(size_t n) {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vreinterpretq_s8_u8(vcltq_u8(lanes, vdupq_n_u8((uint8_t)n)));
}

/* sum(w * (x - zp)) = sum(w * x) - zp * sum(w) modulo 2^32; SDOT multiplies signed bytes
 * and adds four products into an int32 lane exactly. sum(w) is SDOT with ones, per call,
 * once for all batch rows. The tail reads one whole step (within EK_EXTRA_BYTES) and clears
 * the weight lanes past k. */
EK_NEONDOT_INLINE void ek_qs8_wsum_N(size_t nr, size_t k, const int8_t *w, int32_t *wsums) {
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < nr; ++j) {
      acc[j] = vdotq_s32(acc[j], ones, vandq_s8(keep, vld1q_s8(w + j * k + i)));
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    wsums[j] = vaddvq_s32(acc[j]);
  }
}

EK_NEONDOT_INLINE void ek_qs8_dot_1xN(size_t nr, size_t k, const int8_t *x, const int8_t *w,
                                      int32_t *sums) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const int8x16_t xv = vld1q_s8(x + i);
    for (size_t j = 0; j < nr; ++j) {
      acc[j] = vdotq_s32(acc[j], xv, vld1q_s8(w + j * k + i));
    }
  }
  if (i < k) {
    const int8x16_t keep = ek_keep_s8(k - i);
    const int8x16_t xv = vld1q_s8(x + i);
    for (size_t j = 0; j < nr; ++j) {
      acc[j] = vdotq_s32(acc[j], xv, vandq_s8(keep, vld1q_s8(w + j * k + i)));
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    sums[j] = vaddvq_s32(acc[j]);
  }
}

EK_NEONDOT void ek_qs8_fc_minmax_1x4c16__neondot(const ek_fc_shape *shape,
                                                 const ek_qs8_fc_params *params,
                                                 const int8_t *input, const int8_t *weights,
                                                 const int32_t *bias, int8_t *output) {
  ek_qs8_fc_drive_1x4_folded(shape, params, input, weights, bias, output,
                             (uint32_t)params->input_zero_point, ek_qs8_wsum_N, ek_qs8_dot_1xN);
}

/* Layout 6: one LD1 of the block's four 16-byte rows and four SDOTs per step, no tail (K
 * padded with zero weights), no sum of weights (folded into the bias at pack time). */
EK_NEONDOT_INLINE void ek_qs8_pdot_1x4(size_t kr, const int8_t *x, const int8_t *w,
                                       const int32_t *bias, int32_t *sums) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  size_t i = 0;
  do { /* kr >= 16: in_features >= 1 */
    const int8x16_t xv = vld1q_s8(x + i);
    const int8x16x4_t wv = vld1q_s8_x4(w + 4 * i);
    for (size_t j = 0; j < 4; ++j) {
      acc[j] = vdotq_s32(acc[j], xv, wv.val[j]);
    }
    i += 16;
  } while (i < kr);
  const int32x4_t s = vpaddq_s32(vpaddq_s32(acc[0], acc[1]), vpaddq_s32(acc[2], acc[3]));
  vst1q_s32(sums, vaddq_s32(s, vld1q_s32(bias)));
}

EK_NEONDOT void ek_qs8_pfc_minmax_1x4c16__neondot(const ek_fc_shape *shape,
                                                  const ek_qs8_fc_params *params,
                                                  const int8_t *input, const int8_t *weights,
                                                  const int32_t *bias, int8_t *output) {
  ek_qs8_pfc_drive_1x4(shape, params, input, weights, bias, output, ek_qs8_pdot_1x4);
}

#endif
