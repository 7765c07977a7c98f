/* AVX2 + FMA DepthwiseConv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include "ek_requant_avx2.h"

/* Channel blocks of 16 (outer) and output pixels (inner), so one block's weights and
 * requantization constants stay in registers over the whole image. The input zero point is
 * folded into the bias once per block (bias[c] - zp * sum_t w[t][c], modulo 2^32), so taps
 * read raw inputs widened to int16, and taps outside the input read the zero point, which
 * the folded bias cancels: the sums equal the reference's bias + sum w * (x - zp) modulo
 * 2^32. Taps run in pairs: two taps interleave per channel (vpunpck{l,h}wd) and vpmaddwd adds
 * both products into int32 exactly, against weights interleaved the same way once per block.
 * The interleave works within 128-bit lanes, so one accumulator holds channels 0-3 and 8-11
 * and the other 4-7 and 12-15; bias and requantization constants are permuted to match, and
 * vpackssdw of the two restores channel order. The requantization (ek_requant8x_apply)
 * includes the output zero point; the clamp applies after the saturating packs (int8
 * min/max), which equals clamping in int32 since the clamp range lies within int8. Pixels
 * whose window lies inside the input run an instance without bounds tests (kh, kw, strides
 * are constants in the fast instances); border pixels test every tap. The last block
 * over-reads inputs and weights by less than 16 bytes (within EK_EXTRA_BYTES) and stores
 * only its valid channels. */
#define EK_DW_MAX_PAIRS 13
/* Tap-pair loops: unrolled fully where kh and kw are constants (3x3 and 5x5 instances; left
 * to the compiler they stay loops, about 1.5x slower), by 13 elsewhere. */
#define EK_DW_UNROLL _Pragma("clang loop unroll_count(13)")

/* One channel block's constants: the folded bias and requantization in accumulator lane
 * order, and the interleaved weight pairs (held for up to EK_DW_MAX_PAIRS pairs, else
 * loaded per pixel). `two_pixels`: the block's (at most 8) channels repeat in both 128-bit
 * lanes, one output pixel per lane. */
typedef struct ek_qs8_dw_block {
  __m256i bias[2];
  ek_requant8x q[2];
  __m256i out_min, out_max;
  __m256i w[EK_DW_MAX_PAIRS][2];
} ek_qs8_dw_block;

/* Tap t's weights of channels [c0, c0 + 16) as int16, or of [c0, c0 + 8) repeated in both
 * 128-bit lanes (two_pixels); zero for t >= taps. */
EK_AVX2_INLINE __m256i ek_qs8_dw_weights(const int8_t *weights, size_t c, size_t c0, int t,
                                         int taps, const int two_pixels) {
  if (t >= taps) return _mm256_setzero_si256();
  const int8_t *w = weights + (size_t)t * c + c0;
  if (two_pixels) {
    const __m128i v = _mm_loadl_epi64((const __m128i *)w);
    return _mm256_cvtepi8_epi16(_mm_unpacklo_epi64(v, v));
  }
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
}

/* Taps t and t + 1 interleaved per channel, for the low and high accumulator. */
EK_AVX2_INLINE void ek_qs8_dw_weight_pair(const int8_t *weights, size_t c, size_t c0, int t,
                                          int taps, const int two_pixels, __m256i w[2]) {
  const __m256i w0 = ek_qs8_dw_weights(weights, c, c0, t, taps, two_pixels);
  const __m256i w1 = ek_qs8_dw_weights(weights, c, c0, t + 1, taps, two_pixels);
  w[0] = _mm256_unpacklo_epi16(w0, w1);
  w[1] = _mm256_unpackhi_epi16(w0, w1);
}

/* Per-channel values of channels 0-15 (v[0]: 0-7, v[1]: 8-15) in the lanes of accumulator
 * `half`: channels 0-3, 8-11 (half 0) and 4-7, 12-15 (half 1); with two pixels, channels
 * 0-3 of both pixels (half 0) and 4-7 of both (half 1). */
EK_AVX2_INLINE __m256i ek_qs8_dw_lanes(const __m256i v[2], const int half, const int two_pixels) {
  if (two_pixels) {
    return half ? _mm256_permute2x128_si256(v[0], v[0], 0x11) : _mm256_permute2x128_si256(v[0], v[0], 0x00);
  }
  return half ? _mm256_permute2x128_si256(v[0], v[1], 0x31) : _mm256_permute2x128_si256(v[0], v[1], 0x20);
}

EK_AVX2_INLINE void ek_qs8_dw_block_init(ek_qs8_dw_block *k, const ek_qs8_requant_params *p,
                                         const int8_t *weights, const int32_t *bias, size_t c,
                                         size_t c0, size_t cn, int taps, const int two_pixels) {
  /* Per-channel weight sums over the taps, 16 channels per step (the last block over-reads
   * the weights by less than 16 bytes into lanes past cn, which are never stored). */
  __m256i sum_lo = _mm256_setzero_si256(), sum_hi = _mm256_setzero_si256();
  for (int t = 0; t < taps; ++t) {
    const __m128i w = _mm_loadu_si128((const __m128i *)(weights + (size_t)t * c + c0));
    sum_lo = _mm256_add_epi32(sum_lo, _mm256_cvtepi8_epi32(w));
    sum_hi = _mm256_add_epi32(sum_hi, _mm256_cvtepi8_epi32(_mm_unpackhi_epi64(w, w)));
  }
  /* Bias, multipliers and shifts of channels [c0, c0 + 16): read exactly (the arrays end at
   * the last channel), zero past cn. */
  __m256i b[2], m[2], sft[2];
  if (cn == 16) {
    for (int h = 0; h < 2; ++h) {
      b[h] = bias != NULL ? _mm256_loadu_si256((const __m256i *)(bias + c0 + 8 * h)) : _mm256_setzero_si256();
      m[h] = _mm256_loadu_si256((const __m256i *)(p->multiplier + c0 + 8 * h));
      sft[h] = _mm256_loadu_si256((const __m256i *)(p->shift + c0 + 8 * h));
    }
  } else {
    int32_t bb[16] = {0}, mm[16] = {0}, ss[16] = {0};
    if (bias != NULL) memcpy(bb, bias + c0, cn * sizeof(int32_t));
    memcpy(mm, p->multiplier + c0, cn * sizeof(int32_t));
    memcpy(ss, p->shift + c0, cn * sizeof(int32_t));
    for (int h = 0; h < 2; ++h) {
      b[h] = _mm256_loadu_si256((const __m256i *)(bb + 8 * h));
      m[h] = _mm256_loadu_si256((const __m256i *)(mm + 8 * h));
      sft[h] = _mm256_loadu_si256((const __m256i *)(ss + 8 * h));
    }
  }
  const __m256i zp = _mm256_set1_epi32(p->input_zero_point);
  b[0] = _mm256_sub_epi32(b[0], _mm256_mullo_epi32(zp, sum_lo));
  b[1] = _mm256_sub_epi32(b[1], _mm256_mullo_epi32(zp, sum_hi));
  k->bias[0] = ek_qs8_dw_lanes(b, 0, two_pixels);
  k->bias[1] = ek_qs8_dw_lanes(b, 1, two_pixels);
  k->q[0] = ek_requant8x_make(ek_qs8_dw_lanes(m, 0, two_pixels), ek_qs8_dw_lanes(sft, 0, two_pixels),
                              p->output_zero_point);
  k->q[1] = ek_requant8x_make(ek_qs8_dw_lanes(m, 1, two_pixels), ek_qs8_dw_lanes(sft, 1, two_pixels),
                              p->output_zero_point);
  k->out_min = _mm256_set1_epi8((char)p->output_min);
  k->out_max = _mm256_set1_epi8((char)p->output_max);
  for (int t = 0; t < taps && t < 2 * EK_DW_MAX_PAIRS; t += 2) {
    ek_qs8_dw_weight_pair(weights, c, c0, t, taps, two_pixels, k->w[t / 2]);
  }
}

/* acc += the tap pair (x0, x1) times its interleaved weights (pair t / 2). */
EK_AVX2_INLINE void ek_qs8_dw_pair_step(const ek_qs8_dw_block *k, const int8_t *weights,
                                        size_t c, size_t c0, int t, int taps,
                                        const int two_pixels, __m256i x0, __m256i x1,
                                        __m256i acc[2]) {
  __m256i w[2];
  if (taps <= 2 * EK_DW_MAX_PAIRS) {
    w[0] = k->w[t / 2][0];
    w[1] = k->w[t / 2][1];
  } else {
    ek_qs8_dw_weight_pair(weights, c, c0, t, taps, two_pixels, w);
  }
  acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), w[0]));
  acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), w[1]));
}

/* The two accumulators requantized to int8: bytes 0-7 of the low 128-bit lane hold the
 * first eight outputs (channels 0-7, or pixel A), bytes 0-7 of the high lane the next eight
 * (channels 8-15, or pixel B). */
EK_AVX2_INLINE __m256i ek_qs8_dw_requant(const ek_qs8_dw_block *k, const __m256i acc[2]) {
  const __m256i y0 = ek_requant8x_apply(acc[0], &k->q[0]);
  const __m256i y1 = ek_requant8x_apply(acc[1], &k->q[1]);
  const __m256i w16 = _mm256_packs_epi32(y0, y1);
  const __m256i b8 = _mm256_packs_epi16(w16, w16);
  return _mm256_min_epi8(_mm256_max_epi8(b8, k->out_min), k->out_max);
}

/* Input of one pixel for one tap: 16 channels as int16, or the zero point outside the input
 * (tested only when check is set). */
EK_AVX2_INLINE __m256i ek_qs8_dw_x(const int8_t *image, size_t in_w, size_t c, size_t c0,
                                   int32_t iy, int32_t ix, int32_t in_h, int32_t in_w_i,
                                   const int check, __m256i zp) {
  if (check && (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w_i)) return zp;
  const int8_t *x = image + ((size_t)iy * in_w + (size_t)ix) * c + c0;
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x));
}

/* The same for an 8-channel block: eight int16. */
EK_AVX2_INLINE __m128i ek_qs8_dw_x8(const int8_t *image, size_t in_w, size_t c, size_t c0,
                                    int32_t iy, int32_t ix, int32_t in_h, int32_t in_w_i,
                                    const int check, __m128i zp) {
  if (check && (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w_i)) return zp;
  const int8_t *x = image + ((size_t)iy * in_w + (size_t)ix) * c + c0;
  return _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)x));
}

/* Two output pixels of an 8-channel block (see ek_qs8_dw_image8), windows at (iy_a, ix_a)
 * and (iy_b, ix_b). mode 0: B's taps lie 8 bytes after A's inside the input, one load widens
 * both; 1: both windows inside the input; 2: border pixels, every tap tested. */
EK_AVX2_INLINE void ek_qs8_dw_sums8(const ek_qs8_dw_block *k, const int8_t *image,
                                    const int8_t *weights, size_t in_w, size_t c, size_t c0,
                                    int32_t iy_a, int32_t ix_a, int32_t iy_b, int32_t ix_b,
                                    int32_t in_h, int32_t in_wi, const int kh, const int kw,
                                    const int dh, const int dw, const int mode, __m128i zp,
                                    __m256i acc[2]) {
  const int taps = kh * kw;
  acc[0] = k->bias[0];
  acc[1] = k->bias[1];
  const int8_t *x_ab = image + ((size_t)iy_a * in_w + (size_t)ix_a) * c;
  int ky = 0, kx = 0;
  EK_DW_UNROLL
  for (int t = 0; t < taps; t += 2) {
    __m256i xv[2];
    for (int u = 0; u < 2; ++u) {
      if (t + u >= taps) {
        xv[u] = _mm256_setzero_si256();
      } else if (mode == 0) {
        const int8_t *x = x_ab + ((size_t)(ky * dh) * in_w + (size_t)(kx * dw)) * c;
        xv[u] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x));
      } else {
        const __m128i a = ek_qs8_dw_x8(image, in_w, c, c0, iy_a + ky * dh, ix_a + kx * dw,
                                       in_h, in_wi, mode == 2, zp);
        const __m128i b = ek_qs8_dw_x8(image, in_w, c, c0, iy_b + ky * dh, ix_b + kx * dw,
                                       in_h, in_wi, mode == 2, zp);
        xv[u] = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
      }
      if (++kx == kw) {
        kx = 0;
        ++ky;
      }
    }
    ek_qs8_dw_pair_step(k, weights, c, c0, t, taps, 1, xv[0], xv[1], acc);
  }
}

/* A last block of 1..8 channels (all of a layer with c <= 8): two output pixels share one
 * vector, pixel A (in row-major order) in the low 128-bit lane and the next pixel B in the
 * high lane, each lane holding the block's eight channels as int16. The same tap-pair
 * interleave and vpmaddwd then leave channels 0-3 of both pixels in one accumulator and 4-7
 * in the other, so no lane is spent on missing channels. When B is A's right neighbour inside
 * the input and its taps lie 8 bytes after A's (c * stride_w == 8, e.g. 8 channels at stride
 * 1), one 16-byte load widens to both pixels' taps at once. An odd last pixel runs as A with
 * a copy of itself as B (not stored). Inputs and weights over-read by less than 8 bytes
 * (within EK_EXTRA_BYTES) only into lanes that are never stored. */
EK_AVX2_INLINE void ek_qs8_dw_image8(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                     const int8_t *image, const int8_t *weights,
                                     const int32_t *bias, int8_t *out, const int kh,
                                     const int kw, const int sh, const int sw, const int dh,
                                     const int dw, size_t c0) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w, cn = c - c0;
  const int32_t in_h = s->in_h, in_wi = s->in_w, out_w = s->out_w;
  const __m128i zp = _mm_set1_epi16((short)p->input_zero_point);
  const int taps = kh * kw;
  const int adjacent = c0 == 0 && c * (size_t)sw == 8;
  ek_qs8_dw_block k;
  ek_qs8_dw_block_init(&k, p, weights, bias, c, c0, cn, taps, 1);
  const size_t pixels = (size_t)s->out_h * (size_t)out_w;
  int32_t oy = 0, ox = 0;
  for (size_t q = 0; q < pixels; q += 2) {
    const int has_b = q + 1 < pixels;
    const int32_t oy_b = has_b ? (ox + 1 < out_w ? oy : oy + 1) : oy;
    const int32_t ox_b = has_b ? (ox + 1 < out_w ? ox + 1 : 0) : ox;
    const int32_t iy_a = oy * sh - s->pad_top, ix_a = ox * sw - s->pad_left;
    const int32_t iy_b = oy_b * sh - s->pad_top, ix_b = ox_b * sw - s->pad_left;
    const int inside = iy_a >= 0 && iy_a + (kh - 1) * dh < in_h && ix_a >= 0 &&
                       ix_a + (kw - 1) * dw < in_wi && iy_b >= 0 &&
                       iy_b + (kh - 1) * dh < in_h && ix_b >= 0 && ix_b + (kw - 1) * dw < in_wi;
    __m256i acc[2];
    if (adjacent && inside && has_b && oy_b == oy) {
      ek_qs8_dw_sums8(&k, image, weights, in_w, c, c0, iy_a, ix_a, iy_b, ix_b, in_h, in_wi, kh,
                      kw, dh, dw, 0, zp, acc);
    } else if (inside) {
      ek_qs8_dw_sums8(&k, image, weights, in_w, c, c0, iy_a, ix_a, iy_b, ix_b, in_h, in_wi, kh,
                      kw, dh, dw, 1, zp, acc);
    } else {
      ek_qs8_dw_sums8(&k, image, weights, in_w, c, c0, iy_a, ix_a, iy_b, ix_b, in_h, in_wi, kh,
                      kw, dh, dw, 2, zp, acc);
    }
    const __m256i b8 = ek_qs8_dw_requant(&k, acc);
    const __m128i y_lo = _mm256_castsi256_si128(b8), y_hi = _mm256_extracti128_si256(b8, 1);
    int8_t *o = out + q * c + c0;
    if (cn == 8) {
      _mm_storel_epi64((__m128i *)o, y_lo);
      if (has_b) _mm_storel_epi64((__m128i *)(o + c), y_hi);
    } else {
      int8_t tmp[32];
      _mm_storeu_si128((__m128i *)tmp, y_lo);
      _mm_storeu_si128((__m128i *)(tmp + 16), y_hi);
      memcpy(o, tmp, cn);
      if (has_b) memcpy(o + c, tmp + 16, cn);
    }
    oy = has_b ? (ox_b + 1 < out_w ? oy_b : oy_b + 1) : oy;
    ox = has_b ? (ox_b + 1 < out_w ? ox_b + 1 : 0) : ox;
  }
}

/* Sums of one output pixel (window at iy0, ix0) over channels [c0, c0 + 16); check: test
 * every tap against the input bounds (border pixels). Full tap pairs, then an odd last tap. */
EK_AVX2_INLINE void ek_qs8_dw_sums(const ek_qs8_dw_block *k, const int8_t *image,
                                   const int8_t *weights, size_t in_w, size_t c, size_t c0,
                                   int32_t iy0, int32_t ix0, int32_t in_h, int32_t in_wi,
                                   const int kh, const int kw, const int dh, const int dw,
                                   const int check, __m256i zp, __m256i acc[2]) {
  const int taps = kh * kw;
  acc[0] = k->bias[0];
  acc[1] = k->bias[1];
  /* (ky, kx) of the next tap, stepped without a division (kw is not constant in the generic
   * instance). */
  int ky = 0, kx = 0, t = 0;
  EK_DW_UNROLL
  for (; t + 1 < taps; t += 2) {
    __m256i xv[2];
    for (int u = 0; u < 2; ++u) {
      xv[u] = ek_qs8_dw_x(image, in_w, c, c0, iy0 + ky * dh, ix0 + kx * dw, in_h, in_wi, check, zp);
      if (++kx == kw) {
        kx = 0;
        ++ky;
      }
    }
    ek_qs8_dw_pair_step(k, weights, c, c0, t, taps, 0, xv[0], xv[1], acc);
  }
  if (t < taps) {
    const __m256i x = ek_qs8_dw_x(image, in_w, c, c0, iy0 + ky * dh, ix0 + kx * dw, in_h, in_wi, check, zp);
    ek_qs8_dw_pair_step(k, weights, c, c0, t, taps, 0, x, _mm256_setzero_si256(), acc);
  }
}

EK_AVX2_INLINE void ek_qs8_dw_image(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                    const int8_t *image, const int8_t *weights,
                                    const int32_t *bias, int8_t *out, const int kh, const int kw,
                                    const int sh, const int sw, const int dh, const int dw) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w;
  const int32_t in_h = s->in_h, in_wi = s->in_w;
  const __m256i zp = _mm256_set1_epi16((short)p->input_zero_point);
  const int taps = kh * kw;
  for (size_t c0 = 0; c0 < c; c0 += 16) {
    if (c - c0 <= 8) {
      ek_qs8_dw_image8(s, p, image, weights, bias, out, kh, kw, sh, sw, dh, dw, c0);
      break;
    }
    const size_t cn = c - c0 < 16 ? c - c0 : 16;
    ek_qs8_dw_block k;
    ek_qs8_dw_block_init(&k, p, weights, bias, c, c0, cn, taps, 0);
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t iy0 = oy * sh - s->pad_top;
      const int rows_inside = iy0 >= 0 && iy0 + (kh - 1) * dh < in_h;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t ix0 = ox * sw - s->pad_left;
        __m256i acc[2];
        if (rows_inside && ix0 >= 0 && ix0 + (kw - 1) * dw < in_wi) {
          ek_qs8_dw_sums(&k, image, weights, in_w, c, c0, iy0, ix0, in_h, in_wi, kh, kw, dh, dw,
                         0, zp, acc);
        } else {
          ek_qs8_dw_sums(&k, image, weights, in_w, c, c0, iy0, ix0, in_h, in_wi, kh, kw, dh, dw,
                         1, zp, acc);
        }
        const __m256i b8 = ek_qs8_dw_requant(&k, acc);
        const __m128i y = _mm_unpacklo_epi64(_mm256_castsi256_si128(b8), _mm256_extracti128_si256(b8, 1));
        int8_t *o = out + ((size_t)oy * (size_t)s->out_w + (size_t)ox) * c + c0;
        if (cn == 16) {
          _mm_storeu_si128((__m128i *)o, y);
        } else {
          int8_t tmp[16];
          _mm_storeu_si128((__m128i *)tmp, y);
          memcpy(o, tmp, cn);
        }
      }
    }
  }
}

EK_AVX2 void ek_qs8_dwconv2d_minmax_1x16__avx2(const ek_conv2d_shape *s,
                                               const ek_qs8_requant_params *p,
                                               const int8_t *input, const int8_t *weights,
                                               const int32_t *bias, int8_t *output) {
  if (s->depth_multiplier != 1) {
    ek_qs8_dwconv2d_minmax_1x1__ref(s, p, input, weights, bias, output);
    return;
  }
  const size_t in_image = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  const size_t out_image = (size_t)s->out_h * (size_t)s->out_w * (size_t)s->out_c;
  const int unit_dilation = s->dilation_h == 1 && s->dilation_w == 1;
  const int k3 = unit_dilation && s->kernel_h == 3 && s->kernel_w == 3;
  const int k5 = unit_dilation && s->kernel_h == 5 && s->kernel_w == 5;
  const int s1 = s->stride_h == 1 && s->stride_w == 1, s2 = s->stride_h == 2 && s->stride_w == 2;
  for (int32_t b = 0; b < s->batch; ++b) {
    const int8_t *x = input + (size_t)b * in_image;
    int8_t *y = output + (size_t)b * out_image;
    if (k3 && s1) {
      ek_qs8_dw_image(s, p, x, weights, bias, y, 3, 3, 1, 1, 1, 1);
    } else if (k3 && s2) {
      ek_qs8_dw_image(s, p, x, weights, bias, y, 3, 3, 2, 2, 1, 1);
    } else if (k5 && s1) {
      ek_qs8_dw_image(s, p, x, weights, bias, y, 5, 5, 1, 1, 1, 1);
    } else if (k5 && s2) {
      ek_qs8_dw_image(s, p, x, weights, bias, y, 5, 5, 2, 2, 1, 1);
    } else if (s->kernel_w == 1 && s1 && unit_dilation && s->kernel_h == 3) {
      /* 1-D kernels over time (audio models, str_ww: 3, 5 and 10 taps). */
      ek_qs8_dw_image(s, p, x, weights, bias, y, 3, 1, 1, 1, 1, 1);
    } else if (s->kernel_w == 1 && s1 && unit_dilation && s->kernel_h == 5) {
      ek_qs8_dw_image(s, p, x, weights, bias, y, 5, 1, 1, 1, 1, 1);
    } else if (s->kernel_w == 1 && s1 && unit_dilation && s->kernel_h == 10) {
      ek_qs8_dw_image(s, p, x, weights, bias, y, 10, 1, 1, 1, 1, 1);
    } else if (s->kernel_w == 1 && s1 && unit_dilation) {
      /* Other 1-D kernels: kw, strides and dilations constant. */
      ek_qs8_dw_image(s, p, x, weights, bias, y, s->kernel_h, 1, 1, 1, 1, 1);
    } else {
      ek_qs8_dw_image(s, p, x, weights, bias, y, s->kernel_h, s->kernel_w, s->stride_h,
                      s->stride_w, s->dilation_h, s->dilation_w);
    }
  }
}

/* Float twin of ek_qs8_dw_image: 16 channels as two vectors, fused multiply-adds over the
 * taps, then + bias and the clamp. Lanes past the last channel read junk (within
 * EK_EXTRA_BYTES) that only reaches discarded lanes. */
/* Channels [c0, c0 + cn) of one image, cn <= 8 * halves: the second 8-lane half is computed
 * only when halves == 2, so 1..8 channels cost one vector per tap. */
EK_AVX2_INLINE void ek_f32_dw_block(const ek_conv2d_shape *s, const float *image,
                                    const float *weights, const float *bias, float *out,
                                    float output_min, float output_max, const int kh,
                                    const int kw, const int sh, const int sw, const int dh,
                                    const int dw, size_t c0, size_t cn, const int halves) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w;
  const int32_t in_h = s->in_h, in_wi = s->in_w;
  const __m256 lo = _mm256_set1_ps(output_min), hi = _mm256_set1_ps(output_max);
  const int taps = kh * kw;
  const int preload = taps <= 25;
  float b[16] = {0};
  if (bias != NULL) memcpy(b, bias + c0, cn * sizeof(float));
  const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(cn > 8 ? cn - 8 : cn)), lanes);
  __m256 w0v[25], w1v[25];
  if (preload) {
    for (int t = 0; t < taps; ++t) {
      w0v[t] = _mm256_loadu_ps(weights + (size_t)t * c + c0);
      if (halves == 2) w1v[t] = _mm256_loadu_ps(weights + (size_t)t * c + c0 + 8);
    }
  }
  for (int32_t oy = 0; oy < s->out_h; ++oy) {
    const int32_t iy0 = oy * sh - s->pad_top;
    const int rows_inside = iy0 >= 0 && iy0 + (kh - 1) * dh < in_h;
    for (int32_t ox = 0; ox < s->out_w; ++ox) {
      const int32_t ix0 = ox * sw - s->pad_left;
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
      const int inside = rows_inside && ix0 >= 0 && ix0 + (kw - 1) * dw < in_wi;
      for (int ky = 0; ky < kh; ++ky) {
        const int32_t iy = iy0 + ky * dh;
        if (!inside && (iy < 0 || iy >= in_h)) continue;
        for (int kx = 0; kx < kw; ++kx) {
          const int32_t ix = ix0 + kx * dw;
          if (!inside && (ix < 0 || ix >= in_wi)) continue;
          const int t = ky * kw + kx;
          const float *x = image + ((size_t)iy * in_w + (size_t)ix) * c + c0;
          const float *wp = weights + (size_t)t * c + c0;
          a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x), preload ? w0v[t] : _mm256_loadu_ps(wp), a0);
          if (halves == 2) {
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8), preload ? w1v[t] : _mm256_loadu_ps(wp + 8), a1);
          }
        }
      }
      /* min(max(x, lo), hi) with NaN passing through, as ek_clamp_f32. */
      a0 = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(a0, b0)));
      a1 = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(a1, b1)));
      float *o = out + ((size_t)oy * (size_t)s->out_w + (size_t)ox) * c + c0;
      if (cn == 16) {
        _mm256_storeu_ps(o, a0);
        _mm256_storeu_ps(o + 8, a1);
      } else if (cn > 8) {
        _mm256_storeu_ps(o, a0);
        _mm256_maskstore_ps(o + 8, keep, a1);
      } else if (cn == 8) {
        _mm256_storeu_ps(o, a0);
      } else {
        _mm256_maskstore_ps(o, keep, a0);
      }
    }
  }
}

EK_AVX2_INLINE void ek_f32_dw_image(const ek_conv2d_shape *s, const float *image,
                                    const float *weights, const float *bias, float *out,
                                    float output_min, float output_max, const int kh,
                                    const int kw, const int sh, const int sw, const int dh,
                                    const int dw) {
  const size_t c = (size_t)s->in_c;
  for (size_t c0 = 0; c0 < c; c0 += 16) {
    const size_t cn = c - c0 < 16 ? c - c0 : 16;
    if (cn > 8) {
      ek_f32_dw_block(s, image, weights, bias, out, output_min, output_max, kh, kw, sh, sw,
                      dh, dw, c0, cn, 2);
    } else {
      ek_f32_dw_block(s, image, weights, bias, out, output_min, output_max, kh, kw, sh, sw,
                      dh, dw, c0, cn, 1);
    }
  }
}

EK_AVX2 void ek_f32_dwconv2d_minmax_1x16__avx2(const ek_conv2d_shape *s, const float *input,
                                               const float *weights, const float *bias,
                                               float *output, float output_min,
                                               float output_max) {
  if (s->depth_multiplier != 1) {
    ek_f32_dwconv2d_minmax_1x1__ref(s, input, weights, bias, output, output_min, output_max);
    return;
  }
  const size_t in_image = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  const size_t out_image = (size_t)s->out_h * (size_t)s->out_w * (size_t)s->out_c;
  const int unit_dilation = s->dilation_h == 1 && s->dilation_w == 1;
  const int k3 = unit_dilation && s->kernel_h == 3 && s->kernel_w == 3;
  const int k5 = unit_dilation && s->kernel_h == 5 && s->kernel_w == 5;
  const int s1 = s->stride_h == 1 && s->stride_w == 1, s2 = s->stride_h == 2 && s->stride_w == 2;
  for (int32_t b = 0; b < s->batch; ++b) {
    const float *x = input + (size_t)b * in_image;
    float *y = output + (size_t)b * out_image;
    if (k3 && s1) {
      ek_f32_dw_image(s, x, weights, bias, y, output_min, output_max, 3, 3, 1, 1, 1, 1);
    } else if (k3 && s2) {
      ek_f32_dw_image(s, x, weights, bias, y, output_min, output_max, 3, 3, 2, 2, 1, 1);
    } else if (k5 && s1) {
      ek_f32_dw_image(s, x, weights, bias, y, output_min, output_max, 5, 5, 1, 1, 1, 1);
    } else if (k5 && s2) {
      ek_f32_dw_image(s, x, weights, bias, y, output_min, output_max, 5, 5, 2, 2, 1, 1);
    } else {
      ek_f32_dw_image(s, x, weights, bias, y, output_min, output_max, s->kernel_h, s->kernel_w,
                      s->stride_h, s->stride_w, s->dilation_h, s->dilation_w);
    }
  }
}

#endif
