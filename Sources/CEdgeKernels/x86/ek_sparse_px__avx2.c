/*
 * AVX2 pixel-panel sparse 1x1 convolution (see ek_sparse_px.h).
 *
 * Panel: for each pair of input channels (2j, 2j + 1), EK_SPCONV_PX int32 words, word p
 * holding pixel p's (x[2j] - zp, x[2j + 1] - zp) as two int16: one vpmaddwd with a broadcast
 * int16 weight pair (w[o][2j], w[o][2j + 1]) adds both products for eight pixels. A 1x4 block
 * is two pairs, a 1x16 block eight. The int16 pair sums cannot overflow
 * (|w| <= 128, |x - zp| <= 255).
 */
#include "ek_sparse_px.h"

#if defined(__x86_64__)
#include "ek_conv_c2_avx2.h"

#include <stdint.h>

enum { PX = EK_SPCONV_PX };

static inline uint8_t *ek_px_align64(uint8_t *p) {
  return (uint8_t *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* Panel words of pixels [g, g + 8) for channels [0, c16): eight input rows widened to int16
 * minus the zero point, then an 8x8 transpose of 32-bit pairs. Rows past the tile's pixels
 * point at a row of zero points, giving zero pairs. Reads 16 bytes per row and channel group:
 * past the last pixel's channels by less than 16 bytes. */
EK_AVX2_INLINE void ek_px_pack8(const int8_t *const rows[8], size_t c16, __m256i zp16,
                                int32_t *panel) {
  for (size_t c0 = 0; c0 < c16; c0 += 16) {
    __m256i r[8];
    for (size_t i = 0; i < 8; ++i) {
      r[i] = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(rows[i] + c0))), zp16);
    }
    ek_transpose8x8_epi32(r);
    int32_t *dst = panel + (c0 / 2) * PX;
    for (size_t i = 0; i < 8; ++i) _mm256_store_si256((__m256i *)(dst + i * PX), r[i]);
  }
}

/* The pixel of stage byte i (0..31): rows hold the packs' order (ek_px_pack32), lane 0 pixels
 * 0-3, 8-11, 16-19, 24-27, lane 1 pixels 4-7, 12-15, 20-23, 28-31. */
EK_AVX2_INLINE size_t ek_px_pixel(size_t i) { return (i % 16) / 4 * 8 + i / 16 * 4 + i % 4; }

/* Output channel rows [o0, o0 + 16) of the stage (row o = PX pixels' int8 results) back to
 * NHWC: a 16x16 byte transpose per 128-bit lane (four rounds of interleaving row i with
 * row i + 8 rotate the 8 index bits by one each), stage byte R in lane 0, 16 + R in lane 1.
 * Stores only pixels < np and channels < n. */
EK_AVX2_INLINE void ek_px_unstage16(const int8_t *stage, size_t o0, size_t n, size_t np,
                                    int8_t *out) {
  __m256i r[16], s[16];
  for (size_t i = 0; i < 16; ++i) r[i] = _mm256_load_si256((const __m256i *)(stage + (o0 + i) * PX));
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < 8; ++i) {
      s[2 * i] = _mm256_unpacklo_epi8(r[i], r[i + 8]);
      s[2 * i + 1] = _mm256_unpackhi_epi8(r[i], r[i + 8]);
    }
    for (size_t i = 0; i < 16; ++i) r[i] = s[i];
  }
  const size_t m = n - o0 < 16 ? n - o0 : 16;
  if (m == 16 && np == PX) {
    for (size_t i = 0; i < 16; ++i) {
      _mm_storeu_si128((__m128i *)(out + ek_px_pixel(i) * n + o0), _mm256_castsi256_si128(r[i]));
      _mm_storeu_si128((__m128i *)(out + ek_px_pixel(16 + i) * n + o0), _mm256_extracti128_si256(r[i], 1));
    }
    return;
  }
  for (size_t p = 0; p < np; ++p) {
    const size_t i = (p % 8) / 4 * 16 + p / 8 * 4 + p % 4; /* ek_px_pixel(i) == p */
    const __m128i v = i < 16 ? _mm256_castsi256_si128(r[i]) : _mm256_extracti128_si256(r[i - 16], 1);
    if (m == 16) {
      _mm_storeu_si128((__m128i *)(out + p * n + o0), v);
    } else {
      int8_t tmp[16];
      _mm_storeu_si128((__m128i *)tmp, v);
      memcpy(out + p * n + o0, tmp, m);
    }
  }
}

/* Per output row, built once per call for a chunk of up to EK_PX_CHUNK rows (on the stack):
 * the row's requantization as broadcast scalars (the lanes of ek_requant8x, equal in every
 * lane here), its bias, its first block, and for a row without blocks its output byte. Rows
 * are sorted by block count (counting sort, counts of EK_PX_BUCKETS - 1 and more share the
 * last bucket), so that the block loop of one bucket always runs the same number of times:
 * its branch is predicted, and rows without blocks store their constant without a
 * requantization. */
enum { EK_PX_BUCKETS = 65, EK_PX_CHUNK = 256 };
typedef struct ek_px_row {
  int64_t round_pos, round_neg, shift, shift_odd;
  int32_t multiplier, left, offset, bias;
  uint32_t first, count, o;
  int32_t constant; /* int8 output of a row without blocks, in every byte */
} ek_px_row;

EK_AVX2_INLINE ek_requant8x ek_px_rq(const ek_px_row *r) {
  ek_requant8x q;
  q.multiplier = q.multiplier_odd = _mm256_set1_epi32(r->multiplier);
  q.left = _mm256_set1_epi32(r->left);
  q.round_pos[0] = q.round_pos[1] = _mm256_set1_epi64x(r->round_pos);
  q.round_neg[0] = q.round_neg[1] = _mm256_set1_epi64x(r->round_neg);
  q.shift[0] = q.shift[1] = _mm256_set1_epi64x(r->shift);
  q.offset = _mm256_set1_epi32(r->offset);
  return q;
}

/* ek_requant8x_apply for a row with no left shift and a right shift of at least 1 (a scale
 * below 1/2, the usual case; `fast` rows): the 64-bit shift count is then at least 32, so
 * the odd lanes' result lands in their high dwords with one shift by count - 32. */
EK_AVX2_INLINE __m256i ek_px_requant(__m256i x, const ek_px_row *r, const int fast) {
  if (!fast) {
    const ek_requant8x q = ek_px_rq(r);
    return ek_requant8x_apply(x, &q);
  }
  const __m256i m = _mm256_set1_epi32(r->multiplier);
  const __m256d rp = _mm256_castsi256_pd(_mm256_set1_epi64x(r->round_pos));
  const __m256d rn = _mm256_castsi256_pd(_mm256_set1_epi64x(r->round_neg));
  const __m256i pe = _mm256_mul_epi32(x, m);
  const __m256i po = _mm256_mul_epi32(_mm256_shuffle_epi32(x, 0xF5), m);
  const __m256i se = _mm256_add_epi64(pe, _mm256_castpd_si256(_mm256_blendv_pd(rp, rn, _mm256_castsi256_pd(pe))));
  const __m256i so = _mm256_add_epi64(po, _mm256_castpd_si256(_mm256_blendv_pd(rp, rn, _mm256_castsi256_pd(po))));
  const __m256i ye = _mm256_srlv_epi64(se, _mm256_set1_epi64x(r->shift));
  const __m256i yo = _mm256_srlv_epi64(so, _mm256_set1_epi64x(r->shift_odd));
  return _mm256_add_epi32(_mm256_blend_epi32(ye, yo, 0xAA), _mm256_set1_epi32(r->offset));
}

/* Four vectors of eight int32 (pixels 0..31 in order) to 32 clamped int8 in the packs' order
 * (ek_px_pixel; the unstage undoes it for free): the saturating packs, then the clamp on bytes
 * (equal to clamping in int32, [min, max] lying within int8). */
EK_AVX2_INLINE __m256i ek_px_pack32(__m256i y0, __m256i y1, __m256i y2, __m256i y3, __m256i lo,
                                    __m256i hi) {
  const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(y0, y1), _mm256_packs_epi32(y2, y3));
  return _mm256_min_epi8(_mm256_max_epi8(b, lo), hi);
}

/* Builds the sorted rows of output features [o0, o1) into rows[] and the bucket starts
 * (starts[EK_PX_BUCKETS] = o1 - o0); returns whether every row is `fast` (ek_px_requant). */
EK_AVX2_INLINE int ek_px_sort_rows(size_t o0, size_t o1, const ek_qs8_bsr *w, const int32_t *bias,
                                   const ek_qs8_requant_params *p, ek_px_row *rows,
                                   size_t starts[EK_PX_BUCKETS + 1]) {
  size_t fill[EK_PX_BUCKETS] = {0};
  int fast = 1;
  for (size_t o = o0; o < o1; ++o) {
    const uint32_t c = w->row_ptr[o + 1] - w->row_ptr[o];
    ++fill[c < EK_PX_BUCKETS - 1 ? c : EK_PX_BUCKETS - 1];
  }
  starts[0] = 0;
  for (size_t i = 0; i < EK_PX_BUCKETS; ++i) {
    starts[i + 1] = starts[i] + fill[i];
    fill[i] = starts[i];
  }
  const __m256i lo = _mm256_set1_epi8((char)p->output_min), hi = _mm256_set1_epi8((char)p->output_max);
  for (size_t o = o0; o < o1; ++o) {
    const uint32_t c = w->row_ptr[o + 1] - w->row_ptr[o];
    ek_px_row *r = &rows[fill[c < EK_PX_BUCKETS - 1 ? c : EK_PX_BUCKETS - 1]++];
    /* ek_requant8x_make on one lane. */
    const int32_t s = p->shift[o];
    const int64_t right = s < 0 ? -(int64_t)s : 0;
    const int64_t half = right > 0 ? (int64_t)1 << (right + 30) : 0;
    r->round_pos = ((int64_t)1 << 62) + ((int64_t)1 << 30) + half;
    r->round_neg = r->round_pos - (right > 0 ? (int64_t)1 << 31 : 0);
    r->shift = right + 31;
    r->shift_odd = right + 31 - 32; /* used when right >= 1 */
    fast &= s < 0;
    r->multiplier = p->multiplier[o];
    r->left = s > 0 ? s : 0;
    r->offset = (int32_t)((uint32_t)p->output_zero_point - ((uint32_t)1 << (31 - right)));
    r->bias = bias != NULL ? bias[o] : 0;
    r->first = w->row_ptr[o];
    r->count = c;
    r->o = (uint32_t)o;
    if (c == 0) {
      const ek_requant8x q = ek_px_rq(r);
      const __m256i y = ek_requant8x_apply(_mm256_set1_epi32(r->bias), &q);
      r->constant = _mm256_extract_epi32(ek_px_pack32(y, y, y, y, lo, hi), 0);
    }
  }
  return fast;
}

/* Adds block bidx over the panel's first nv * 8 pixels to the accumulators A0..A3. */
#define EK_PX_BLOCK(bw, bidx, A0, A1, A2, A3)                                                   \
  do {                                                                                          \
    const int32_t *pp = panel + (size_t)w->block_col[bidx] * ((bw) / 2) * PX;                   \
    const int16_t *wp = wide + (size_t)(bidx) * (bw);                                           \
    for (size_t k = 0; k < (bw) / 2; ++k) {                                                     \
      int32_t pair;                                                                             \
      memcpy(&pair, wp + 2 * k, 4);                                                             \
      const __m256i wv = _mm256_set1_epi32(pair);                                               \
      const __m256i *q = (const __m256i *)(pp + k * PX);                                        \
      A0 = _mm256_add_epi32(A0, _mm256_madd_epi16(_mm256_load_si256(q), wv));                   \
      if (nv > 1) A1 = _mm256_add_epi32(A1, _mm256_madd_epi16(_mm256_load_si256(q + 1), wv));   \
      if (nv > 2) A2 = _mm256_add_epi32(A2, _mm256_madd_epi16(_mm256_load_si256(q + 2), wv));   \
      if (nv > 3) A3 = _mm256_add_epi32(A3, _mm256_madd_epi16(_mm256_load_si256(q + 3), wv));   \
    }                                                                                           \
  } while (0)

/* Row r's accumulators to its stage row. */
EK_AVX2_INLINE void ek_px_row_out(const ek_px_row *r, __m256i a0, __m256i a1, __m256i a2, __m256i a3,
                                  const int nv, const int fast, __m256i lo, __m256i hi, int8_t *stage) {
  const __m256i y0 = ek_px_requant(a0, r, fast);
  const __m256i y1 = nv > 1 ? ek_px_requant(a1, r, fast) : y0;
  const __m256i y2 = nv > 2 ? ek_px_requant(a2, r, fast) : y0;
  const __m256i y3 = nv > 3 ? ek_px_requant(a3, r, fast) : y0;
  _mm256_store_si256((__m256i *)(stage + (size_t)r->o * PX), ek_px_pack32(y0, y1, y2, y3, lo, hi));
}

/* The sorted rows with blocks (buckets 1 on) over the first nv * 8 pixels of one panel into the
 * stage (the stage's other pixels are left as they are); block width bw and nv are constants
 * after inlining. The rows of a bucket below the last hold the same block count and run two at
 * a time in lockstep; the last bucket's rows run one at a time. */
EK_AVX2_INLINE void ek_px_rows(const ek_px_row *rows, const size_t *starts, const uint8_t *used,
                               size_t used_count, const ek_qs8_bsr *w, const int16_t *wide, size_t bw,
                               const int nv, const int fast, const int32_t *panel, __m256i lo,
                               __m256i hi, int8_t *stage) {
  for (size_t u = 0; u < used_count; ++u) {
    const size_t bucket = used[u];
    size_t ri = starts[bucket];
    const size_t re = starts[bucket + 1];
    if (bucket < EK_PX_BUCKETS - 1) {
      for (; ri + 2 <= re; ri += 2) {
        const ek_px_row *r = &rows[ri], *t = &rows[ri + 1];
        const __m256i br = _mm256_set1_epi32(r->bias), bt = _mm256_set1_epi32(t->bias);
        __m256i a0 = br, a1 = br, a2 = br, a3 = br, c0 = bt, c1 = bt, c2 = bt, c3 = bt;
        size_t b = r->first, d = t->first;
        for (size_t j = 0; j < bucket; ++j, ++b, ++d) {
          EK_PX_BLOCK(bw, b, a0, a1, a2, a3);
          EK_PX_BLOCK(bw, d, c0, c1, c2, c3);
        }
        ek_px_row_out(r, a0, a1, a2, a3, nv, fast, lo, hi, stage);
        ek_px_row_out(t, c0, c1, c2, c3, nv, fast, lo, hi, stage);
      }
    }
    for (; ri < re; ++ri) {
      const ek_px_row *r = &rows[ri];
      const __m256i br = _mm256_set1_epi32(r->bias);
      __m256i a0 = br, a1 = br, a2 = br, a3 = br;
      const size_t end = r->first + r->count;
      size_t b = r->first;
      for (; b + 2 <= end; b += 2) {
        EK_PX_BLOCK(bw, b, a0, a1, a2, a3);
        EK_PX_BLOCK(bw, b + 1, a0, a1, a2, a3);
      }
      if (b < end) EK_PX_BLOCK(bw, b, a0, a1, a2, a3);
      ek_px_row_out(r, a0, a1, a2, a3, nv, fast, lo, hi, stage);
    }
  }
}
#undef EK_PX_BLOCK

EK_AVX2 void ek_qs8_spconv1x1_minmax_px32__avx2(const ek_fc_shape *shape,
                                                const ek_qs8_requant_params *params,
                                                const int8_t *input, const ek_qs8_bsr *weights,
                                                const int32_t *bias, int8_t *output,
                                                void *scratch) {
  const size_t pixels = (size_t)shape->batch, c = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features, bw = (size_t)weights->block_w;
  const size_t c16 = (c + 15) & ~(size_t)15, o16 = (n + 15) & ~(size_t)15;
  const size_t values = (size_t)weights->row_ptr[n] * bw;
  int32_t *panel = (int32_t *)ek_px_align64((uint8_t *)scratch);
  int8_t *stage = (int8_t *)ek_px_align64((uint8_t *)(panel + c16 / 2 * PX));
  int16_t *wide = (int16_t *)ek_px_align64((uint8_t *)(stage + o16 * PX));
  int8_t *zprow = (int8_t *)ek_px_align64((uint8_t *)(wide + values + 16));
  memset(zprow, (int)(int8_t)params->input_zero_point, c16);
  for (size_t i = 0; i < values; i += 16) {
    _mm256_store_si256((__m256i *)(wide + i),
                       _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(weights->values + i))));
  }
  const __m256i lo = _mm256_set1_epi8((char)params->output_min), hi = _mm256_set1_epi8((char)params->output_max);
  const __m256i zp16 = _mm256_set1_epi16((short)params->input_zero_point);
  ek_px_row rows[EK_PX_CHUNK];
  /* Chunks of output features (one for up to EK_PX_CHUNK), each over every tile of pixels. */
  for (size_t o0 = 0; o0 < n; o0 += EK_PX_CHUNK) {
    const size_t o1 = n - o0 < EK_PX_CHUNK ? n : o0 + EK_PX_CHUNK;
    size_t starts[EK_PX_BUCKETS + 1];
    const int fast = ek_px_sort_rows(o0, o1, weights, bias, params, rows, starts);
    /* The buckets holding rows with blocks. */
    uint8_t used[EK_PX_BUCKETS];
    size_t used_count = 0;
    for (size_t k = 1; k < EK_PX_BUCKETS; ++k) {
      if (starts[k + 1] > starts[k]) used[used_count++] = (uint8_t)k;
    }
    for (size_t p0 = 0; p0 < pixels; p0 += PX) {
      const size_t np = pixels - p0 < PX ? pixels - p0 : PX;
      const int8_t *x = input + p0 * c;
      /* Eight-pixel groups of the tile: a short last tile runs only its own. */
      const int nv = (int)((np + 7) / 8);
      for (size_t g = 0; g < (size_t)nv * 8; g += 8) {
        const int8_t *prow[8];
        for (size_t i = 0; i < 8; ++i) prow[i] = g + i < np ? x + (g + i) * c : zprow;
        ek_px_pack8(prow, c16, zp16, panel + g);
      }
      for (size_t ri = starts[0]; ri < starts[1]; ++ri) {
        _mm256_store_si256((__m256i *)(stage + (size_t)rows[ri].o * PX), _mm256_set1_epi32(rows[ri].constant));
      }
#define EK_PX_CASE(v, w16, f) \
  case (v) * 4 + (w16) * 2 + (f): \
    ek_px_rows(rows, starts, used, used_count, weights, wide, (w16) ? 16 : 4, v, f, panel, lo, hi, stage); \
    break;
      switch (nv * 4 + (bw == 16) * 2 + fast) {
        EK_PX_CASE(1, 0, 0) EK_PX_CASE(1, 0, 1) EK_PX_CASE(1, 1, 0) EK_PX_CASE(1, 1, 1)
        EK_PX_CASE(2, 0, 0) EK_PX_CASE(2, 0, 1) EK_PX_CASE(2, 1, 0) EK_PX_CASE(2, 1, 1)
        EK_PX_CASE(3, 0, 0) EK_PX_CASE(3, 0, 1) EK_PX_CASE(3, 1, 0) EK_PX_CASE(3, 1, 1)
        EK_PX_CASE(4, 0, 0) EK_PX_CASE(4, 0, 1) EK_PX_CASE(4, 1, 0) EK_PX_CASE(4, 1, 1)
      default: break;
      }
#undef EK_PX_CASE
      for (size_t c0 = o0; c0 < o1; c0 += 16) ek_px_unstage16(stage, c0, n, np, output + p0 * n);
    }
  }
}

#endif
