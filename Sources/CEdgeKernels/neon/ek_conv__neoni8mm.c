/* AArch64 NEON + int8 matrix multiply (SMMLA, FEAT_I8MM) Conv2D kernels (see ek_conv_simd.h).
 *
 * SMMLA multiplies a 2x8 int8 matrix (the two 64-bit halves of one register) by the transpose
 * of another 2x8 one and adds the 2x2 int32 product: 32 exact multiply-adds per instruction,
 * twice SDOT's. Operands pair two rows' 8-byte K slices (ZIP1/ZIP2 on 64-bit lanes), so a
 * 4x8 tile (4 pixels x 8 output channels) takes 16 SMMLA per 16 K bytes where SDOT would take
 * 32, and the 2x2 results already sit in output-row order (no horizontal sums). FEAT_I8MM
 * cores (Armv8.6, optional from Armv8.2) all have FEAT_DotProd, which the level requires too
 * and the weight sums use.
 *
 * The outer loops are ek_qs8_conv_drive's (ek_conv_driver.h: the same rows, zero-point fold
 * and output-channel blocks) with 8 weight rows per tile instead of 4 and the bias added in
 * vector registers.
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

/* acc[p * 4 + q] += rows (2p, 2p+1) x weight rows (2q, 2q+1), from paired 8-byte slices. */
EK_NEONI8MM_INLINE void ek_mm_4x8(int32x4_t *acc, const int8x16_t *xs, const int8x16_t *ws) {
  for (size_t p = 0; p < 2; ++p) {
    for (size_t q = 0; q < 4; ++q) acc[p * 4 + q] = vmmlaq_s32(acc[p * 4 + q], xs[p], ws[q]);
  }
}

/* One 16-byte K step at offset i (its low 8 bytes only when low_only); weight lanes outside
 * `keep` are cleared, so whatever the rows hold there multiplies zero. */
EK_NEONI8MM_INLINE void ek_step_4x8(int32x4_t *acc, const int8_t *const *rows,
                                    const int8_t *const *w8, size_t i, int8x16_t keep,
                                    int low_only) {
  int8x16_t x[4], w[8], xs[2], ws[4];
  for (size_t m = 0; m < 4; ++m) x[m] = vld1q_s8(rows[m] + i);
  for (size_t j = 0; j < 8; ++j) w[j] = vandq_s8(keep, vld1q_s8(w8[j] + i));
  for (size_t p = 0; p < 2; ++p) xs[p] = ek_pair_lo(x[2 * p], x[2 * p + 1]);
  for (size_t q = 0; q < 4; ++q) ws[q] = ek_pair_lo(w[2 * q], w[2 * q + 1]);
  ek_mm_4x8(acc, xs, ws);
  if (!low_only) {
    for (size_t p = 0; p < 2; ++p) xs[p] = ek_pair_hi(x[2 * p], x[2 * p + 1]);
    for (size_t q = 0; q < 4; ++q) ws[q] = ek_pair_hi(w[2 * q], w[2 * q + 1]);
    ek_mm_4x8(acc, xs, ws);
  }
}

/* out[m][0..8) = dot(rows[m], w8[0..8)) + base[0..8) modulo 2^32, m < 4. The tail reads one
 * whole step (rows: within their 16 bytes of slack or EK_EXTRA_BYTES). */
EK_NEONI8MM_INLINE void ek_qs8_conv_tile_4x8(size_t k, const int8_t *const *rows,
                                             const int8_t *const *w8, const int32_t *base,
                                             int32_t (*out)[EK_CONV_OC_BLOCK], size_t j) {
  int32x4_t acc[8];
  for (size_t t = 0; t < 8; ++t) acc[t] = vdupq_n_s32(0);
  size_t i = 0;
  for (; i + 16 <= k; i += 16) ek_step_4x8(acc, rows, w8, i, vdupq_n_s8(-1), 0);
  if (i < k) ek_step_4x8(acc, rows, w8, i, ek_keep_s8(k - i), k - i <= 8);
  const int32x4_t b0 = vld1q_s32(base + j), b1 = vld1q_s32(base + j + 4);
  for (size_t p = 0; p < 2; ++p) {
    const int64x2_t c0 = vreinterpretq_s64_s32(acc[p * 4]), c1 = vreinterpretq_s64_s32(acc[p * 4 + 1]);
    const int64x2_t c2 = vreinterpretq_s64_s32(acc[p * 4 + 2]), c3 = vreinterpretq_s64_s32(acc[p * 4 + 3]);
    vst1q_s32(out[2 * p] + j, vaddq_s32(vreinterpretq_s32_s64(vzip1q_s64(c0, c1)), b0));
    vst1q_s32(out[2 * p] + j + 4, vaddq_s32(vreinterpretq_s32_s64(vzip1q_s64(c2, c3)), b1));
    vst1q_s32(out[2 * p + 1] + j, vaddq_s32(vreinterpretq_s32_s64(vzip2q_s64(c0, c1)), b0));
    vst1q_s32(out[2 * p + 1] + j + 4, vaddq_s32(vreinterpretq_s32_s64(vzip2q_s64(c2, c3)), b1));
  }
}

EK_NEONI8MM void ek_qs8_conv2d_minmax_4x8c16__neoni8mm(const ek_conv2d_shape *s,
                                                       const ek_qs8_requant_params *p,
                                                       const int8_t *input,
                                                       const int8_t *weights,
                                                       const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c;
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  const int gathers = !(s->kernel_h == 1 && s->kernel_w == 1) || s->pad_top > 0 ||
                      s->pad_left > 0 || (s->out_h - 1) * s->stride_h >= s->in_h ||
                      (s->out_w - 1) * s->stride_w >= s->in_w;
  if (gathers && k > EK_CONV_MAX_GATHER_K) {
    ek_qs8_conv2d_minmax_1x1__ref(s, p, input, weights, bias, output);
    return;
  }
  int8_t buf[4][EK_CONV_MAX_GATHER_K + 16] __attribute__((aligned(64)));
  /* Whole 8-channel tiles read base and fill acc past nb; those lanes are never requantized. */
  int32_t base[EK_CONV_OC_BLOCK] = {0};
  int32_t acc[4][EK_CONV_OC_BLOCK];
  const int8_t zp = (int8_t)p->input_zero_point;
  const uint32_t offset = (uint32_t)p->input_zero_point;
  for (size_t oc0 = 0; oc0 < n; oc0 += EK_CONV_OC_BLOCK) {
    const size_t nb = n - oc0 < EK_CONV_OC_BLOCK ? n - oc0 : EK_CONV_OC_BLOCK;
    const int8_t *w_row[EK_CONV_OC_BLOCK + 8];
    for (size_t j = 0; j < nb + 8; ++j) w_row[j] = weights + (oc0 + (j < nb ? j : nb - 1)) * k;
    for (size_t j = 0; j < nb; j += 4) {
      int32_t ws[4];
      ek_qs8_conv_wsum(k, w_row + j, ws);
      for (size_t t = 0; t < 4 && j + t < nb; ++t) {
        const uint32_t b = bias != NULL ? (uint32_t)bias[oc0 + j + t] : 0u;
        base[j + t] = (int32_t)(b - offset * (uint32_t)ws[t]);
      }
    }
    for (size_t b = 0; b < (size_t)s->batch; ++b) {
      const int8_t *image = input + b * image_bytes;
      int8_t *out_image = output + b * pixels * n;
      for (size_t p0 = 0; p0 < pixels; p0 += 4) {
        const size_t mr = pixels - p0 < 4 ? pixels - p0 : 4;
        const int8_t *rows[4];
        for (size_t m = 0; m < 4; ++m) {
          const size_t pix = p0 + (m < mr ? m : mr - 1);
          rows[m] = m < mr ? ek_qs8_conv_row(s, image, (int32_t)(pix / (size_t)s->out_w),
                                             (int32_t)(pix % (size_t)s->out_w), zp, buf[m])
                           : rows[mr - 1];
        }
        for (size_t j = 0; j < nb; j += 8) ek_qs8_conv_tile_4x8(k, rows, w_row + j, base, acc, j);
        for (size_t m = 0; m < mr; ++m) {
          ek_qs8_requant_n__neon(nb, acc[m], p->multiplier + oc0, p->shift + oc0, p,
                                 out_image + (p0 + m) * n + oc0);
        }
      }
    }
  }
}

#endif
