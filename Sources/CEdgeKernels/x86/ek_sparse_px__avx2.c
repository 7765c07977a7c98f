/*
 * AVX2 pixel-panel sparse 1x1 convolution (see ek_sparse_px.h).
 *
 * Panel: for each pair of input channels (2j, 2j + 1), EK_SPCONV_PX int32 words, word p
 * holding pixel p's (x[2j] - zp, x[2j + 1] - zp) as two int16: one vpmaddwd with a broadcast
 * int16 weight pair (w[o][2j], w[o][2j + 1]) adds both products for eight pixels. A 1x4 block
 * is two pairs, a 1x16 block eight. The int16 pair sums cannot overflow
 * (|w| <= 128, |x - zp| <= 255).
 */
#include "ek_sparse_px.h"

#if defined(__x86_64__)
#include "ek_conv_c2_avx2.h"

#include <stdint.h>

enum { PX = EK_SPCONV_PX };

static inline uint8_t *ek_px_align64(uint8_t *p) {
  return (uint8_t *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* Panel words of pixels [g, g + 8) for channels [0, c16): eight input rows widened to int16
 * minus the zero point, then an 8x8 transpose of 32-bit pairs. Rows past the tile's pixels
 * point at a row of zero points, giving zero pairs. Reads 16 bytes per row and channel group:
 * past the last pixel's channels by less than 16 bytes. */
EK_AVX2_INLINE void ek_px_pack8(const int8_t *const rows[8], size_t c16, __m256i zp16,
                                int32_t *panel) {
  for (size_t c0 = 0; c0 < c16; c0 += 16) {
    __m256i r[8];
    for (size_t i = 0; i < 8; ++i) {
      r[i] = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(rows[i] + c0))), zp16);
    }
    ek_transpose8x8_epi32(r);
    int32_t *dst = panel + (c0 / 2) * PX;
    for (size_t i = 0; i < 8; ++i) _mm256_store_si256((__m256i *)(dst + i * PX), r[i]);
  }
}

/* Output channel rows [o0, o0 + 16) of the stage (row o = PX pixels' int8 results) back to
 * NHWC: a 16x16 byte transpose per 128-bit lane (four rounds of interleaving row i with
 * row i + 8 rotate the 8 index bits by one each), pixel R in lane 0, pixel 16 + R in lane 1.
 * Stores only pixels < np and channels < n. */
EK_AVX2_INLINE void ek_px_unstage16(const int8_t *stage, size_t o0, size_t n, size_t np,
                                    int8_t *out) {
  __m256i r[16], s[16];
  for (size_t i = 0; i < 16; ++i) r[i] = _mm256_load_si256((const __m256i *)(stage + (o0 + i) * PX));
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < 8; ++i) {
      s[2 * i] = _mm256_unpacklo_epi8(r[i], r[i + 8]);
      s[2 * i + 1] = _mm256_unpackhi_epi8(r[i], r[i + 8]);
    }
    for (size_t i = 0; i < 16; ++i) r[i] = s[i];
  }
  const size_t m = n - o0 < 16 ? n - o0 : 16;
  for (size_t p = 0; p < 16 && p < np; ++p) {
    const __m128i lo = _mm256_castsi256_si128(r[p]);
    if (m == 16) {
      _mm_storeu_si128((__m128i *)(out + p * n + o0), lo);
    } else {
      int8_t tmp[16];
      _mm_storeu_si128((__m128i *)tmp, lo);
      memcpy(out + p * n + o0, tmp, m);
    }
  }
  for (size_t p = 16; p < PX && p < np; ++p) {
    const __m128i hi = _mm256_extracti128_si256(r[p - 16], 1);
    if (m == 16) {
      _mm_storeu_si128((__m128i *)(out + p * n + o0), hi);
    } else {
      int8_t tmp[16];
      _mm_storeu_si128((__m128i *)tmp, hi);
      memcpy(out + p * n + o0, tmp, m);
    }
  }
}

/* Four vectors of eight clamped int32 (pixels 0..31 in order) to 32 int8. */
EK_AVX2_INLINE __m256i ek_px_pack32(__m256i y0, __m256i y1, __m256i y2, __m256i y3) {
  const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(y0, y1), _mm256_packs_epi32(y2, y3));
  return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* The sparse rows over one panel into the stage; block width bw is a constant after inlining. */
EK_AVX2_INLINE void ek_px_rows(size_t n, const ek_qs8_bsr *w, const int16_t *wide, size_t bw,
                               const int32_t *panel, const int32_t *bias,
                               const ek_qs8_requant_params *params, int8_t *stage) {
  const __m256i out_zp = _mm256_set1_epi32(params->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(params->output_min);
  const __m256i out_max = _mm256_set1_epi32(params->output_max);
  const size_t pairs = bw / 2;
  for (size_t o = 0; o < n; ++o) {
    const __m256i b0 = _mm256_set1_epi32(bias != NULL ? bias[o] : 0);
    __m256i a0 = b0, a1 = b0, a2 = b0, a3 = b0;
    const uint32_t end = w->row_ptr[o + 1];
    for (uint32_t b = w->row_ptr[o]; b < end; ++b) {
      const int32_t *pp = panel + (size_t)w->block_col[b] * pairs * PX;
      const int16_t *wp = wide + (size_t)b * bw;
      for (size_t k = 0; k < pairs; ++k) {
        int32_t pair;
        memcpy(&pair, wp + 2 * k, 4);
        const __m256i wv = _mm256_set1_epi32(pair);
        const int32_t *q = pp + k * PX;
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(q + 0)), wv));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(q + 8)), wv));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(q + 16)), wv));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(q + 24)), wv));
      }
    }
    const int32_t s = params->shift[o];
    const ek_requant8 rq = {_mm256_set1_epi32(params->multiplier[o]), _mm256_set1_epi32(s > 0 ? s : 0),
                            _mm256_set1_epi32(s < 0 ? -s : 0)};
    const __m256i y = ek_px_pack32(ek_requant8_apply(a0, &rq, out_zp, out_min, out_max),
                                   ek_requant8_apply(a1, &rq, out_zp, out_min, out_max),
                                   ek_requant8_apply(a2, &rq, out_zp, out_min, out_max),
                                   ek_requant8_apply(a3, &rq, out_zp, out_min, out_max));
    _mm256_store_si256((__m256i *)(stage + o * PX), y);
  }
}

EK_AVX2 void ek_qs8_spconv1x1_minmax_px32__avx2(const ek_fc_shape *shape,
                                                const ek_qs8_requant_params *params,
                                                const int8_t *input, const ek_qs8_bsr *weights,
                                                const int32_t *bias, int8_t *output,
                                                void *scratch) {
  const size_t pixels = (size_t)shape->batch, c = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features, bw = (size_t)weights->block_w;
  const size_t c16 = (c + 15) & ~(size_t)15, o16 = (n + 15) & ~(size_t)15;
  const size_t values = (size_t)weights->row_ptr[n] * bw;
  int32_t *panel = (int32_t *)ek_px_align64((uint8_t *)scratch);
  int8_t *stage = (int8_t *)ek_px_align64((uint8_t *)(panel + c16 / 2 * PX));
  int16_t *wide = (int16_t *)ek_px_align64((uint8_t *)(stage + o16 * PX));
  int8_t *zprow = (int8_t *)ek_px_align64((uint8_t *)(wide + values + 16));
  memset(zprow, (int)(int8_t)params->input_zero_point, c16);
  for (size_t i = 0; i < values; i += 16) {
    _mm256_store_si256((__m256i *)(wide + i),
                       _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(weights->values + i))));
  }
  const __m256i zp16 = _mm256_set1_epi16((short)params->input_zero_point);
  for (size_t p0 = 0; p0 < pixels; p0 += PX) {
    const size_t np = pixels - p0 < PX ? pixels - p0 : PX;
    const int8_t *x = input + p0 * c;
    for (size_t g = 0; g < PX; g += 8) {
      const int8_t *rows[8];
      for (size_t i = 0; i < 8; ++i) rows[i] = g + i < np ? x + (g + i) * c : zprow;
      ek_px_pack8(rows, c16, zp16, panel + g);
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
