/*
 * ek_conv_driver.h: the ISA-independent outer loops of the SIMD qs8 Conv2D kernels (private
 * to CEdgeKernels; included by x86/ and neon/ files only).
 *
 * Implicit GEMM over the weights as stored (OHWI = [out_c][K], K = kernel_h * kernel_w *
 * in_c): each output pixel needs one K-long input row. A 1x1 kernel's row is the input
 * pixel itself (used in place); any other row is gathered into a stack buffer, with the
 * input zero point in padded taps so that they contribute w * (zp - zp) = 0 as in the
 * reference. No heap, no scratch from the caller.
 *
 * The ISA supplies three always_inline routines (inlined here, so each kernel compiles to one
 * loop nest for its ISA):
 *   wsum(k, w4, out4)              out4[j] = sum of weight row w4[j] over k bytes
 *   dot(k, rows, w4, sums)         sums[m * 4 + j] = sum(rows[m][i] * w4[j][i]), m < MR
 *   requant(n, acc, mult, shift, params, out)
 *                                  out[c] = clamp(mbqm(acc[c], mult[c], shift[c]) + ozp)
 * with the input zero point folded out of the dot products: sum(w * (x - zp)) + bias =
 * dot - zp * sum(w) + bias, modulo 2^32 like the reference's int32 sums. Tiles are always
 * full (MR rows, 4 weight rows): short tiles repeat their last row and the duplicates'
 * results are dropped. dot may read up to 15 bytes past a row's k bytes (EK_EXTRA_BYTES)
 * and must clear weight lanes past k.
 */
#ifndef EK_CONV_DRIVER_H
#define EK_CONV_DRIVER_H

#include "ek_conv.h"

#include <string.h>

#define EK_CONV_INLINE static inline __attribute__((always_inline))

/* Gathered rows longer than this (bytes) take the reference path; 3x3 x 910 channels fit. */
#define EK_CONV_MAX_GATHER_K 8192
/* Output channels whose folded biases are kept at a time. */
#define EK_CONV_OC_BLOCK 64
#define EK_CONV_MAX_MR 4

typedef void (*ek_qs8_conv_wsum_fn)(size_t k, const int8_t *const *w4, int32_t *out4);
typedef void (*ek_qs8_conv_dot_fn)(size_t k, const int8_t *const *rows, const int8_t *const *w4,
                                   int32_t *sums);
typedef void (*ek_qs8_requant_fn)(size_t n, const int32_t *acc, const int32_t *multiplier,
                                  const int32_t *shift, const ek_qs8_requant_params *params,
                                  int8_t *out);

/* The input row of output pixel (oy, ox) of image b: in place for a 1x1 kernel's in-range
 * tap, otherwise gathered into buf. */
EK_CONV_INLINE const int8_t *ek_qs8_conv_row(const ek_conv2d_shape *s, const int8_t *image,
                                              int32_t oy, int32_t ox, int8_t zero_point,
                                              int8_t *buf) {
  const size_t in_c = (size_t)s->in_c;
  const int32_t iy0 = oy * s->stride_h - s->pad_top;
  const int32_t ix0 = ox * s->stride_w - s->pad_left;
  if (s->kernel_h == 1 && s->kernel_w == 1 && iy0 >= 0 && iy0 < s->in_h && ix0 >= 0 &&
      ix0 < s->in_w) {
    return image + ((size_t)iy0 * (size_t)s->in_w + (size_t)ix0) * in_c;
  }
  int8_t *dst = buf;
  for (int32_t ky = 0; ky < s->kernel_h; ++ky) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
      const int32_t ix = ix0 + kx * s->dilation_w;
      const int outside = iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w;
      const int8_t *src =
          outside ? image : image + ((size_t)iy * (size_t)s->in_w + (size_t)ix) * in_c;
      if (in_c < 16) {
        /* Stems (1..15 channels): a byte loop beats a library call per tap. */
        for (size_t c = 0; c < in_c; ++c) dst[c] = outside ? zero_point : src[c];
      } else if (outside) {
        memset(dst, zero_point, in_c);
      } else {
        memcpy(dst, src, in_c);
      }
      dst += in_c;
    }
  }
  return buf;
}

/* Returns 0 (and does nothing) when a gathered row would exceed EK_CONV_MAX_GATHER_K. */
/* offset: what dot adds to every input byte's zero-point distance, i.e. dot computes
 * sum(w * (x - zp + offset)); signed dot products pass the input zero point, u8 x s8 ones
 * (x + 128) pass 128 + zp. */
EK_CONV_INLINE int ek_qs8_conv_drive(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                     const int8_t *input, const int8_t *weights,
                                     const int32_t *bias, int8_t *output, const size_t MR,
                                     uint32_t offset, ek_qs8_conv_wsum_fn wsum,
                                     ek_qs8_conv_dot_fn dot, ek_qs8_requant_fn requant) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c;
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  /* Only an unpadded 1x1 kernel never gathers (bottom/right padding shows as a last tap past
   * the input). */
  const int gathers = !(s->kernel_h == 1 && s->kernel_w == 1) || s->pad_top > 0 ||
                      s->pad_left > 0 || (s->out_h - 1) * s->stride_h >= s->in_h ||
                      (s->out_w - 1) * s->stride_w >= s->in_w;
  if (gathers && k > EK_CONV_MAX_GATHER_K) {
    return 0;
  }
  /* Row buffers: 16 bytes of slack so that dot's over-read stays in the buffer. */
  int8_t buf[EK_CONV_MAX_MR][EK_CONV_MAX_GATHER_K + 16] __attribute__((aligned(64)));
  int32_t base[EK_CONV_OC_BLOCK];
  int32_t acc[EK_CONV_MAX_MR][EK_CONV_OC_BLOCK];
  const int8_t zp = (int8_t)p->input_zero_point;
  for (size_t oc0 = 0; oc0 < n; oc0 += EK_CONV_OC_BLOCK) {
    const size_t nb = n - oc0 < EK_CONV_OC_BLOCK ? n - oc0 : EK_CONV_OC_BLOCK;
    for (size_t j = 0; j < nb; j += 4) {
      const int8_t *w4[4];
      int32_t ws[4];
      for (size_t t = 0; t < 4; ++t) {
        w4[t] = weights + (oc0 + (j + t < nb ? j + t : nb - 1)) * k;
      }
      wsum(k, w4, ws);
      for (size_t t = 0; t < 4 && j + t < nb; ++t) {
        const uint32_t b = bias != NULL ? (uint32_t)bias[oc0 + j + t] : 0u;
        base[j + t] = (int32_t)(b - offset * (uint32_t)ws[t]);
      }
    }
    for (size_t b = 0; b < (size_t)s->batch; ++b) {
      const int8_t *image = input + b * image_bytes;
      int8_t *out_image = output + b * pixels * n;
      for (size_t p0 = 0; p0 < pixels; p0 += MR) {
        const size_t mr = pixels - p0 < MR ? pixels - p0 : MR;
        const int8_t *rows[EK_CONV_MAX_MR];
        for (size_t m = 0; m < MR; ++m) {
          if (m < mr) {
            const size_t pix = p0 + m;
            rows[m] = ek_qs8_conv_row(s, image, (int32_t)(pix / (size_t)s->out_w),
                                      (int32_t)(pix % (size_t)s->out_w), zp, buf[m]);
          } else {
            rows[m] = rows[mr - 1];
          }
        }
        for (size_t j = 0; j < nb; j += 4) {
          const int8_t *w4[4];
          int32_t sums[EK_CONV_MAX_MR * 4];
          for (size_t t = 0; t < 4; ++t) {
            w4[t] = weights + (oc0 + (j + t < nb ? j + t : nb - 1)) * k;
          }
          dot(k, rows, w4, sums);
          for (size_t m = 0; m < mr; ++m) {
            for (size_t t = 0; t < 4 && j + t < nb; ++t) {
              acc[m][j + t] = (int32_t)((uint32_t)sums[m * 4 + t] + (uint32_t)base[j + t]);
            }
          }
        }
        for (size_t m = 0; m < mr; ++m) {
          requant(nb, acc[m], p->multiplier + oc0, p->shift + oc0, p,
                  out_image + (p0 + m) * n + oc0);
        }
      }
    }
  }
  return 1;
}

#endif
