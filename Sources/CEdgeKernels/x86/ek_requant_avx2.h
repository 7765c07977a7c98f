/*
 * ek_requant_avx2.h: TFLite's per-channel int8 requantization on eight int32 lanes, bit-exact
 * with ek_mbqm (private to the x86/ *__avx2.c files; every function is AVX2-attributed and
 * inlined into its caller).
 *
 * Needs multiplier >= 0 (ek_quantize_multiplier gives [2^30, 2^31) or 0), so that the
 * gemmlowp high multiply never saturates and equals floor((a * b + 2^30) / 2^31): its
 * "nudge then truncate" rounds ties upwards for both signs, exactly like that floor.
 */
#ifndef EK_REQUANT_AVX2_H
#define EK_REQUANT_AVX2_H

#include "ek_conv.h"

#include <immintrin.h>
#include <string.h>

#define EK_AVX2 EK_TARGET("avx2,fma")
#define EK_AVX2_INLINE static inline __attribute__((always_inline)) EK_AVX2

/* Per-lane requantization constants: left = max(shift, 0), right = max(-shift, 0). */
typedef struct ek_requant8 {
  __m256i multiplier, left, right;
} ek_requant8;

EK_AVX2_INLINE ek_requant8 ek_requant8_load(const int32_t *multiplier, const int32_t *shift) {
  const __m256i s = _mm256_loadu_si256((const __m256i *)shift);
  const __m256i zero = _mm256_setzero_si256();
  return (ek_requant8){_mm256_loadu_si256((const __m256i *)multiplier), _mm256_max_epi32(s, zero),
                       _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero)};
}

/* clamp(mbqm(x) + output_zero_point, output_min, output_max) on eight lanes. */
EK_AVX2_INLINE __m256i ek_requant8_apply(__m256i x, const ek_requant8 *q, __m256i out_zp,
                                         __m256i out_min, __m256i out_max) {
  x = _mm256_sllv_epi32(x, q->left); /* ek_shl: wraps */
  const __m256i half = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, q->multiplier), half);
  const __m256i odd = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(q->multiplier, 32)), half);
  /* Bits 31..62 of each product: low dwords of even >> 31, high dwords of odd << 1. */
  const __m256i high = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  /* ek_rdivpot: shift right, then add one where the remainder passes the threshold. */
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, q->right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  const __m256i threshold = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1),
                                             _mm256_cmpgt_epi32(_mm256_setzero_si256(), high));
  __m256i y = _mm256_sub_epi32(_mm256_srav_epi32(high, q->right),
                               _mm256_cmpgt_epi32(remainder, threshold));
  y = _mm256_add_epi32(y, out_zp);
  return _mm256_min_epi32(_mm256_max_epi32(y, out_min), out_max);
}

/* Eight clamped int32 lanes to eight int8 bytes (the low 8 bytes of the result). */
EK_AVX2_INLINE __m128i ek_requant8_pack(__m256i y) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
  return _mm_packs_epi16(w, w);
}

/* out[c] for c < n; reads and writes exactly n entries of every array. */
EK_AVX2_INLINE void ek_qs8_requant_n__avx2(size_t n, const int32_t *acc, const int32_t *multiplier,
                                           const int32_t *shift, const ek_qs8_requant_params *p,
                                           int8_t *out) {
  const __m256i out_zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(p->output_min);
  const __m256i out_max = _mm256_set1_epi32(p->output_max);
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const ek_requant8 q = ek_requant8_load(multiplier + c, shift + c);
    const __m256i y = ek_requant8_apply(_mm256_loadu_si256((const __m256i *)(acc + c)), &q, out_zp,
                                        out_min, out_max);
    _mm_storel_epi64((__m128i *)(out + c), ek_requant8_pack(y));
  }
  if (c < n) {
    int32_t a[8] = {0}, m[8] = {0}, s[8] = {0};
    int8_t o[16];
    memcpy(a, acc + c, (n - c) * sizeof(int32_t));
    memcpy(m, multiplier + c, (n - c) * sizeof(int32_t));
    memcpy(s, shift + c, (n - c) * sizeof(int32_t));
    const ek_requant8 q = ek_requant8_load(m, s);
    const __m256i y = ek_requant8_apply(_mm256_loadu_si256((const __m256i *)a), &q, out_zp,
                                        out_min, out_max);
    _mm_storeu_si128((__m128i *)o, ek_requant8_pack(y));
    memcpy(out + c, o, n - c);
  }
}

#endif
