/* AVX2 grouped block-sparse int8 fully connected kernel (see ek_sparse_grouped.h). */
#include "ek_sparse_grouped.h"

#if defined(__x86_64__)
#include "ek_requant_avx2.h"

/*
 * Blocks of 8 output features x 2 input features: the group's eight sums live in the eight
 * int32 lanes of one register, so a block is one broadcast of the input pair (x - zp as two
 * int16), one widening load of its 16 weights, one vpmaddwd and one vpaddd; the sums need no
 * horizontal reduction and are requantized eight at a time right away. The input row is
 * widened once to int16 x - zp on the stack (a pair is then one 32-bit broadcast load); rows
 * longer than EK_GSPFC_MAX_K form each pair from the int8 input instead.
 *
 * The layers this pattern is for are small (digits_mlp 64 -> 32 and 32 -> 10, ad01 128 -> 8
 * at 80 %: 3 to 13 blocks a group, 1 to 4 groups), so a call's fixed cost weighs as much as
 * its blocks. A group's blocks therefore run as a jump into a sequence of EK_GS_UNROLL
 * unrolled blocks (one predicted indirect branch a group, no loop branch per block, no pass
 * over group_ptr to find out whether all groups hold the same count), after whole runs of
 * EK_GS_UNROLL blocks from the front. A short last group is requantized together with the
 * whole group before it (no masked loads), and batch 1 (a model run one input at a time)
 * has a function of its own without the row loop.
 */
#define EK_GSPFC_MAX_K 8192
#define EK_GS_UNROLL 16

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

/* acc + the products of the block at column c with weights v[0 ..< 16]. */
EK_AVX2_INLINE __m256i ek_gs_block(__m256i acc, const int16_t *xs, const int8_t *x, size_t c, int32_t zp,
                                   int wide, const int8_t *v) {
  const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)v));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(ek_gs_pair(xs, x, c, zp, wide), wv));
}

/* acc + the products of the nb blocks of one group that end before columns ce and weights ve:
 * runs of EK_GS_UNROLL from the front, then a jump into an unrolled sequence addressed back
 * from the end. */
EK_AVX2_INLINE __m256i ek_gs_blocks(__m256i acc, const int16_t *xs, const int8_t *x, const uint16_t *ce,
                                    const int8_t *ve, size_t nb, int32_t zp, int wide) {
  for (; nb > EK_GS_UNROLL; nb -= EK_GS_UNROLL) {
    const uint16_t *c = ce - nb;
    const int8_t *v = ve - 16 * nb;
#pragma clang loop unroll(full)
    for (size_t t = 0; t < EK_GS_UNROLL; ++t) acc = ek_gs_block(acc, xs, x, c[t], zp, wide, v + 16 * t);
  }
#define EK_GS_TAIL(T)                                                                         \
  case T:                                                                                    \
    acc = ek_gs_block(acc, xs, x, ce[-(T)], zp, wide, ve - 16 * (T));                        \
    __attribute__((fallthrough));
  switch (nb) {
    EK_GS_TAIL(16) EK_GS_TAIL(15) EK_GS_TAIL(14) EK_GS_TAIL(13) EK_GS_TAIL(12) EK_GS_TAIL(11)
    EK_GS_TAIL(10) EK_GS_TAIL(9) EK_GS_TAIL(8) EK_GS_TAIL(7) EK_GS_TAIL(6) EK_GS_TAIL(5)
    EK_GS_TAIL(4) EK_GS_TAIL(3) EK_GS_TAIL(2) EK_GS_TAIL(1)
  case 0:
    break;
  default:
    __builtin_unreachable(); /* nb <= EK_GS_UNROLL after the loop */
  }
#undef EK_GS_TAIL
  return acc;
}

/* Int32 lanes 0..7. */
static const int32_t ek_gs_iota[8] __attribute__((aligned(32))) = {0, 1, 2, 3, 4, 5, 6, 7};

/* One input row: y[0 ..< n] (xs: the widened row when wide, else x is read directly). */
EK_AVX2_INLINE void ek_gs_row(const int16_t *xs, const int8_t *x, const ek_qs8_fc_params *params,
                              const ek_qs8_gbsr *w, const int32_t *bias, size_t n, int8_t *y,
                              const ek_fc_out *out, int wide) {
  const int32_t zp = params->input_zero_point;
  const uint32_t *gp = w->group_ptr;
  const uint16_t *cols = w->block_col;
  const int8_t *values = w->values;
  const double *scale = params->scale;
  const size_t full = n / 8, nr = n % 8;
  uint32_t begin = gp[0];
  __m256i sums = _mm256_setzero_si256(); /* the raw sums of the last whole group */
  for (size_t g = 0; g < full; ++g) {
    const uint32_t end = gp[g + 1];
    sums = ek_gs_blocks(_mm256_setzero_si256(), xs, x, cols + end, values + 16 * (size_t)end, end - begin, zp, wide);
    __m256i acc = sums;
    /* Unsigned int32 lanes: the reference's accumulation modulo 2^32. */
    if (bias != NULL) acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(bias + 8 * g)));
    _mm_storel_epi64((__m128i *)(y + 8 * g), ek_fc_requant8_bytes(acc, scale + 8 * g, out));
    begin = end;
  }
  if (nr == 0) return;
  /* A short last group of nr features. */
  const uint32_t end = gp[full + 1];
  const __m256i last =
      ek_gs_blocks(_mm256_setzero_si256(), xs, x, cols + end, values + 16 * (size_t)end, end - begin, zp, wide);
  if (full > 0) {
    /* Features n - 8 ..< n, the last 8 - nr of the whole group before and this group's nr,
     * requantized together and stored over the 8 - nr bytes already written (the same
     * values): whole vectors of bias and scale, no masked loads. Lane j is lane (j + nr) % 8
     * of `last` (lanes < nr) or of `sums`. */
    const __m256i lanes = _mm256_load_si256((const __m256i *)ek_gs_iota);
    const __m256i vnr = _mm256_set1_epi32((int)nr);
    const __m256i mixed = _mm256_blendv_epi8(sums, last, _mm256_cmpgt_epi32(vnr, lanes));
    __m256i acc = _mm256_permutevar8x32_epi32(mixed, _mm256_add_epi32(lanes, vnr));
    if (bias != NULL) acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(bias + n - 8)));
    _mm_storel_epi64((__m128i *)(y + n - 8), ek_fc_requant8_bytes(acc, scale + n - 8, out));
    return;
  }
  /* Fewer than 8 features in all: bias and scale read with masked loads, which touch nothing
   * past nr. */
  ek_store_bytes_n(y, ek_fc_requant8_bytes_n(last, nr, bias, scale, out), nr);
}

/* Widens x[0 ..< k] to int16 x - zp, 32 values a step (xs holds EK_GSPFC_MAX_K + 32). Lanes
 * past k are never read (blocks lie within k); the last step over-reads x by up to 31 bytes,
 * within EK_EXTRA_BYTES. */
EK_AVX2_INLINE void ek_gs_widen(const int8_t *x, size_t k, __m256i zp, int16_t *xs) {
#pragma clang loop unroll(disable)
  for (size_t i = 0; i < k; i += 32) {
    const __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i)));
    const __m256i hi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i + 16)));
    _mm256_store_si256((__m256i *)(xs + i), _mm256_sub_epi16(lo, zp));
    _mm256_store_si256((__m256i *)(xs + i + 16), _mm256_sub_epi16(hi, zp));
  }
}

/* More than one row, or rows longer than EK_GSPFC_MAX_K. */
static EK_AVX2 __attribute__((noinline)) void ek_gs_rows(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                                        const int8_t *input, const ek_qs8_gbsr *weights,
                                                        const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  const size_t batch = (size_t)shape->batch;
  const ek_fc_out out = ek_fc_out_load(params);
  if (k > EK_GSPFC_MAX_K) {
    for (size_t b = 0; b < batch; ++b) ek_gs_row(NULL, input + b * k, params, weights, bias, n, output + b * n, &out, 0);
    return;
  }
  int16_t xs[EK_GSPFC_MAX_K + 32] __attribute__((aligned(32)));
  const __m256i zp = _mm256_set1_epi16((short)params->input_zero_point);
  for (size_t b = 0; b < batch; ++b) {
    ek_gs_widen(input + b * k, k, zp, xs);
    ek_gs_row(xs, input + b * k, params, weights, bias, n, output + b * n, &out, 1);
  }
}

/* One row of at most EK_GSPFC_MAX_K features: no row loop, whose invariants would be kept in
 * spilled registers. */
static EK_AVX2 __attribute__((noinline)) void ek_gs_one(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                                       const int8_t *input, const ek_qs8_gbsr *weights,
                                                       const int32_t *bias, int8_t *output) {
  int16_t xs[EK_GSPFC_MAX_K + 32] __attribute__((aligned(32)));
  const ek_fc_out out = ek_fc_out_load(params);
  ek_gs_widen(input, (size_t)shape->in_features, _mm256_set1_epi16((short)params->input_zero_point), xs);
  ek_gs_row(xs, input, params, weights, bias, (size_t)shape->out_features, output, &out, 1);
}

/* Two tail calls: neither path's stack frame holds the other's widened row. */
EK_AVX2 void ek_qs8_gspfc_minmax_8x2__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                           const int8_t *input, const ek_qs8_gbsr *weights,
                                           const int32_t *bias, int8_t *output) {
  if (shape->batch == 1 && shape->in_features <= EK_GSPFC_MAX_K) {
    ek_gs_one(shape, params, input, weights, bias, output);
  } else {
    ek_gs_rows(shape, params, input, weights, bias, output);
  }
}

#endif
