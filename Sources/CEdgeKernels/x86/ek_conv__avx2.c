/* AVX2 + FMA Conv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include "../common/ek_conv_f32_driver.h"
#include "ek_requant_avx2.h"

/* int16 lanes [0, n) set, n <= 16. */
EK_AVX2_INLINE __m256i ek_keep_epi16(size_t n) {
  const __m256i lanes = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm256_cmpgt_epi16(_mm256_set1_epi16((short)n), lanes);
}

EK_AVX2_INLINE __m256i ek_load_s8_epi16(const int8_t *p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* Four sums of eight lanes each: [sum a0, sum a1, sum a2, sum a3]. */
EK_AVX2_INLINE __m128i ek_hsum4_epi32(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
  const __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
  return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* Weight sums, 16 bytes per step, lanes past k cleared (the step over-reads within
 * EK_EXTRA_BYTES). */
EK_AVX2_INLINE void ek_qs8_conv_wsum(size_t k, const int8_t *const *w4, int32_t *out4) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i a[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                  _mm256_setzero_si256()};
  for (size_t i = 0; i < k; i += 16) {
    const __m256i keep = ek_keep_epi16(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < 4; ++j) {
      const __m256i w = _mm256_and_si256(keep, ek_load_s8_epi16(w4[j] + i));
      a[j] = _mm256_add_epi32(a[j], _mm256_madd_epi16(w, ones));
    }
  }
  _mm_storeu_si128((__m128i *)out4, ek_hsum4_epi32(a[0], a[1], a[2], a[3]));
}

/* 2 rows x 4 weight rows, 16 bytes per step. Both sides widen to int16 and vpmaddwd adds
 * pairs of products exactly (|x * w| <= 2^14), so no value saturates (-128 included). */
EK_AVX2_INLINE void ek_qs8_conv_dot_2x4(size_t k, const int8_t *const *rows,
                                        const int8_t *const *w4, int32_t *sums) {
  __m256i a0[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                   _mm256_setzero_si256()};
  __m256i a1[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                   _mm256_setzero_si256()};
  const int8_t *r0 = rows[0], *r1 = rows[1];
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m256i x0 = ek_load_s8_epi16(r0 + i), x1 = ek_load_s8_epi16(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const __m256i w = ek_load_s8_epi16(w4[j] + i);
      a0[j] = _mm256_add_epi32(a0[j], _mm256_madd_epi16(x0, w));
      a1[j] = _mm256_add_epi32(a1[j], _mm256_madd_epi16(x1, w));
    }
  }
  if (i < k) {
    const __m256i keep = ek_keep_epi16(k - i);
    const __m256i x0 = ek_load_s8_epi16(r0 + i), x1 = ek_load_s8_epi16(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const __m256i w = _mm256_and_si256(keep, ek_load_s8_epi16(w4[j] + i));
      a0[j] = _mm256_add_epi32(a0[j], _mm256_madd_epi16(x0, w));
      a1[j] = _mm256_add_epi32(a1[j], _mm256_madd_epi16(x1, w));
    }
  }
  _mm_storeu_si128((__m128i *)sums, ek_hsum4_epi32(a0[0], a0[1], a0[2], a0[3]));
  _mm_storeu_si128((__m128i *)(sums + 4), ek_hsum4_epi32(a1[0], a1[1], a1[2], a1[3]));
}

EK_AVX2_INLINE void ek_qs8_requant(size_t n, const int32_t *acc, const int32_t *multiplier,
                                   const int32_t *shift, const ek_qs8_requant_params *p,
                                   int8_t *out) {
  ek_qs8_requant_n__avx2(n, acc, multiplier, shift, p, out);
}

EK_AVX2 void ek_qs8_conv2d_minmax_2x4c16__avx2(const ek_conv2d_shape *shape,
                                               const ek_qs8_requant_params *params,
                                               const int8_t *input, const int8_t *weights,
                                               const int32_t *bias, int8_t *output) {
  if (!ek_qs8_conv_drive(shape, params, input, weights, bias, output, 2,
                         (uint32_t)params->input_zero_point, ek_qs8_conv_wsum,
                         ek_qs8_conv_dot_2x4, ek_qs8_requant)) {
    ek_qs8_conv2d_minmax_1x1__ref(shape, params, input, weights, bias, output);
  }
}

/* Lane mask with the first n (0..8) 32-bit lanes set. */
EK_AVX2_INLINE __m256i ek_keep_epi32(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

EK_AVX2_INLINE __m128 ek_hsum4_ps(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* 2 rows x 4 weight rows, 8 floats per step; the tail uses masked loads, which read nothing
 * past k. */
EK_AVX2_INLINE void ek_f32_conv_dot_2x4(size_t k, const float *const *rows,
                                        const float *const *w4, float *sums) {
  __m256 a0[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 a1[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  const float *r0 = rows[0], *r1 = rows[1];
  size_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m256 x0 = _mm256_loadu_ps(r0 + i), x1 = _mm256_loadu_ps(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const __m256 w = _mm256_loadu_ps(w4[j] + i);
      a0[j] = _mm256_fmadd_ps(x0, w, a0[j]);
      a1[j] = _mm256_fmadd_ps(x1, w, a1[j]);
    }
  }
  if (i < k) {
    const __m256i keep = ek_keep_epi32(k - i);
    const __m256 x0 = _mm256_maskload_ps(r0 + i, keep), x1 = _mm256_maskload_ps(r1 + i, keep);
    for (size_t j = 0; j < 4; ++j) {
      const __m256 w = _mm256_maskload_ps(w4[j] + i, keep);
      a0[j] = _mm256_fmadd_ps(x0, w, a0[j]);
      a1[j] = _mm256_fmadd_ps(x1, w, a1[j]);
    }
  }
  _mm_storeu_ps(sums, ek_hsum4_ps(a0[0], a0[1], a0[2], a0[3]));
  _mm_storeu_ps(sums + 4, ek_hsum4_ps(a1[0], a1[1], a1[2], a1[3]));
}

EK_AVX2 void ek_f32_conv2d_minmax_2x4c8__avx2(const ek_conv2d_shape *shape, const float *input,
                                              const float *weights, const float *bias,
                                              float *output, float output_min,
                                              float output_max) {
  if (!ek_f32_conv_drive(shape, input, weights, bias, output, output_min, output_max, 2,
                         ek_f32_conv_dot_2x4)) {
    ek_f32_conv2d_minmax_1x1__ref(shape, input, weights, bias, output, output_min, output_max);
  }
}

#endif
