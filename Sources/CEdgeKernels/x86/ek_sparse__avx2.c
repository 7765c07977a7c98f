/* AVX2 block-sparse int8 kernels (see ek_sparse.h). */
#include "ek_sparse.h"
#include "../common/ek_bsr_driver.h"

#if defined(__x86_64__)
#include "ek_requant_avx2.h"

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

EK_BSR_DEFINE_CONV1X1(EK_AVX2, avx2, 4, ek_sp_row_b1x4)
EK_BSR_DEFINE_CONV1X1(EK_AVX2, avx2, 16, ek_sp_row_b1x16)

/*
 * Fully connected: the input row is widened once to int16 x - zp on the stack (as in the
 * dense 1x8c16 kernel), then output features go eight at a time and their eight sums are
 * requantized together (ek_qs8_fc_requant8_store). Rows longer than EK_SPFC_MAX_K run the
 * row routines above instead.
 *
 * A loop per output feature would end in a mispredicted branch every few blocks (a
 * 256-feature row at 80 % sparsity holds about 3 blocks of 16), so the blocks of a chunk of
 * features (whole groups of eight, EK_SPFC_CHUNK blocks and features at most) run as one loop that stores
 * the running sum of the vpmaddwd products after every block (int32 lanes modulo 2^32);
 * feature f's sum is then running[row_ptr[f + 1]] - running[row_ptr[f]], an empty feature
 * giving 0. Blocks of 16: one aligned 32-byte load of widened input per block. Blocks of 4:
 * four blocks' 8-byte widened input chunks per vpmaddwd, assembled with scalar loads (vpgatherdq
 * was slower on the AMD EPYC measured); the running sum is kept per step of four blocks, plus
 * each step's products to add the first 1..3 blocks of a step; there whole groups of eight
 * read their nine running sums without branches (ek_spfc_group8: 5-20 % faster for blocks
 * of 4, 3-10 % slower for blocks of 16 in alternating runs, so blocks of 16 keep the loop).
 * For blocks of 16 a chunk's whole groups store their sums first and are requantized in one
 * pass after them (1.1x faster at 80 % for 64 and 128 inputs, even for 256).
 *
 * Balanced rows (every feature holds the same number of blocks of 16; `edgepack pack
 * --prune-pattern rows1x16` writes such layers) skip the running sums: eight features advance
 * in lockstep with their sums in registers (ek_spfc_rows8), about 1.3x faster at 80 % on the
 * EPYC measured (`ek_sparse_bench --fc`, rows 1x16r). The check is one pass over row_ptr.
 * Up to 8 blocks per feature (in_features up to 640 at 80 %) the group is
 * unrolled with constant offsets (ek_spfc_rows8_k), and the sums of up to EK_SPFC_CHUNK
 * features are requantized in one pass afterwards, as in the dense 1x8c16 kernel: together
 * 1.2-1.4x faster again for 64 to 256 inputs at 80 % (1.5x -> 2.0x over dense for 128 -> 640).
 */
#define EK_SPFC_MAX_K 8192

EK_AVX2_INLINE void ek_spfc_widen(const int8_t *x, size_t k, __m256i zp, int16_t *xs) {
  /* Lanes past k are never read (blocks lie within k); the last load over-reads x within
   * EK_EXTRA_BYTES. */
  for (size_t i = 0; i < k; i += 16) {
    _mm256_store_si256((__m256i *)(xs + i),
                       _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))), zp));
  }
}

EK_AVX2_INLINE __m256i ek_spfc_wv(const int8_t *v) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)v));
}

EK_AVX2_INLINE __m256i ek_spfc_madd16(const int16_t *xs, size_t col, const int8_t *v) {
  return _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(xs + 16 * col)), ek_spfc_wv(v));
}

EK_AVX2_INLINE __m256i ek_spfc_row16(const int16_t *xs, const uint16_t *cols, const int8_t *v, size_t nb) {
  __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    a0 = _mm256_add_epi32(a0, ek_spfc_madd16(xs, cols[b], v + 16 * b));
    a1 = _mm256_add_epi32(a1, ek_spfc_madd16(xs, cols[b + 1], v + 16 * b + 16));
  }
  if (b < nb) a0 = _mm256_add_epi32(a0, ek_spfc_madd16(xs, cols[b], v + 16 * b));
  return _mm256_add_epi32(a0, a1);
}

/* Running sums of the vpmaddwd products of one chunk of output features' blocks of 16:
 * prefix[i] after the chunk's first i blocks (int32 lanes modulo 2^32; prefix[0] = 0). */
EK_AVX2_INLINE void ek_spfc_prefix16(const int16_t *xs, const uint16_t *cols, const int8_t *v,
                                     size_t total, __m256i *prefix) {
  __m256i sum = _mm256_setzero_si256();
  _mm256_store_si256(prefix, sum);
  size_t b = 0;
  for (; b + 2 <= total; b += 2) {
    sum = _mm256_add_epi32(sum, ek_spfc_madd16(xs, cols[b], v + 16 * b));
    _mm256_store_si256(prefix + b + 1, sum);
    sum = _mm256_add_epi32(sum, ek_spfc_madd16(xs, cols[b + 1], v + 16 * b + 16));
    _mm256_store_si256(prefix + b + 2, sum);
  }
  if (b < total) {
    sum = _mm256_add_epi32(sum, ek_spfc_madd16(xs, cols[b], v + 16 * b));
    _mm256_store_si256(prefix + b + 1, sum);
  }
}

EK_AVX2_INLINE long long ek_sp_load8(const int16_t *p) {
  long long v;
  memcpy(&v, p, 8);
  return v;
}

/* Widened input of the four blocks of 4 at cols[0..3], lanes of blocks >= left (1..4) zero:
 * their columns are replaced by 0 before the loads, so only cols[0 ..< left] are used. */
EK_AVX2_INLINE __m256i ek_spfc_x4x4(const int16_t *xs, const uint16_t *cols, size_t left) {
  size_t c0 = cols[0], c1 = left > 1 ? cols[1] : 0, c2 = left > 2 ? cols[2] : 0,
         c3 = left > 3 ? cols[3] : 0;
  /* Keeps the column arithmetic scalar: vectorized, it costs four vpextrd per step. */
  __asm__("" : "+r"(c0), "+r"(c1), "+r"(c2), "+r"(c3));
  __m256i v = _mm256_setr_epi64x(ek_sp_load8(xs + 4 * c0), ek_sp_load8(xs + 4 * c1), ek_sp_load8(xs + 4 * c2),
                                 ek_sp_load8(xs + 4 * c3));
  if (left < 4) {
    v = _mm256_and_si256(v, _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)left), _mm256_setr_epi64x(0, 1, 2, 3)));
  }
  return v;
}

EK_AVX2_INLINE __m256i ek_spfc_row4(const int16_t *xs, const uint16_t *cols, const int8_t *v, size_t nb) {
  __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
  size_t b = 0;
  for (; b + 8 <= nb; b += 8) {
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(ek_spfc_x4x4(xs, cols + b, 4), ek_spfc_wv(v + 4 * b)));
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(ek_spfc_x4x4(xs, cols + b + 4, 4), ek_spfc_wv(v + 4 * b + 16)));
  }
  /* The last 1..7 blocks: values read past the row (within EK_EXTRA_BYTES) meet zero lanes. */
  for (; b < nb; b += 4) {
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(ek_spfc_x4x4(xs, cols + b, nb - b), ek_spfc_wv(v + 4 * b)));
  }
  return _mm256_add_epi32(a0, a1);
}

/* Requantizes the eight features staged in acc (nr of them) into y[oc ..< oc + nr]. */
EK_AVX2_INLINE void ek_spfc_store8(const __m256i acc[8], size_t nr, size_t oc, const int32_t *bias,
                                   const ek_qs8_fc_params *params, int8_t *y) {
  ek_qs8_fc_requant8_store(ek_hsum8_epi32(acc), nr, bias != NULL ? bias + oc : NULL, params->scale + oc, params,
                           y + oc);
}

/* Blocks of 4 in steps of four: q[t] = the sum of the products of steps < t and m[t] = step
 * t's products, block 4t + i in int32 lanes 2i and 2i + 1 (lanes past the chunk zero), for
 * t <= total / 4. The running sum up to block i is q[i / 4] plus the first 2 (i % 4) lanes
 * of m[i / 4]. */
EK_AVX2_INLINE void ek_spfc_prefix4(const int16_t *xs, const uint16_t *cols, const int8_t *v,
                                    size_t total, __m256i *q, __m256i *m) {
  __m256i sum = _mm256_setzero_si256();
  size_t b = 0, t = 0;
  for (; b + 4 <= total; b += 4, ++t) {
    const __m256i p = _mm256_madd_epi16(ek_spfc_x4x4(xs, cols + b, 4), ek_spfc_wv(v + 4 * b));
    _mm256_store_si256(q + t, sum);
    _mm256_store_si256(m + t, p);
    sum = _mm256_add_epi32(sum, p);
  }
  /* The last 0..3 blocks: values read past them (within EK_EXTRA_BYTES) meet zero lanes. */
  __m256i p = _mm256_setzero_si256();
  if (b < total) p = _mm256_madd_epi16(ek_spfc_x4x4(xs, cols + b, total - b), ek_spfc_wv(v + 4 * b));
  _mm256_store_si256(q + t, sum);
  _mm256_store_si256(m + t, p);
}

/* Features go in chunks of whole groups of eight with at most EK_SPFC_CHUNK blocks of 16
 * (or 2 * EK_SPFC_CHUNK blocks of 4, in EK_SPFC_CHUNK / 2 steps); a group with more (only
 * when k > 16 * EK_SPFC_CHUNK / 8) runs a loop per feature instead. */
#define EK_SPFC_CHUNK 512

/* Lane masks of the first 2 j int32 lanes, j = 0..3. */
static const int32_t ek_spfc_keep[4][8] __attribute__((aligned(32))) = {
    {0, 0, 0, 0, 0, 0, 0, 0}, {-1, -1, 0, 0, 0, 0, 0, 0}, {-1, -1, -1, -1, 0, 0, 0, 0}, {-1, -1, -1, -1, -1, -1, 0, 0}};

/* The running sum of a chunk up to block i (see ek_spfc_prefix16 and ek_spfc_prefix4). */
EK_AVX2_INLINE __m256i ek_spfc_running(const __m256i *prefix, const __m256i *m, size_t bw, size_t i) {
  if (bw == 16) return prefix[i];
  const __m256i keep = _mm256_load_si256((const __m256i *)ek_spfc_keep[i & 3]);
  return _mm256_add_epi32(prefix[i / 4], _mm256_and_si256(keep, m[i / 4]));
}

/* y[0 ..< 8] from the raw sums of eight features, their bias (NULL: none) and scale, read in
 * place (ek_qs8_fc_requant8_store with nr = 8). */
EK_AVX2_INLINE void ek_spfc_requant8(__m256i sums, const int32_t *bias, const double *scale, const ek_fc_out *out,
                                     int8_t *y) {
  if (bias != NULL) sums = _mm256_add_epi32(sums, _mm256_loadu_si256((const __m256i *)bias));
  _mm_storel_epi64((__m128i *)y, ek_fc_requant8_bytes(sums, scale, out));
}

/* Eight whole output features oc ..< oc + 8 of a chunk starting at block `first`, without
 * branches. */
EK_AVX2_INLINE void ek_spfc_group8(const __m256i *prefix, const __m256i *m, size_t bw, const uint32_t *rp,
                                   uint32_t first, const int32_t *bias, const double *scale,
                                   const ek_fc_out *out, int8_t *y) {
  __m256i acc[8];
  __m256i lo = ek_spfc_running(prefix, m, bw, rp[0] - first);
  for (size_t j = 0; j < 8; ++j) {
    const __m256i hi = ek_spfc_running(prefix, m, bw, rp[j + 1] - first);
    acc[j] = _mm256_sub_epi32(hi, lo);
    lo = hi;
  }
  ek_spfc_requant8(ek_hsum8_epi32(acc), bias, scale, out, y);
}

/* True when all n features hold nb blocks each (balanced rows, as `edgepack pack
 * --prune-pattern rows1x16` writes them): row_ptr[o] == o * nb. */
EK_AVX2_INLINE int ek_spfc_balanced(const uint32_t *rp, size_t n, uint32_t nb) {
  if (rp[n] != (uint32_t)n * nb) return 0;
  const __m256i step = _mm256_set1_epi32((int)(8 * nb));
  __m256i expect = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)nb));
  __m256i diff = _mm256_setzero_si256();
  size_t o = 0;
  for (; o + 8 <= n; o += 8, expect = _mm256_add_epi32(expect, step)) {
    diff = _mm256_or_si256(diff, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(rp + o)), expect));
  }
  for (; o < n; ++o) {
    if (rp[o] != (uint32_t)o * nb) return 0;
  }
  return _mm256_testz_si256(diff, diff);
}

/* Eight features of nb blocks of 16 each (balanced rows): the features advance in lockstep,
 * block t of feature j at cols[j * nb + t], their sums kept in eight registers; no running
 * sums (a loop per feature was slower: its trip count is small). For blocks of 4 the running
 * sums stay faster (four scalar loads per step and feature). Returns the eight raw sums. */
EK_AVX2_INLINE __m256i ek_spfc_rows8(const int16_t *xs, const uint16_t *cols, const int8_t *v, size_t nb) {
  __m256i acc[8];
  for (size_t j = 0; j < 8; ++j) acc[j] = _mm256_setzero_si256();
  const char *x = (const char *)xs;
  for (size_t t = 0; t < nb; ++t, ++cols, v += 16) {
    const uint16_t *c = cols;
    const int8_t *w = v;
    for (size_t j = 0; j < 8; ++j, c += nb, w += 16 * nb) {
      acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(x + 32 * (size_t)*c)),
                                                          ek_spfc_wv(w)));
    }
  }
  return ek_hsum8_epi32(acc);
}

/* ek_spfc_rows8 for a constant nb (1..8, see ek_spfc_rows8_run): the 8 nb blocks of a group are
 * consecutive in cols and values, so with every offset constant a block costs one column load
 * and shift, the weight widening, vpmaddwd and vpaddd (the loop above also steps two pointers
 * per block). */
/* ek_hsum8_epi32 with unpacks and adds instead of vphaddd: 2-5 %
 * faster for balanced rows of 1 or 2 blocks. */
EK_AVX2_INLINE __m256i ek_spfc_pair(__m256i a, __m256i b) {
  return _mm256_add_epi32(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
}
EK_AVX2_INLINE __m256i ek_spfc_hsum8(const __m256i a[8]) {
  const __m256i p01 = ek_spfc_pair(a[0], a[1]), p23 = ek_spfc_pair(a[2], a[3]);
  const __m256i p45 = ek_spfc_pair(a[4], a[5]), p67 = ek_spfc_pair(a[6], a[7]);
  const __m256i q0 = _mm256_add_epi32(_mm256_unpacklo_epi64(p01, p23), _mm256_unpackhi_epi64(p01, p23));
  const __m256i q1 = _mm256_add_epi32(_mm256_unpacklo_epi64(p45, p67), _mm256_unpackhi_epi64(p45, p67));
  return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q0, q1, 0x31));
}
EK_AVX2_INLINE __m256i ek_spfc_rows8_k(const int16_t *xs, const uint16_t *cols, const int8_t *v, size_t nb) {
  const char *x = (const char *)xs;
  __m256i acc[8];
  /* Unrolled at every optimization level (-Os would keep the loops). */
#pragma clang loop unroll(full)
  for (size_t j = 0; j < 8; ++j) {
    acc[j] = _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(x + 32 * (size_t)cols[j * nb])),
                               ek_spfc_wv(v + 16 * j * nb));
#pragma clang loop unroll(full)
    for (size_t t = 1; t < nb; ++t) {
      acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(x + 32 * (size_t)cols[j * nb + t])),
                                                          ek_spfc_wv(v + 16 * (j * nb + t))));
    }
  }
  return ek_spfc_hsum8(acc);
}

/* The raw sums of features oc ..< oc + 8 * groups (groups of eight, nb blocks each) into sums. */
EK_AVX2_INLINE void ek_spfc_rows8_run(const int16_t *xs, const uint16_t *cols, const int8_t *v, size_t nb,
                                      size_t groups, int32_t *sums) {
#define EK_SPFC_ROWS_CASE(NB)                                                                       \
  case NB:                                                                                         \
    for (size_t g = 0; g < groups; ++g) {                                                          \
      _mm256_store_si256((__m256i *)(sums + 8 * g), ek_spfc_rows8_k(xs, cols + 8 * NB * g, v + 128 * NB * g, NB)); \
    }                                                                                              \
    return;
  switch (nb) {
    EK_SPFC_ROWS_CASE(1)
    EK_SPFC_ROWS_CASE(2)
    EK_SPFC_ROWS_CASE(3)
    EK_SPFC_ROWS_CASE(4)
    EK_SPFC_ROWS_CASE(5)
    EK_SPFC_ROWS_CASE(6)
    EK_SPFC_ROWS_CASE(7)
    EK_SPFC_ROWS_CASE(8)
  default:
    for (size_t g = 0; g < groups; ++g) {
      _mm256_store_si256((__m256i *)(sums + 8 * g), ek_spfc_rows8(xs, cols + 8 * nb * g, v + 128 * nb * g, nb));
    }
    return;
  }
#undef EK_SPFC_ROWS_CASE
}

EK_AVX2_INLINE void ek_spfc_drive(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                  const int8_t *input, const ek_qs8_bsr *weights,
                                  const int32_t *bias, int8_t *output, size_t bw) {
  int16_t xs[EK_SPFC_MAX_K + 16] __attribute__((aligned(32)));
  __m256i prefix[EK_SPFC_CHUNK + 1 + EK_SPFC_CHUNK / 8]; /* then the sums of a chunk's features */
  __m256i *const m = prefix + EK_SPFC_CHUNK / 2 + 1; /* blocks of 4: q = prefix, then m */
  const size_t budget = bw == 16 ? EK_SPFC_CHUNK : 2 * EK_SPFC_CHUNK - 8;
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  const uint32_t *rp = weights->row_ptr;
  const __m256i zp = _mm256_set1_epi16((short)params->input_zero_point);
  const ek_fc_out out = ek_fc_out_load(params);
  const int balanced = bw == 16 && n >= 8 && ek_spfc_balanced(rp, n, rp[1]);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    int8_t *y = output + b * n;
    ek_spfc_widen(input + b * k, k, zp, xs);
    size_t oc = 0;
    if (balanced) {
      /* Sums of up to EK_SPFC_CHUNK features, then their requantization in one pass. */
      for (; oc + 8 <= n;) {
        const size_t groups = (n - oc) / 8 < EK_SPFC_CHUNK / 8 ? (n - oc) / 8 : EK_SPFC_CHUNK / 8;
        const uint32_t first = rp[oc];
        ek_spfc_rows8_run(xs, weights->block_col + first, weights->values + (size_t)first * bw, rp[1], groups,
                          (int32_t *)prefix);
        for (size_t g = 0; g < groups; ++g, oc += 8) {
          ek_spfc_requant8(_mm256_load_si256(prefix + g), bias != NULL ? bias + oc : NULL, params->scale + oc, &out,
                           y + oc);
        }
      }
    }
    while (oc < n) {
      size_t end = oc;
      while (end < n) {
        const size_t next = n - end < 8 ? n : end + 8;
        if (rp[next] - rp[oc] > budget || next - oc > EK_SPFC_CHUNK) break;
        end = next;
      }
      __m256i acc[8];
      if (end == oc) {
        const size_t nr = n - oc < 8 ? n - oc : 8;
        for (size_t j = 0; j < 8; ++j) {
          acc[j] = _mm256_setzero_si256();
          if (j < nr) {
            const uint32_t begin = rp[oc + j];
            const uint16_t *cols = weights->block_col + begin;
            const int8_t *v = weights->values + (size_t)begin * bw;
            acc[j] = bw == 16 ? ek_spfc_row16(xs, cols, v, rp[oc + j + 1] - begin)
                              : ek_spfc_row4(xs, cols, v, rp[oc + j + 1] - begin);
          }
        }
        ek_spfc_store8(acc, nr, oc, bias, params, y);
        oc += nr;
        continue;
      }
      const uint32_t first = rp[oc];
      const uint16_t *cols = weights->block_col + first;
      const int8_t *v = weights->values + (size_t)first * bw;
      if (bw == 16) {
        ek_spfc_prefix16(xs, cols, v, rp[end] - first, prefix);
      } else {
        ek_spfc_prefix4(xs, cols, v, rp[end] - first, prefix, m);
      }
      for (; bw == 4 && oc + 8 <= end; oc += 8) { /* see above */
        ek_spfc_group8(prefix, m, bw, rp + oc, first, bias != NULL ? bias + oc : NULL, params->scale + oc, &out,
                       y + oc);
      }
      if (bw == 16) {
        /* Whole groups of eight: their sums first, then one requantization pass. */
        int32_t *const sums = (int32_t *)(prefix + EK_SPFC_CHUNK + 1);
        const size_t start = oc;
        for (; oc + 8 <= end; oc += 8) {
          __m256i lo = prefix[rp[oc] - first];
          for (size_t j = 0; j < 8; ++j) {
            const __m256i hi = prefix[rp[oc + j + 1] - first];
            acc[j] = _mm256_sub_epi32(hi, lo);
            lo = hi;
          }
          _mm256_store_si256((__m256i *)(sums + (oc - start)), ek_hsum8_epi32(acc));
        }
        for (size_t g = start; g < oc; g += 8) {
          ek_spfc_requant8(_mm256_load_si256((const __m256i *)(sums + (g - start))), bias != NULL ? bias + g : NULL,
                           params->scale + g, &out, y + g);
        }
      }
      for (; oc < end; oc += 8) {
        const size_t nr = end - oc < 8 ? end - oc : 8;
        __m256i lo = ek_spfc_running(prefix, m, bw, rp[oc] - first);
        for (size_t j = 0; j < 8; ++j) {
          acc[j] = _mm256_setzero_si256();
          if (j < nr) {
            const __m256i hi = ek_spfc_running(prefix, m, bw, rp[oc + j + 1] - first);
            acc[j] = _mm256_sub_epi32(hi, lo);
            lo = hi;
          }
        }
        ek_spfc_store8(acc, nr, oc, bias, params, y);
      }
    }
  }
}

EK_AVX2 void ek_qs8_spfc_minmax_b1x4__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                           const int8_t *input, const ek_qs8_bsr *weights,
                                           const int32_t *bias, int8_t *output) {
  if (shape->in_features > EK_SPFC_MAX_K) {
    ek_qs8_spfc_drive(shape, params, input, weights, bias, output, 4, ek_sp_row_b1x4);
  } else {
    ek_spfc_drive(shape, params, input, weights, bias, output, 4);
  }
}

EK_AVX2 void ek_qs8_spfc_minmax_b1x16__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                            const int8_t *input, const ek_qs8_bsr *weights,
                                            const int32_t *bias, int8_t *output) {
  if (shape->in_features > EK_SPFC_MAX_K) {
    ek_qs8_spfc_drive(shape, params, input, weights, bias, output, 16, ek_sp_row_b1x16);
  } else {
    ek_spfc_drive(shape, params, input, weights, bias, output, 16);
  }
}

#endif
