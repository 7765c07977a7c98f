/*
 * ek_conv_c2_avx2.h: the 4x16c2 int8 convolution tile shared by the AVX2 kernel that repacks
 * canonical weights per call (ek_conv__avx2.c) and the one that reads weights packed by
 * edgepack (ek_pconv__avx2.c, layout 2 of FORMAT.md). Both feed it the same operands: per
 * output pixel a row of K int16 input values (zero point already applied) padded to pairs,
 * and per 16-channel block K/2 steps of 16 channels x 2 int16 weights, 32-byte aligned.
 * Private to x86/; every function is AVX2-attributed and inlined into its caller.
 */
#ifndef EK_CONV_C2_AVX2_H
#define EK_CONV_C2_AVX2_H

#include "ek_requant_avx2.h"

/* Output pixels of one tile. */
#define EK_C2_MR 4

EK_AVX2_INLINE __m256i ek_c2_bcast_pair(const int16_t *x) {
  int32_t pair;
  memcpy(&pair, x, sizeof(pair));
  return _mm256_set1_epi32(pair);
}

/* acc[m][h] += sum over kp pairs of rows[m] pair x weight pairs, h < halves (8 channels
 * each). */
EK_AVX2_INLINE void ek_c2_mk_add(size_t kp, const int16_t *const *rows, const int16_t *wp,
                                 const int halves, __m256i acc[EK_C2_MR][2]) {
  const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  for (size_t p = 0; p < kp; ++p, wp += 32) {
    const __m256i w0 = _mm256_load_si256((const __m256i *)wp);
    const __m256i x0 = ek_c2_bcast_pair(r0 + 2 * p), x1 = ek_c2_bcast_pair(r1 + 2 * p);
    const __m256i x2 = ek_c2_bcast_pair(r2 + 2 * p), x3 = ek_c2_bcast_pair(r3 + 2 * p);
    acc[0][0] = _mm256_add_epi32(acc[0][0], _mm256_madd_epi16(x0, w0));
    acc[1][0] = _mm256_add_epi32(acc[1][0], _mm256_madd_epi16(x1, w0));
    acc[2][0] = _mm256_add_epi32(acc[2][0], _mm256_madd_epi16(x2, w0));
    acc[3][0] = _mm256_add_epi32(acc[3][0], _mm256_madd_epi16(x3, w0));
    if (halves == 2) {
      const __m256i w1 = _mm256_load_si256((const __m256i *)(wp + 16));
      acc[0][1] = _mm256_add_epi32(acc[0][1], _mm256_madd_epi16(x0, w1));
      acc[1][1] = _mm256_add_epi32(acc[1][1], _mm256_madd_epi16(x1, w1));
      acc[2][1] = _mm256_add_epi32(acc[2][1], _mm256_madd_epi16(x2, w1));
      acc[3][1] = _mm256_add_epi32(acc[3][1], _mm256_madd_epi16(x3, w1));
    }
  }
}

/* acc[m][h] = the same sums from zero. */
EK_AVX2_INLINE void ek_c2_mk(size_t kp, const int16_t *const *rows, const int16_t *wp,
                             const int halves, __m256i acc[EK_C2_MR][2]) {
  for (size_t m = 0; m < EK_C2_MR; ++m) acc[m][0] = acc[m][1] = _mm256_setzero_si256();
  ek_c2_mk_add(kp, rows, wp, halves, acc);
}

/* Requantizes a 4x16 tile's first mr rows (channels [0, nr)) and stores them. */
EK_AVX2_INLINE void ek_c2_store(__m256i acc[EK_C2_MR][2], size_t mr, size_t nr,
                                         const int32_t *b, const int32_t *m, const int32_t *sh,
                                         const ek_qs8_requant_params *p, int8_t *dst,
                                         size_t stride) {
  const __m256i out_zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(p->output_min);
  const __m256i out_max = _mm256_set1_epi32(p->output_max);
  const __m256i b0 = _mm256_loadu_si256((const __m256i *)b);
  const __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + 8));
  const ek_requant8 q0 = ek_requant8_load(m, sh), q1 = ek_requant8_load(m + 8, sh + 8);
  for (size_t i = 0; i < mr; ++i, dst += stride) {
    const __m256i y0 = ek_requant8_apply(_mm256_add_epi32(acc[i][0], b0), &q0, out_zp, out_min, out_max);
    const __m256i y1 = ek_requant8_apply(_mm256_add_epi32(acc[i][1], b1), &q1, out_zp, out_min, out_max);
    const __m128i h0 = _mm_packs_epi32(_mm256_castsi256_si128(y0), _mm256_extracti128_si256(y0, 1));
    const __m128i h1 = _mm_packs_epi32(_mm256_castsi256_si128(y1), _mm256_extracti128_si256(y1, 1));
    const __m128i y = _mm_packs_epi16(h0, h1);
    if (nr == 16) {
      _mm_storeu_si128((__m128i *)dst, y);
    } else {
      int8_t tmp[16];
      _mm_storeu_si128((__m128i *)tmp, y);
      memcpy(dst, tmp, nr);
    }
  }
}

#endif
