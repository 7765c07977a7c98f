/* AVX2 softmax kernels (see ek_softmax.h). */
#include "ek_softmax.h"

#if defined(__x86_64__)
#include <float.h>
#include <immintrin.h>

#include "ek_fixedpoint.h"

#define EK_AVX2 EK_TARGET("avx2,fma")
#define EK_AVX2_INLINE static inline __attribute__((always_inline)) EK_AVX2

/* The reference's Q12 accumulation and 8-bit output (ek_softmax__ref.c). */
#define ACCUMULATION_INTEGER_BITS 12

/* Lanes 0..n-1 set (all ones), n in 0..32. */
EK_AVX2_INLINE __m256i first_lanes_epi8(size_t n) {
  const __m256i iota = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  return _mm256_cmpgt_epi8(_mm256_set1_epi8((char)n), iota);
}

EK_AVX2_INLINE int32_t hmax_epi8(__m256i v) {
  __m128i m = _mm_max_epi8(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epi8(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
  m = _mm_max_epi8(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
  m = _mm_max_epi8(m, _mm_srli_epi32(m, 16));
  m = _mm_max_epi8(m, _mm_srli_epi16(m, 8));
  return (int8_t)_mm_cvtsi128_si32(m);
}

/* The row maximum; the last partial vector is a 32-byte load (the over-read ek_softmax.h
 * allows) whose lanes past the row count as -128. */
EK_AVX2_INLINE int32_t row_max_qs8(const int8_t *x, size_t depth) {
  __m256i m = _mm256_set1_epi8(INT8_MIN);
  size_t c = 0;
  for (; c + 32 <= depth; c += 32) {
    m = _mm256_max_epi8(m, _mm256_loadu_si256((const __m256i *)(x + c)));
  }
  if (c < depth) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(x + c));
    m = _mm256_max_epi8(m, _mm256_blendv_epi8(m, v, first_lanes_epi8(depth - c)));
  }
  return hmax_epi8(m);
}

/* max - x[0..8) as 8 int32 table indices (in [0, 255]). */
EK_AVX2_INLINE __m256i indices8(const int8_t *x, __m256i vmax) {
  return _mm256_sub_epi32(vmax, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)x)));
}

EK_AVX2 void ek_qs8_softmax_x8__avx2(size_t outer, size_t depth,
                                     const ek_qs8_softmax_params *params, const int8_t *input,
                                     int8_t *output) {
  const int32_t *table = params->exp_table;
  for (size_t i = 0; i < outer; ++i) {
    const int8_t *x = input + i * depth;
    int8_t *y = output + i * depth;
    const int32_t max = row_max_qs8(x, depth);
    const __m256i vmax = _mm256_set1_epi32(max);

    /* rdivpot(e, 12) of e >= 0 is (e + 2^11) >> 12 without overflow in unsigned lanes; int32
     * additions wrap in any order as the reference's ek_fp_add does in its order. */
    const __m256i half = _mm256_set1_epi32(1 << (ACCUMULATION_INTEGER_BITS - 1));
    __m256i acc = _mm256_setzero_si256();
    size_t c = 0;
    for (; c + 8 <= depth; c += 8) {
      const __m256i e = _mm256_i32gather_epi32(table, indices8(x + c, vmax), 4);
      acc = _mm256_add_epi32(acc, _mm256_srli_epi32(_mm256_add_epi32(e, half), ACCUMULATION_INTEGER_BITS));
    }
    __m128i acc4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    acc4 = _mm_add_epi32(acc4, _mm_shuffle_epi32(acc4, _MM_SHUFFLE(1, 0, 3, 2)));
    acc4 = _mm_add_epi32(acc4, _mm_shuffle_epi32(acc4, _MM_SHUFFLE(2, 3, 0, 1)));
    int32_t sum_of_exps = _mm_cvtsi128_si32(acc4);
    for (; c < depth; ++c) {
      sum_of_exps = ek_fp_add(sum_of_exps, ek_rdivpot(table[max - x[c]], ACCUMULATION_INTEGER_BITS));
    }

    int exponent = 0;
    const int32_t reciprocal = ek_qs8_softmax_reciprocal(sum_of_exps, &exponent);
    c = 0;
    if (exponent <= 31 && reciprocal >= 0) {
      /* Both factors >= 0: srdhm is (s * e + 2^30) >> 31 and rdivpot (v + 2^(exponent-1)) >>
       * exponent, both in unsigned lanes (exponent >= 3). */
      const __m256i scale = _mm256_set1_epi32(reciprocal);
      const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
      const __m256i round = _mm256_set1_epi32(1 << (exponent - 1));
      const __m128i shift = _mm_cvtsi32_si128(exponent);
      const __m256i offset = _mm256_set1_epi32(INT8_MIN);
      for (; c + 8 <= depth; c += 8) {
        const __m256i e = _mm256_i32gather_epi32(table, indices8(x + c, vmax), 4);
        const __m256i even = _mm256_add_epi64(_mm256_mul_epu32(e, scale), nudge);
        const __m256i odd = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(e, 32), scale), nudge);
        /* (even >> 31) in the low halves, (odd >> 31) = high half of (odd << 1). */
        const __m256i high = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
        __m256i v = _mm256_srl_epi32(_mm256_add_epi32(high, round), shift);
        v = _mm256_add_epi32(_mm256_min_epi32(v, _mm256_set1_epi32(255)), offset);
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)(y + c), _mm_packs_epi16(w, w));
      }
    }
    for (; c < depth; ++c) {
      y[c] = ek_qs8_softmax_output(reciprocal, exponent, table[max - x[c]]);
    }
  }
}

/* exp(z) for z <= 0 (XNNPACK's rr2_p5 scheme): n = round(z log2 e) by the magic-bias add, whose
 * low bits are n + 127, so 2^n is those bits shifted into the exponent field; t = z - n ln 2 in
 * two steps (ln 2 = hi + lo); exp(t) ~ 1 + t (c1 + t (c2 + t (c3 + t (c4 + t c5)))) on
 * |t| <= ln 2 / 2; results below 2^-126 (z < -87.34) are 0. */
EK_AVX2_INLINE __m256 exp_nonpositive(__m256 z) {
  const __m256 log2e = _mm256_set1_ps(0x1.715476p+0f);
  const __m256 magic_bias = _mm256_set1_ps(0x1.8000FEp23f);
  const __m256 minus_ln2_hi = _mm256_set1_ps(-0x1.62E43p-1f);
  const __m256 minus_ln2_lo = _mm256_set1_ps(0x1.05C61p-29f);
  const __m256 c5 = _mm256_set1_ps(0x1.0F9F9Cp-7f), c4 = _mm256_set1_ps(0x1.573A1Ap-5f);
  const __m256 c3 = _mm256_set1_ps(0x1.555A80p-3f), c2 = _mm256_set1_ps(0x1.FFFDC6p-2f);
  const __m256 c1 = _mm256_set1_ps(0x1.FFFFF6p-1f);
  const __m256 cutoff = _mm256_set1_ps(-0x1.5D589Ep6f);
  __m256 n = _mm256_fmadd_ps(z, log2e, magic_bias);
  const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(n), 23));
  n = _mm256_sub_ps(n, magic_bias);
  __m256 t = _mm256_fmadd_ps(n, minus_ln2_hi, z);
  t = _mm256_fmadd_ps(n, minus_ln2_lo, t);
  __m256 p = _mm256_fmadd_ps(c5, t, c4);
  p = _mm256_fmadd_ps(p, t, c3);
  p = _mm256_fmadd_ps(p, t, c2);
  p = _mm256_fmadd_ps(p, t, c1);
  t = _mm256_mul_ps(t, s);
  const __m256 f = _mm256_fmadd_ps(t, p, s);
  return _mm256_andnot_ps(_mm256_cmp_ps(z, cutoff, _CMP_LT_OQ), f);
}

EK_AVX2 void ek_f32_softmax_x8__avx2(size_t outer, size_t depth, float beta, const float *input,
                                     float *output) {
  const size_t tail = depth % 8;
  const __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)tail),
                                               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256 vbeta = _mm256_set1_ps(beta);
  for (size_t i = 0; i < outer; ++i) {
    const float *x = input + i * depth;
    float *y = output + i * depth;
    const size_t body = depth - tail;
    /* maxps(v, m) = v > m ? v : m, the reference's comparison; masked-off lanes load 0 and
     * keep m. */
    __m256 m = _mm256_set1_ps(-FLT_MAX);
    for (size_t c = 0; c < body; c += 8) {
      m = _mm256_max_ps(_mm256_loadu_ps(x + c), m);
    }
    if (tail != 0) {
      const __m256 v = _mm256_maskload_ps(x + body, tail_mask);
      m = _mm256_blendv_ps(m, _mm256_max_ps(v, m), _mm256_castsi256_ps(tail_mask));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    const __m256 vmax = _mm256_set1_ps(_mm_cvtss_f32(m4));

    __m256 sum = _mm256_setzero_ps();
    for (size_t c = 0; c < body; c += 8) {
      const __m256 e = exp_nonpositive(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + c), vmax), vbeta));
      _mm256_storeu_ps(y + c, e);
      sum = _mm256_add_ps(sum, e);
    }
    if (tail != 0) {
      const __m256 v = _mm256_maskload_ps(x + body, tail_mask);
      const __m256 e = _mm256_and_ps(exp_nonpositive(_mm256_mul_ps(_mm256_sub_ps(v, vmax), vbeta)),
                                     _mm256_castsi256_ps(tail_mask));
      _mm256_maskstore_ps(y + body, tail_mask, e);
      sum = _mm256_add_ps(sum, e);
    }
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
    const __m256 vsum = _mm256_set1_ps(_mm_cvtss_f32(s4));
    for (size_t c = 0; c < body; c += 8) {
      _mm256_storeu_ps(y + c, _mm256_div_ps(_mm256_loadu_ps(y + c), vsum));
    }
    if (tail != 0) {
      _mm256_maskstore_ps(y + body, tail_mask, _mm256_div_ps(_mm256_maskload_ps(y + body, tail_mask), vsum));
    }
  }
}

#endif
