/*
 * AVX2 Conv2D over packed weights (ek_pconv.h). Layout oc16_k4_sm8 (layout 3, 1x1 kernels):
 * tile 4x16c4 of ek_conv_c4_avx2.h with its blocks read from the mapping as stored, rows read
 * in place; the canonical kernel's per-call repacking (and its K and pixel limits) are gone.
 *
 * Layout oc16_k2_s16 (layout 2): tile 4x16c2, four output
 * pixels x 16 output channels, two K values per step, no horizontal sums and no work on the
 * weights at run time. Per tile the four input rows are gathered as int16 (padded taps hold
 * the input zero point, which the folded bias accounts for), or, with unit horizontal
 * dilation and an even kernel_w * in_c, read in place from an int16 copy of the image
 * bordered with the zero point (ek_conv_c2_avx2.h); each step broadcasts one row's
 * K pair and multiplies it with 16 channels' int16 pairs, two aligned loads (vpmaddwd):
 * exact int32 sums, accumulated modulo 2^32 like the reference.
 * Channel blocks are walked in groups of about 64 KiB of weights, so a group stays in cache
 * while every pixel tile of the image streams past it.
 */
#include "ek_pconv.h"

#if defined(__x86_64__)
#include "ek_conv_c2_avx2.h"
#include "ek_conv_c4_avx2.h"

#include <string.h>

#define EK_PC2_GROUP_BYTES 65536
#define EK_PC2_MAX_GROUP 16

EK_AVX2_INLINE __m256i ek_pc2_load_s16(const int8_t *p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* n int8 values from src to int16 at dst, 16 per step (writes up to 15 entries past n and
 * reads up to 15 bytes past src + n, within EK_EXTRA_BYTES). */
EK_AVX2_INLINE void ek_pc2_widen(const int8_t *src, size_t n, int16_t *dst) {
  for (size_t c = 0; c < n; c += 16) {
    _mm256_storeu_si256((__m256i *)(dst + c), ek_pc2_load_s16(src + c));
  }
}

/* n entries of value v (writes up to 15 entries past n). */
EK_AVX2_INLINE void ek_pc2_fill(int16_t *dst, size_t n, __m256i v) {
  for (size_t c = 0; c < n; c += 16) _mm256_storeu_si256((__m256i *)(dst + c), v);
}

/* Row of output pixel (oy, ox) as int16, padded taps = zp, entry k (odd k's pair) 0. dst
 * holds k + 32 entries. A window row inside the input with unit dilation is one contiguous
 * span of kernel_w * in_c bytes. */
EK_AVX2_INLINE void ek_pc2_row(const ek_conv2d_shape *s, const int8_t *image, int32_t oy,
                               int32_t ox, int16_t zp, int16_t *dst) {
  const size_t in_c = (size_t)s->in_c;
  const int32_t iy0 = oy * s->stride_h - s->pad_top;
  const int32_t ix0 = ox * s->stride_w - s->pad_left;
  const __m256i vzp = _mm256_set1_epi16(zp);
  const int span = s->dilation_w == 1 && ix0 >= 0 && ix0 + s->kernel_w <= s->in_w;
  const size_t span_n = (size_t)s->kernel_w * in_c;
  int16_t *row = dst;
  for (int32_t ky = 0; ky < s->kernel_h; ++ky) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    if (iy < 0 || iy >= s->in_h) {
      ek_pc2_fill(dst, span_n, vzp);
      dst += span_n;
      continue;
    }
    const int8_t *line = image + (size_t)iy * (size_t)s->in_w * in_c;
    if (span) {
      ek_pc2_widen(line + (size_t)ix0 * in_c, span_n, dst);
      dst += span_n;
      continue;
    }
    for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
      const int32_t ix = ix0 + kx * s->dilation_w;
      if (ix < 0 || ix >= s->in_w) {
        ek_pc2_fill(dst, in_c, vzp);
      } else if (in_c < 8) {
        const int8_t *src = line + (size_t)ix * in_c;
        for (size_t c = 0; c < in_c; ++c) dst[c] = (int16_t)src[c];
      } else {
        ek_pc2_widen(line + (size_t)ix * in_c, in_c, dst);
      }
      dst += in_c;
    }
  }
  row[dst - row] = 0;
}


EK_AVX2 void ek_qs8_pconv2d_minmax_4x16c2__avx2(const ek_conv2d_shape *s,
                                                const ek_qs8_requant_params *p,
                                                const int8_t *input, const int8_t *weights,
                                                const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  if (k > EK_PCONV_MAX_K) {
    ek_qs8_pconv2d_minmax_4x16c2__ref(s, p, input, weights, bias, output);
    return;
  }
  const size_t n = (size_t)s->out_c;
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t kp = (k + 1) / 2, blocks = (n + 15) / 16;
  const size_t block = kp * 64; /* packed bytes of one 16-channel block */
  const int16_t *wp = (const int16_t *)(const void *)weights;
  size_t group = EK_PC2_GROUP_BYTES / block;
  group = group < 1 ? 1 : group > EK_PC2_MAX_GROUP ? EK_PC2_MAX_GROUP : group;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  const int16_t zp = (int16_t)p->input_zero_point;
  /* The gathered rows, or the bordered image of the direct path: one or the other. */
  union {
    int16_t rows[EK_C2_MR][EK_PCONV_MAX_K + 32];
    int16_t padded[EK_C2_MAX_IMAGE + 16];
  } scratch __attribute__((aligned(32)));
  int16_t (*rows)[EK_PCONV_MAX_K + 32] = scratch.rows;
  /* The last block's multipliers and shifts, padded to 16 (the arrays are read exactly). */
  int32_t tail_m[16] = {0}, tail_sh[16] = {0};
  for (size_t c = (blocks - 1) * 16; c < n; ++c) {
    tail_m[c % 16] = p->multiplier[c];
    tail_sh[c % 16] = p->shift[c];
  }
  /* Direct path (ek_conv_c2_avx2.h): the border holds the zero point, values stay x. */
  const int direct = ek_c2_direct_fits(s);
  size_t hp = 0, wpad = 0;
  ek_c2_padded_extent(s, &hp, &wpad);
  for (size_t g0 = 0; g0 < blocks; g0 += group) {
    const size_t g1 = blocks - g0 < group ? blocks : g0 + group;
    for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
      const int8_t *image = input + bi * image_bytes;
      int8_t *out_image = output + bi * pixels * n;
      if (direct) {
        ek_c2_pad_image(s, image, 0, zp, hp, wpad, scratch.padded);
        for (size_t p0 = 0; p0 < pixels; p0 += EK_C2_MR) {
          const size_t mr = pixels - p0 < EK_C2_MR ? pixels - p0 : EK_C2_MR;
          const int16_t *base[EK_C2_MR];
          ek_c2_tile_bases(s, scratch.padded, wpad, p0, mr, base);
          for (size_t jb = g0; jb < g1; ++jb) {
            const size_t c0 = jb * 16;
            const size_t nr = n - c0 < 16 ? n - c0 : 16;
            __m256i acc[EK_C2_MR][2];
            ek_c2_direct_mk(s, wpad, base, wp + jb * kp * 32, nr > 8 ? 2 : 1, mr, acc);
            const int full = nr == 16;
            ek_c2_store(acc, mr, nr, bias + c0, full ? p->multiplier + c0 : tail_m,
                        full ? p->shift + c0 : tail_sh, p, out_image + p0 * n + c0, n);
          }
        }
        continue;
      }
      for (size_t p0 = 0; p0 < pixels; p0 += EK_C2_MR) {
        const size_t mr = pixels - p0 < EK_C2_MR ? pixels - p0 : EK_C2_MR;
        const int16_t *r[EK_C2_MR];
        for (size_t i = 0; i < EK_C2_MR; ++i) {
          if (i < mr) {
            const size_t pix = p0 + i;
            ek_pc2_row(s, image, (int32_t)(pix / (size_t)s->out_w),
                       (int32_t)(pix % (size_t)s->out_w), zp, rows[i]);
            r[i] = rows[i];
          } else {
            r[i] = r[mr - 1];
          }
        }
        for (size_t jb = g0; jb < g1; ++jb) {
          const size_t c0 = jb * 16;
          const size_t nr = n - c0 < 16 ? n - c0 : 16;
          __m256i acc[EK_C2_MR][2];
          ek_c2_mk(kp, r, wp + jb * kp * 32, nr > 8 ? 2 : 1, mr, acc);
          const int full = nr == 16;
          ek_c2_store(acc, mr, nr, bias + c0, full ? p->multiplier + c0 : tail_m,
                       full ? p->shift + c0 : tail_sh, p, out_image + p0 * n + c0, n);
        }
      }
    }
  }
}

/* One instance of the tile per row count and half count: a short last tile (1 to 3 pixels,
 * common in the small late layers) does only its own rows' work. */
EK_AVX2_INLINE void ek_pc4_mk(size_t kq, const int8_t *const *r, const uint8_t *wb, int halves,
                              size_t mr, __m256i acc[EK_C2_MR][2]) {
  if (halves == 2) {
    switch (mr) {
      case 1: ek_c4_mk_mr(kq, r, wb, 2, 1, acc); break;
      case 2: ek_c4_mk_mr(kq, r, wb, 2, 2, acc); break;
      case 3: ek_c4_mk_mr(kq, r, wb, 2, 3, acc); break;
      default: ek_c4_mk_mr(kq, r, wb, 2, 4, acc); break;
    }
  } else {
    switch (mr) {
      case 1: ek_c4_mk_mr(kq, r, wb, 1, 1, acc); break;
      case 2: ek_c4_mk_mr(kq, r, wb, 1, 2, acc); break;
      case 3: ek_c4_mk_mr(kq, r, wb, 1, 3, acc); break;
      default: ek_c4_mk_mr(kq, r, wb, 1, 4, acc); break;
    }
  }
}

/* Layout 3: groups of blocks of about 64 KiB of weights; per group, pixels in chunks of
 * about 16 KiB of input rows, each block serving every tile of a chunk from L1. */
EK_AVX2 void ek_qs8_pconv2d_minmax_4x16c4__avx2(const ek_conv2d_shape *s,
                                                const ek_qs8_requant_params *p,
                                                const int8_t *input, const int8_t *weights,
                                                const int32_t *bias, int8_t *output) {
  if (!ek_qs8_pconv2d_c4_fits(s)) {
    ek_qs8_pconv2d_minmax_4x16c4__ref(s, p, input, weights, bias, output);
    return;
  }
  const size_t k = (size_t)s->in_c, n = (size_t)s->out_c;
  const size_t out_w = (size_t)s->out_w, pixels = (size_t)s->out_h * out_w;
  const size_t kq = (k + 3) / 4, block = kq * 128, blocks = (n + 15) / 16;
  const uint8_t *wp = (const uint8_t *)(const void *)weights;
  size_t group = EK_PC2_GROUP_BYTES / block;
  group = group < 1 ? 1 : group > EK_PC2_MAX_GROUP ? EK_PC2_MAX_GROUP : group;
  const size_t chunk = ek_c4_chunk(k);
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * k;
  const size_t row_step = (size_t)s->stride_h * (size_t)s->in_w * k;
  const size_t col_step = (size_t)s->stride_w * k;
  /* Output pixels at equal steps through the input (unit vertical stride, whole rows): no
   * division per row pointer. */
  const int flat = row_step == out_w * col_step;
  /* The last block's multipliers and shifts, padded to 16 (the arrays are read exactly). */
  int32_t tail_m[16] = {0}, tail_sh[16] = {0};
  for (size_t c = (blocks - 1) * 16; c < n; ++c) {
    tail_m[c % 16] = p->multiplier[c];
    tail_sh[c % 16] = p->shift[c];
  }
  for (size_t g0 = 0; g0 < blocks; g0 += group) {
    const size_t g1 = blocks - g0 < group ? blocks : g0 + group;
    for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
      const int8_t *image = input + bi * image_bytes;
      int8_t *out_image = output + bi * pixels * n;
      for (size_t c0 = 0; c0 < pixels; c0 += chunk) {
        const size_t c1 = pixels - c0 < chunk ? pixels : c0 + chunk;
        for (size_t jb = g0; jb < g1; ++jb) {
          const size_t j = jb * 16, nr = n - j < 16 ? n - j : 16;
          const int full = nr == 16;
          const int32_t *m = full ? p->multiplier + j : tail_m, *sh = full ? p->shift + j : tail_sh;
          ek_c2_rq rq;
          ek_c2_rq_make(&rq, bias + j, m, sh, p);
          for (size_t t0 = c0; t0 < c1; t0 += EK_C2_MR) {
            const size_t mr = c1 - t0 < EK_C2_MR ? c1 - t0 : EK_C2_MR;
            const int8_t *r[EK_C2_MR];
            for (size_t i = 0; i < EK_C2_MR; ++i) {
              const size_t pix = t0 + (i < mr ? i : mr - 1);
              r[i] = flat ? image + pix * col_step
                          : image + pix / out_w * row_step + pix % out_w * col_step;
            }
            __m256i acc[EK_C2_MR][2];
            ek_pc4_mk(kq, r, wp + jb * block, nr > 8 ? 2 : 1, mr, acc);
            ek_c2_store_rq(acc, mr, nr, &rq, out_image + t0 * n + j, n);
          }
        }
      }
    }
  }
}

#endif
