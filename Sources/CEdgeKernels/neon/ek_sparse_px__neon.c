/*
 * AArch64 NEON pixel-panel sparse 1x1 convolution (see ek_sparse_px.h).
 *
 * Panel: per input channel, EK_SPCONV_PX int16 values x - zp (one per pixel); each nonzero
 * weight adds w * panel row to 32 pixel accumulators with SMLAL/SMLAL2 by lane.
 */
#include "ek_sparse_px.h"

#if defined(__aarch64__)
#include "ek_sparse_px_neon.h"

/* Panel rows of channels [0, c8) for pixels [g, g + 8): eight input rows (8 bytes per
 * channel group) widened minus the zero point, then an 8x8 int16 transpose (three rounds of
 * zipping row i with row i + 4). Reads past the last pixel's channels by less than 8 bytes. */
EK_NEON_INLINE void ek_px_pack8(const int8_t *const rows[8], size_t c8, int16x8_t zp,
                                int16_t *panel) {
  for (size_t c0 = 0; c0 < c8; c0 += 8) {
    int16x8_t r[8], s[8];
    for (size_t i = 0; i < 8; ++i) r[i] = vsubq_s16(vmovl_s8(vld1_s8(rows[i] + c0)), zp);
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 0; i < 4; ++i) {
        s[2 * i] = vzip1q_s16(r[i], r[i + 4]);
        s[2 * i + 1] = vzip2q_s16(r[i], r[i + 4]);
      }
      for (size_t i = 0; i < 8; ++i) r[i] = s[i];
    }
    for (size_t k = 0; k < 8; ++k) vst1q_s16(panel + (c0 + k) * EK_PX, r[k]);
  }
}

#define EK_PX_MLA(lane)                                                   \
  do {                                                                    \
    const int16_t *q = pp + (lane) * EK_PX;                               \
    for (size_t v = 0; v < 4; ++v) {                                      \
      const int16x8_t x = vld1q_s16(q + 8 * v);                           \
      acc[2 * v] = vmlal_lane_s16(acc[2 * v], vget_low_s16(x), w, lane);  \
      acc[2 * v + 1] = vmlal_high_lane_s16(acc[2 * v + 1], x, w, lane);   \
    }                                                                     \
  } while (0)

EK_NEON_INLINE void ek_px_rows(size_t n, const ek_qs8_bsr *wt, const int16_t *wide, size_t bw,
                               const int16_t *panel, const int32_t *bias,
                               const ek_qs8_requant_params *params, int8_t *stage) {
  for (size_t o = 0; o < n; ++o) {
    int32x4_t acc[8];
    for (size_t i = 0; i < 8; ++i) acc[i] = vdupq_n_s32(bias != NULL ? bias[o] : 0);
    const uint32_t end = wt->row_ptr[o + 1];
    for (uint32_t b = wt->row_ptr[o]; b < end; ++b) {
      for (size_t g = 0; g < bw; g += 4) {
        const int16_t *pp = panel + ((size_t)wt->block_col[b] * bw + g) * EK_PX;
        const int16x4_t w = vld1_s16(wide + (size_t)b * bw + g);
        EK_PX_MLA(0);
        EK_PX_MLA(1);
        EK_PX_MLA(2);
        EK_PX_MLA(3);
      }
    }
    ek_px_stage_row(acc, o, params, stage);
  }
}

void ek_qs8_spconv1x1_minmax_px32__neon(const ek_fc_shape *shape,
                                        const ek_qs8_requant_params *params, const int8_t *input,
                                        const ek_qs8_bsr *weights, const int32_t *bias,
                                        int8_t *output, void *scratch) {
  const size_t pixels = (size_t)shape->batch, c = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features, bw = (size_t)weights->block_w;
  const size_t c8 = (c + 7) & ~(size_t)7, c16 = (c + 15) & ~(size_t)15;
  const size_t o16 = (n + 15) & ~(size_t)15;
  const size_t values = (size_t)weights->row_ptr[n] * bw;
  int16_t *panel = (int16_t *)ek_px_align64((uint8_t *)scratch);
  int8_t *stage = (int8_t *)ek_px_align64((uint8_t *)(panel + c16 * EK_PX));
  int16_t *wide = (int16_t *)ek_px_align64((uint8_t *)(stage + o16 * EK_PX));
  int8_t *zprow = (int8_t *)ek_px_align64((uint8_t *)(wide + values + 16));
  memset(zprow, (int)(int8_t)params->input_zero_point, c16);
  for (size_t i = 0; i < values; i += 8) vst1q_s16(wide + i, vmovl_s8(vld1_s8(weights->values + i)));
  const int16x8_t zp = vdupq_n_s16((int16_t)params->input_zero_point);
  for (size_t p0 = 0; p0 < pixels; p0 += EK_PX) {
    const size_t np = pixels - p0 < EK_PX ? pixels - p0 : EK_PX;
    const int8_t *x = input + p0 * c;
    for (size_t g = 0; g < EK_PX; g += 8) {
      const int8_t *rows[8];
      for (size_t i = 0; i < 8; ++i) rows[i] = g + i < np ? x + (g + i) * c : zprow;
      ek_px_pack8(rows, c8, zp, panel + g);
    }
    if (bw == 4) {
      ek_px_rows(n, weights, wide, 4, panel, bias, params, stage);
    } else {
      ek_px_rows(n, weights, wide, 16, panel, bias, params, stage);
    }
    for (size_t o0 = 0; o0 < n; o0 += 16) ek_px_unstage16(stage, o0, n, np, output + p0 * n);
  }
}

#endif
