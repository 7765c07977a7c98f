/*
 * ek_sparse_px_neon.h: the NEON pieces shared by the neon and neondot pixel-panel sparse 1x1
 * convolutions (ek_sparse_px.h; private to neon/): requantizing one output channel's
 * EK_SPCONV_PX accumulators into the stage, and the stage back into NHWC.
 */
#ifndef EK_SPARSE_PX_NEON_H
#define EK_SPARSE_PX_NEON_H

#include "ek_requant_neon.h"
#include "ek_sparse_px.h"

#include <stdint.h>

enum { EK_PX = EK_SPCONV_PX };

EK_NEON_INLINE uint8_t *ek_px_align64(uint8_t *p) {
  return (uint8_t *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* Output channel o's 32 accumulators (pixels in order, four per vector) to stage row o. */
EK_NEON_INLINE void ek_px_stage_row(const int32x4_t acc[8], size_t o,
                                    const ek_qs8_requant_params *p, int8_t *stage) {
  const int32x4_t out_zp = vdupq_n_s32(p->output_zero_point);
  const int32x4_t out_min = vdupq_n_s32(p->output_min);
  const int32x4_t out_max = vdupq_n_s32(p->output_max);
  const int32_t s = p->shift[o];
  const ek_requant4 q = {vdupq_n_s32(p->multiplier[o]), vdupq_n_s32(s > 0 ? s : 0),
                         vdupq_n_s32(s < 0 ? s : 0)};
  for (size_t i = 0; i < 8; i += 2) {
    const int32x4_t lo = ek_requant4_apply(acc[i], &q, out_zp, out_min, out_max);
    const int32x4_t hi = ek_requant4_apply(acc[i + 1], &q, out_zp, out_min, out_max);
    vst1_s8(stage + o * EK_PX + 4 * i, ek_requant_pack8(lo, hi));
  }
}

/* Stage rows [o0, o0 + 16) to NHWC, pixels < np and channels < n only: per 16 pixels a 16x16
 * byte transpose (four rounds of zipping row i with row i + 8 rotate the 8 index bits). */
EK_NEON_INLINE void ek_px_unstage16(const int8_t *stage, size_t o0, size_t n, size_t np,
                                    int8_t *out) {
  const size_t m = n - o0 < 16 ? n - o0 : 16;
  for (size_t h = 0; h < EK_PX && h < np; h += 16) {
    int8x16_t r[16], s[16];
    for (size_t i = 0; i < 16; ++i) r[i] = vld1q_s8(stage + (o0 + i) * EK_PX + h);
    for (int round = 0; round < 4; ++round) {
      for (size_t i = 0; i < 8; ++i) {
        s[2 * i] = vzip1q_s8(r[i], r[i + 8]);
        s[2 * i + 1] = vzip2q_s8(r[i], r[i + 8]);
      }
      for (size_t i = 0; i < 16; ++i) r[i] = s[i];
    }
    for (size_t p = 0; p < 16 && h + p < np; ++p) {
      if (m == 16) {
        vst1q_s8(out + (h + p) * n + o0, r[p]);
      } else {
        int8_t tmp[16];
        vst1q_s8(tmp, r[p]);
        memcpy(out + (h + p) * n + o0, tmp, m);
      }
    }
  }
}

#endif
