/*
 * ek_requant_avx2.h: TFLite's per-channel int8 requantization on eight int32 lanes, bit-exact
 * with ek_mbqm (private to the x86/ *__avx2.c files; every function is AVX2-attributed and
 * inlined into its caller).
 *
 * Needs multiplier >= 0 (ek_quantize_multiplier gives [2^30, 2^31) or 0), so that the
 * gemmlowp high multiply never saturates and equals floor((a * b + 2^30) / 2^31): its
 * "nudge then truncate" rounds ties upwards for both signs, exactly like that floor.
 * The fully connected kernels' double-scale requantization (ek_qs8_fc_requantize) on eight
 * accumulators is at the end (ek_qs8_fc_requant8_store).
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
  /* Odd lanes moved to even positions by vpshufd (a 64-bit shift lets the compiler rewrite
   * the signed multiply into an unsigned one plus corrections). */
  const __m256i odd = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_shuffle_epi32(x, 0xF5), _mm256_shuffle_epi32(q->multiplier, 0xF5)), half);
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

/* The same requantization with every per-lane constant precomputed, for kernels that keep
 * one set over many pixels (depthwise channel blocks): mbqm(x) + output_zero_point before the
 * clamp, in 13 operations. Both of ek_mbqm's roundings happen in one 64-bit floor division:
 * with p = (x << left) * multiplier, high = floor((p + 2^30) / 2^31) and right > 0,
 * ek_rdivpot(high, right) = floor((high + 2^(right-1) - [high < 0]) / 2^right), and nested
 * floors of integers merge: floor((floor(a / 2^31) + c) / 2^right) =
 * floor((a + c * 2^31) / 2^(31 + right)). [high < 0] may be replaced by [p < 0]: they differ
 * only where high = 0, and there both give 0. Adding 2^62 (a multiple of 2^(31 + right))
 * keeps the sum within [2^30, 2^64) (|p| < 2^62), so a logical 64-bit shift divides it, and
 * the quotient's low 32 bits minus 2^(31 - right) are the result modulo 2^32 (which fits
 * int32). The odd lanes' quotients move to the high 32 bits of their 64-bit lanes. */
typedef struct ek_requant8x {
  __m256i multiplier, multiplier_odd, left;
  __m256i round_pos[2], round_neg[2]; /* even and odd lanes' 64-bit addends by sign of p */
  __m256i shift[2];                   /* 64-bit shift counts 31 + right, even and odd lanes */
  __m256i offset;                     /* output_zero_point - 2^(31 - right), modulo 2^32 */
} ek_requant8x;

/* From eight multipliers and shifts (shifts of at least -31: ek_quantize_multiplier's range,
 * as ek_rdivpot needs). */
EK_AVX2_INLINE ek_requant8x ek_requant8x_make(__m256i multiplier, __m256i shift,
                                              int32_t output_zero_point) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  ek_requant8x q;
  q.multiplier = multiplier;
  q.multiplier_odd = _mm256_shuffle_epi32(multiplier, 0xF5);
  q.left = _mm256_max_epi32(shift, zero);
  q.offset = _mm256_sub_epi32(_mm256_set1_epi32(output_zero_point),
                              _mm256_sllv_epi32(_mm256_set1_epi32(1),
                                                _mm256_sub_epi32(_mm256_set1_epi32(31), right)));
  /* right of the even and odd lanes as 64-bit lanes (right >= 0). */
  const __m256i r64[2] = {_mm256_blend_epi32(right, zero, 0xAA), _mm256_srli_epi64(right, 32)};
  const __m256i base = _mm256_set1_epi64x((INT64_C(1) << 62) + (INT64_C(1) << 30));
  for (int h = 0; h < 2; ++h) {
    const __m256i some = _mm256_cmpgt_epi64(r64[h], zero);
    const __m256i half = _mm256_and_si256(
        some, _mm256_sllv_epi64(_mm256_set1_epi64x(1), _mm256_add_epi64(r64[h], _mm256_set1_epi64x(30))));
    q.round_pos[h] = _mm256_add_epi64(base, half);
    q.round_neg[h] = _mm256_sub_epi64(q.round_pos[h], _mm256_and_si256(some, _mm256_set1_epi64x(INT64_C(1) << 31)));
    q.shift[h] = _mm256_add_epi64(r64[h], _mm256_set1_epi64x(31));
  }
  return q;
}

/* mbqm(x) + output_zero_point on eight lanes, wrapping modulo 2^32 (not clamped). */
EK_AVX2_INLINE __m256i ek_requant8x_apply(__m256i x, const ek_requant8x *q) {
  x = _mm256_sllv_epi32(x, q->left); /* ek_shl: wraps */
  const __m256i pe = _mm256_mul_epi32(x, q->multiplier);
  const __m256i po = _mm256_mul_epi32(_mm256_shuffle_epi32(x, 0xF5), q->multiplier_odd);
  /* The addend by the sign bit of each 64-bit product. */
  const __m256i re = _mm256_castpd_si256(_mm256_blendv_pd(
      _mm256_castsi256_pd(q->round_pos[0]), _mm256_castsi256_pd(q->round_neg[0]), _mm256_castsi256_pd(pe)));
  const __m256i ro = _mm256_castpd_si256(_mm256_blendv_pd(
      _mm256_castsi256_pd(q->round_pos[1]), _mm256_castsi256_pd(q->round_neg[1]), _mm256_castsi256_pd(po)));
  const __m256i se = _mm256_add_epi64(pe, re), so = _mm256_add_epi64(po, ro);
  const __m256i ye = _mm256_srlv_epi64(se, q->shift[0]);
  const __m256i yo = _mm256_slli_epi64(_mm256_srlv_epi64(so, q->shift[1]), 32);
  return _mm256_add_epi32(_mm256_blend_epi32(ye, yo, 0xAA), q->offset);
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

/* [sum a[0], ..., sum a[7]]: one int32 lane per input vector (sums modulo 2^32). */
EK_AVX2_INLINE __m256i ek_hsum8_epi32(const __m256i a[8]) {
  const __m256i t0 = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
  const __m256i t1 = _mm256_hadd_epi32(_mm256_hadd_epi32(a[4], a[5]), _mm256_hadd_epi32(a[6], a[7]));
  /* t0 = [s0 s1 s2 s3 | s0' s1' s2' s3'] (low and high halves' partial sums), same for t1. */
  return _mm256_add_epi32(_mm256_permute2x128_si256(t0, t1, 0x20), _mm256_permute2x128_si256(t0, t1, 0x31));
}

/* The output range relative to the output zero point, as doubles, and the zero point in
 * int16 lanes: loaded once per call for the fully connected requantization below. */
typedef struct ek_fc_out {
  __m256d lo, hi; /* output_min - output_zero_point, output_max - output_zero_point */
  __m128i zp;     /* output_zero_point in eight int16 lanes */
} ek_fc_out;

EK_AVX2_INLINE ek_fc_out ek_fc_out_load(const ek_qs8_fc_params *p) {
  return (ek_fc_out){_mm256_set1_pd((double)(p->output_min - p->output_zero_point)),
                     _mm256_set1_pd((double)(p->output_max - p->output_zero_point)),
                     _mm_set1_epi16((short)p->output_zero_point)};
}

/* Four fc sums (bias included) to int32 outputs before the output zero point, already in
 * [lo, hi], as ek_qs8_fc_requantize: x = acc * scale is the same IEEE product; clamping x to
 * the integer bounds [lo, hi] (|lo|, |hi| <= 255) before rounding gives the same result as
 * clamping after it; then x is rounded half away from zero as trunc(x + copysign(0.5 - 2^-54,
 * x)): for |x| <= 255 the sum reaches the next integer exactly when x reaches a half (a tie
 * n + 0.5 gives n + 1, anything below n + 0.5 stays below n + 1, as doubles there are at most
 * 2^-45 apart), and the truncation is the conversion. */
EK_AVX2_INLINE __m128i ek_fc_scale4v(__m128i acc, __m256d scale, const ek_fc_out *out) {
  __m256d x = _mm256_mul_pd(_mm256_cvtepi32_pd(acc), scale);
  x = _mm256_min_pd(_mm256_max_pd(x, out->lo), out->hi);
  const __m256d half = _mm256_or_pd(_mm256_and_pd(x, _mm256_set1_pd(-0.0)), _mm256_set1_pd(0.49999999999999994));
  return _mm256_cvttpd_epi32(_mm256_add_pd(x, half));
}

EK_AVX2_INLINE __m128i ek_fc_scale4(__m128i acc, const double *scale, const ek_fc_out *out) {
  return ek_fc_scale4v(acc, _mm256_loadu_pd(scale), out);
}

/* The eight output bytes (low 8 bytes) of eight sums that already hold their bias: int16
 * after the clamp, so the zero point is added there. */
EK_AVX2_INLINE __m128i ek_fc_requant8_bytes(__m256i sums, const double *scale, const ek_fc_out *out) {
  const __m128i q = _mm_packs_epi32(ek_fc_scale4(_mm256_castsi256_si128(sums), scale, out),
                                    ek_fc_scale4(_mm256_extracti128_si256(sums, 1), scale + 4, out));
  const __m128i o = _mm_add_epi16(q, out->zp);
  return _mm_packs_epi16(o, o);
}

/* The first nr (0..7) bytes of the low 8 bytes of `bytes` to y, without a library call (a
 * memcpy call would end the AVX state, vzeroupper, in the middle of a short kernel call). */
EK_AVX2_INLINE void ek_store_bytes_n(int8_t *y, __m128i bytes, size_t nr) {
  uint64_t v = (uint64_t)_mm_cvtsi128_si64(bytes);
  if (nr & 4) {
    memcpy(y, &v, 4);
    v >>= 32;
    y += 4;
  }
  if (nr & 2) {
    memcpy(y, &v, 2);
    v >>= 16;
    y += 2;
  }
  if (nr & 1) *y = (int8_t)v;
}

/* ek_fc_requant8_bytes for the first nr (1..8) features only: their bias (NULL: none) and
 * scale are read with masked loads, which touch nothing past nr. */
EK_AVX2_INLINE __m128i ek_fc_requant8_bytes_n(__m256i sums, size_t nr, const int32_t *bias,
                                              const double *scale, const ek_fc_out *out) {
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  /* Unsigned int32 lanes: the reference's accumulation modulo 2^32. */
  if (bias != NULL) sums = _mm256_add_epi32(sums, _mm256_maskload_epi32(bias, mask));
  const __m256d s0 = _mm256_maskload_pd(scale, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(mask)));
  const __m256d s1 = _mm256_maskload_pd(scale + 4, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(mask, 1)));
  const __m128i q = _mm_packs_epi32(ek_fc_scale4v(_mm256_castsi256_si128(sums), s0, out),
                                    ek_fc_scale4v(_mm256_extracti128_si256(sums, 1), s1, out));
  const __m128i o = _mm_add_epi16(q, out->zp);
  return _mm_packs_epi16(o, o);
}

/* y[j] = ek_qs8_fc_requantize(sums[j] + bias[j], scale[j], p) for j < nr (1..8): the raw dot
 * products of eight output features, their bias (NULL: none) and scale. Reads and writes
 * exactly nr entries; lanes past nr are ignored. */
EK_AVX2_INLINE void ek_qs8_fc_requant8_store(__m256i sums, size_t nr, const int32_t *bias,
                                             const double *scale, const ek_qs8_fc_params *p,
                                             int8_t *y) {
  const ek_fc_out out = ek_fc_out_load(p);
  if (nr == 8) {
    /* Unsigned int32 lanes: the reference's accumulation modulo 2^32. */
    if (bias != NULL) sums = _mm256_add_epi32(sums, _mm256_loadu_si256((const __m256i *)bias));
    _mm_storel_epi64((__m128i *)y, ek_fc_requant8_bytes(sums, scale, &out));
    return;
  }
  ek_store_bytes_n(y, ek_fc_requant8_bytes_n(sums, nr, bias, scale, &out), nr);
}

#endif
