/* AArch64 NEON + dot product (SDOT) block-sparse int8 kernels (see ek_sparse.h). */
#include "ek_sparse.h"
#include "../common/ek_bsr_driver.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define EK_NEONDOT EK_TARGET("dotprod")
#define EK_NEONDOT_INLINE static inline __attribute__((always_inline)) EK_NEONDOT

/* sum(w * (x - zp)) = sum(w * x) - zp * sum(w) modulo 2^32; SDOT adds four exact int8
 * products per int32 lane, and SDOT with ones gives sum(w). */
EK_NEONDOT_INLINE uint32_t ek_sp_fold(int32x4_t xw, int32x4_t ws, int32_t zero_point) {
  return (uint32_t)vaddvq_s32(xw) - (uint32_t)zero_point * (uint32_t)vaddvq_s32(ws);
}

EK_NEONDOT_INLINE uint32_t ek_sp_row_b1x4(const int8_t *x, const uint16_t *cols,
                                          const int8_t *values, size_t nblocks,
                                          int32_t zero_point) {
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t xw = vdupq_n_s32(0), ws = vdupq_n_s32(0);
  size_t b = 0;
  for (; b + 4 <= nblocks; b += 4) {
    int32_t v[4];
    for (size_t i = 0; i < 4; ++i) memcpy(&v[i], x + 4 * (size_t)cols[b + i], 4);
    const int8x16_t w = vld1q_s8(values + 4 * b);
    xw = vdotq_s32(xw, vreinterpretq_s8_s32(vld1q_s32(v)), w);
    ws = vdotq_s32(ws, ones, w);
  }
  uint32_t total = ek_sp_fold(xw, ws, zero_point);
  for (; b < nblocks; ++b) {
    const int8_t *xs = x + 4 * (size_t)cols[b];
    const int8_t *wv = values + 4 * b;
    for (size_t i = 0; i < 4; ++i) total += (uint32_t)((int32_t)wv[i] * ((int32_t)xs[i] - zero_point));
  }
  return total;
}

EK_NEONDOT_INLINE uint32_t ek_sp_row_b1x16(const int8_t *x, const uint16_t *cols,
                                           const int8_t *values, size_t nblocks,
                                           int32_t zero_point) {
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t xw = vdupq_n_s32(0), ws = vdupq_n_s32(0);
  for (size_t b = 0; b < nblocks; ++b) {
    const int8x16_t w = vld1q_s8(values + 16 * b);
    xw = vdotq_s32(xw, vld1q_s8(x + 16 * (size_t)cols[b]), w);
    ws = vdotq_s32(ws, ones, w);
  }
  return ek_sp_fold(xw, ws, zero_point);
}

EK_BSR_DEFINE(EK_NEONDOT, neondot, 4, ek_sp_row_b1x4)
EK_BSR_DEFINE(EK_NEONDOT, neondot, 16, ek_sp_row_b1x16)

#endif
