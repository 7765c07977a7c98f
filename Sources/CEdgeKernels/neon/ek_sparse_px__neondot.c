/*
 * AArch64 NEON + dot product (SDOT) pixel-panel sparse 1x1 convolution (see ek_sparse_px.h).
 *
 * Panel: per group of four input channels, EK_SPCONV_PX words holding a pixel's four raw int8
 * inputs; one SDOT of four pixels' words with a broadcast 1x4 weight block adds sum(w * x)
 * per pixel. sum(w * (x - zp)) = sum(w * x) - zp * sum(w) modulo 2^32, so each output
 * channel starts from bias - zp * (its row's weight sum).
 */
#include "ek_sparse_px.h"

#if defined(__aarch64__)
#include "ek_sparse_px_neon.h"

#define EK_NEONDOT EK_TARGET("dotprod")
#define EK_NEONDOT_INLINE static inline __attribute__((always_inline)) EK_NEONDOT

/* Panel words of channel groups [0, c16 / 4) for pixels [g, g + 4): a 4x4 transpose of 32-bit
 * words (two rounds of zipping row i with row i + 2). Reads past the last pixel's channels by
 * less than 16 bytes. */
EK_NEONDOT_INLINE void ek_px_pack4(const int8_t *const rows[4], size_t c16, int8_t *panel) {
  for (size_t c0 = 0; c0 < c16; c0 += 16) {
    int32x4_t r[4], s[4];
    for (size_t i = 0; i < 4; ++i) r[i] = vreinterpretq_s32_s8(vld1q_s8(rows[i] + c0));
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < 2; ++i) {
        s[2 * i] = vzip1q_s32(r[i], r[i + 2]);
        s[2 * i + 1] = vzip2q_s32(r[i], r[i + 2]);
      }
      for (size_t i = 0; i < 4; ++i) r[i] = s[i];
    }
    for (size_t k = 0; k < 4; ++k) vst1q_s8(panel + (c0 / 4 + k) * EK_PX * 4, vreinterpretq_s8_s32(r[k]));
  }
}

EK_NEONDOT_INLINE void ek_px_rows(size_t n, const ek_qs8_bsr *wt, size_t bw, const int8_t *panel,
                                  const int32_t *start, const ek_qs8_requant_params *params,
                                  int8_t *stage) {
  for (size_t o = 0; o < n; ++o) {
    int32x4_t acc[8];
    for (size_t i = 0; i < 8; ++i) acc[i] = vdupq_n_s32(start[o]);
    const uint32_t end = wt->row_ptr[o + 1];
    for (uint32_t b = wt->row_ptr[o]; b < end; ++b) {
      for (size_t g = 0; g < bw; g += 4) {
        const int8_t *pp = panel + ((size_t)wt->block_col[b] * bw + g) * EK_PX;
        int32_t word;
        memcpy(&word, wt->values + (size_t)b * bw + g, 4);
        const int8x16_t w = vreinterpretq_s8_s32(vdupq_n_s32(word));
        for (size_t v = 0; v < 8; ++v) acc[v] = vdotq_s32(acc[v], vld1q_s8(pp + 16 * v), w);
      }
    }
    ek_px_stage_row(acc, o, params, stage);
  }
}

EK_NEONDOT void ek_qs8_spconv1x1_minmax_px32__neondot(const ek_fc_shape *shape,
                                                      const ek_qs8_requant_params *params,
                                                      const int8_t *input,
                                                      const ek_qs8_bsr *weights,
                                                      const int32_t *bias, int8_t *output,
                                                      void *scratch) {
  const size_t pixels = (size_t)shape->batch, c = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features, bw = (size_t)weights->block_w;
  const size_t c16 = (c + 15) & ~(size_t)15, o16 = (n + 15) & ~(size_t)15;
  int8_t *panel = (int8_t *)ek_px_align64((uint8_t *)scratch);
  int8_t *stage = (int8_t *)ek_px_align64((uint8_t *)(panel + c16 * EK_PX));
  int32_t *start = (int32_t *)ek_px_align64((uint8_t *)(stage + o16 * EK_PX));
  int8_t *zprow = (int8_t *)ek_px_align64((uint8_t *)(start + n));
  memset(zprow, (int)(int8_t)params->input_zero_point, c16);
  const uint32_t zp = (uint32_t)params->input_zero_point;
  for (size_t o = 0; o < n; ++o) {
    uint32_t sum = 0;
    for (size_t i = weights->row_ptr[o] * bw; i < weights->row_ptr[o + 1] * bw; ++i) {
      sum += (uint32_t)(int32_t)weights->values[i];
    }
    start[o] = (int32_t)((uint32_t)(bias != NULL ? bias[o] : 0) - zp * sum);
  }
  for (size_t p0 = 0; p0 < pixels; p0 += EK_PX) {
    const size_t np = pixels - p0 < EK_PX ? pixels - p0 : EK_PX;
    const int8_t *x = input + p0 * c;
    for (size_t g = 0; g < EK_PX; g += 4) {
      const int8_t *rows[4];
      for (size_t i = 0; i < 4; ++i) rows[i] = g + i < np ? x + (g + i) * c : zprow;
      ek_px_pack4(rows, c16, panel + g * 4);
    }
    if (bw == 4) {
      ek_px_rows(n, weights, 4, panel, start, params, stage);
    } else {
      ek_px_rows(n, weights, 16, panel, start, params, stage);
    }
    for (size_t o0 = 0; o0 < n; o0 += 16) ek_px_unstage16(stage, o0, n, np, output + p0 * n);
  }
}

#endif
