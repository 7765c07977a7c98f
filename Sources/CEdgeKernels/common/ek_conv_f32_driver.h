/*
 * ek_conv_f32_driver.h: the ISA-independent outer loops of the SIMD f32 Conv2D kernels
 * (private to CEdgeKernels; included by x86/ and neon/ files only). The float twin of
 * ek_conv_driver.h: implicit GEMM over OHWI weights as stored; a 1x1 kernel's rows are read
 * in place, other rows are gathered into a stack buffer with 0.0f in padded taps. The ISA
 * supplies dot(k, rows, w4, sums) for MR rows x 4 weight rows, which must read nothing past
 * k floats of a row or weight row that can reach a value (masked loads): the bytes after a
 * tensor may hold NaN bit patterns.
 */
#ifndef EK_CONV_F32_DRIVER_H
#define EK_CONV_F32_DRIVER_H

#include "ek_conv_driver.h"

/* Gathered float rows longer than this (elements) take the reference path. */
#define EK_CONV_MAX_GATHER_K_F32 (EK_CONV_MAX_GATHER_K / 4)

typedef void (*ek_f32_conv_dot_fn)(size_t k, const float *const *rows, const float *const *w4,
                                   float *sums);

/* TFLite ActivationFunctionWithMinMax: min(max(x, lo), hi), NaN passes through. */
EK_CONV_INLINE float ek_conv_clamp_f32(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

/* Short copies (stems: 1..15 floats) by a loop; a library call per tap costs more. */
EK_CONV_INLINE void ek_f32_conv_copy(float *dst, const float *src, size_t n) {
  if (n < 16) {
    for (size_t c = 0; c < n; ++c) dst[c] = src[c];
  } else {
    memcpy(dst, src, n * sizeof(float));
  }
}

EK_CONV_INLINE const float *ek_f32_conv_row(const ek_conv2d_shape *s, const float *image,
                                            int32_t oy, int32_t ox, float *buf) {
  const size_t in_c = (size_t)s->in_c;
  const int32_t iy0 = oy * s->stride_h - s->pad_top;
  const int32_t ix0 = ox * s->stride_w - s->pad_left;
  if (s->kernel_h == 1 && s->kernel_w == 1 && iy0 >= 0 && iy0 < s->in_h && ix0 >= 0 &&
      ix0 < s->in_w) {
    return image + ((size_t)iy0 * (size_t)s->in_w + (size_t)ix0) * in_c;
  }
  /* A window row inside the input with unit dilation is one contiguous span of
   * kernel_w * in_c floats; rows above or below the input are one span of zeros. */
  const int span = s->dilation_w == 1 && ix0 >= 0 && ix0 + s->kernel_w <= s->in_w;
  const size_t span_n = (size_t)s->kernel_w * in_c;
  float *dst = buf;
  for (int32_t ky = 0; ky < s->kernel_h; ++ky, dst += span_n) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    if (iy < 0 || iy >= s->in_h) {
      for (size_t c = 0; c < span_n; ++c) dst[c] = 0.0f;
      continue;
    }
    const float *line = image + (size_t)iy * (size_t)s->in_w * in_c;
    if (span) {
      ek_f32_conv_copy(dst, line + (size_t)ix0 * in_c, span_n);
      continue;
    }
    for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
      const int32_t ix = ix0 + kx * s->dilation_w;
      if (ix < 0 || ix >= s->in_w) {
        for (size_t c = 0; c < in_c; ++c) dst[(size_t)kx * in_c + c] = 0.0f;
      } else {
        ek_f32_conv_copy(dst + (size_t)kx * in_c, line + (size_t)ix * in_c, in_c);
      }
    }
  }
  return buf;
}

/* Returns 0 (and does nothing) when a gathered row would exceed EK_CONV_MAX_GATHER_K_F32. */
EK_CONV_INLINE int ek_f32_conv_drive(const ek_conv2d_shape *s, const float *input,
                                     const float *weights, const float *bias, float *output,
                                     float output_min, float output_max, const size_t MR,
                                     ek_f32_conv_dot_fn dot) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c;
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t image_elems = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  const int gathers = !(s->kernel_h == 1 && s->kernel_w == 1) || s->pad_top > 0 ||
                      s->pad_left > 0 || (s->out_h - 1) * s->stride_h >= s->in_h ||
                      (s->out_w - 1) * s->stride_w >= s->in_w;
  if (gathers && k > EK_CONV_MAX_GATHER_K_F32) {
    return 0;
  }
  /* 4 floats of slack: a NEON tail step reads whole vectors (and clears the extra lanes). */
  float buf[EK_CONV_MAX_MR][EK_CONV_MAX_GATHER_K_F32 + 4] __attribute__((aligned(64)));
  for (size_t b = 0; b < (size_t)s->batch; ++b) {
    const float *image = input + b * image_elems;
    float *out_image = output + b * pixels * n;
    for (size_t p0 = 0; p0 < pixels; p0 += MR) {
      const size_t mr = pixels - p0 < MR ? pixels - p0 : MR;
      const float *rows[EK_CONV_MAX_MR];
      for (size_t m = 0; m < MR; ++m) {
        if (m < mr) {
          const size_t pix = p0 + m;
          rows[m] = ek_f32_conv_row(s, image, (int32_t)(pix / (size_t)s->out_w),
                                    (int32_t)(pix % (size_t)s->out_w), buf[m]);
        } else {
          rows[m] = rows[mr - 1];
        }
      }
      for (size_t oc = 0; oc < n; oc += 4) {
        const float *w4[4];
        float sums[EK_CONV_MAX_MR * 4];
        for (size_t t = 0; t < 4; ++t) {
          w4[t] = weights + (oc + t < n ? oc + t : n - 1) * k;
        }
        dot(k, rows, w4, sums);
        for (size_t m = 0; m < mr; ++m) {
          for (size_t t = 0; t < 4 && oc + t < n; ++t) {
            const float bias_value = bias != NULL ? bias[oc + t] : 0.0f;
            out_image[(p0 + m) * n + oc + t] =
                ek_conv_clamp_f32(sums[m * 4 + t] + bias_value, output_min, output_max);
          }
        }
      }
    }
  }
  return 1;
}

/*
 * Output channels in lanes (the "c16" tiles): weights repacked per call, per 16-channel block,
 * from OHWI [out_c][K] to [K][16] on the stack (channels past out_c are 0.0f), so each K step
 * broadcasts one input value per pixel and multiply-adds it into 16 channels' accumulators:
 * no horizontal sums. Inputs are read in place through an indirection table (per pixel tile:
 * one pointer per kernel tap and pixel, padded taps point at in_c zeros on the stack), so
 * nothing is gathered. EK_F32_C16_MAX_WP floats (64 KiB) of packed blocks, so K <= 1024, and
 * at most EK_F32_C16_MAX_TAPS taps; the kernel falls back to its dot-product twin beyond
 * that. The [K][16] layout is meant to move to pack time (weights stored pre-packed in
 * model.bin), which removes the repack and the K limit; until then the repack costs about
 * K x 16 loads and stores per block per call.
 */
#define EK_F32_C16_NR 16
#define EK_F32_C16_MR 4
#define EK_F32_C16_MAX_WP 16384
#define EK_F32_C16_MAX_K (EK_F32_C16_MAX_WP / EK_F32_C16_NR)
#define EK_F32_C16_MAX_TAPS 256
/* Blocks packed at once: a pixel tile's pointers are built once per group. */
#define EK_F32_C16_MAX_BLOCKS 16

/* The ISA tile: MR pixels x one packed block wp ([taps * in_c][16]) plus bias16 (16 floats,
 * 0.0f past nr), clamped, stored to the first nr (1..16) channels of the first mr (1..MR)
 * output pixels (out + m * stride). ptrs[t * MR + m] is pixel m's tap t: in_c floats, read
 * exactly (pixels past mr repeat pixel mr - 1). */
typedef void (*ek_f32_conv_c16_fn)(size_t taps, size_t in_c, const float *const *ptrs,
                                   const float *wp, const float *bias16, size_t mr, size_t nr,
                                   float *out, size_t stride, float output_min,
                                   float output_max);

/* wp[i * 16 + j] = w[j][i] for j < nr, 0.0f for nr <= j < 16 (w: nr rows of k floats; wp
 * 64-byte aligned, k * 16 floats). An ISA may supply a faster one with the same result. */
typedef void (*ek_f32_conv_pack_c16_fn)(size_t k, size_t nr, const float *w, float *wp);

EK_CONV_INLINE void ek_f32_conv_pack_c16(size_t k, size_t nr, const float *w, float *wp) {
  for (size_t j = 0; j < EK_F32_C16_NR; ++j) {
    if (j < nr) {
      const float *src = w + j * k;
      for (size_t i = 0; i < k; ++i) wp[i * EK_F32_C16_NR + j] = src[i];
    } else {
      for (size_t i = 0; i < k; ++i) wp[i * EK_F32_C16_NR + j] = 0.0f;
    }
  }
}

/* Bias (zero past gn) and packed weights, one block of k x EK_F32_C16_NR per 16 channels, of
 * output channels [g0, g0 + gn). */
EK_CONV_INLINE void ek_f32_conv_c16_load_group(size_t k, size_t g0, size_t gn,
                                               const float *weights, const float *bias,
                                               ek_f32_conv_pack_c16_fn pack, float *wp,
                                               float *b16) {
  for (size_t j = 0; j < (gn + EK_F32_C16_NR - 1) / EK_F32_C16_NR * EK_F32_C16_NR; ++j) {
    b16[j] = j < gn && bias != NULL ? bias[g0 + j] : 0.0f;
  }
  for (size_t j = 0; j < gn; j += EK_F32_C16_NR) {
    const size_t nr = gn - j < EK_F32_C16_NR ? gn - j : EK_F32_C16_NR;
    pack(k, nr, weights + (g0 + j) * k, wp + j / EK_F32_C16_NR * k * EK_F32_C16_NR);
  }
}

/* The sizes both c16 drivers derive from the shape (elements, not bytes); fits = 0 when the
 * c16 tile does not take it: K = 0, K over EK_F32_C16_MAX_K or over EK_F32_C16_MAX_TAPS taps. */
typedef struct {
  size_t in_c, taps, k, n, pixels, image_elems;
  size_t block; /* packed weights of one 16-channel block */
  int fits;
} ek_f32_c16_sizes;

EK_CONV_INLINE ek_f32_c16_sizes ek_f32_c16_sizes_of(const ek_conv2d_shape *s) {
  ek_f32_c16_sizes z;
  z.in_c = (size_t)s->in_c;
  z.taps = (size_t)s->kernel_h * (size_t)s->kernel_w;
  z.k = z.taps * z.in_c;
  z.n = (size_t)s->out_c;
  z.pixels = (size_t)s->out_h * (size_t)s->out_w;
  z.image_elems = (size_t)s->in_h * (size_t)s->in_w * z.in_c;
  z.block = z.k * EK_F32_C16_NR;
  z.fits = z.k != 0 && z.k <= EK_F32_C16_MAX_K && z.taps <= EK_F32_C16_MAX_TAPS;
  return z;
}

/* Returns 0 (and does nothing) when one block's packed weights would not fit (K > 1024) or
 * the kernel has more than EK_F32_C16_MAX_TAPS taps. */
EK_CONV_INLINE int ek_f32_conv_drive_c16(const ek_conv2d_shape *s, const float *input,
                                         const float *weights, const float *bias,
                                         float *output, float output_min, float output_max,
                                         ek_f32_conv_pack_c16_fn pack,
                                         ek_f32_conv_c16_fn tile) {
  const ek_f32_c16_sizes z = ek_f32_c16_sizes_of(s);
  if (!z.fits) {
    return 0;
  }
  const size_t MR = EK_F32_C16_MR, in_c = z.in_c, taps = z.taps, k = z.k, n = z.n;
  const size_t pixels = z.pixels, image_elems = z.image_elems, block = z.block;
  size_t group = EK_F32_C16_MAX_WP / block;
  group = group > EK_F32_C16_MAX_BLOCKS ? EK_F32_C16_MAX_BLOCKS : group;
  float wp[EK_F32_C16_MAX_WP] __attribute__((aligned(64)));
  float b16[EK_F32_C16_MAX_BLOCKS * EK_F32_C16_NR] __attribute__((aligned(64)));
  float zero[EK_F32_C16_MAX_K];
  const float *ptrs[EK_F32_C16_MAX_TAPS * EK_F32_C16_MR];
  for (size_t c = 0; c < in_c; ++c) zero[c] = 0.0f;
  /* Per tap: input row and column from a window's first input pixel, and the element
   * offset of that tap (from the same pixel) inside the input. */
  int32_t tap_dy[EK_F32_C16_MAX_TAPS], tap_dx[EK_F32_C16_MAX_TAPS];
  ptrdiff_t tap_offset[EK_F32_C16_MAX_TAPS];
  const ptrdiff_t line_elems = (ptrdiff_t)s->in_w * (ptrdiff_t)in_c;
  for (int32_t ky = 0, t = 0; ky < s->kernel_h; ++ky) {
    for (int32_t kx = 0; kx < s->kernel_w; ++kx, ++t) {
      tap_dy[t] = ky * s->dilation_h;
      tap_dx[t] = kx * s->dilation_w;
      tap_offset[t] = (ptrdiff_t)tap_dy[t] * line_elems + (ptrdiff_t)tap_dx[t] * (ptrdiff_t)in_c;
    }
  }
  /* A window starting at (iy0, ix0) lies inside the input when iy0 is in [0, last_y] and ix0
   * in [0, last_x] (compared as unsigned: negative starts wrap to large values). */
  const int32_t last_y = s->in_h - 1 - (s->kernel_h - 1) * s->dilation_h;
  const int32_t last_x = s->in_w - 1 - (s->kernel_w - 1) * s->dilation_w;
  const uint32_t in_h = (uint32_t)s->in_h, in_w = (uint32_t)s->in_w;
  for (size_t g0 = 0; g0 < n; g0 += group * EK_F32_C16_NR) {
    const size_t gn = n - g0 < group * EK_F32_C16_NR ? n - g0 : group * EK_F32_C16_NR;
    ek_f32_conv_c16_load_group(k, g0, gn, weights, bias, pack, wp, b16);
    for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
      const float *image = input + bi * image_elems;
      float *out_image = output + bi * pixels * n;
      /* The next pixel's window start and output column, advanced pixel by pixel. */
      int32_t iy = -s->pad_top, ix = -s->pad_left, ox = 0;
      for (size_t p0 = 0; p0 < pixels; p0 += MR) {
        const size_t mr = pixels - p0 < MR ? pixels - p0 : MR;
        int32_t iy0[EK_F32_C16_MR], ix0[EK_F32_C16_MR];
        ptrdiff_t origin[EK_F32_C16_MR];
        int inside = 1;
        for (size_t m = 0; m < MR; ++m) {
          if (m < mr) {
            iy0[m] = iy, ix0[m] = ix;
            ix += s->stride_w;
            if (++ox == s->out_w) {
              ox = 0, ix = -s->pad_left, iy += s->stride_h;
            }
          } else { /* pixels past mr repeat pixel mr - 1 */
            iy0[m] = iy0[m - 1], ix0[m] = ix0[m - 1];
          }
          origin[m] = (ptrdiff_t)iy0[m] * line_elems + (ptrdiff_t)ix0[m] * (ptrdiff_t)in_c;
          inside &= (uint32_t)iy0[m] <= (uint32_t)last_y && (uint32_t)ix0[m] <= (uint32_t)last_x;
        }
        if (inside && last_y >= 0 && last_x >= 0) {
          for (size_t t = 0; t < taps; ++t) {
            for (size_t m = 0; m < EK_F32_C16_MR; ++m) {
              ptrs[t * EK_F32_C16_MR + m] = image + (origin[m] + tap_offset[t]);
            }
          }
        } else {
          for (size_t m = 0; m < EK_F32_C16_MR; ++m) {
            const float **p = ptrs + m;
            if ((uint32_t)iy0[m] <= (uint32_t)last_y && (uint32_t)ix0[m] <= (uint32_t)last_x &&
                last_y >= 0 && last_x >= 0) {
              const float *base = image + origin[m];
              for (size_t t = 0; t < taps; ++t) p[t * EK_F32_C16_MR] = base + tap_offset[t];
              continue;
            }
            /* Border pixel: a tap inside the input or the zeros, chosen without branches. */
            for (size_t t = 0; t < taps; ++t) {
              const int in = ((uint32_t)(iy0[m] + tap_dy[t]) < in_h) &
                             ((uint32_t)(ix0[m] + tap_dx[t]) < in_w);
              const ptrdiff_t off = origin[m] + tap_offset[t];
              p[t * EK_F32_C16_MR] = in ? image + off : zero;
            }
          }
        }
        for (size_t j = 0; j < gn; j += EK_F32_C16_NR) {
          const size_t nr = gn - j < EK_F32_C16_NR ? gn - j : EK_F32_C16_NR;
          tile(taps, in_c, ptrs, wp + j / EK_F32_C16_NR * block, b16 + j, mr, nr,
               out_image + p0 * n + g0 + j, n, output_min, output_max);
        }
      }
    }
  }
  return 1;
}

/*
 * Padded-image variant of ek_f32_conv_drive_c16 for small images (x86): the windows read a
 * zero-padded copy of the image on the stack (at most EK_F32_C16_MAX_PADDED floats; none when
 * every window lies inside the input), so every pixel's taps sit at fixed offsets from its
 * window origin and the tile takes MR origins and one offset table instead of a pointer per
 * tap and pixel: no pointer table and no border logic per pixel tile.
 */
#define EK_F32_C16_MAX_PADDED 8192

/* The ISA tile: as ek_f32_conv_c16_fn, with pixel m's tap t at origin[m] + tap_offset[t]
 * (in_c floats, read exactly; origins past mr repeat origin mr - 1). */
typedef void (*ek_f32_conv_c16p_fn)(size_t taps, size_t in_c, const float *const *origin,
                                    const ptrdiff_t *tap_offset, const float *wp,
                                    const float *bias16, size_t mr, size_t nr, float *out,
                                    size_t stride, float output_min, float output_max);

/* Short fills (stems: a few floats per image row) by a loop; a library call costs more. */
EK_CONV_INLINE void ek_f32_conv_zero(float *dst, size_t n) {
  if (n < 16) {
    for (size_t c = 0; c < n; ++c) dst[c] = 0.0f;
  } else {
    memset(dst, 0, n * sizeof(float));
  }
}

/* Rows [0, rows) x columns [0, cols) of the input padded by pad_top and pad_left, in_c floats
 * per pixel, into dst (rows * cols * in_c floats); taps outside the input are 0.0f. */
EK_CONV_INLINE void ek_f32_conv_pad_image(const ek_conv2d_shape *s, const float *image,
                                          size_t rows, size_t cols, float *dst) {
  const size_t in_c = (size_t)s->in_c, pl = (size_t)s->pad_left, in_w = (size_t)s->in_w;
  /* Columns [lo, hi) hold input pixels, the others zeros. */
  const size_t lo = pl < cols ? pl : cols;
  const size_t hi = pl + in_w < cols ? pl + in_w : cols;
  for (size_t r = 0; r < rows; ++r, dst += cols * in_c) {
    const int32_t iy = (int32_t)r - s->pad_top;
    if (iy < 0 || iy >= s->in_h) {
      ek_f32_conv_zero(dst, cols * in_c);
      continue;
    }
    ek_f32_conv_zero(dst, lo * in_c);
    if (hi > lo) {
      ek_f32_conv_copy(dst + lo * in_c, image + ((size_t)iy * in_w + (lo - pl)) * in_c,
                       (hi - lo) * in_c);
      ek_f32_conv_zero(dst + hi * in_c, (cols - hi) * in_c);
    } else {
      ek_f32_conv_zero(dst + lo * in_c, (cols - lo) * in_c);
    }
  }
}

/* Returns 0 (and does nothing) when ek_f32_conv_drive_c16 would, or when the padded image
 * would exceed EK_F32_C16_MAX_PADDED floats. */
EK_CONV_INLINE int ek_f32_conv_drive_c16_padded(const ek_conv2d_shape *s, const float *input,
                                                const float *weights, const float *bias,
                                                float *output, float output_min,
                                                float output_max, ek_f32_conv_pack_c16_fn pack,
                                                ek_f32_conv_c16p_fn tile) {
  const ek_f32_c16_sizes z = ek_f32_c16_sizes_of(s);
  if (!z.fits) {
    return 0;
  }
  const size_t MR = EK_F32_C16_MR, in_c = z.in_c, taps = z.taps, k = z.k, n = z.n;
  const size_t pixels = z.pixels, image_elems = z.image_elems, block = z.block;
  /* The input rows and columns the windows span, counted from the first window's origin. */
  const size_t rows = (size_t)(s->out_h - 1) * (size_t)s->stride_h +
                      (size_t)(s->kernel_h - 1) * (size_t)s->dilation_h + 1;
  const size_t cols = (size_t)(s->out_w - 1) * (size_t)s->stride_w +
                      (size_t)(s->kernel_w - 1) * (size_t)s->dilation_w + 1;
  const int direct = s->pad_top == 0 && s->pad_left == 0 && rows <= (size_t)s->in_h &&
                     cols <= (size_t)s->in_w;
  if (!direct && rows * cols * in_c > EK_F32_C16_MAX_PADDED) {
    return 0;
  }
  const size_t line = direct ? (size_t)s->in_w : cols;
  size_t group = EK_F32_C16_MAX_WP / block;
  group = group > EK_F32_C16_MAX_BLOCKS ? EK_F32_C16_MAX_BLOCKS : group;
  float wp[EK_F32_C16_MAX_WP] __attribute__((aligned(64)));
  float b16[EK_F32_C16_MAX_BLOCKS * EK_F32_C16_NR] __attribute__((aligned(64)));
  float padded[EK_F32_C16_MAX_PADDED] __attribute__((aligned(64)));
  ptrdiff_t tap_offset[EK_F32_C16_MAX_TAPS];
  for (int32_t ky = 0, t = 0; ky < s->kernel_h; ++ky) {
    for (int32_t kx = 0; kx < s->kernel_w; ++kx, ++t) {
      tap_offset[t] = ((ptrdiff_t)(ky * s->dilation_h) * (ptrdiff_t)line +
                       (ptrdiff_t)(kx * s->dilation_w)) * (ptrdiff_t)in_c;
    }
  }
  const ptrdiff_t step_x = (ptrdiff_t)s->stride_w * (ptrdiff_t)in_c;
  const ptrdiff_t step_y = (ptrdiff_t)s->stride_h * (ptrdiff_t)line * (ptrdiff_t)in_c;
  for (size_t g0 = 0; g0 < n; g0 += group * EK_F32_C16_NR) {
    const size_t gn = n - g0 < group * EK_F32_C16_NR ? n - g0 : group * EK_F32_C16_NR;
    ek_f32_conv_c16_load_group(k, g0, gn, weights, bias, pack, wp, b16);
    for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
      const float *image = input + bi * image_elems;
      if (!direct) {
        ek_f32_conv_pad_image(s, image, rows, cols, padded);
        image = padded;
      }
      float *out_image = output + bi * pixels * n;
      /* The next pixel's window origin (row start and column), advanced pixel by pixel. */
      const float *row = image, *next = image;
      int32_t ox = 0;
      for (size_t p0 = 0; p0 < pixels; p0 += MR) {
        const size_t mr = pixels - p0 < MR ? pixels - p0 : MR;
        const float *origin[EK_F32_C16_MR];
        for (size_t m = 0; m < MR; ++m) {
          if (m < mr) {
            origin[m] = next;
            next += step_x;
            if (++ox == s->out_w) {
              ox = 0, row += step_y, next = row;
            }
          } else { /* pixels past mr repeat pixel mr - 1 */
            origin[m] = origin[m - 1];
          }
        }
        for (size_t j = 0; j < gn; j += EK_F32_C16_NR) {
          const size_t nr = gn - j < EK_F32_C16_NR ? gn - j : EK_F32_C16_NR;
          tile(taps, in_c, origin, tap_offset, wp + j / EK_F32_C16_NR * block, b16 + j, mr, nr,
               out_image + p0 * n + g0 + j, n, output_min, output_max);
        }
      }
    }
  }
  return 1;
}

#endif
