/* AVX2 + FMA DepthwiseConv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include "ek_requant_avx2.h"

/* Channel blocks of 16 (outer) and output pixels (inner), so one block's weights and
 * requantization constants stay in registers over the whole image. Taps run in pairs: each
 * tap's inputs widen to int16 minus the zero point (|x - zp| <= 255; taps outside the input
 * are 0), two taps interleave per channel (vpunpck{l,h}wd) and vpmaddwd adds both products
 * into int32 exactly, against weights interleaved the same way once per block. The
 * interleave works within 128-bit lanes, so one accumulator holds channels 0-3 and 8-11 and
 * the other 4-7 and 12-15; bias and requantization constants are permuted to match, and
 * vpackssdw of the two restores channel order. Pixels whose window lies inside the input
 * skip the bounds tests (kh, kw, strides are constants in the fast instances). The last
 * block over-reads inputs and weights by less than 16 bytes (within EK_EXTRA_BYTES), copies
 * bias and per-channel constants through zero-padded locals, and stores only its valid
 * channels. */
#define EK_DW_MAX_PAIRS 13

EK_AVX2_INLINE __m256i ek_qs8_dw_weights(const int8_t *weights, size_t c, size_t c0, int t,
                                         int taps) {
  return t < taps ? _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(weights + (size_t)t * c + c0)))
                  : _mm256_setzero_si256();
}


/* Eight channels' weights for tap t as int16, repeated in both 128-bit lanes. */
EK_AVX2_INLINE __m256i ek_qs8_dw_weights8(const int8_t *weights, size_t c, size_t c0, int t,
                                          int taps) {
  if (t >= taps) return _mm256_setzero_si256();
  const __m128i w = _mm_loadl_epi64((const __m128i *)(weights + (size_t)t * c + c0));
  return _mm256_cvtepi8_epi16(_mm_unpacklo_epi64(w, w));
}

/* Input of one pixel for one tap of an 8-channel block: eight int16 minus the zero point, or
 * zero outside the input (tested only when check is set). */
EK_AVX2_INLINE __m128i ek_qs8_dw_x8(const int8_t *image, size_t in_w, size_t c, size_t c0,
                                    int32_t iy, int32_t ix, int32_t in_h, int32_t in_w_i,
                                    int check, __m128i zp) {
  if (check && (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w_i)) return _mm_setzero_si128();
  const int8_t *x = image + ((size_t)iy * in_w + (size_t)ix) * c + c0;
  return _mm_sub_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)x)), zp);
}

/* A last block of 1..8 channels (all of a layer with c <= 8): two output pixels share one
 * vector, pixel A (in row-major order) in the low 128-bit lane and the next pixel B in the
 * high lane, each lane holding the block's eight channels as int16. The same tap-pair
 * interleave and vpmaddwd then leave channels 0-3 of both pixels in one accumulator and 4-7
 * in the other, so no lane is spent on missing channels; weights, bias and requantization
 * constants repeat in both lanes. An odd last pixel runs as A with a copy of itself as B
 * (not stored). Inputs and weights over-read by less than 8 bytes (within EK_EXTRA_BYTES)
 * only into lanes that are never stored. */
EK_AVX2_INLINE void ek_qs8_dw_image8(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                     const int8_t *image, const int8_t *weights,
                                     const int32_t *bias, int8_t *out, const int kh,
                                     const int kw, const int sh, const int sw, const int dh,
                                     const int dw, size_t c0) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w, cn = c - c0;
  const int32_t in_h = s->in_h, in_wi = s->in_w, out_w = s->out_w;
  const __m128i zp = _mm_set1_epi16((short)p->input_zero_point);
  const __m256i out_zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(p->output_min);
  const __m256i out_max = _mm256_set1_epi32(p->output_max);
  const int taps = kh * kw;
  const int pairs = (taps + 1) / 2;
  const int preload = pairs <= EK_DW_MAX_PAIRS;
  int32_t b[8] = {0}, m[8] = {0}, sft[8] = {0};
  if (bias != NULL) memcpy(b, bias + c0, cn * sizeof(int32_t));
  memcpy(m, p->multiplier + c0, cn * sizeof(int32_t));
  memcpy(sft, p->shift + c0, cn * sizeof(int32_t));
  /* Lane order of the two accumulators: channels 0-3 of A, 0-3 of B and 4-7 of A, 4-7 of B. */
  int32_t pb[16], pm[16], ps[16];
  for (int i = 0; i < 16; ++i) {
    const int ch = (i & 3) + (i >> 3) * 4;
    pb[i] = b[ch];
    pm[i] = m[ch];
    ps[i] = sft[ch];
  }
  const __m256i b_a = _mm256_loadu_si256((const __m256i *)pb);
  const __m256i b_b = _mm256_loadu_si256((const __m256i *)(pb + 8));
  const ek_requant8 q_a = ek_requant8_load(pm, ps), q_b = ek_requant8_load(pm + 8, ps + 8);
  __m256i wa[EK_DW_MAX_PAIRS], wb[EK_DW_MAX_PAIRS];
  for (int t = 0; preload && t < taps; t += 2) {
    const __m256i w0 = ek_qs8_dw_weights8(weights, c, c0, t, taps);
    const __m256i w1 = ek_qs8_dw_weights8(weights, c, c0, t + 1, taps);
    wa[t / 2] = _mm256_unpacklo_epi16(w0, w1);
    wb[t / 2] = _mm256_unpackhi_epi16(w0, w1);
  }
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
    __m256i acc_a = b_a, acc_b = b_b;
    int ky = 0, kx = 0;
    for (int t = 0; t < taps; t += 2) {
      __m256i xv[2];
      for (int u = 0; u < 2; ++u) {
        if (t + u >= taps) {
          xv[u] = _mm256_setzero_si256();
        } else {
          const __m128i lo = ek_qs8_dw_x8(image, in_w, c, c0, iy_a + ky * dh, ix_a + kx * dw,
                                          in_h, in_wi, !inside, zp);
          const __m128i hi = ek_qs8_dw_x8(image, in_w, c, c0, iy_b + ky * dh, ix_b + kx * dw,
                                          in_h, in_wi, !inside, zp);
          xv[u] = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
        }
        if (++kx == kw) {
          kx = 0;
          ++ky;
        }
      }
      __m256i w_a, w_b;
      if (preload) {
        w_a = wa[t / 2];
        w_b = wb[t / 2];
      } else {
        const __m256i w0 = ek_qs8_dw_weights8(weights, c, c0, t, taps);
        const __m256i w1 = ek_qs8_dw_weights8(weights, c, c0, t + 1, taps);
        w_a = _mm256_unpacklo_epi16(w0, w1);
        w_b = _mm256_unpackhi_epi16(w0, w1);
      }
      acc_a = _mm256_add_epi32(acc_a, _mm256_madd_epi16(_mm256_unpacklo_epi16(xv[0], xv[1]), w_a));
      acc_b = _mm256_add_epi32(acc_b, _mm256_madd_epi16(_mm256_unpackhi_epi16(xv[0], xv[1]), w_b));
    }
    const __m256i y_a = ek_requant8_apply(acc_a, &q_a, out_zp, out_min, out_max);
    const __m256i y_b = ek_requant8_apply(acc_b, &q_b, out_zp, out_min, out_max);
    const __m256i w16 = _mm256_packs_epi32(y_a, y_b); /* A channels 0-7 | B channels 0-7 */
    const __m256i b8 = _mm256_packs_epi16(w16, w16);
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

EK_AVX2_INLINE void ek_qs8_dw_image(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                    const int8_t *image, const int8_t *weights,
                                    const int32_t *bias, int8_t *out, const int kh, const int kw,
                                    const int sh, const int sw, const int dh, const int dw) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w;
  const int32_t in_h = s->in_h, in_wi = s->in_w;
  const __m256i zp = _mm256_set1_epi16((short)p->input_zero_point);
  const __m256i out_zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(p->output_min);
  const __m256i out_max = _mm256_set1_epi32(p->output_max);
  const int taps = kh * kw;
  const int pairs = (taps + 1) / 2;
  const int preload = pairs <= EK_DW_MAX_PAIRS;
  for (size_t c0 = 0; c0 < c; c0 += 16) {
    if (c - c0 <= 8) {
      ek_qs8_dw_image8(s, p, image, weights, bias, out, kh, kw, sh, sw, dh, dw, c0);
      break;
    }
    const size_t cn = c - c0 < 16 ? c - c0 : 16;
    int32_t b[16] = {0}, m[16] = {0}, sft[16] = {0};
    if (bias != NULL) memcpy(b, bias + c0, cn * sizeof(int32_t));
    memcpy(m, p->multiplier + c0, cn * sizeof(int32_t));
    memcpy(sft, p->shift + c0, cn * sizeof(int32_t));
    /* Lane order of the two accumulators: channels 0-3, 8-11 and 4-7, 12-15. */
    int32_t pb[16], pm[16], ps[16];
    for (int i = 0; i < 16; ++i) {
      const int ch = (i & 3) + ((i >> 2) & 1) * 8 + (i >> 3) * 4;
      pb[i] = b[ch];
      pm[i] = m[ch];
      ps[i] = sft[ch];
    }
    const __m256i b_a = _mm256_loadu_si256((const __m256i *)pb);
    const __m256i b_b = _mm256_loadu_si256((const __m256i *)(pb + 8));
    const ek_requant8 q_a = ek_requant8_load(pm, ps), q_b = ek_requant8_load(pm + 8, ps + 8);
    __m256i wa[EK_DW_MAX_PAIRS], wb[EK_DW_MAX_PAIRS];
    if (preload) {
      for (int t = 0; t < taps; t += 2) {
        const __m256i w0 = ek_qs8_dw_weights(weights, c, c0, t, taps);
        const __m256i w1 = ek_qs8_dw_weights(weights, c, c0, t + 1, taps);
        wa[t / 2] = _mm256_unpacklo_epi16(w0, w1);
        wb[t / 2] = _mm256_unpackhi_epi16(w0, w1);
      }
    }
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t iy0 = oy * sh - s->pad_top;
      const int rows_inside = iy0 >= 0 && iy0 + (kh - 1) * dh < in_h;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t ix0 = ox * sw - s->pad_left;
        __m256i acc_a = b_a, acc_b = b_b;
        const int inside = rows_inside && ix0 >= 0 && ix0 + (kw - 1) * dw < in_wi;
        /* (ky, kx) of the next tap, stepped without a division (kw is not constant in the
         * generic instance). */
        int ky = 0, kx = 0;
        for (int t = 0; t < taps; t += 2) {
          __m256i xv[2];
          for (int u = 0; u < 2; ++u) {
            const int32_t iy = iy0 + ky * dh, ix = ix0 + kx * dw;
            if (t + u >= taps || (!inside && (iy < 0 || iy >= in_h || ix < 0 || ix >= in_wi))) {
              xv[u] = _mm256_setzero_si256();
            } else {
              const int8_t *x = image + ((size_t)iy * in_w + (size_t)ix) * c + c0;
              xv[u] = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x)), zp);
            }
            if (++kx == kw) {
              kx = 0;
              ++ky;
            }
          }
          __m256i w_a, w_b;
          if (preload) {
            w_a = wa[t / 2];
            w_b = wb[t / 2];
          } else {
            const __m256i w0 = ek_qs8_dw_weights(weights, c, c0, t, taps);
            const __m256i w1 = ek_qs8_dw_weights(weights, c, c0, t + 1, taps);
            w_a = _mm256_unpacklo_epi16(w0, w1);
            w_b = _mm256_unpackhi_epi16(w0, w1);
          }
          acc_a = _mm256_add_epi32(acc_a, _mm256_madd_epi16(_mm256_unpacklo_epi16(xv[0], xv[1]), w_a));
          acc_b = _mm256_add_epi32(acc_b, _mm256_madd_epi16(_mm256_unpackhi_epi16(xv[0], xv[1]), w_b));
        }
        const __m256i y_a = ek_requant8_apply(acc_a, &q_a, out_zp, out_min, out_max);
        const __m256i y_b = ek_requant8_apply(acc_b, &q_b, out_zp, out_min, out_max);
        const __m256i w16 = _mm256_packs_epi32(y_a, y_b); /* channels 0-7 | 8-15 */
        const __m256i b8 = _mm256_packs_epi16(w16, w16);
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
    } else if (s->kernel_w == 1 && s1 && unit_dilation) {
      /* 1-D kernels over time (audio models): kw, strides and dilations constant. */
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
