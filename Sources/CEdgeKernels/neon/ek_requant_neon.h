/*
 * ek_requant_neon.h: TFLite's per-channel int8 requantization on four int32 lanes, bit-exact
 * with ek_mbqm (private to the neon/ files; baseline AArch64 Advanced SIMD, always inlined).
 *
 * SQRDMULH is gemmlowp's SaturatingRoundingDoublingHighMul (gemmlowp's own NEON path uses
 * it); the rounding right shift is gemmlowp's RoundingDivideByPOT for NEON: add -1 to
 * negative values when shifting (saturating, so INT32_MIN stays exact), then SRSHL, which
 * rounds ties upwards, giving ties away from zero.
 */
#ifndef EK_REQUANT_NEON_H
#define EK_REQUANT_NEON_H

#include "ek_conv.h"

#include <arm_neon.h>
#include <string.h>

#define EK_NEON_INLINE static inline __attribute__((always_inline))

/* left = max(shift, 0) and right_neg = min(shift, 0), i.e. -right as an SRSHL amount. */
typedef struct ek_requant4 {
  int32x4_t multiplier, left, right_neg;
} ek_requant4;

EK_NEON_INLINE ek_requant4 ek_requant4_load(const int32_t *multiplier, const int32_t *shift) {
  const int32x4_t s = vld1q_s32(shift);
  return (ek_requant4){vld1q_s32(multiplier), vmaxq_s32(s, vdupq_n_s32(0)),
                       vminq_s32(s, vdupq_n_s32(0))};
}

/* clamp(mbqm(x) + output_zero_point, output_min, output_max) on four lanes. */
EK_NEON_INLINE int32x4_t ek_requant4_apply(int32x4_t x, const ek_requant4 *q, int32x4_t out_zp,
                                           int32x4_t out_min, int32x4_t out_max) {
  x = vshlq_s32(x, q->left); /* ek_shl: wraps */
  x = vqrdmulhq_s32(x, q->multiplier);
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, q->right_neg), 31);
  x = vrshlq_s32(vqaddq_s32(x, fixup), q->right_neg);
  x = vaddq_s32(x, out_zp);
  return vminq_s32(vmaxq_s32(x, out_min), out_max);
}

/* Eight clamped lanes (two vectors) to eight int8 bytes. */
EK_NEON_INLINE int8x8_t ek_requant_pack8(int32x4_t lo, int32x4_t hi) {
  return vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi)));
}

/* out[c] for c < n; reads and writes exactly n entries of every array. */
EK_NEON_INLINE void ek_qs8_requant_n__neon(size_t n, const int32_t *acc, const int32_t *multiplier,
                                           const int32_t *shift, const ek_qs8_requant_params *p,
                                           int8_t *out) {
  const int32x4_t out_zp = vdupq_n_s32(p->output_zero_point);
  const int32x4_t out_min = vdupq_n_s32(p->output_min);
  const int32x4_t out_max = vdupq_n_s32(p->output_max);
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const ek_requant4 q0 = ek_requant4_load(multiplier + c, shift + c);
    const ek_requant4 q1 = ek_requant4_load(multiplier + c + 4, shift + c + 4);
    const int32x4_t y0 = ek_requant4_apply(vld1q_s32(acc + c), &q0, out_zp, out_min, out_max);
    const int32x4_t y1 = ek_requant4_apply(vld1q_s32(acc + c + 4), &q1, out_zp, out_min, out_max);
    vst1_s8(out + c, ek_requant_pack8(y0, y1));
  }
  if (c < n) {
    int32_t a[8] = {0}, m[8] = {0}, s[8] = {0};
    int8_t o[8];
    memcpy(a, acc + c, (n - c) * sizeof(int32_t));
    memcpy(m, multiplier + c, (n - c) * sizeof(int32_t));
    memcpy(s, shift + c, (n - c) * sizeof(int32_t));
    const ek_requant4 q0 = ek_requant4_load(m, s), q1 = ek_requant4_load(m + 4, s + 4);
    const int32x4_t y0 = ek_requant4_apply(vld1q_s32(a), &q0, out_zp, out_min, out_max);
    const int32x4_t y1 = ek_requant4_apply(vld1q_s32(a + 4), &q1, out_zp, out_min, out_max);
    vst1_s8(o, ek_requant_pack8(y0, y1));
    memcpy(out + c, o, n - c);
  }
}

#endif
