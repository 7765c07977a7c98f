/* AArch64 Advanced SIMD elementwise qs8 Add (see ek_binary.h), eight elements per step. */
#include "ek_binary.h"

#if defined(__aarch64__)
#include "ek_requant_neon.h"

/* ek_mbqm_smaller_than_one on four lanes (right_neg = shift <= 0), as ek_requant4_apply. */
EK_NEON_INLINE int32x4_t ek_mbqm4_right(int32x4_t x, int32x4_t multiplier, int32x4_t right_neg) {
  x = vqrdmulhq_s32(x, multiplier);
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, right_neg), 31);
  return vrshlq_s32(vqaddq_s32(x, fixup), right_neg);
}

typedef struct ek_add4 {
  int32x4_t a_offset, b_offset, left, a_mult, a_shift, b_mult, b_shift, o_mult, o_shift;
  int32x4_t o_offset, o_min, o_max;
} ek_add4;

EK_NEON_INLINE int32x4_t ek_qs8_add4(const ek_add4 *q, int16x4_t a, int16x4_t b) {
  const int32x4_t sa = vshlq_s32(vaddq_s32(vmovl_s16(a), q->a_offset), q->left);
  const int32x4_t sb = vshlq_s32(vaddq_s32(vmovl_s16(b), q->b_offset), q->left);
  const int32x4_t sum = vaddq_s32(ek_mbqm4_right(sa, q->a_mult, q->a_shift),
                                  ek_mbqm4_right(sb, q->b_mult, q->b_shift));
  const int32x4_t y = vaddq_s32(ek_mbqm4_right(sum, q->o_mult, q->o_shift), q->o_offset);
  return vminq_s32(vmaxq_s32(y, q->o_min), q->o_max);
}

EK_NEON_INLINE int8x8_t ek_qs8_add8(const ek_add4 *q, int8x8_t a, int8x8_t b) {
  const int16x8_t wa = vmovl_s8(a), wb = vmovl_s8(b);
  return ek_requant_pack8(ek_qs8_add4(q, vget_low_s16(wa), vget_low_s16(wb)),
                          ek_qs8_add4(q, vget_high_s16(wa), vget_high_s16(wb)));
}

/* n elements of one row; a_step/b_step are 1 (dense) or 0 (one value broadcast). */
EK_NEON_INLINE void ek_qs8_add_row(const ek_add4 *q, size_t n, const int8_t *a, size_t a_step,
                                   const int8_t *b, size_t b_step, int8_t *out) {
  const int8x8_t a1 = vdup_n_s8(a[0]), b1 = vdup_n_s8(b[0]);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int8x8_t va = a_step ? vld1_s8(a + i) : a1;
    const int8x8_t vb = b_step ? vld1_s8(b + i) : b1;
    vst1_s8(out + i, ek_qs8_add8(q, va, vb));
  }
  if (i < n) {
    int8_t ta[8] = {0}, tb[8] = {0}, to[8];
    memcpy(ta, a_step ? a + i : a, a_step ? n - i : 1);
    memcpy(tb, b_step ? b + i : b, b_step ? n - i : 1);
    const int8x8_t va = a_step ? vld1_s8(ta) : a1;
    const int8x8_t vb = b_step ? vld1_s8(tb) : b1;
    vst1_s8(to, ek_qs8_add8(q, va, vb));
    memcpy(out + i, to, n - i);
  }
}

void ek_qs8_add_minmax_x8__neon(const ek_binary_shape *s, const ek_qs8_add_params *p,
                                const int8_t *a, const int8_t *b, int8_t *output) {
  const ek_add4 q = {
      vdupq_n_s32(p->a_offset),          vdupq_n_s32(p->b_offset),
      vdupq_n_s32(p->left_shift),        vdupq_n_s32(p->a_multiplier),
      vdupq_n_s32(p->a_shift),           vdupq_n_s32(p->b_multiplier),
      vdupq_n_s32(p->b_shift),           vdupq_n_s32(p->output_multiplier),
      vdupq_n_s32(p->output_shift),      vdupq_n_s32(p->output_offset),
      vdupq_n_s32(p->output_min),        vdupq_n_s32(p->output_max)};
  const size_t d3 = (size_t)s->dims[3];
  if (s->a_strides[3] > 1 || s->b_strides[3] > 1 || s->a_strides[3] < 0 || s->b_strides[3] < 0) {
    ek_qs8_add_minmax_x1__ref(s, p, a, b, output);
    return;
  }
  if (ek_binary_dense_a_b(s)) {
    const size_t n = (size_t)s->dims[0] * (size_t)s->dims[1] * (size_t)s->dims[2] * d3;
    ek_qs8_add_row(&q, n, a, 1, b, 1, output);
    return;
  }
  size_t out = 0;
  for (int32_t i0 = 0; i0 < s->dims[0]; ++i0) {
    for (int32_t i1 = 0; i1 < s->dims[1]; ++i1) {
      for (int32_t i2 = 0; i2 < s->dims[2]; ++i2, out += d3) {
        const ptrdiff_t ia = (ptrdiff_t)i0 * s->a_strides[0] + (ptrdiff_t)i1 * s->a_strides[1] +
                             (ptrdiff_t)i2 * s->a_strides[2];
        const ptrdiff_t ib = (ptrdiff_t)i0 * s->b_strides[0] + (ptrdiff_t)i1 * s->b_strides[1] +
                             (ptrdiff_t)i2 * s->b_strides[2];
        ek_qs8_add_row(&q, d3, a + ia, (size_t)s->a_strides[3], b + ib, (size_t)s->b_strides[3],
                       output + out);
      }
    }
  }
}

#endif
