/*
 * ek_conv_c2_avx2.h: the 4x16c2 int8 convolution tile shared by the AVX2 kernel that repacks
 * canonical weights per call (ek_conv__avx2.c) and the one that reads weights packed by
 * edgepack (ek_pconv__avx2.c, layout 2 of FORMAT.md). Both feed it the same operands: per
 * output pixel a row of K int16 input values padded to pairs, either gathered per tile or, on
 * the direct path, kernel_h runs read in place from a bordered int16 copy of the image, and
 * per 16-channel block K/2 steps of 16 channels x 2 int16 weights, 32-byte aligned.
 * Private to x86/; every function is AVX2-attributed and inlined into its caller.
 */
#ifndef EK_CONV_C2_AVX2_H
#define EK_CONV_C2_AVX2_H

#include "ek_requant_avx2.h"

/* Output pixels of one tile. */
#define EK_C2_MR 4

EK_AVX2_INLINE __m256i ek_c2_bcast_pair(const int16_t *x) {
  int32_t pair;
  memcpy(&pair, x, sizeof(pair));
  return _mm256_set1_epi32(pair);
}

/* acc[m][h] += sum over kp pairs of rows[m] pair x weight pairs, h < halves (8 channels
 * each), m < mr: rows past mr are neither read nor accumulated (halves and mr are constants
 * in every instance, see ek_c2_mk_add_n). */
EK_AVX2_INLINE void ek_c2_mk_add_mr(size_t kp, const int16_t *const *rows, const int16_t *wp,
                                    const int halves, const int mr, __m256i acc[EK_C2_MR][2]) {
  const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  for (size_t p = 0; p < kp; ++p, wp += 32) {
    const __m256i w0 = _mm256_load_si256((const __m256i *)wp);
    const __m256i w1 = halves == 2 ? _mm256_load_si256((const __m256i *)(wp + 16)) : w0;
    const __m256i x0 = ek_c2_bcast_pair(r0 + 2 * p);
    acc[0][0] = _mm256_add_epi32(acc[0][0], _mm256_madd_epi16(x0, w0));
    if (halves == 2) acc[0][1] = _mm256_add_epi32(acc[0][1], _mm256_madd_epi16(x0, w1));
    if (mr > 1) {
      const __m256i x1 = ek_c2_bcast_pair(r1 + 2 * p);
      acc[1][0] = _mm256_add_epi32(acc[1][0], _mm256_madd_epi16(x1, w0));
      if (halves == 2) acc[1][1] = _mm256_add_epi32(acc[1][1], _mm256_madd_epi16(x1, w1));
    }
    if (mr > 2) {
      const __m256i x2 = ek_c2_bcast_pair(r2 + 2 * p);
      acc[2][0] = _mm256_add_epi32(acc[2][0], _mm256_madd_epi16(x2, w0));
      if (halves == 2) acc[2][1] = _mm256_add_epi32(acc[2][1], _mm256_madd_epi16(x2, w1));
    }
    if (mr > 3) {
      const __m256i x3 = ek_c2_bcast_pair(r3 + 2 * p);
      acc[3][0] = _mm256_add_epi32(acc[3][0], _mm256_madd_epi16(x3, w0));
      if (halves == 2) acc[3][1] = _mm256_add_epi32(acc[3][1], _mm256_madd_epi16(x3, w1));
    }
  }
}

/* All four rows. */
EK_AVX2_INLINE void ek_c2_mk_add(size_t kp, const int16_t *const *rows, const int16_t *wp,
                                 const int halves, __m256i acc[EK_C2_MR][2]) {
  ek_c2_mk_add_mr(kp, rows, wp, halves, EK_C2_MR, acc);
}

/* ek_c2_mk_add_mr for a run-time mr (1..4) and halves (1, 2): one loop per pair of values,
 * so a last tile of fewer pixels, or a last block of 8 channels or fewer, does only its own
 * multiplies. */
EK_AVX2_INLINE void ek_c2_mk_add_n(size_t kp, const int16_t *const *rows, const int16_t *wp,
                                   int halves, size_t mr, __m256i acc[EK_C2_MR][2]) {
  if (halves == 2) {
    switch (mr) {
    case 1: ek_c2_mk_add_mr(kp, rows, wp, 2, 1, acc); break;
    case 2: ek_c2_mk_add_mr(kp, rows, wp, 2, 2, acc); break;
    case 3: ek_c2_mk_add_mr(kp, rows, wp, 2, 3, acc); break;
    default: ek_c2_mk_add_mr(kp, rows, wp, 2, 4, acc); break;
    }
  } else {
    switch (mr) {
    case 1: ek_c2_mk_add_mr(kp, rows, wp, 1, 1, acc); break;
    case 2: ek_c2_mk_add_mr(kp, rows, wp, 1, 2, acc); break;
    case 3: ek_c2_mk_add_mr(kp, rows, wp, 1, 3, acc); break;
    default: ek_c2_mk_add_mr(kp, rows, wp, 1, 4, acc); break;
    }
  }
}

/* acc[m][h] = the same sums from zero for rows m < mr (1..4). */
EK_AVX2_INLINE void ek_c2_mk(size_t kp, const int16_t *const *rows, const int16_t *wp,
                             int halves, size_t mr, __m256i acc[EK_C2_MR][2]) {
  for (size_t m = 0; m < EK_C2_MR; ++m) acc[m][0] = acc[m][1] = _mm256_setzero_si256();
  ek_c2_mk_add_n(kp, rows, wp, halves, mr, acc);
}

/*
 * Direct path: with unit horizontal dilation and an even kernel_w * in_c, the window row of an
 * output pixel is one contiguous run of kernel_w * in_c values in the input, whole pairs. The
 * image is then widened once per call into a zero-bordered int16 copy (x - zp, pads 0) and
 * each tile reads its four pixels' window rows straight from it, kernel_h runs per pixel,
 * instead of gathering K values per pixel (a 3x3 window reads every input value 9 times).
 * Used when the copy fits EK_C2_MAX_IMAGE entries.
 */
#define EK_C2_MAX_IMAGE 24576

/* Rows and columns of the bordered copy: every tap of every output pixel inside it. */
EK_AVX2_INLINE void ek_c2_padded_extent(const ek_conv2d_shape *s, size_t *hp, size_t *wp) {
  const size_t need_h = (size_t)(s->out_h - 1) * (size_t)s->stride_h + (size_t)(s->kernel_h - 1) * (size_t)s->dilation_h + 1;
  const size_t need_w = (size_t)(s->out_w - 1) * (size_t)s->stride_w + (size_t)s->kernel_w;
  const size_t in_h = (size_t)s->in_h + (size_t)s->pad_top, in_w = (size_t)s->in_w + (size_t)s->pad_left;
  *hp = need_h > in_h ? need_h : in_h;
  *wp = need_w > in_w ? need_w : in_w;
}

EK_AVX2_INLINE int ek_c2_direct_fits(const ek_conv2d_shape *s) {
  if (s->dilation_w != 1 || ((size_t)s->kernel_w * (size_t)s->in_c) % 2 != 0) return 0;
  size_t hp, wp;
  ek_c2_padded_extent(s, &hp, &wp);
  return hp * wp * (size_t)s->in_c <= EK_C2_MAX_IMAGE;
}

/* n entries of value v (writes up to 15 entries past n). */
EK_AVX2_INLINE void ek_c2_fill(int16_t *dst, size_t n, __m256i v) {
  for (size_t c = 0; c < n; c += 16) _mm256_storeu_si256((__m256i *)(dst + c), v);
}

/* The bordered int16 copy of one image: entry ((y * wp) + x) * in_c + c holds
 * input[y - pad_top][x - pad_left][c] - sub, `border` outside the input. dst holds
 * hp * wp * in_c + 16 entries: the 16-wide steps write up to 15 entries past a run and read
 * up to 15 bytes past an input row (within EK_EXTRA_BYTES); later writes fix the entries. */
EK_AVX2_INLINE void ek_c2_pad_image(const ek_conv2d_shape *s, const int8_t *image, int16_t sub,
                                    int16_t border, size_t hp, size_t wp, int16_t *dst) {
  const size_t in_c = (size_t)s->in_c, row = wp * in_c;
  const size_t left = (size_t)s->pad_left * in_c, mid = (size_t)s->in_w * in_c;
  const __m256i vsub = _mm256_set1_epi16(sub), vborder = _mm256_set1_epi16(border);
  for (size_t y = 0; y < hp; ++y, dst += row) {
    const int32_t iy = (int32_t)y - s->pad_top;
    if (iy < 0 || iy >= s->in_h) {
      ek_c2_fill(dst, row, vborder);
      continue;
    }
    ek_c2_fill(dst, left, vborder);
    const int8_t *src = image + (size_t)iy * mid;
    for (size_t c = 0; c < mid; c += 16) {
      const __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + c)));
      _mm256_storeu_si256((__m256i *)(dst + left + c), _mm256_sub_epi16(x, vsub));
    }
    ek_c2_fill(dst + left + mid, row - left - mid, vborder);
  }
}

/* Row pointers of the tile of pixels [p0, p0 + mr) into the bordered copy (window row 0);
 * rows past mr repeat the last. */
EK_AVX2_INLINE void ek_c2_tile_bases(const ek_conv2d_shape *s, const int16_t *padded, size_t wpad,
                                     size_t p0, size_t mr, const int16_t *base[EK_C2_MR]) {
  const size_t in_c = (size_t)s->in_c, out_w = (size_t)s->out_w;
  for (size_t i = 0; i < EK_C2_MR; ++i) {
    if (i < mr) {
      const size_t oy = (p0 + i) / out_w, ox = (p0 + i) % out_w;
      base[i] = padded + (oy * (size_t)s->stride_h * wpad + ox * (size_t)s->stride_w) * in_c;
    } else {
      base[i] = base[mr - 1];
    }
  }
}

/* acc = the sums of the tile's first mr pixels for one 16-channel block (halves 1 or 2)
 * whose packed pairs start at wb: kernel_h runs of kernel_w * in_c / 2 pairs, one per
 * window row. */
EK_AVX2_INLINE void ek_c2_direct_mk(const ek_conv2d_shape *s, size_t wpad,
                                    const int16_t *const base[EK_C2_MR], const int16_t *wb,
                                    int halves, size_t mr, __m256i acc[EK_C2_MR][2]) {
  const size_t seg_kp = (size_t)s->kernel_w * (size_t)s->in_c / 2;
  const size_t ky_step = (size_t)s->dilation_h * wpad * (size_t)s->in_c;
  for (size_t i = 0; i < EK_C2_MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  for (int32_t ky = 0; ky < s->kernel_h; ++ky) {
    const int16_t *r[EK_C2_MR];
    for (size_t i = 0; i < EK_C2_MR; ++i) r[i] = base[i] + (size_t)ky * ky_step;
    ek_c2_mk_add_n(seg_kp, r, wb + (size_t)ky * seg_kp * 32, halves, mr, acc);
  }
}

/* Requantizes a 4x16 tile's first mr rows (channels [0, nr)) and stores them. */
EK_AVX2_INLINE void ek_c2_store(__m256i acc[EK_C2_MR][2], size_t mr, size_t nr,
                                         const int32_t *b, const int32_t *m, const int32_t *sh,
                                         const ek_qs8_requant_params *p, int8_t *dst,
                                         size_t stride) {
  const __m256i out_zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(p->output_min);
  const __m256i out_max = _mm256_set1_epi32(p->output_max);
  const __m256i b0 = _mm256_loadu_si256((const __m256i *)b);
  const __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + 8));
  const ek_requant8 q0 = ek_requant8_load(m, sh), q1 = ek_requant8_load(m + 8, sh + 8);
  for (size_t i = 0; i < mr; ++i, dst += stride) {
    const __m256i y0 = ek_requant8_apply(_mm256_add_epi32(acc[i][0], b0), &q0, out_zp, out_min, out_max);
    const __m256i y1 = ek_requant8_apply(_mm256_add_epi32(acc[i][1], b1), &q1, out_zp, out_min, out_max);
    const __m128i h0 = _mm_packs_epi32(_mm256_castsi256_si128(y0), _mm256_extracti128_si256(y0, 1));
    const __m128i h1 = _mm_packs_epi32(_mm256_castsi256_si128(y1), _mm256_extracti128_si256(y1, 1));
    const __m128i y = _mm_packs_epi16(h0, h1);
    if (nr == 16) {
      _mm_storeu_si128((__m128i *)dst, y);
    } else {
      int8_t tmp[16];
      _mm_storeu_si128((__m128i *)tmp, y);
      memcpy(dst, tmp, nr);
    }
  }
}

/* One 16-channel block's bias and requantization with every per-lane constant precomputed
 * (ek_requant8x), for callers that keep a block over many tiles: built once per block, then
 * ek_c2_store_rq stores two pixels per pass. Equal to ek_c2_store: the clamp applies to the
 * saturated int8 bytes, which equals clamping in int32 since [output_min, output_max] lies
 * within int8. */
typedef struct ek_c2_rq {
  __m256i bias[2];
  ek_requant8x q[2];
  __m256i out_min, out_max; /* int8 lanes */
} ek_c2_rq;

/* From the block's 16 biases, multipliers and shifts (read exactly 16 of each). */
EK_AVX2_INLINE void ek_c2_rq_make(ek_c2_rq *rq, const int32_t *b, const int32_t *m,
                                  const int32_t *sh, const ek_qs8_requant_params *p) {
  for (int h = 0; h < 2; ++h) {
    rq->bias[h] = _mm256_loadu_si256((const __m256i *)(b + 8 * h));
    rq->q[h] = ek_requant8x_make(_mm256_loadu_si256((const __m256i *)(m + 8 * h)),
                                 _mm256_loadu_si256((const __m256i *)(sh + 8 * h)),
                                 p->output_zero_point);
  }
  rq->out_min = _mm256_set1_epi8((char)p->output_min);
  rq->out_max = _mm256_set1_epi8((char)p->output_max);
}

/* One pixel's 16 sums to int16 in the lane order of vpackssdw: channels 0-3, 8-11 | 4-7,
 * 12-15. */
EK_AVX2_INLINE __m256i ek_c2_rq_pixel(const __m256i acc[2], const ek_c2_rq *rq) {
  const __m256i y0 = ek_requant8x_apply(_mm256_add_epi32(acc[0], rq->bias[0]), &rq->q[0]);
  const __m256i y1 = ek_requant8x_apply(_mm256_add_epi32(acc[1], rq->bias[1]), &rq->q[1]);
  return _mm256_packs_epi32(y0, y1);
}

/* ek_c2_store with the block's constants in rq: pixels in pairs, one vpacksswb, one vpermd
 * back to channel order and one clamp per pair. */
EK_AVX2_INLINE void ek_c2_store_rq(__m256i acc[EK_C2_MR][2], size_t mr, size_t nr,
                                   const ek_c2_rq *rq, int8_t *dst, size_t stride) {
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (size_t i = 0; i < mr; i += 2, dst += 2 * stride) {
    const __m256i a = ek_c2_rq_pixel(acc[i], rq);
    const __m256i b = i + 1 < mr ? ek_c2_rq_pixel(acc[i + 1], rq) : a;
    __m256i y = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), order);
    y = _mm256_min_epi8(_mm256_max_epi8(y, rq->out_min), rq->out_max);
    const __m128i ya = _mm256_castsi256_si128(y), yb = _mm256_extracti128_si256(y, 1);
    if (nr == 16) {
      _mm_storeu_si128((__m128i *)dst, ya);
      if (i + 1 < mr) _mm_storeu_si128((__m128i *)(dst + stride), yb);
    } else {
      int8_t tmp[32];
      _mm_storeu_si128((__m128i *)tmp, ya);
      _mm_storeu_si128((__m128i *)(tmp + 16), yb);
      memcpy(dst, tmp, nr);
      if (i + 1 < mr) memcpy(dst + stride, tmp + 16, nr);
    }
  }
}

/*
 * Weight repacking for callers that get canonical [n][k] int8 weights (ek_conv__avx2.c,
 * ek_fc__avx2.c): one 16-channel block into the layout ek_c2_mk reads.
 */
/* Transposes an 8x8 matrix of 32-bit units in place (r[i] lane j -> r[j] lane i); also builds
 * the pixel panels of ek_sparse_px__avx2.c. */
EK_AVX2_INLINE void ek_transpose8x8_epi32(__m256i r[8]) {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* Bytes [0, n) of 16 kept, the rest cleared (n <= 16). */
EK_AVX2_INLINE __m128i ek_keep_bytes(__m128i v, size_t n) {
  const __m128i lanes = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm_and_si128(v, _mm_cmpgt_epi8(_mm_set1_epi8((char)n), lanes));
}

/* wp[(p * 16 + j) * 2 + {0, 1}] = w[oc0 + j][2p + {0, 1}] as int16, 0 past k or past nr rows;
 * kp = ceil(k / 2) pairs, written in groups of 8 (wp holds round_up(kp, 8) pairs). */
EK_AVX2_INLINE void ek_qs8_conv_pack_c2(size_t k, size_t nr, const int8_t *w, int16_t *wp) {
  for (size_t i = 0; i < k; i += 16) {
    const size_t left = k - i < 16 ? k - i : 16;
    __m256i r[16];
    for (size_t j = 0; j < 16; ++j) {
      /* Rows past nr repeat row 0 and are cleared: no read outside the weights. */
      const __m128i bytes = _mm_loadu_si128((const __m128i *)(w + (j < nr ? j : 0) * k + i));
      r[j] = j < nr ? _mm256_cvtepi8_epi16(ek_keep_bytes(bytes, left)) : _mm256_setzero_si256();
    }
    ek_transpose8x8_epi32(r);
    ek_transpose8x8_epi32(r + 8);
    int16_t *dst = wp + i * 16;
    for (size_t p = 0; p < 8; ++p) {
      _mm256_store_si256((__m256i *)(dst + p * 32), r[p]);
      _mm256_store_si256((__m256i *)(dst + p * 32 + 16), r[8 + p]);
    }
  }
}

#endif
