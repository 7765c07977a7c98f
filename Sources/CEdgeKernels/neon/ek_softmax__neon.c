/* AArch64 Advanced SIMD (NEON) softmax kernels (see ek_softmax.h). */
#include "ek_softmax.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <float.h>
#include <string.h>

#include "../ref/ek_size.h"

EK_SIZE_BEGIN

/* The reference's Q12 accumulation (ek_softmax__ref.c). */
#define ACCUMULATION_INTEGER_BITS 12

void ek_qs8_softmax_x1__neon(size_t outer, size_t depth, const ek_qs8_softmax_params *params,
                             const int8_t *input, int8_t *output) {
  const int32_t *table = params->exp_table;
  for (size_t i = 0; i < outer; ++i) {
    const int8_t *x = input + i * depth;
    int8_t *y = output + i * depth;
    int8x16_t m16 = vdupq_n_s8(INT8_MIN);
    size_t c = 0;
    for (; c + 16 <= depth; c += 16) {
      m16 = vmaxq_s8(m16, vld1q_s8(x + c));
    }
    int32_t max = vmaxvq_s8(m16);
    for (; c < depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    /* rdivpot(e, 12) of e >= 0 is (e + 2^11) >> 12 in unsigned arithmetic; int32 additions wrap
     * in any order as the reference's ek_fp_add does in its order. */
    uint32_t sum = 0;
    for (c = 0; c < depth; ++c) {
      sum += ((uint32_t)table[max - x[c]] + (1u << (ACCUMULATION_INTEGER_BITS - 1))) >> ACCUMULATION_INTEGER_BITS;
    }
    int exponent = 0;
    const int32_t reciprocal = ek_qs8_softmax_reciprocal((int32_t)sum, &exponent);
    for (c = 0; c < depth; ++c) {
      y[c] = ek_qs8_softmax_output(reciprocal, exponent, table[max - x[c]]);
    }
  }
}

/* exp(z) for z <= 0, as the AVX2 kernel's (ek_softmax__avx2.c): n = round(z log2 e) by the
 * magic-bias add, 2^n from its low bits, t = z - n ln 2 in two steps, a degree-5 polynomial;
 * results below 2^-126 (z < -87.34) are 0. */
static inline float32x4_t exp_nonpositive(float32x4_t z) {
  const float32x4_t magic_bias = vdupq_n_f32(0x1.8000FEp23f);
  float32x4_t n = vfmaq_f32(magic_bias, z, vdupq_n_f32(0x1.715476p+0f));
  const float32x4_t s = vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(n), 23));
  n = vsubq_f32(n, magic_bias);
  float32x4_t t = vfmaq_f32(z, n, vdupq_n_f32(-0x1.62E43p-1f));
  t = vfmaq_f32(t, n, vdupq_n_f32(0x1.05C61p-29f));
  float32x4_t p = vfmaq_f32(vdupq_n_f32(0x1.573A1Ap-5f), vdupq_n_f32(0x1.0F9F9Cp-7f), t);
  p = vfmaq_f32(vdupq_n_f32(0x1.555A80p-3f), p, t);
  p = vfmaq_f32(vdupq_n_f32(0x1.FFFDC6p-2f), p, t);
  p = vfmaq_f32(vdupq_n_f32(0x1.FFFFF6p-1f), p, t);
  t = vmulq_f32(t, s);
  const float32x4_t f = vfmaq_f32(s, t, p);
  const uint32x4_t underflow = vcltq_f32(z, vdupq_n_f32(-0x1.5D589Ep6f));
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(f), underflow));
}

void ek_f32_softmax_x4__neon(size_t outer, size_t depth, float beta, const float *input,
                             float *output) {
  const size_t tail = depth % 4, body = depth - tail;
  const uint32_t iota[4] = {0, 1, 2, 3};
  const uint32x4_t rest_lanes = vcltq_u32(vld1q_u32(iota), vdupq_n_u32((uint32_t)tail));
  for (size_t i = 0; i < outer; ++i) {
    const float *x = input + i * depth;
    float *y = output + i * depth;
    /* m < v ? v : m by compare-and-select, the reference's comparison (FMAX would differ on
     * NaN). The row's last depth % 4 values go through a buffer padded with -FLT_MAX. */
    float rest[4] = {-FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX};
    memcpy(rest, x + body, tail * sizeof(float));
    float32x4_t m = vld1q_f32(rest);
    for (size_t c = 0; c < body; c += 4) {
      const float32x4_t v = vld1q_f32(x + c);
      m = vbslq_f32(vcltq_f32(m, v), v, m);
    }
    const float32x4_t vmax = vdupq_n_f32(vmaxvq_f32(m));

    float32x4_t sum = vdupq_n_f32(0.0f);
    for (size_t c = 0; c < body; c += 4) {
      const float32x4_t e = exp_nonpositive(vmulq_n_f32(vsubq_f32(vld1q_f32(x + c), vmax), beta));
      vst1q_f32(y + c, e);
      sum = vaddq_f32(sum, e);
    }
    const float32x4_t rest_exp = vreinterpretq_f32_u32(vandq_u32(
        vreinterpretq_u32_f32(exp_nonpositive(vmulq_n_f32(vsubq_f32(vld1q_f32(rest), vmax), beta))),
        rest_lanes));
    sum = vaddq_f32(sum, rest_exp);
    const float32x4_t vsum = vdupq_n_f32(vaddvq_f32(sum));
    for (size_t c = 0; c < body; c += 4) {
      vst1q_f32(y + c, vdivq_f32(vld1q_f32(y + c), vsum));
    }
    vst1q_f32(rest, vdivq_f32(rest_exp, vsum));
    memcpy(y + body, rest, tail * sizeof(float));
  }
}

EK_SIZE_END

#endif
