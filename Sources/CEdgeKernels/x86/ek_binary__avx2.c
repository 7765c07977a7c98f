/* AVX2 elementwise qs8 Add (see ek_binary.h), eight elements per step. */
#include "ek_binary.h"

#if defined(__x86_64__)
#include "ek_requant_avx2.h"

/* ek_mbqm_smaller_than_one on eight lanes: rdivpot(srdhm(x, multiplier), right), with
 * multiplier >= 0 (ek_quantize_multiplier_smaller_than_one), see ek_requant_avx2.h. */
EK_AVX2_INLINE __m256i ek_mbqm8_right(__m256i x, __m256i multiplier, __m256i right) {
  const __m256i half = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, multiplier), half);
  const __m256i odd = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(multiplier, 32)), half);
  const __m256i high = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  const __m256i threshold = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1),
                                             _mm256_cmpgt_epi32(_mm256_setzero_si256(), high));
  return _mm256_sub_epi32(_mm256_srav_epi32(high, right), _mm256_cmpgt_epi32(remainder, threshold));
}

typedef struct ek_add8 {
  __m256i a_offset, b_offset, left, a_mult, a_right, b_mult, b_right, o_mult, o_right;
  __m256i o_offset, o_min, o_max;
} ek_add8;

/* a and b: 8 bytes each, or one byte repeated when its stride is 0. */
EK_AVX2_INLINE __m128i ek_qs8_add8(const ek_add8 *q, __m128i a, __m128i b) {
  const __m256i sa = _mm256_sllv_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(a), q->a_offset), q->left);
  const __m256i sb = _mm256_sllv_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(b), q->b_offset), q->left);
  const __m256i sum = _mm256_add_epi32(ek_mbqm8_right(sa, q->a_mult, q->a_right),
                                       ek_mbqm8_right(sb, q->b_mult, q->b_right));
  __m256i y = _mm256_add_epi32(ek_mbqm8_right(sum, q->o_mult, q->o_right), q->o_offset);
  y = _mm256_min_epi32(_mm256_max_epi32(y, q->o_min), q->o_max);
  return ek_requant8_pack(y);
}

/* n elements of one row; a_step/b_step are 1 (dense) or 0 (one value broadcast). */
EK_AVX2_INLINE void ek_qs8_add_row(const ek_add8 *q, size_t n, const int8_t *a, size_t a_step,
                                   const int8_t *b, size_t b_step, int8_t *out) {
  const __m128i a1 = _mm_set1_epi8((char)a[0]), b1 = _mm_set1_epi8((char)b[0]);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i va = a_step ? _mm_loadl_epi64((const __m128i *)(a + i)) : a1;
    const __m128i vb = b_step ? _mm_loadl_epi64((const __m128i *)(b + i)) : b1;
    _mm_storel_epi64((__m128i *)(out + i), ek_qs8_add8(q, va, vb));
  }
  if (i < n) {
    int8_t ta[8] = {0}, tb[8] = {0}, to[16];
    memcpy(ta, a_step ? a + i : a, a_step ? n - i : 1);
    memcpy(tb, b_step ? b + i : b, b_step ? n - i : 1);
    const __m128i va = a_step ? _mm_loadl_epi64((const __m128i *)ta) : a1;
    const __m128i vb = b_step ? _mm_loadl_epi64((const __m128i *)tb) : b1;
    _mm_storeu_si128((__m128i *)to, ek_qs8_add8(q, va, vb));
    memcpy(out + i, to, n - i);
  }
}

EK_AVX2 void ek_qs8_add_minmax_x8__avx2(const ek_binary_shape *s, const ek_qs8_add_params *p,
                                        const int8_t *a, const int8_t *b, int8_t *output) {
  const ek_add8 q = {
      _mm256_set1_epi32(p->a_offset),          _mm256_set1_epi32(p->b_offset),
      _mm256_set1_epi32(p->left_shift),        _mm256_set1_epi32(p->a_multiplier),
      _mm256_set1_epi32(-p->a_shift),          _mm256_set1_epi32(p->b_multiplier),
      _mm256_set1_epi32(-p->b_shift),          _mm256_set1_epi32(p->output_multiplier),
      _mm256_set1_epi32(-p->output_shift),     _mm256_set1_epi32(p->output_offset),
      _mm256_set1_epi32(p->output_min),        _mm256_set1_epi32(p->output_max)};
  const size_t d3 = (size_t)s->dims[3];
  if (s->a_strides[3] > 1 || s->b_strides[3] > 1 || s->a_strides[3] < 0 || s->b_strides[3] < 0) {
    ek_qs8_add_minmax_x1__ref(s, p, a, b, output);
    return;
  }
  if (ek_binary_dense_a_b(s)) {
    const size_t n = (size_t)s->dims[0] * (size_t)s->dims[1] * (size_t)s->dims[2] * d3;
    ek_qs8_add_row(&q, n, a, 1, b, 1, output);
    return;
  }
  size_t out = 0;
  for (int32_t i0 = 0; i0 < s->dims[0]; ++i0) {
    for (int32_t i1 = 0; i1 < s->dims[1]; ++i1) {
      for (int32_t i2 = 0; i2 < s->dims[2]; ++i2, out += d3) {
        const ptrdiff_t ia = (ptrdiff_t)i0 * s->a_strides[0] + (ptrdiff_t)i1 * s->a_strides[1] +
                             (ptrdiff_t)i2 * s->a_strides[2];
        const ptrdiff_t ib = (ptrdiff_t)i0 * s->b_strides[0] + (ptrdiff_t)i1 * s->b_strides[1] +
                             (ptrdiff_t)i2 * s->b_strides[2];
        ek_qs8_add_row(&q, d3, a + ia, (size_t)s->a_strides[3], b + ib, (size_t)s->b_strides[3],
                       output + out);
      }
    }
  }
}

#endif
