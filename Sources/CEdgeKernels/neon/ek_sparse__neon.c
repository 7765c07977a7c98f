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
EK_BSR_DEFINE(, neon, 16, ek_sp_row_b1x16)

#endif
