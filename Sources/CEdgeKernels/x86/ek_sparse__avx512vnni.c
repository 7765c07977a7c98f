/* AVX-512 VNNI block-sparse int8 kernels (see ek_sparse.h). */
#include "ek_sparse.h"
#include "../common/ek_bsr_driver.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define EK_AVX512 EK_TARGET("avx512f,avx512bw,avx512vl,avx512vnni,fma")
#define EK_AVX512_INLINE static inline __attribute__((always_inline)) EK_AVX512

EK_AVX512_INLINE uint32_t ek_spv_hsum(__m128i v) {
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return (uint32_t)_mm_cvtsi128_si32(v);
}

/* VPDPBUSD multiplies unsigned by signed bytes: x + 128 (x xor 0x80) as u8, so
 * sum(w * (x - zp)) = dpbusd(x ^ 0x80, w) - (128 + zp) * sum(w) modulo 2^32; sum(w) is
 * dpbusd(1, w). Four products per int32 lane, exact. */
EK_AVX512_INLINE uint32_t ek_spv_fold(__m128i xw, __m128i ws, int32_t zero_point) {
  return ek_spv_hsum(xw) - (uint32_t)(128 + zero_point) * ek_spv_hsum(ws);
}

EK_AVX512_INLINE int32_t ek_spv_load4(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Blocks of 4, four per step (input bytes gathered with scalar loads); the last 1..3 blocks
 * are masked out of the weights, so the values read past the row (within EK_EXTRA_BYTES)
 * add nothing. */
EK_AVX512_INLINE uint32_t ek_spv_row_b1x4(const int8_t *x, const uint16_t *cols,
                                          const int8_t *values, size_t nblocks,
                                          int32_t zero_point) {
  const __m128i flip = _mm_set1_epi8((char)0x80), ones = _mm_set1_epi8(1);
  __m128i xw = _mm_setzero_si128(), ws = _mm_setzero_si128();
  for (size_t b = 0; b < nblocks; b += 4) {
    const size_t left = nblocks - b;
    const __mmask8 lanes = (__mmask8)(left >= 4 ? 0xF : (1u << left) - 1);
    const __m128i xv = _mm_setr_epi32(ek_spv_load4(x + 4 * (size_t)cols[b]),
                                      left > 1 ? ek_spv_load4(x + 4 * (size_t)cols[b + 1]) : 0,
                                      left > 2 ? ek_spv_load4(x + 4 * (size_t)cols[b + 2]) : 0,
                                      left > 3 ? ek_spv_load4(x + 4 * (size_t)cols[b + 3]) : 0);
    const __m128i w = _mm_maskz_loadu_epi32(lanes, values + 4 * b);
    xw = _mm_dpbusd_epi32(xw, _mm_xor_si128(xv, flip), w);
    ws = _mm_dpbusd_epi32(ws, ones, w);
  }
  return ek_spv_fold(xw, ws, zero_point);
}

EK_AVX512_INLINE uint32_t ek_spv_row_b1x16(const int8_t *x, const uint16_t *cols,
                                           const int8_t *values, size_t nblocks,
                                           int32_t zero_point) {
  const __m128i flip = _mm_set1_epi8((char)0x80), ones = _mm_set1_epi8(1);
  __m128i xw = _mm_setzero_si128(), ws = _mm_setzero_si128();
  for (size_t b = 0; b < nblocks; ++b) {
    const __m128i w = _mm_loadu_si128((const __m128i *)(values + 16 * b));
    const __m128i xv = _mm_loadu_si128((const __m128i *)(x + 16 * (size_t)cols[b]));
    xw = _mm_dpbusd_epi32(xw, _mm_xor_si128(xv, flip), w);
    ws = _mm_dpbusd_epi32(ws, ones, w);
  }
  return ek_spv_fold(xw, ws, zero_point);
}

EK_BSR_DEFINE(EK_AVX512, avx512vnni, 4, ek_spv_row_b1x4)
EK_BSR_DEFINE(EK_AVX512, avx512vnni, 16, ek_spv_row_b1x16)

#endif
