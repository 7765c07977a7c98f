/* AVX2 grouped block-sparse int8 fully connected kernel (see ek_sparse_grouped.h). */
#include "ek_sparse_grouped.h"

#if defined(__x86_64__)
#include "ek_requant_avx2.h"

/*
 * Blocks of 8 output features x 2 input features: the group's eight sums live in the eight
 * int32 lanes of one register, so a block is one broadcast of the input pair (x - zp as two
 * int16), one widening load of its 16 weights and one vpmaddwd; the sums need no horizontal
 * reduction and are requantized eight at a time right away. The input row is widened once to
 * int16 x - zp on the stack (a pair is then one 32-bit broadcast load); rows longer than
 * EK_GSPFC_MAX_K form each pair from the int8 input instead.
 *
 * Where every group holds the same number of blocks (up to 16; `edgepack pack
 * --prune-pattern groups8x2` prunes so), the groups run a loop unrolled for that count: no
 * loop branch per block.
 */
#define EK_GSPFC_MAX_K 8192

/* The input pair of block column c: lanes (x[2c] - zp, x[2c + 1] - zp) as int16. */
EK_AVX2_INLINE __m256i ek_gs_pair(const int16_t *xs, const int8_t *x, size_t c, int32_t zp, int wide) {
  if (wide) {
    /* Keeps the column arithmetic scalar: vectorized, it costs a vpextrd per block. */
    __asm__("" : "+r"(c));
    int32_t v;
    memcpy(&v, xs + 2 * c, 4);
    return _mm256_set1_epi32(v);
  }
  const uint32_t lo = (uint16_t)(int16_t)((int32_t)x[2 * c] - zp);
  const uint32_t hi = (uint16_t)(int16_t)((int32_t)x[2 * c + 1] - zp);
  return _mm256_set1_epi32((int32_t)(lo | hi << 16));
}

EK_AVX2_INLINE __m256i ek_gs_madd(const int16_t *xs, const int8_t *x, size_t c, int32_t zp, int wide,
                                  const int8_t *v) {
  return _mm256_madd_epi16(ek_gs_pair(xs, x, c, zp, wide), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)v)));
}

/* The eight raw sums of blocks [0, nb) of one group, added to acc. */
EK_AVX2_INLINE __m256i ek_gs_group(__m256i acc, const int16_t *xs, const int8_t *x, const uint16_t *cols,
                                   const int8_t *v, size_t nb, int32_t zp, int wide) {
  __m256i a1 = _mm256_setzero_si256();
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    acc = _mm256_add_epi32(acc, ek_gs_madd(xs, x, cols[b], zp, wide, v + 16 * b));
    a1 = _mm256_add_epi32(a1, ek_gs_madd(xs, x, cols[b + 1], zp, wide, v + 16 * b + 16));
  }
  if (b < nb) acc = _mm256_add_epi32(acc, ek_gs_madd(xs, x, cols[b], zp, wide, v + 16 * b));
  return _mm256_add_epi32(acc, a1);
}

EK_AVX2_INLINE void ek_gs_requant8(__m256i sums, const double *scale, const ek_fc_out *out, int8_t *y) {
  _mm_storel_epi64((__m128i *)y, ek_fc_requant8_bytes(sums, scale, out));
}

/* True when all `groups` groups hold nb blocks each: group_ptr[g] == g * nb. */
EK_AVX2_INLINE int ek_gs_balanced(const uint32_t *gp, size_t groups, uint32_t nb) {
  if (gp[groups] != (uint32_t)groups * nb) return 0;
  uint32_t diff = 0;
  /* Few groups in the layers this is for: a plain loop (vectorized, its setup costs more). */
#pragma clang loop vectorize(disable) interleave(disable)
  for (size_t g = 1; g < groups; ++g) diff |= gp[g] ^ (uint32_t)g * nb;
  return diff == 0;
}

/* Whole groups [0, full) of a row whose groups all hold NB blocks: a loop unrolled for NB. */
#define EK_GS_BALANCED(NB)                                                                              \
  case NB:                                                                                             \
    for (size_t g = 0; g < full; ++g) {                                                                \
      const uint16_t *c = cols + NB * g;                                                               \
      const int8_t *v = values + 16 * NB * g;                                                          \
      __m256i a0 = bias != NULL ? _mm256_loadu_si256((const __m256i *)(bias + 8 * g)) : _mm256_setzero_si256(); \
      __m256i a1 = _mm256_setzero_si256();                                                             \
      _Pragma("clang loop unroll(full)") for (size_t t = 0; t < NB; ++t) {                             \
        if (t % 2 == 0) {                                                                              \
          a0 = _mm256_add_epi32(a0, ek_gs_madd(xs, x, c[t], zp, wide, v + 16 * t));                    \
        } else {                                                                                       \
          a1 = _mm256_add_epi32(a1, ek_gs_madd(xs, x, c[t], zp, wide, v + 16 * t));                    \
        }                                                                                              \
      }                                                                                                \
      ek_gs_requant8(_mm256_add_epi32(a0, a1), params->scale + 8 * g, &out, y + 8 * g);                \
    }                                                                                                  \
    break;

EK_AVX2_INLINE void ek_gs_row(const int16_t *xs, const int8_t *x, const ek_qs8_fc_params *params,
                              const ek_qs8_gbsr *w, const int32_t *bias, size_t n, int balanced, int8_t *y,
                              const ek_fc_out *outp, int wide) {
  const ek_fc_out out = *outp;
  const int32_t zp = params->input_zero_point;
  const uint32_t *gp = w->group_ptr;
  const uint16_t *cols = w->block_col;
  const int8_t *values = w->values;
  const size_t full = n / 8;
  size_t g = 0;
  if (balanced) {
    switch (gp[1]) {
      EK_GS_BALANCED(1)
      EK_GS_BALANCED(2)
      EK_GS_BALANCED(3)
      EK_GS_BALANCED(4)
      EK_GS_BALANCED(5)
      EK_GS_BALANCED(6)
      EK_GS_BALANCED(7)
      EK_GS_BALANCED(8)
      EK_GS_BALANCED(9)
      EK_GS_BALANCED(10)
      EK_GS_BALANCED(11)
      EK_GS_BALANCED(12)
      EK_GS_BALANCED(13)
      EK_GS_BALANCED(14)
      EK_GS_BALANCED(15)
      EK_GS_BALANCED(16)
    default:
      balanced = 0;
      break;
    }
    if (balanced) g = full;
  }
  for (; g < full; ++g) {
    const uint32_t begin = gp[g];
    const __m256i init = bias != NULL ? _mm256_loadu_si256((const __m256i *)(bias + 8 * g)) : _mm256_setzero_si256();
    const __m256i acc = ek_gs_group(init, xs, x, cols + begin, values + 16 * (size_t)begin, gp[g + 1] - begin, zp, wide);
    ek_gs_requant8(acc, params->scale + 8 * g, &out, y + 8 * g);
  }
  if (8 * full < n) { /* a short last group: its bias, scale and outputs are read and written exactly */
    const uint32_t begin = gp[full];
    const __m256i acc = ek_gs_group(_mm256_setzero_si256(), xs, x, cols + begin, values + 16 * (size_t)begin,
                                    gp[full + 1] - begin, zp, wide);
    const size_t nr = n - 8 * full;
    ek_store_bytes_n(y + 8 * full,
                     ek_fc_requant8_bytes_n(acc, nr, bias != NULL ? bias + 8 * full : NULL, params->scale + 8 * full, &out),
                     nr);
  }
}
#undef EK_GS_BALANCED

EK_AVX2 void ek_qs8_gspfc_minmax_8x2__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                           const int8_t *input, const ek_qs8_gbsr *weights,
                                           const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  const size_t groups = (n + 7) / 8;
  const int balanced = n >= 8 && ek_gs_balanced(weights->group_ptr, groups, weights->group_ptr[1]);
  const ek_fc_out out = ek_fc_out_load(params);
  if (k > EK_GSPFC_MAX_K) {
    for (size_t b = 0; b < (size_t)shape->batch; ++b) {
      ek_gs_row(NULL, input + b * k, params, weights, bias, n, balanced, output + b * n, &out, 0);
    }
    return;
  }
  int16_t xs[EK_GSPFC_MAX_K + 16] __attribute__((aligned(32)));
  const __m256i zp = _mm256_set1_epi16((short)params->input_zero_point);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    /* Lanes past k are never read (blocks lie within k); the last load over-reads x within
     * EK_EXTRA_BYTES. */
    for (size_t i = 0; i < k; i += 16) {
      _mm256_store_si256((__m256i *)(xs + i),
                         _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))), zp));
    }
    ek_gs_row(xs, x, params, weights, bias, n, balanced, output + b * n, &out, 1);
  }
}

#endif
