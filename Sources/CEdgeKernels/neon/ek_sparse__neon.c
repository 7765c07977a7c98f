/* AArch64 NEON block-sparse int8 kernels (see ek_sparse.h). */
#include "ek_sparse.h"
#include "../common/ek_bsr_driver.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define EK_NEON_INLINE static inline __attribute__((always_inline))

/* 16 int8 pairs: widen to int16, subtract the zero point from x, multiply-accumulate into
 * int32 lanes (|w * (x - zp)| <= 128 * 255, exact). */
EK_NEON_INLINE int32x4_t ek_sp_mlal16(int32x4_t acc, int8x16_t x, int8x16_t w, int16x8_t zp) {
  const int16x8_t xl = vsubq_s16(vmovl_s8(vget_low_s8(x)), zp);
  const int16x8_t xh = vsubq_s16(vmovl_s8(vget_high_s8(x)), zp);
  const int16x8_t wl = vmovl_s8(vget_low_s8(w)), wh = vmovl_s8(vget_high_s8(w));
  acc = vmlal_s16(acc, vget_low_s16(xl), vget_low_s16(wl));
  acc = vmlal_s16(acc, vget_high_s16(xl), vget_high_s16(wl));
  acc = vmlal_s16(acc, vget_low_s16(xh), vget_low_s16(wh));
  return vmlal_s16(acc, vget_high_s16(xh), vget_high_s16(wh));
}

/* The input bytes of four 1x4 blocks, gathered into one vector. */
EK_NEON_INLINE int8x16_t ek_sp_gather4(const int8_t *x, const uint16_t *cols) {
  int32_t v[4];
  for (size_t i = 0; i < 4; ++i) memcpy(&v[i], x + 4 * (size_t)cols[i], 4);
  return vreinterpretq_s8_s32(vld1q_s32(v));
}

EK_NEON_INLINE uint32_t ek_sp_row_b1x4(const int8_t *x, const uint16_t *cols,
                                       const int8_t *values, size_t nblocks, int32_t zero_point) {
  const int16x8_t zp = vdupq_n_s16((int16_t)zero_point);
  int32x4_t acc = vdupq_n_s32(0);
  size_t b = 0;
  for (; b + 4 <= nblocks; b += 4) {
    acc = ek_sp_mlal16(acc, ek_sp_gather4(x, cols + b), vld1q_s8(values + 4 * b), zp);
  }
  uint32_t total = (uint32_t)vaddvq_s32(acc);
  for (; b < nblocks; ++b) {
    const int8_t *xs = x + 4 * (size_t)cols[b];
    const int8_t *ws = values + 4 * b;
    for (size_t i = 0; i < 4; ++i) total += (uint32_t)((int32_t)ws[i] * ((int32_t)xs[i] - zero_point));
  }
  return total;
}

EK_NEON_INLINE uint32_t ek_sp_row_b1x16(const int8_t *x, const uint16_t *cols,
                                        const int8_t *values, size_t nblocks, int32_t zero_point) {
  const int16x8_t zp = vdupq_n_s16((int16_t)zero_point);
  int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
  size_t b = 0;
  for (; b + 2 <= nblocks; b += 2) {
    acc0 = ek_sp_mlal16(acc0, vld1q_s8(x + 16 * (size_t)cols[b]), vld1q_s8(values + 16 * b), zp);
    acc1 = ek_sp_mlal16(acc1, vld1q_s8(x + 16 * (size_t)cols[b + 1]), vld1q_s8(values + 16 * b + 16), zp);
  }
  if (b < nblocks) {
    acc0 = ek_sp_mlal16(acc0, vld1q_s8(x + 16 * (size_t)cols[b]), vld1q_s8(values + 16 * b), zp);
  }
  return (uint32_t)vaddvq_s32(vaddq_s32(acc0, acc1));
}

EK_BSR_DEFINE(, neon, 4, ek_sp_row_b1x4)
EK_BSR_DEFINE_CONV1X1(, neon, 16, ek_sp_row_b1x16)

/*
 * Fully connected, blocks of 16, balanced rows (every feature holds the same number of
 * blocks, as `edgepack pack --prune-pattern rows1x16` writes them): the input row is widened
 * once to int16 x - zp on the stack, then four features advance in lockstep, block t of
 * feature j at block_col[(oc + j) * nb + t], their sums in four registers, so the loop's trip
 * count is the layer's block count per row rather than a feature's (no branch per feature).
 * Other layers, and rows longer than EK_SPFC_NEON_MAX_K, run the loop per feature.
 * |w * (x - zp)| <= 128 * 255 and a lane adds at most EK_SPFC_NEON_MAX_K / 4 of them: exact.
 */
#define EK_SPFC_NEON_MAX_K 4096

static int ek_spfc_balanced_rows(const uint32_t *rp, size_t n) {
  const uint32_t nb = rp[1];
  for (size_t o = 0; o <= n; ++o) {
    if (rp[o] != (uint32_t)o * nb) return 0;
  }
  return 1;
}

EK_NEON_INLINE int32x4_t ek_spfc_mlal16(int32x4_t acc, const int16_t *x, const int8_t *v) {
  const int8x16_t w = vld1q_s8(v);
  const int16x8_t wl = vmovl_s8(vget_low_s8(w)), wh = vmovl_s8(vget_high_s8(w));
  const int16x8_t xl = vld1q_s16(x), xh = vld1q_s16(x + 8);
  acc = vmlal_s16(acc, vget_low_s16(xl), vget_low_s16(wl));
  acc = vmlal_s16(acc, vget_high_s16(xl), vget_high_s16(wl));
  acc = vmlal_s16(acc, vget_low_s16(xh), vget_low_s16(wh));
  return vmlal_s16(acc, vget_high_s16(xh), vget_high_s16(wh));
}

static void ek_spfc_rows16(const ek_fc_shape *shape, const ek_qs8_fc_params *params, const int8_t *input,
                           const ek_qs8_bsr *weights, const int32_t *bias, int8_t *output) {
  int16_t xs[EK_SPFC_NEON_MAX_K] __attribute__((aligned(16)));
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  const size_t nb = weights->row_ptr[1];
  const int16x8_t zp = vdupq_n_s16((int16_t)params->input_zero_point);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    int8_t *y = output + b * n;
    for (size_t i = 0; i < k; i += 16) {
      const int8x16_t v = vld1q_s8(x + i);
      vst1q_s16(xs + i, vsubq_s16(vmovl_s8(vget_low_s8(v)), zp));
      vst1q_s16(xs + i + 8, vsubq_s16(vmovl_s8(vget_high_s8(v)), zp));
    }
    for (size_t oc = 0; oc < n; oc += 4) {
      const size_t nr = n - oc < 4 ? n - oc : 4;
      const uint16_t *cols = weights->block_col + oc * nb;
      const int8_t *v = weights->values + oc * nb * 16;
      int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
      if (nr == 4) {
        for (size_t t = 0; t < nb; ++t) {
          acc[0] = ek_spfc_mlal16(acc[0], xs + 16 * (size_t)cols[t], v + 16 * t);
          acc[1] = ek_spfc_mlal16(acc[1], xs + 16 * (size_t)cols[nb + t], v + 16 * (nb + t));
          acc[2] = ek_spfc_mlal16(acc[2], xs + 16 * (size_t)cols[2 * nb + t], v + 16 * (2 * nb + t));
          acc[3] = ek_spfc_mlal16(acc[3], xs + 16 * (size_t)cols[3 * nb + t], v + 16 * (3 * nb + t));
        }
      } else {
        for (size_t j = 0; j < nr; ++j) {
          for (size_t t = 0; t < nb; ++t) {
            acc[j] = ek_spfc_mlal16(acc[j], xs + 16 * (size_t)cols[j * nb + t], v + 16 * (j * nb + t));
          }
        }
      }
      for (size_t j = 0; j < nr; ++j) {
        const uint32_t sum = (uint32_t)vaddvq_s32(acc[j]) + (uint32_t)(bias != NULL ? bias[oc + j] : 0);
        y[oc + j] = ek_qs8_fc_requantize((int32_t)sum, params->scale[oc + j], params);
      }
    }
  }
}

void ek_qs8_spfc_minmax_b1x16__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params, const int8_t *input,
                                    const ek_qs8_bsr *weights, const int32_t *bias, int8_t *output) {
  if (shape->in_features <= EK_SPFC_NEON_MAX_K && ek_spfc_balanced_rows(weights->row_ptr, (size_t)shape->out_features)) {
    ek_spfc_rows16(shape, params, input, weights, bias, output);
  } else {
    ek_qs8_spfc_drive(shape, params, input, weights, bias, output, 16, ek_sp_row_b1x16);
  }
}

#endif
