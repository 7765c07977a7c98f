/* AVX2 block-sparse int8 kernels (see ek_sparse.h). */
#include "ek_sparse.h"
#include "../common/ek_bsr_driver.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define EK_AVX2 EK_TARGET("avx2,fma")
#define EK_AVX2_INLINE static inline __attribute__((always_inline)) EK_AVX2

EK_AVX2_INLINE uint32_t ek_sp_hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return (uint32_t)_mm_cvtsi128_si32(s);
}

EK_AVX2_INLINE int32_t ek_sp_load4(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* 16 int8 pairs: widen both to int16, subtract the zero point from x, vpmaddwd (the int16
 * pair sums cannot saturate: |w * (x - zp)| <= 128 * 255). */
EK_AVX2_INLINE __m256i ek_sp_madd16(__m128i x, __m128i w, __m256i zp) {
  const __m256i xv = _mm256_sub_epi16(_mm256_cvtepi8_epi16(x), zp);
  return _mm256_madd_epi16(xv, _mm256_cvtepi8_epi16(w));
}

/* Blocks of 4: the input bytes of four blocks are gathered with scalar loads (cheaper than
 * vpgatherdd on the cores measured by `make bench`) into one 16-byte vector. */
EK_AVX2_INLINE uint32_t ek_sp_row_b1x4(const int8_t *x, const uint16_t *cols,
                                       const int8_t *values, size_t nblocks, int32_t zero_point) {
  const __m256i zp = _mm256_set1_epi16((short)zero_point);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  size_t b = 0;
  for (; b + 8 <= nblocks; b += 8) {
    const __m128i x0 = _mm_setr_epi32(ek_sp_load4(x + 4 * (size_t)cols[b]), ek_sp_load4(x + 4 * (size_t)cols[b + 1]),
                                      ek_sp_load4(x + 4 * (size_t)cols[b + 2]), ek_sp_load4(x + 4 * (size_t)cols[b + 3]));
    const __m128i x1 = _mm_setr_epi32(ek_sp_load4(x + 4 * (size_t)cols[b + 4]), ek_sp_load4(x + 4 * (size_t)cols[b + 5]),
                                      ek_sp_load4(x + 4 * (size_t)cols[b + 6]), ek_sp_load4(x + 4 * (size_t)cols[b + 7]));
    acc0 = _mm256_add_epi32(acc0, ek_sp_madd16(x0, _mm_loadu_si128((const __m128i *)(values + 4 * b)), zp));
    acc1 = _mm256_add_epi32(acc1, ek_sp_madd16(x1, _mm_loadu_si128((const __m128i *)(values + 4 * b + 16)), zp));
  }
  if (b < nblocks) {
    /* The last 1..7 blocks in steps of 4: lanes past the row hold the zero point, so
     * x - zp is 0 there and the values read past the row (within EK_EXTRA_BYTES) add 0. */
    const int32_t zp4 = (int32_t)(0x01010101u * (uint8_t)zero_point);
    for (; b < nblocks; b += 4) {
      const size_t left = nblocks - b;
      const __m128i x0 = _mm_setr_epi32(ek_sp_load4(x + 4 * (size_t)cols[b]),
                                        left > 1 ? ek_sp_load4(x + 4 * (size_t)cols[b + 1]) : zp4,
                                        left > 2 ? ek_sp_load4(x + 4 * (size_t)cols[b + 2]) : zp4,
                                        left > 3 ? ek_sp_load4(x + 4 * (size_t)cols[b + 3]) : zp4);
      acc0 = _mm256_add_epi32(acc0, ek_sp_madd16(x0, _mm_loadu_si128((const __m128i *)(values + 4 * b)), zp));
    }
  }
  return ek_sp_hsum_epi32(_mm256_add_epi32(acc0, acc1));
}

/* Blocks of 16: one contiguous 16-byte load per block, two blocks per step. */
EK_AVX2_INLINE uint32_t ek_sp_row_b1x16(const int8_t *x, const uint16_t *cols,
                                        const int8_t *values, size_t nblocks, int32_t zero_point) {
  const __m256i zp = _mm256_set1_epi16((short)zero_point);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  size_t b = 0;
  for (; b + 2 <= nblocks; b += 2) {
    const __m128i x0 = _mm_loadu_si128((const __m128i *)(x + 16 * (size_t)cols[b]));
    const __m128i x1 = _mm_loadu_si128((const __m128i *)(x + 16 * (size_t)cols[b + 1]));
    acc0 = _mm256_add_epi32(acc0, ek_sp_madd16(x0, _mm_loadu_si128((const __m128i *)(values + 16 * b)), zp));
    acc1 = _mm256_add_epi32(acc1, ek_sp_madd16(x1, _mm_loadu_si128((const __m128i *)(values + 16 * b + 16)), zp));
  }
  if (b < nblocks) {
    const __m128i x0 = _mm_loadu_si128((const __m128i *)(x + 16 * (size_t)cols[b]));
    acc0 = _mm256_add_epi32(acc0, ek_sp_madd16(x0, _mm_loadu_si128((const __m128i *)(values + 16 * b)), zp));
  }
  return ek_sp_hsum_epi32(_mm256_add_epi32(acc0, acc1));
}

EK_BSR_DEFINE(EK_AVX2, avx2, 4, ek_sp_row_b1x4)
EK_BSR_DEFINE(EK_AVX2, avx2, 16, ek_sp_row_b1x16)

#endif
