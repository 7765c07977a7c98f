/* AArch64 Advanced SIMD (NEON) DepthwiseConv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__aarch64__)
#include "ek_requant_neon.h"

/* Sixteen int32 lanes requantized to int8 (clamp(mbqm(x) + output_zero_point)). The output
 * zero point and the clamp apply after the saturating narrowing to int16 (saturating add)
 * and to int8 (min/max on bytes): equal to clamping in int32, since the clamp range lies
 * within int8 and a saturated value stays outside it after adding a zero point. */
EK_NEON_INLINE int8x16_t ek_qs8_dw_requant16(int32x4_t a0, int32x4_t a1, int32x4_t a2,
                                             int32x4_t a3, const ek_requant4 q[4],
                                             int16x8_t out_zp, int8x16_t out_min,
                                             int8x16_t out_max) {
  const int32x4_t zero = vdupq_n_s32(0), lo = vdupq_n_s32(INT32_MIN), hi = vdupq_n_s32(INT32_MAX);
  const int32x4_t y0 = ek_requant4_apply(a0, &q[0], zero, lo, hi);
  const int32x4_t y1 = ek_requant4_apply(a1, &q[1], zero, lo, hi);
  const int32x4_t y2 = ek_requant4_apply(a2, &q[2], zero, lo, hi);
  const int32x4_t y3 = ek_requant4_apply(a3, &q[3], zero, lo, hi);
  const int16x8_t h0 = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y0), y1), out_zp);
  const int16x8_t h1 = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y2), y3), out_zp);
  const int8x16_t y = vqmovn_high_s16(vqmovn_s16(h0), h1);
  return vminq_s8(vmaxq_s8(y, out_min), out_max);
}

/* fb[i] = b[i] - zp * (sum over taps of the 16 channels' weights), modulo 2^32 (lanes past
 * the last channel hold junk sums that only reach discarded lanes). */
static __attribute__((noinline)) void ek_qs8_dw_fold(const int8_t *w, size_t c, int taps,
                                                     int32_t zp, const int32x4_t b[4],
                                                     int32x4_t fb[4]) {
  int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0;
  for (int t = 0; t < taps; ++t, w += c) {
    const int8x16_t v = vld1q_s8(w);
    const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_high_s8(v);
    s0 = vaddw_s16(s0, vget_low_s16(lo));
    s1 = vaddw_high_s16(s1, lo);
    s2 = vaddw_s16(s2, vget_low_s16(hi));
    s3 = vaddw_high_s16(s3, hi);
  }
  const int32x4_t z = vdupq_n_s32(zp);
  fb[0] = vmlsq_s32(b[0], s0, z);
  fb[1] = vmlsq_s32(b[1], s1, z);
  fb[2] = vmlsq_s32(b[2], s2, z);
  fb[3] = vmlsq_s32(b[3], s3, z);
}

/* Sums of a border pixel (window partly outside the input) for channels [c0, c0 + 16): the
 * plain bias plus w * (x - zp) over the taps inside the input. One out-of-line copy for
 * every kernel shape (border pixels are few, except in the smallest layers). */
static __attribute__((noinline)) void ek_qs8_dw_border(const ek_conv2d_shape *s,
                                                       const int8_t *image, const int8_t *weights,
                                                       size_t c0, int32_t iy0, int32_t ix0,
                                                       const int32x4_t b4[4], int16x8_t zp,
                                                       int32x4_t a[4]) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w;
  int32x4_t a0 = b4[0], a1 = b4[1], a2 = b4[2], a3 = b4[3];
  for (int32_t ky = 0; ky < s->kernel_h; ++ky) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    if (iy < 0 || iy >= s->in_h) continue;
    for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
      const int32_t ix = ix0 + kx * s->dilation_w;
      if (ix < 0 || ix >= s->in_w) continue;
      const int8x16_t w = vld1q_s8(weights + (size_t)(ky * s->kernel_w + kx) * c + c0);
      const int16x8_t w_lo = vmovl_s8(vget_low_s8(w)), w_hi = vmovl_high_s8(w);
      const int8x16_t x = vld1q_s8(image + ((size_t)iy * in_w + (size_t)ix) * c + c0);
      const int16x8_t x_lo = vsubq_s16(vmovl_s8(vget_low_s8(x)), zp);
      const int16x8_t x_hi = vsubq_s16(vmovl_high_s8(x), zp);
      a0 = vmlal_s16(a0, vget_low_s16(x_lo), vget_low_s16(w_lo));
      a1 = vmlal_high_s16(a1, x_lo, w_lo);
      a2 = vmlal_s16(a2, vget_low_s16(x_hi), vget_low_s16(w_hi));
      a3 = vmlal_high_s16(a3, x_hi, w_hi);
    }
  }
  a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
}

/* Channel blocks of 16 (outer) and output pixels (inner), so one block's weights and
 * requantization constants stay in registers over the whole image. Pixels whose window lies
 * inside the input run their taps unrolled (kh, kw, strides are constants in the fast
 * instances) on raw inputs widened to int16, against the bias with the input zero point
 * folded in (bias[c] - zp * sum_t w[t][c], modulo 2^32); border pixels test each tap and
 * subtract the zero point from the inputs they read, against the plain bias. SMLAL
 * accumulates the exact int16 x int16 products into int32, so both equal the reference's
 * bias + sum w * (x - zp) modulo 2^32. The last block over-reads inputs and weights by less
 * than 16 bytes (within EK_EXTRA_BYTES), copies bias and per-channel constants through
 * zero-padded locals, and stores only its valid channels. */
EK_NEON_INLINE void ek_qs8_dw_image(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                    const int8_t *image, const int8_t *weights,
                                    const int32_t *bias, int8_t *out, const int kh, const int kw,
                                    const int sh, const int sw, const int dh, const int dw) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w;
  const int32_t in_h = s->in_h, in_wi = s->in_w;
  const int16x8_t zp = vdupq_n_s16((int16_t)p->input_zero_point);
  const int16x8_t out_zp = vdupq_n_s16((int16_t)p->output_zero_point);
  const int8x16_t out_min = vdupq_n_s8((int8_t)p->output_min);
  const int8x16_t out_max = vdupq_n_s8((int8_t)p->output_max);
  const int taps = kh * kw;
  const int preload = taps <= 25;
  for (size_t c0 = 0; c0 < c; c0 += 16) {
    const size_t cn = c - c0 < 16 ? c - c0 : 16;
    int32_t b[16] = {0}, m[16] = {0}, sft[16] = {0};
    if (bias != NULL) memcpy(b, bias + c0, cn * sizeof(int32_t));
    memcpy(m, p->multiplier + c0, cn * sizeof(int32_t));
    memcpy(sft, p->shift + c0, cn * sizeof(int32_t));
    ek_requant4 q[4];
    int32x4_t b4[4], fb4[4];
    for (int i = 0; i < 4; ++i) {
      q[i] = ek_requant4_load(m + 4 * i, sft + 4 * i);
      b4[i] = vld1q_s32(b + 4 * i);
    }
    ek_qs8_dw_fold(weights + c0, c, taps, p->input_zero_point, b4, fb4);
    int16x8_t wl[25], wh[25];
    if (preload) {
      for (int t = 0; t < taps; ++t) {
        const int8x16_t w = vld1q_s8(weights + (size_t)t * c + c0);
        wl[t] = vmovl_s8(vget_low_s8(w));
        wh[t] = vmovl_high_s8(w);
      }
    }
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t iy0 = oy * sh - s->pad_top;
      const int rows_inside = iy0 >= 0 && iy0 + (kh - 1) * dh < in_h;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t ix0 = ox * sw - s->pad_left;
        const int inside = rows_inside && ix0 >= 0 && ix0 + (kw - 1) * dw < in_wi;
        int32x4_t a0, a1, a2, a3;
        if (inside) {
          a0 = fb4[0], a1 = fb4[1], a2 = fb4[2], a3 = fb4[3];
          const int8_t *x0 = image + ((size_t)iy0 * in_w + (size_t)ix0) * c + c0;
          for (int ky = 0; ky < kh; ++ky) {
            for (int kx = 0; kx < kw; ++kx) {
              const int t = ky * kw + kx;
              int16x8_t w_lo, w_hi;
              if (preload) {
                w_lo = wl[t];
                w_hi = wh[t];
              } else {
                const int8x16_t w = vld1q_s8(weights + (size_t)t * c + c0);
                w_lo = vmovl_s8(vget_low_s8(w));
                w_hi = vmovl_high_s8(w);
              }
              const int8x16_t x = vld1q_s8(x0 + ((size_t)(ky * dh) * in_w + (size_t)(kx * dw)) * c);
              const int16x8_t x_lo = vmovl_s8(vget_low_s8(x)), x_hi = vmovl_high_s8(x);
              a0 = vmlal_s16(a0, vget_low_s16(x_lo), vget_low_s16(w_lo));
              a1 = vmlal_high_s16(a1, x_lo, w_lo);
              a2 = vmlal_s16(a2, vget_low_s16(x_hi), vget_low_s16(w_hi));
              a3 = vmlal_high_s16(a3, x_hi, w_hi);
            }
          }
        } else {
          int32x4_t a[4];
          ek_qs8_dw_border(s, image, weights, c0, iy0, ix0, b4, zp, a);
          a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        }
        const int8x16_t y = ek_qs8_dw_requant16(a0, a1, a2, a3, q, out_zp, out_min, out_max);
        int8_t *o = out + ((size_t)oy * (size_t)s->out_w + (size_t)ox) * c + c0;
        if (cn == 16) {
          vst1q_s8(o, y);
        } else {
          int8_t tmp[16];
          vst1q_s8(tmp, y);
          memcpy(o, tmp, cn);
        }
      }
    }
  }
}

void ek_qs8_dwconv2d_minmax_1x16__neon(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
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
    } else {
      ek_qs8_dw_image(s, p, x, weights, bias, y, s->kernel_h, s->kernel_w, s->stride_h,
                      s->stride_w, s->dilation_h, s->dilation_w);
    }
  }
}

/* Float twin of ek_qs8_dw_image: 16 channels as four vectors, fused multiply-adds over the
 * taps, then + bias and the clamp. Lanes past the last channel read junk (within
 * EK_EXTRA_BYTES) that only reaches discarded lanes. */
EK_NEON_INLINE void ek_f32_dw_image(const ek_conv2d_shape *s, const float *image,
                                    const float *weights, const float *bias, float *out,
                                    float output_min, float output_max, const int kh,
                                    const int kw, const int sh, const int sw, const int dh,
                                    const int dw) {
  const size_t c = (size_t)s->in_c, in_w = (size_t)s->in_w;
  const int32_t in_h = s->in_h, in_wi = s->in_w;
  const float32x4_t lo = vdupq_n_f32(output_min), hi = vdupq_n_f32(output_max);
  const int taps = kh * kw;
  const int preload = taps <= 9;
  for (size_t c0 = 0; c0 < c; c0 += 16) {
    const size_t cn = c - c0 < 16 ? c - c0 : 16;
    float b[16] = {0};
    if (bias != NULL) memcpy(b, bias + c0, cn * sizeof(float));
    float32x4_t wv[9][4];
    if (preload) {
      for (int t = 0; t < taps; ++t) {
        for (int v = 0; v < 4; ++v) wv[t][v] = vld1q_f32(weights + (size_t)t * c + c0 + 4 * v);
      }
    }
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t iy0 = oy * sh - s->pad_top;
      const int rows_inside = iy0 >= 0 && iy0 + (kh - 1) * dh < in_h;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t ix0 = ox * sw - s->pad_left;
        float32x4_t a[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
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
            for (int v = 0; v < 4; ++v) {
              a[v] = vfmaq_f32(a[v], vld1q_f32(x + 4 * v), preload ? wv[t][v] : vld1q_f32(wp + 4 * v));
            }
          }
        }
        float tmp[16];
        for (int v = 0; v < 4; ++v) {
          /* ek_clamp_f32 with NaN passing through: compare-and-select, not FMAX/FMIN. */
          float32x4_t y = vaddq_f32(a[v], vld1q_f32(b + 4 * v));
          y = vbslq_f32(vcltq_f32(y, lo), lo, y);
          y = vbslq_f32(vcltq_f32(hi, y), hi, y);
          vst1q_f32(tmp + 4 * v, y);
        }
        memcpy(out + ((size_t)oy * (size_t)s->out_w + (size_t)ox) * c + c0, tmp, cn * sizeof(float));
      }
    }
  }
}

void ek_f32_dwconv2d_minmax_1x16__neon(const ek_conv2d_shape *s, const float *input,
                                       const float *weights, const float *bias, float *output,
                                       float output_min, float output_max) {
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
