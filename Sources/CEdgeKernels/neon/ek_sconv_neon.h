/*
 * ek_sconv_neon.h: what the two NEON eight-pixel tiles for few input channels share besides
 * their multiply loops (neon/ek_sconv__neon.c, neon/ek_sconv__neondot.c; private to the neon/
 * files; baseline AArch64 Advanced SIMD, always inlined): the requantization of one
 * 8-channel block and the store of one pixel's channels.
 */
#ifndef EK_SCONV_NEON_H
#define EK_SCONV_NEON_H

#include "ek_requant_neon.h"

/* One 8-channel block's per-channel requantization (two halves) and the output clamp. */
typedef struct ek_sconv_requant8 {
  ek_requant4 q[2];
  int32x4_t out_zp, out_min, out_max;
} ek_sconv_requant8;

EK_NEON_INLINE ek_sconv_requant8 ek_sconv_requant8_load(const int32_t *mq, const int32_t *sq,
                                                        const ek_qs8_requant_params *p) {
  return (ek_sconv_requant8){{ek_requant4_load(mq, sq), ek_requant4_load(mq + 4, sq + 4)},
                             vdupq_n_s32(p->output_zero_point),
                             vdupq_n_s32(p->output_min),
                             vdupq_n_s32(p->output_max)};
}

/* Requantizes one pixel's eight channels and stores the first nr at o. */
EK_NEON_INLINE void ek_sconv_store8(const int32x4_t a[2], const ek_sconv_requant8 *r, size_t nr,
                                    int8_t *o) {
  const int8x8_t y =
      ek_requant_pack8(ek_requant4_apply(a[0], &r->q[0], r->out_zp, r->out_min, r->out_max),
                       ek_requant4_apply(a[1], &r->q[1], r->out_zp, r->out_min, r->out_max));
  if (nr == 8) {
    vst1_s8(o, y);
  } else {
    int8_t tmp[8];
    vst1_s8(tmp, y);
    memcpy(o, tmp, nr);
  }
}

#endif
