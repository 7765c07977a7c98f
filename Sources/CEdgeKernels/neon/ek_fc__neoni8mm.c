/* AArch64 NEON + int8 matrix multiply (SMMLA, FEAT_I8MM) fully connected kernels (see
 * ek_conv.h). SMMLA pairs two batch rows with two weight rows per instruction (see
 * ek_conv__neoni8mm.c); one batch row has nothing to pair with, so an odd last row (batch 1,
 * the common case on a device) takes SDOT, which FEAT_I8MM cores all have. */
#include "ek_conv.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define EK_NEONI8MM EK_TARGET("dotprod,i8mm")
#define EK_NEONI8MM_INLINE static inline __attribute__((always_inline)) EK_NEONI8MM

EK_NEONI8MM_INLINE int8x16_t ek_keep_s8(size_t n) {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vreinterpretq_s8_u8(vcltq_u8(lanes, vdupq_n_u8((uint8_t)n)));
}

EK_NEONI8MM_INLINE int8x16_t ek_pair_lo(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
EK_NEONI8MM_INLINE int8x16_t ek_pair_hi(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

/* Weight rows w[0..3]; the tail clears lanes past k (k - i < 16). */
EK_NEONI8MM_INLINE void ek_load_w4(const int8_t *const *w, size_t i, int8x16_t keep,
                                   int8x16_t *out) {
  for (size_t j = 0; j < 4; ++j) out[j] = vandq_s8(keep, vld1q_s8(w[j] + i));
}

/* acc[0] += [x0.w0, x0.w1, x1.w0, x1.w1], acc[1] += the same for w2, w3, over one 16-byte step
 * (over its low 8 bytes only when `low_only`). */
EK_NEONI8MM_INLINE void ek_step_2x4(int32x4_t *acc, int8x16_t xa, int8x16_t xb,
                                    const int8x16_t *wv, int low_only) {
  const int8x16_t xl = ek_pair_lo(xa, xb);
  acc[0] = vmmlaq_s32(acc[0], xl, ek_pair_lo(wv[0], wv[1]));
  acc[1] = vmmlaq_s32(acc[1], xl, ek_pair_lo(wv[2], wv[3]));
  if (!low_only) {
    const int8x16_t xh = ek_pair_hi(xa, xb);
    acc[0] = vmmlaq_s32(acc[0], xh, ek_pair_hi(wv[0], wv[1]));
    acc[1] = vmmlaq_s32(acc[1], xh, ek_pair_hi(wv[2], wv[3]));
  }
}

/* sums[b * 4 + j] = dot(x_b, w_j) for two input rows and four weight rows; the tail reads one
 * whole step (within EK_EXTRA_BYTES) and clears the weight lanes past k. */
EK_NEONI8MM_INLINE void ek_qs8_dot_2x4(size_t k, const int8_t *x0, const int8_t *x1,
                                       const int8_t *const *w, int32_t *sums) {
  int32x4_t acc[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
  int8x16_t wv[4];
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    ek_load_w4(w, i, vdupq_n_s8(-1), wv);
    ek_step_2x4(acc, vld1q_s8(x0 + i), vld1q_s8(x1 + i), wv, 0);
  }
  if (i < k) {
    ek_load_w4(w, i, ek_keep_s8(k - i), wv);
    ek_step_2x4(acc, vld1q_s8(x0 + i), vld1q_s8(x1 + i), wv, k - i <= 8);
  }
  const int64x2_t p = vreinterpretq_s64_s32(acc[0]), q = vreinterpretq_s64_s32(acc[1]);
  vst1q_s32(sums, vreinterpretq_s32_s64(vzip1q_s64(p, q)));
  vst1q_s32(sums + 4, vreinterpretq_s32_s64(vzip2q_s64(p, q)));
}

/* sums[j] = dot(x, w_j) with SDOT, for the unpaired row; wsum passes x = ones. Same tail
 * contract as ek_qs8_dot_2x4. */
EK_NEONI8MM_INLINE void ek_qs8_dot_1x4(size_t k, const int8_t *x, int x_is_ones,
                                       const int8_t *const *w, int32_t *sums) {
  int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  int8x16_t wv[4];
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    ek_load_w4(w, i, vdupq_n_s8(-1), wv);
    const int8x16_t xv = x_is_ones ? vdupq_n_s8(1) : vld1q_s8(x + i);
    for (size_t j = 0; j < 4; ++j) a[j] = vdotq_s32(a[j], xv, wv[j]);
  }
  if (i < k) {
    ek_load_w4(w, i, ek_keep_s8(k - i), wv);
    const int8x16_t xv = x_is_ones ? vdupq_n_s8(1) : vld1q_s8(x + i);
    for (size_t j = 0; j < 4; ++j) a[j] = vdotq_s32(a[j], xv, wv[j]);
  }
  vst1q_s32(sums, vpaddq_s32(vpaddq_s32(a[0], a[1]), vpaddq_s32(a[2], a[3])));
}

/* The reference accumulator sum(w * (x - zp)) + bias is dot - zp * sum(w) + bias modulo 2^32
 * (unsigned arithmetic: the reference's int32 wrap-around without undefined behaviour).
 * Short tiles (out_features % 4) repeat their last weight row and drop its results. */
EK_NEONI8MM void ek_qs8_fc_minmax_2x4c16__neoni8mm(const ek_fc_shape *shape,
                                                   const ek_qs8_fc_params *params,
                                                   const int8_t *input, const int8_t *weights,
                                                   const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  const size_t batch = (size_t)shape->batch;
  const uint32_t zp = (uint32_t)params->input_zero_point;
  for (size_t oc = 0; oc < n; oc += 4) {
    const size_t nr = n - oc < 4 ? n - oc : 4;
    const int8_t *w[4];
    for (size_t j = 0; j < 4; ++j) w[j] = weights + (oc + (j < nr ? j : nr - 1)) * k;
    int32_t wsums[4];
    uint32_t base[4];
    ek_qs8_dot_1x4(k, NULL, 1, w, wsums);
    for (size_t j = 0; j < nr; ++j) {
      base[j] = (uint32_t)(bias != NULL ? bias[oc + j] : 0) - zp * (uint32_t)wsums[j];
    }
    for (size_t b = 0; b < batch; b += 2) {
      const size_t rows = batch - b < 2 ? 1 : 2;
      int32_t sums[8];
      if (rows == 2) {
        ek_qs8_dot_2x4(k, input + b * k, input + (b + 1) * k, w, sums);
      } else {
        ek_qs8_dot_1x4(k, input + b * k, 0, w, sums);
      }
      for (size_t r = 0; r < rows; ++r) {
        for (size_t j = 0; j < nr; ++j) {
          const int32_t acc = (int32_t)((uint32_t)sums[r * 4 + j] + base[j]);
          output[(b + r) * n + oc + j] = ek_qs8_fc_requantize(acc, params->scale[oc + j], params);
        }
      }
    }
  }
}

#endif
