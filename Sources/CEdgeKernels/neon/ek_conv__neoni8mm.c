/* AArch64 NEON + int8 matrix multiply (SMMLA, FEAT_I8MM) Conv2D kernels (see ek_conv_simd.h).
 *
 * SMMLA multiplies a 2x8 int8 matrix (the two 64-bit halves of one register) by the transpose
 * of another 2x8 one and adds the 2x2 int32 product: 32 exact multiply-adds per instruction,
 * twice SDOT's. Operands pair two rows' 8-byte K slices (ZIP1/ZIP2 on 64-bit lanes), so a
 * 4x4 tile takes 8 SMMLA per 16 K bytes where SDOT takes 16, and the 2x2 results already
 * sit in output-row order (no horizontal sums). FEAT_I8MM cores (Armv8.6, optional from
 * Armv8.2) all have FEAT_DotProd, which the level requires too and the weight sums use.
 */
#include "ek_conv_simd.h"

#if defined(__aarch64__)
#include "../common/ek_conv_driver.h"
#include "ek_requant_neon.h"

#define EK_NEONI8MM EK_TARGET("dotprod,i8mm")
#define EK_NEONI8MM_INLINE static inline __attribute__((always_inline)) EK_NEONI8MM

EK_NEONI8MM_INLINE int8x16_t ek_keep_s8(size_t n) {
  const uint8x16_t lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return vreinterpretq_s8_u8(vcltq_u8(lanes, vdupq_n_u8((uint8_t)n)));
}

/* [a[0:8], b[0:8]] and [a[8:16], b[8:16]]: two rows' K slices as one SMMLA operand each. */
EK_NEONI8MM_INLINE int8x16_t ek_pair_lo(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
EK_NEONI8MM_INLINE int8x16_t ek_pair_hi(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

/* sum(w) as SDOT with ones; lanes past k cleared. */
EK_NEONI8MM_INLINE void ek_qs8_conv_wsum(size_t k, const int8_t *const *w4, int32_t *out4) {
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t a[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  for (size_t i = 0; i < k; i += 16) {
    const int8x16_t keep = ek_keep_s8(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < 4; ++j) {
      a[j] = vdotq_s32(a[j], ones, vandq_s8(keep, vld1q_s8(w4[j] + i)));
    }
  }
  vst1q_s32(out4, vpaddq_s32(vpaddq_s32(a[0], a[1]), vpaddq_s32(a[2], a[3])));
}

/* One 16-byte K step of the 4x4 tile: acc[0] = rows 0,1 x weights 0,1, acc[1] = rows 0,1 x
 * weights 2,3, acc[2] = rows 2,3 x weights 0,1, acc[3] = rows 2,3 x weights 2,3, each
 * [r0.w0, r0.w1, r1.w0, r1.w1]. */
EK_NEONI8MM_INLINE void ek_step_4x4(int32x4_t *acc, const int8x16_t *x, const int8x16_t *w) {
  const int8x16_t x01l = ek_pair_lo(x[0], x[1]), x01h = ek_pair_hi(x[0], x[1]);
  const int8x16_t x23l = ek_pair_lo(x[2], x[3]), x23h = ek_pair_hi(x[2], x[3]);
  const int8x16_t w01l = ek_pair_lo(w[0], w[1]), w01h = ek_pair_hi(w[0], w[1]);
  const int8x16_t w23l = ek_pair_lo(w[2], w[3]), w23h = ek_pair_hi(w[2], w[3]);
  acc[0] = vmmlaq_s32(vmmlaq_s32(acc[0], x01l, w01l), x01h, w01h);
  acc[1] = vmmlaq_s32(vmmlaq_s32(acc[1], x01l, w23l), x01h, w23h);
  acc[2] = vmmlaq_s32(vmmlaq_s32(acc[2], x23l, w01l), x23h, w01h);
  acc[3] = vmmlaq_s32(vmmlaq_s32(acc[3], x23l, w23l), x23h, w23h);
}

/* The low 8-byte halves only: a tail of at most 8 bytes needs half the SMMLA. */
EK_NEONI8MM_INLINE void ek_step_4x4_lo(int32x4_t *acc, const int8x16_t *x, const int8x16_t *w) {
  const int8x16_t x01l = ek_pair_lo(x[0], x[1]), x23l = ek_pair_lo(x[2], x[3]);
  const int8x16_t w01l = ek_pair_lo(w[0], w[1]), w23l = ek_pair_lo(w[2], w[3]);
  acc[0] = vmmlaq_s32(acc[0], x01l, w01l);
  acc[1] = vmmlaq_s32(acc[1], x01l, w23l);
  acc[2] = vmmlaq_s32(acc[2], x23l, w01l);
  acc[3] = vmmlaq_s32(acc[3], x23l, w23l);
}

/* 4 rows x 4 weight rows. Full 16-byte steps load both sides as they are; the tail reads one
 * whole step (within the driver's 15-byte over-read) and clears the weight lanes past k, so
 * whatever the rows hold there multiplies zero. */
EK_NEONI8MM_INLINE void ek_qs8_conv_dot_4x4(size_t k, const int8_t *const *rows,
                                            const int8_t *const *w4, int32_t *sums) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const int8x16_t x[4] = {vld1q_s8(rows[0] + i), vld1q_s8(rows[1] + i), vld1q_s8(rows[2] + i),
                            vld1q_s8(rows[3] + i)};
    const int8x16_t w[4] = {vld1q_s8(w4[0] + i), vld1q_s8(w4[1] + i), vld1q_s8(w4[2] + i),
                            vld1q_s8(w4[3] + i)};
    ek_step_4x4(acc, x, w);
  }
  if (i < k) {
    const int8x16_t keep = ek_keep_s8(k - i);
    const int8x16_t x[4] = {vld1q_s8(rows[0] + i), vld1q_s8(rows[1] + i), vld1q_s8(rows[2] + i),
                            vld1q_s8(rows[3] + i)};
    const int8x16_t w[4] = {vandq_s8(keep, vld1q_s8(w4[0] + i)), vandq_s8(keep, vld1q_s8(w4[1] + i)),
                            vandq_s8(keep, vld1q_s8(w4[2] + i)), vandq_s8(keep, vld1q_s8(w4[3] + i))};
    if (k - i <= 8) {
      ek_step_4x4_lo(acc, x, w);
    } else {
      ek_step_4x4(acc, x, w);
    }
  }
  /* Row m's four sums: the matching 64-bit halves of its pair's two accumulators. */
  for (size_t pair = 0; pair < 2; ++pair) {
    const int64x2_t a = vreinterpretq_s64_s32(acc[2 * pair]);
    const int64x2_t b = vreinterpretq_s64_s32(acc[2 * pair + 1]);
    vst1q_s32(sums + 8 * pair, vreinterpretq_s32_s64(vzip1q_s64(a, b)));
    vst1q_s32(sums + 8 * pair + 4, vreinterpretq_s32_s64(vzip2q_s64(a, b)));
  }
}

EK_NEONI8MM_INLINE void ek_qs8_requant(size_t n, const int32_t *acc, const int32_t *multiplier,
                                       const int32_t *shift, const ek_qs8_requant_params *p,
                                       int8_t *out) {
  ek_qs8_requant_n__neon(n, acc, multiplier, shift, p, out);
}

EK_NEONI8MM void ek_qs8_conv2d_minmax_4x4c16__neoni8mm(const ek_conv2d_shape *shape,
                                                       const ek_qs8_requant_params *params,
                                                       const int8_t *input,
                                                       const int8_t *weights,
                                                       const int32_t *bias, int8_t *output) {
  if (!ek_qs8_conv_drive(shape, params, input, weights, bias, output, 4,
                         (uint32_t)params->input_zero_point, ek_qs8_conv_wsum,
                         ek_qs8_conv_dot_4x4, ek_qs8_requant)) {
    ek_qs8_conv2d_minmax_1x1__ref(shape, params, input, weights, bias, output);
  }
}

#endif
