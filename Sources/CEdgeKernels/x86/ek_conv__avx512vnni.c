/* AVX-512 (F, BW, VL, VNNI) Conv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include "../common/ek_conv_driver.h"
#include "ek_requant_avx2.h"

#define EK_AVX512 EK_TARGET("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")
#define EK_AVX512_INLINE static inline __attribute__((always_inline)) EK_AVX512

EK_AVX512_INLINE __mmask64 ek_tail_mask(size_t n) {
  return n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
}

/* sum(w) as vpdpbusd of ones; zero-masked loads read nothing past k. */
EK_AVX512_INLINE void ek_qs8_conv_wsum(size_t k, const int8_t *const *w4, int32_t *out4) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i a[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                  _mm512_setzero_si512()};
  for (size_t i = 0; i < k; i += 64) {
    const __mmask64 mask = ek_tail_mask(k - i);
    for (size_t j = 0; j < 4; ++j) {
      a[j] = _mm512_dpbusd_epi32(a[j], ones, _mm512_maskz_loadu_epi8(mask, w4[j] + i));
    }
  }
  for (size_t j = 0; j < 4; ++j) out4[j] = _mm512_reduce_add_epi32(a[j]);
}

/* 4 rows x 4 weight rows, 64 bytes per step. vpdpbusd multiplies unsigned by signed bytes, so
 * rows enter as u = x + 128 (x XOR 0x80) and the driver folds (128 + zp) * sum(w) out; four
 * u8 x s8 products per lane sum to at most 4 * 255 * 128: no saturation. Masked-off weight
 * lanes are 0 and contribute to neither sum. */
EK_AVX512_INLINE void ek_qs8_conv_dot_4x4(size_t k, const int8_t *const *rows,
                                          const int8_t *const *w4, int32_t *sums) {
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  __m512i a[4][4];
  for (size_t m = 0; m < 4; ++m) {
    for (size_t j = 0; j < 4; ++j) a[m][j] = _mm512_setzero_si512();
  }
  for (size_t i = 0; i < k; i += 64) {
    const __mmask64 mask = ek_tail_mask(k - i);
    __m512i u[4];
    for (size_t m = 0; m < 4; ++m) {
      u[m] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, rows[m] + i), flip);
    }
    for (size_t j = 0; j < 4; ++j) {
      const __m512i w = _mm512_maskz_loadu_epi8(mask, w4[j] + i);
      for (size_t m = 0; m < 4; ++m) a[m][j] = _mm512_dpbusd_epi32(a[m][j], u[m], w);
    }
  }
  for (size_t m = 0; m < 4; ++m) {
    for (size_t j = 0; j < 4; ++j) sums[m * 4 + j] = _mm512_reduce_add_epi32(a[m][j]);
  }
}

EK_AVX512_INLINE void ek_qs8_requant(size_t n, const int32_t *acc, const int32_t *multiplier,
                                     const int32_t *shift, const ek_qs8_requant_params *p,
                                     int8_t *out) {
  ek_qs8_requant_n__avx2(n, acc, multiplier, shift, p, out);
}

EK_AVX512 void ek_qs8_conv2d_minmax_4x4c64__avx512vnni(const ek_conv2d_shape *shape,
                                                       const ek_qs8_requant_params *params,
                                                       const int8_t *input,
                                                       const int8_t *weights,
                                                       const int32_t *bias, int8_t *output) {
  if (!ek_qs8_conv_drive(shape, params, input, weights, bias, output, 4,
                         128u + (uint32_t)params->input_zero_point, ek_qs8_conv_wsum,
                         ek_qs8_conv_dot_4x4, ek_qs8_requant)) {
    ek_qs8_conv2d_minmax_1x1__ref(shape, params, input, weights, bias, output);
  }
}

#endif
