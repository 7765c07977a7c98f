/* AVX2 + FMA fully connected kernels (see ek_conv.h). */
#include "ek_conv.h"
#include "../common/ek_fc_driver.h"

#if defined(__x86_64__)
#include "ek_conv_c4_avx2.h"

EK_AVX2_INLINE float ek_hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* int16 lanes [0, n) set, n <= 16. */
EK_AVX2_INLINE __m256i ek_keep_epi16_fc(size_t n) {
  const __m256i lanes = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm256_cmpgt_epi16(_mm256_set1_epi16((short)n), lanes);
}

EK_AVX2_INLINE int32_t ek_hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

/* Lane mask with the first n (0..8) 32-bit lanes set. */
EK_AVX2_INLINE __m256i ek_mask_epi32(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

/* nr (1..4) dot products of one input row with nr weight rows, 8 floats per step; the tail
 * uses masked loads, which read nothing past the end. */
EK_AVX2_INLINE void ek_f32_dot_1xN(size_t nr, size_t k, const float *x, const float *w,
                                   float *sums) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  size_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    for (size_t j = 0; j < nr; ++j) {
      acc[j] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w + j * k + i), acc[j]);
    }
  }
  if (i < k) {
    const __m256i mask = ek_mask_epi32(k - i);
    const __m256 xv = _mm256_maskload_ps(x + i, mask);
    for (size_t j = 0; j < nr; ++j) {
      acc[j] = _mm256_fmadd_ps(xv, _mm256_maskload_ps(w + j * k + i, mask), acc[j]);
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    sums[j] = ek_hsum_ps(acc[j]);
  }
}

EK_AVX2 void ek_f32_fc_minmax_1x4c8__avx2(const ek_fc_shape *shape, const float *input,
                                          const float *weights, const float *bias,
                                          float *output, float output_min, float output_max) {
  ek_f32_fc_drive_1x4(shape, input, weights, bias, output, output_min, output_max, ek_f32_dot_1xN);
}

/* nr (1..4) sums of w * (x - zero_point) over k int8 features, 16 per step: both sides are
 * widened to int16 and multiplied by vpmaddwd, whose int16 x int16 pair sums cannot saturate
 * (|w * (x - zp)| <= 128 * 255). The tail reads a whole step (within EK_EXTRA_BYTES) and
 * zeroes the input lanes past k. */
EK_AVX2_INLINE void ek_qs8_dot_1xN(size_t nr, size_t k, const int8_t *x, const int8_t *w,
                                   __m256i zero_point, int32_t *sums) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m256i xv = _mm256_sub_epi16(
        _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))), zero_point);
    for (size_t j = 0; j < nr; ++j) {
      const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + j * k + i)));
      acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(xv, wv));
    }
  }
  if (i < k) {
    const __m256i lanes = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m256i keep = _mm256_cmpgt_epi16(_mm256_set1_epi16((short)(k - i)), lanes);
    const __m256i xv = _mm256_and_si256(
        keep, _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i))),
                               zero_point));
    for (size_t j = 0; j < nr; ++j) {
      const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + j * k + i)));
      acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(xv, wv));
    }
  }
  for (size_t j = 0; j < nr; ++j) {
    sums[j] = ek_hsum_epi32(acc[j]);
  }
}

EK_AVX2 void ek_qs8_fc_minmax_1x4c16__avx2(const ek_fc_shape *shape,
                                           const ek_qs8_fc_params *params, const int8_t *input,
                                           const int8_t *weights, const int32_t *bias,
                                           int8_t *output) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  const __m256i zero_point = _mm256_set1_epi16((short)params->input_zero_point);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    int8_t *y = output + b * n;
    for (size_t oc = 0; oc < n; oc += 4) {
      const size_t nr = n - oc < 4 ? n - oc : 4;
      int32_t sums[4];
      if (nr == 4) {
        ek_qs8_dot_1xN(4, k, x, weights + oc * k, zero_point, sums);
      } else {
        ek_qs8_dot_1xN(nr, k, x, weights + oc * k, zero_point, sums);
      }
      for (size_t j = 0; j < nr; ++j) {
        /* Unsigned addition: the reference's int32 accumulation modulo 2^32, without UB. */
        const int32_t acc =
            (int32_t)((uint32_t)sums[j] + (uint32_t)(bias != NULL ? bias[oc + j] : 0));
        y[oc + j] = ek_qs8_fc_requantize(acc, params->scale[oc + j], params);
      }
    }
  }
}

/*
 * Tile 1x8c16: the input row is widened once (int16 x - zp on the stack, zero past k up to
 * the step), then eight weight rows at a time; their eight sums are reduced together into one
 * vector. The sums of up to EK_FC_CHUNK outputs wait on the stack and are requantized in one
 * pass afterwards (ek_qs8_fc_requant_chunk): the double-precision requantization of a tile
 * then no longer sits on the critical path between two tiles' dot products, and its
 * constants stay in registers. Rows longer than EK_FC_MAX_K run the 1x4c16 kernel.
 */
#define EK_FC_MAX_K 8192
#define EK_FC_CHUNK 512
/* Batches from this many rows run the 4x16c4 tile (below): packing the weights costs about
 * as much as 8..12 rows' dot products; measured (batch 8 / 16 / 32 against row by row, 128..640
 * features) 0.84..0.91x / 1.01..1.13x / 1.22..1.27x. */
#define EK_FC_GEMM_MIN_BATCH 16

/* y[j] = ek_qs8_fc_requantize(sums[j] + bias[j], scale[j], p) for j < n; sums holds n
 * rounded up to 8 entries, bias may be NULL. Reads and writes exactly n entries of bias,
 * scale and y. */
EK_AVX2_INLINE void ek_qs8_fc_requant_chunk(size_t n, const int32_t *sums, const int32_t *bias,
                                            const double *scale, const ek_qs8_fc_params *p,
                                            int8_t *y) {
  const ek_fc_out out = ek_fc_out_load(p);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256i acc = _mm256_load_si256((const __m256i *)(sums + j));
    /* Unsigned int32 lanes: the reference's accumulation modulo 2^32. */
    if (bias != NULL) acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(bias + j)));
    _mm_storel_epi64((__m128i *)(y + j), ek_fc_requant8_bytes(acc, scale + j, &out));
  }
  if (j < n) {
    ek_qs8_fc_requant8_store(_mm256_load_si256((const __m256i *)(sums + j)), n - j,
                             bias != NULL ? bias + j : NULL, scale + j, p, y + j);
  }
}

/* The eight raw sums of rows min(j, last) (j < 8; row r at w + r * k) with the widened input
 * xs over `steps` 16-value steps. Weight lanes past k meet zeroed input lanes (the step
 * over-reads within EK_EXTRA_BYTES). */
EK_AVX2_INLINE __m256i ek_qs8_fc_dot8(const int16_t *xs, size_t steps, const int8_t *w, size_t k,
                                      size_t last) {
  __m256i acc[8];
  for (size_t j = 0; j < 8; ++j) acc[j] = _mm256_setzero_si256();
  for (size_t i = 0; i < steps * 16; i += 16) {
    const __m256i xv = _mm256_load_si256((const __m256i *)(xs + i));
    for (size_t j = 0; j < 8; ++j) {
      const int8_t *row = w + (j < last ? j : last) * k;
      const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
      acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(xv, wv));
    }
  }
  return ek_hsum8_epi32(acc);
}

EK_AVX2 void ek_qs8_fc_minmax_1x8c16__avx2(const ek_fc_shape *shape,
                                           const ek_qs8_fc_params *params, const int8_t *input,
                                           const int8_t *weights, const int32_t *bias,
                                           int8_t *output) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  if (k > EK_FC_MAX_K) {
    ek_qs8_fc_minmax_1x4c16__avx2(shape, params, input, weights, bias, output);
    return;
  }
  if ((size_t)shape->batch >= EK_FC_GEMM_MIN_BATCH && k <= EK_C4_MAX_K) {
    ek_qs8_fc_minmax_4x16c4__avx2(shape, params, input, weights, bias, output);
    return;
  }
  int16_t xs[EK_FC_MAX_K + 16] __attribute__((aligned(32)));
  int32_t sums[EK_FC_CHUNK] __attribute__((aligned(32)));
  const __m256i zp = _mm256_set1_epi16((short)params->input_zero_point);
  const size_t steps = (k + 15) / 16;
  const __m256i keep = ek_keep_epi16_fc(k - (steps - 1) * 16);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    int8_t *y = output + b * n;
    for (size_t s = 0; s < steps; ++s) {
      __m256i v = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + s * 16))), zp);
      if (s + 1 == steps) v = _mm256_and_si256(v, keep);
      _mm256_store_si256((__m256i *)(xs + s * 16), v);
    }
    for (size_t c0 = 0; c0 < n; c0 += EK_FC_CHUNK) {
      const size_t cn = n - c0 < EK_FC_CHUNK ? n - c0 : EK_FC_CHUNK;
      size_t oc = c0;
      /* Whole tiles: rows w + j * k, addressed from one base (measured 5..10 % faster on the
       * ad01 layers than eight clamped row pointers). */
      for (; oc + 8 <= c0 + cn; oc += 8) {
        _mm256_store_si256((__m256i *)(sums + (oc - c0)), ek_qs8_fc_dot8(xs, steps, weights + oc * k, k, 7));
      }
      if (oc < c0 + cn) { /* a short last tile repeats its last row */
        _mm256_store_si256((__m256i *)(sums + (oc - c0)), ek_qs8_fc_dot8(xs, steps, weights + oc * k, k, n - oc - 1));
      }
      ek_qs8_fc_requant_chunk(cn, sums, bias != NULL ? bias + c0 : NULL, params->scale + c0,
                              params, y + c0);
    }
  }
}

/*
 * Tile 4x16c4 for batches (a GEMM): the convolution's 4x16c4 tile (ek_conv_c4_avx2.h, exact
 * vpmaddubsw with the sign trick) over four input rows x 16 output features, rows read in
 * place. Per call the weights are packed into 16-feature blocks on the stack, a group of
 * blocks at a time (64 KiB at most: K <= 2048), the dropped terms and the input zero point
 * folded into the bias; rows go in chunks of about 16 KiB, each block serving every tile of a
 * chunk from L1. The 1x8c16 kernel hands batches of EK_FC_GEMM_MIN_BATCH rows or more to this
 * tile; fewer than 4 rows, or K over EK_C4_MAX_K, run 1x8c16 from here.
 */

/* Requantizes rows [0, mr) of a tile, features [0, nr) and stores them. */
EK_AVX2_INLINE void ek_qs8_fc_c4_store(__m256i acc[EK_C2_MR][2], size_t mr, size_t nr,
                                       const int32_t *bias, const double *scale,
                                       const ek_qs8_fc_params *p, int8_t *y, size_t stride) {
  for (size_t i = 0; i < mr; ++i, y += stride) {
    ek_qs8_fc_requant8_store(acc[i][0], nr < 8 ? nr : 8, bias, scale, p, y);
    if (nr > 8) ek_qs8_fc_requant8_store(acc[i][1], nr - 8, bias + 8, scale + 8, p, y + 8);
  }
}

EK_AVX2 void ek_qs8_fc_minmax_4x16c4__avx2(const ek_fc_shape *shape,
                                           const ek_qs8_fc_params *params, const int8_t *input,
                                           const int8_t *weights, const int32_t *bias,
                                           int8_t *output) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  const size_t batch = (size_t)shape->batch;
  if (k > EK_C4_MAX_K || batch < EK_C2_MR) {
    ek_qs8_fc_minmax_1x8c16__avx2(shape, params, input, weights, bias, output);
    return;
  }
  const size_t kq = (k + 3) / 4, block = kq * 128; /* bytes of one packed block */
  size_t blocks = EK_C4_WP / block; /* blocks packed at once */
  blocks = blocks > EK_C4_MAX_BLOCKS ? EK_C4_MAX_BLOCKS : blocks;
  const size_t group = blocks * 16, chunk = ek_c4_chunk(k);
  uint8_t wp[EK_C4_WP] __attribute__((aligned(32)));
  int32_t b[EK_C4_MAX_BLOCKS * 16]; /* the group's folded bias */
  for (size_t g0 = 0; g0 < n; g0 += group) {
    const size_t gn = n - g0 < group ? n - g0 : group;
    for (size_t j = 0; j < gn; j += 16) {
      int32_t fold[16];
      const size_t nr = gn - j < 16 ? gn - j : 16;
      ek_c4_pack(k, nr, weights + (g0 + j) * k, params->input_zero_point, wp + j / 16 * block, fold);
      for (size_t c = 0; c < nr; ++c) {
        const uint32_t bc = bias != NULL ? (uint32_t)bias[g0 + j + c] : 0;
        b[j + c] = (int32_t)(bc + (uint32_t)fold[c]);
      }
    }
    for (size_t c0 = 0; c0 < batch; c0 += chunk) {
      const size_t c1 = batch - c0 < chunk ? batch : c0 + chunk;
      for (size_t j = 0; j < gn; j += 16) {
        const size_t nr = gn - j < 16 ? gn - j : 16;
        for (size_t t0 = c0; t0 < c1; t0 += EK_C2_MR) {
          const size_t mr = c1 - t0 < EK_C2_MR ? c1 - t0 : EK_C2_MR;
          const int8_t *r[EK_C2_MR];
          for (size_t i = 0; i < EK_C2_MR; ++i) r[i] = input + (t0 + (i < mr ? i : mr - 1)) * k;
          __m256i acc[EK_C2_MR][2];
          if (nr > 8) {
            ek_c4_mk(kq, r, wp + j / 16 * block, 2, acc);
          } else {
            ek_c4_mk(kq, r, wp + j / 16 * block, 1, acc);
          }
          ek_qs8_fc_c4_store(acc, mr, nr, b + j, params->scale + g0 + j, params,
                             output + t0 * n + g0 + j, n);
        }
      }
    }
  }
}

#endif
