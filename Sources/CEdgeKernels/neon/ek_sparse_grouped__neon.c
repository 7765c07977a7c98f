/* AArch64 NEON grouped block-sparse int8 fully connected kernel (see ek_sparse_grouped.h). */
#include "ek_quant.h"
#include "ek_sparse_grouped.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define EK_NEON_INLINE static inline __attribute__((always_inline))

/*
 * Blocks of 8 output features x 2 input features: the group's eight sums live in two int32x4
 * registers; a block is one LD2 of its 16 weights (deinterleaving the two inputs' weights of
 * the 8 features), two widenings and four SMLAL by lane of the input pair (x - zp as int16,
 * widened once per row on the stack). The eight sums are requantized in scalar double
 * arithmetic (ek_qs8_fc_requantize), as the other NEON fc kernels do. Rows longer than
 * EK_GSPFC_NEON_MAX_K form each pair from the int8 input instead.
 */
#define EK_GSPFC_NEON_MAX_K 4096

EK_NEON_INLINE int16x4_t ek_gs_pair_neon(const int16_t *xs, const int8_t *x, size_t c, int32_t zp) {
  if (xs != NULL) return vreinterpret_s16_s32(vld1_dup_s32((const int32_t *)(const void *)(xs + 2 * c)));
  const int16_t p[4] = {(int16_t)((int32_t)x[2 * c] - zp), (int16_t)((int32_t)x[2 * c + 1] - zp), 0, 0};
  return vld1_s16(p);
}

EK_NEON_INLINE void ek_gs_row_neon(const int16_t *xs, const int8_t *x, const ek_qs8_fc_params *params,
                                   const ek_qs8_gbsr *w, const int32_t *bias, size_t n, int8_t *y) {
  const int32_t zp = params->input_zero_point;
  for (size_t g = 0, o = 0; o < n; ++g, o += 8) {
    int32x4_t lo = vdupq_n_s32(0), hi = vdupq_n_s32(0);
    for (uint32_t b = w->group_ptr[g]; b < w->group_ptr[g + 1]; ++b) {
      const int16x4_t xp = ek_gs_pair_neon(xs, x, w->block_col[b], zp);
      const int8x8x2_t wv = vld2_s8(w->values + 16 * (size_t)b);
      const int16x8_t w0 = vmovl_s8(wv.val[0]), w1 = vmovl_s8(wv.val[1]);
      lo = vmlal_lane_s16(lo, vget_low_s16(w0), xp, 0);
      hi = vmlal_lane_s16(hi, vget_high_s16(w0), xp, 0);
      lo = vmlal_lane_s16(lo, vget_low_s16(w1), xp, 1);
      hi = vmlal_lane_s16(hi, vget_high_s16(w1), xp, 1);
    }
    int32_t sums[8];
    vst1q_s32(sums, lo);
    vst1q_s32(sums + 4, hi);
    const size_t nr = n - o < 8 ? n - o : 8;
    for (size_t j = 0; j < nr; ++j) {
      /* Unsigned: the reference's int32 accumulation modulo 2^32. */
      const uint32_t acc = (uint32_t)sums[j] + (uint32_t)(bias != NULL ? bias[o + j] : 0);
      y[o + j] = ek_qs8_fc_requantize((int32_t)acc, params->scale[o + j], params);
    }
  }
}

void ek_qs8_gspfc_minmax_8x2__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const ek_qs8_gbsr *weights,
                                   const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  if (k > EK_GSPFC_NEON_MAX_K) {
    for (size_t b = 0; b < (size_t)shape->batch; ++b) {
      ek_gs_row_neon(NULL, input + b * k, params, weights, bias, n, output + b * n);
    }
    return;
  }
  int16_t xs[EK_GSPFC_NEON_MAX_K + 16] __attribute__((aligned(16)));
  const int16x8_t zp = vdupq_n_s16((int16_t)params->input_zero_point);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    /* Lanes past k are never read; the last load over-reads x within EK_EXTRA_BYTES. */
    for (size_t i = 0; i < k; i += 16) {
      const int8x16_t v = vld1q_s8(x + i);
      vst1q_s16(xs + i, vsubq_s16(vmovl_s8(vget_low_s8(v)), zp));
      vst1q_s16(xs + i + 8, vsubq_s16(vmovl_s8(vget_high_s8(v)), zp));
    }
    ek_gs_row_neon(xs, x, params, weights, bias, n, output + b * n);
  }
}

#endif
