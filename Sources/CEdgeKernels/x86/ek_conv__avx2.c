/* AVX2 + FMA Conv2D kernels (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include "../common/ek_conv_f32_driver.h"
#include "ek_conv_c4_avx2.h"

/* int16 lanes [0, n) set, n <= 16. */
EK_AVX2_INLINE __m256i ek_keep_epi16(size_t n) {
  const __m256i lanes = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm256_cmpgt_epi16(_mm256_set1_epi16((short)n), lanes);
}

EK_AVX2_INLINE __m256i ek_load_s8_epi16(const int8_t *p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* Four sums of eight lanes each: [sum a0, sum a1, sum a2, sum a3]. */
EK_AVX2_INLINE __m128i ek_hsum4_epi32(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
  const __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
  return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* Weight sums, 16 bytes per step, lanes past k cleared (the step over-reads within
 * EK_EXTRA_BYTES). */
EK_AVX2_INLINE void ek_qs8_conv_wsum(size_t k, const int8_t *const *w4, int32_t *out4) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i a[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                  _mm256_setzero_si256()};
  for (size_t i = 0; i < k; i += 16) {
    const __m256i keep = ek_keep_epi16(k - i < 16 ? k - i : 16);
    for (size_t j = 0; j < 4; ++j) {
      const __m256i w = _mm256_and_si256(keep, ek_load_s8_epi16(w4[j] + i));
      a[j] = _mm256_add_epi32(a[j], _mm256_madd_epi16(w, ones));
    }
  }
  _mm_storeu_si128((__m128i *)out4, ek_hsum4_epi32(a[0], a[1], a[2], a[3]));
}

/* 2 rows x 4 weight rows, 16 bytes per step. Both sides widen to int16 and vpmaddwd adds
 * pairs of products exactly (|x * w| <= 2^14), so no value saturates (-128 included). */
EK_AVX2_INLINE void ek_qs8_conv_dot_2x4(size_t k, const int8_t *const *rows,
                                        const int8_t *const *w4, int32_t *sums) {
  __m256i a0[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                   _mm256_setzero_si256()};
  __m256i a1[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                   _mm256_setzero_si256()};
  const int8_t *r0 = rows[0], *r1 = rows[1];
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m256i x0 = ek_load_s8_epi16(r0 + i), x1 = ek_load_s8_epi16(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const __m256i w = ek_load_s8_epi16(w4[j] + i);
      a0[j] = _mm256_add_epi32(a0[j], _mm256_madd_epi16(x0, w));
      a1[j] = _mm256_add_epi32(a1[j], _mm256_madd_epi16(x1, w));
    }
  }
  if (i < k) {
    const __m256i keep = ek_keep_epi16(k - i);
    const __m256i x0 = ek_load_s8_epi16(r0 + i), x1 = ek_load_s8_epi16(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const __m256i w = _mm256_and_si256(keep, ek_load_s8_epi16(w4[j] + i));
      a0[j] = _mm256_add_epi32(a0[j], _mm256_madd_epi16(x0, w));
      a1[j] = _mm256_add_epi32(a1[j], _mm256_madd_epi16(x1, w));
    }
  }
  _mm_storeu_si128((__m128i *)sums, ek_hsum4_epi32(a0[0], a0[1], a0[2], a0[3]));
  _mm_storeu_si128((__m128i *)(sums + 4), ek_hsum4_epi32(a1[0], a1[1], a1[2], a1[3]));
}

EK_AVX2_INLINE void ek_qs8_requant(size_t n, const int32_t *acc, const int32_t *multiplier,
                                   const int32_t *shift, const ek_qs8_requant_params *p,
                                   int8_t *out) {
  ek_qs8_requant_n__avx2(n, acc, multiplier, shift, p, out);
}

EK_AVX2 void ek_qs8_conv2d_minmax_2x4c16__avx2(const ek_conv2d_shape *shape,
                                               const ek_qs8_requant_params *params,
                                               const int8_t *input, const int8_t *weights,
                                               const int32_t *bias, int8_t *output) {
  if (!ek_qs8_conv_drive(shape, params, input, weights, bias, output, 2,
                         (uint32_t)params->input_zero_point, ek_qs8_conv_wsum,
                         ek_qs8_conv_dot_2x4, ek_qs8_requant)) {
    ek_qs8_conv2d_minmax_1x1__ref(shape, params, input, weights, bias, output);
  }
}

/*
 * Conv2D tile 4x16c2: four output pixels x 16 output channels, two K values per step, with
 * no horizontal sums. Per 16-channel block the weights are widened to int16 and interleaved
 * on the stack ([K/2][16 channels][2]); per tile the four input rows are gathered as int16
 * with the zero point subtracted (x - zp fits int16, padded taps are 0), so each step is a
 * broadcast of one row's K pair and vpmaddwd against 16 channels' pairs: exact int32 sums of
 * products, accumulated modulo 2^32 like the reference. Repacking costs about K x 16 per
 * block, paid back from about 12 output pixels (EK_C2_MIN_PIXELS, measured with
 * `make kernel-bench`); fewer pixels, or K over EK_C2_MAX_K, run the 2x4c16 kernel.
 */
#define EK_C2_MAX_K 2048
#define EK_C2_MIN_PIXELS 12

/* n int8 values from src to int16 x - zp at dst, 16 per step (writes up to 15 entries past n
 * and reads up to 15 bytes past src + n, within EK_EXTRA_BYTES). */
EK_AVX2_INLINE void ek_widen_s16(const int8_t *src, size_t n, __m256i vzp, int16_t *dst) {
  for (size_t c = 0; c < n; c += 16) {
    _mm256_storeu_si256((__m256i *)(dst + c), _mm256_sub_epi16(ek_load_s8_epi16(src + c), vzp));
  }
}

/* Row of output pixel (oy, ox) as int16 x - zp, padded taps 0, k rounded up to even with 0.
 * dst holds k + 16 entries (the 16-wide steps write past a span, the next span overwrites).
 * A window row inside the input with unit dilation is one contiguous span of kw * in_c
 * bytes. */
EK_AVX2_INLINE void ek_qs8_conv_row_s16(const ek_conv2d_shape *s, const int8_t *image,
                                        int32_t oy, int32_t ox, int16_t zp, int16_t *dst) {
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
      memset(dst, 0, span_n * sizeof(int16_t));
      dst += span_n;
      continue;
    }
    const int8_t *line = image + (size_t)iy * (size_t)s->in_w * in_c;
    if (span) {
      ek_widen_s16(line + (size_t)ix0 * in_c, span_n, vzp, dst);
      dst += span_n;
      continue;
    }
    for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
      const int32_t ix = ix0 + kx * s->dilation_w;
      if (ix < 0 || ix >= s->in_w) {
        memset(dst, 0, in_c * sizeof(int16_t));
      } else if (in_c < 8) {
        const int8_t *src = line + (size_t)ix * in_c;
        for (size_t c = 0; c < in_c; ++c) dst[c] = (int16_t)(src[c] - zp);
      } else {
        ek_widen_s16(line + (size_t)ix * in_c, in_c, vzp, dst);
      }
      dst += in_c;
    }
  }
  row[dst - row] = 0;
}


/* Repacked weights on the stack, in int16 entries: 64 KiB. */
#define EK_C2_WP (EK_C2_MAX_K * 16)
/* int16 entries of the gathered rows of one pixel chunk (16 KiB: with one packed block they
 * stay in L1). */
#define EK_C2_PANEL 8192
/* 16-channel blocks packed at once (their rows are gathered once per pixel chunk). */
#define EK_C2_MAX_BLOCKS 16

/* Output pixels per chunk of the direct path: per chunk each packed block is read into L1
 * once and serves every tile of the chunk. */
#define EK_C2_DIRECT_CHUNK 32

/* The tiles of one image over the bordered copy: gn channels whose packed blocks start at wp
 * (block entries apart), bias / multiplier / shift from b, m, sh, output channel 0 of the
 * group at out (pixel stride n). */
EK_AVX2_INLINE void ek_c2_direct_tiles(const ek_conv2d_shape *s, const int16_t *padded,
                                       size_t wpad, const int16_t *wp, size_t block, size_t gn,
                                       const int32_t *b, const int32_t *m, const int32_t *sh,
                                       const ek_qs8_requant_params *p, int8_t *out, size_t n) {
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  for (size_t c0 = 0; c0 < pixels; c0 += EK_C2_DIRECT_CHUNK) {
    const size_t c1 = pixels - c0 < EK_C2_DIRECT_CHUNK ? pixels : c0 + EK_C2_DIRECT_CHUNK;
    for (size_t j = 0; j < gn; j += 16) {
      const size_t nr = gn - j < 16 ? gn - j : 16;
      for (size_t p0 = c0; p0 < c1; p0 += EK_C2_MR) {
        const size_t mr = c1 - p0 < EK_C2_MR ? c1 - p0 : EK_C2_MR;
        const int16_t *base[EK_C2_MR];
        ek_c2_tile_bases(s, padded, wpad, p0, mr, base);
        __m256i acc[EK_C2_MR][2];
        ek_c2_direct_mk(s, wpad, base, wp + j / 16 * block, nr > 8 ? 2 : 1, mr, acc);
        ek_c2_store(acc, mr, nr, b + j, m + j, sh + j, p, out + p0 * n + j, n);
      }
    }
  }
}

/* The tile drivers, kept out of line so that the entry points' stack frames (64 KiB or more
 * each) never nest when one hands a shape to the other. */
EK_AVX2 __attribute__((noinline)) static void ek_c4_conv(const ek_conv2d_shape *s,
                                                         const ek_qs8_requant_params *p,
                                                         const int8_t *input,
                                                         const int8_t *weights,
                                                         const int32_t *bias, int8_t *output);

EK_AVX2 __attribute__((noinline)) static void ek_c2_conv(const ek_conv2d_shape *s,
                                                         const ek_qs8_requant_params *p,
                                                         const int8_t *input,
                                                         const int8_t *weights,
                                                         const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c;
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t kp = (k + 1) / 2;
  const size_t block = (k + 15) / 16 * 256; /* int16 entries of one packed block */
  size_t group = EK_C2_WP / block;
  group = group > EK_C2_MAX_BLOCKS ? EK_C2_MAX_BLOCKS : group;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  const int16_t zp = (int16_t)p->input_zero_point;
  int16_t wp[EK_C2_WP] __attribute__((aligned(32)));
  /* The gathered rows of a pixel chunk (at most EK_C2_PANEL entries, or one tile's rows of
   * k + 16 <= EK_C2_MAX_K + 32 entries), or the bordered image of the direct path. */
  union {
    int16_t panel[EK_C2_MR * (EK_C2_MAX_K + 32)];
    int16_t padded[EK_C2_MAX_IMAGE + 16];
  } scratch __attribute__((aligned(32)));
  int16_t *panel = scratch.panel;
  int16_t *padded = scratch.padded;
  /* Gathered rows: stride entries apart (k + 16 at least, the writes past a row), chunk rows
   * (a multiple of the tile) within EK_C2_PANEL entries, at least one tile. */
  const size_t stride = (k + 15) / 16 * 16 + 16;
  size_t chunk = EK_C2_PANEL / stride / EK_C2_MR * EK_C2_MR;
  chunk = chunk < EK_C2_MR ? EK_C2_MR : chunk;
  int32_t b[EK_C2_MAX_BLOCKS * 16], m[EK_C2_MAX_BLOCKS * 16], sh[EK_C2_MAX_BLOCKS * 16];
  const int direct = ek_c2_direct_fits(s);
  size_t hp = 0, wpad = 0;
  ek_c2_padded_extent(s, &hp, &wpad);
  for (size_t g0 = 0; g0 < n; g0 += group * 16) {
    const size_t gn = n - g0 < group * 16 ? n - g0 : group * 16;
    for (size_t j = 0; j < (gn + 15) / 16 * 16; ++j) {
      b[j] = j < gn && bias != NULL ? bias[g0 + j] : 0;
      m[j] = j < gn ? p->multiplier[g0 + j] : 0;
      sh[j] = j < gn ? p->shift[g0 + j] : 0;
    }
    for (size_t j = 0; j < gn; j += 16) {
      ek_qs8_conv_pack_c2(k, gn - j < 16 ? gn - j : 16, weights + (g0 + j) * k, wp + j / 16 * block);
    }
    for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
      const int8_t *image = input + bi * image_bytes;
      int8_t *out_image = output + bi * pixels * n;
      if (direct) {
        ek_c2_pad_image(s, image, zp, 0, hp, wpad, padded);
        ek_c2_direct_tiles(s, padded, wpad, wp, block, gn, b, m, sh, p, out_image + g0, n);
        continue;
      }
      /* Pixels in chunks whose gathered rows fill about 16 KiB: per chunk each packed block
       * is read into L1 once and serves every tile of the chunk. */
      for (size_t c0 = 0; c0 < pixels; c0 += chunk) {
        const size_t pc = pixels - c0 < chunk ? pixels - c0 : chunk;
        for (size_t i = 0; i < pc; ++i) {
          const size_t pix = c0 + i;
          ek_qs8_conv_row_s16(s, image, (int32_t)(pix / (size_t)s->out_w),
                              (int32_t)(pix % (size_t)s->out_w), zp, panel + i * stride);
        }
        for (size_t j = 0; j < gn; j += 16) {
          const size_t nr = gn - j < 16 ? gn - j : 16;
          for (size_t t0 = 0; t0 < pc; t0 += EK_C2_MR) {
            const size_t mr = pc - t0 < EK_C2_MR ? pc - t0 : EK_C2_MR;
            const int16_t *r[EK_C2_MR];
            for (size_t i = 0; i < EK_C2_MR; ++i) r[i] = panel + (t0 + (i < mr ? i : mr - 1)) * stride;
            __m256i acc[EK_C2_MR][2];
            if (nr > 8) {
              ek_c2_mk(kp, r, wp + j / 16 * block, 2, mr, acc);
            } else {
              ek_c2_mk(kp, r, wp + j / 16 * block, 1, mr, acc);
            }
            ek_c2_store(acc, mr, nr, b + j, m + j, sh + j, p,
                        out_image + (c0 + t0) * n + g0 + j, n);
          }
        }
      }
    }
  }
}

EK_AVX2 void ek_qs8_conv2d_minmax_4x16c2__avx2(const ek_conv2d_shape *s,
                                               const ek_qs8_requant_params *p,
                                               const int8_t *input, const int8_t *weights,
                                               const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  if (k > EK_C2_MAX_K || pixels * (size_t)s->batch < EK_C2_MIN_PIXELS) {
    ek_qs8_conv2d_minmax_2x4c16__avx2(s, p, input, weights, bias, output);
  } else if (ek_c4_fits(s)) {
    ek_c4_conv(s, p, input, weights, bias, output);
  } else {
    ek_c2_conv(s, p, input, weights, bias, output);
  }
}

/*
 * Conv2D tile 4x16c4 (ek_conv_c4_avx2.h) for 1x1 kernels without padding: each output pixel's
 * window is in_c bytes in place in the input, so rows are neither gathered nor widened. Per
 * call the weights are packed into 16-channel blocks (|w| and sign masks, about K x 32 bytes
 * per block, in groups of up to 64 KiB) and the dropped terms and the zero point are folded
 * into the bias; pixels go in chunks of about 16 KiB of input, each block serving every tile
 * of a chunk from L1. From EK_C2_MIN_PIXELS output pixels (as 4x16c2, which hands these
 * shapes over); other shapes run 4x16c2.
 */
EK_AVX2 __attribute__((noinline)) static void ek_c4_conv(const ek_conv2d_shape *s,
                                                         const ek_qs8_requant_params *p,
                                                         const int8_t *input,
                                                         const int8_t *weights,
                                                         const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->in_c, n = (size_t)s->out_c;
  const size_t out_w = (size_t)s->out_w, pixels = (size_t)s->out_h * out_w;
  const size_t kq = (k + 3) / 4, block = kq * 128; /* bytes of one packed block */
  size_t group = EK_C4_WP / block;
  group = group > EK_C4_MAX_BLOCKS ? EK_C4_MAX_BLOCKS : group;
  const size_t chunk = ek_c4_chunk(k);
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * k;
  const size_t row_step = (size_t)s->stride_h * (size_t)s->in_w * k, col_step = (size_t)s->stride_w * k;
  uint8_t wp[EK_C4_WP] __attribute__((aligned(32)));
  int32_t b[EK_C4_MAX_BLOCKS * 16], m[EK_C4_MAX_BLOCKS * 16], sh[EK_C4_MAX_BLOCKS * 16];
  for (size_t g0 = 0; g0 < n; g0 += group * 16) {
    const size_t gn = n - g0 < group * 16 ? n - g0 : group * 16;
    for (size_t j = 0; j < gn; j += 16) {
      int32_t fold[16];
      const size_t nr = gn - j < 16 ? gn - j : 16;
      ek_c4_pack(k, nr, weights + (g0 + j) * k, p->input_zero_point, wp + j / 16 * block, fold);
      for (size_t c = 0; c < 16; ++c) {
        const uint32_t bc = c < nr && bias != NULL ? (uint32_t)bias[g0 + j + c] : 0;
        b[j + c] = (int32_t)(bc + (uint32_t)fold[c]);
        m[j + c] = c < nr ? p->multiplier[g0 + j + c] : 0;
        sh[j + c] = c < nr ? p->shift[g0 + j + c] : 0;
      }
    }
    for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
      const int8_t *image = input + bi * image_bytes;
      int8_t *out_image = output + bi * pixels * n + g0;
      for (size_t c0 = 0; c0 < pixels; c0 += chunk) {
        const size_t c1 = pixels - c0 < chunk ? pixels : c0 + chunk;
        for (size_t j = 0; j < gn; j += 16) {
          const size_t nr = gn - j < 16 ? gn - j : 16;
          for (size_t t0 = c0; t0 < c1; t0 += EK_C2_MR) {
            const size_t mr = c1 - t0 < EK_C2_MR ? c1 - t0 : EK_C2_MR;
            const int8_t *r[EK_C2_MR];
            for (size_t i = 0; i < EK_C2_MR; ++i) {
              const size_t pix = t0 + (i < mr ? i : mr - 1);
              r[i] = image + pix / out_w * row_step + pix % out_w * col_step;
            }
            __m256i acc[EK_C2_MR][2];
            if (nr > 8) {
              ek_c4_mk(kq, r, wp + j / 16 * block, 2, acc);
            } else {
              ek_c4_mk(kq, r, wp + j / 16 * block, 1, acc);
            }
            ek_c2_store(acc, mr, nr, b + j, m + j, sh + j, p, out_image + t0 * n + j, n);
          }
        }
      }
    }
  }
}

EK_AVX2 void ek_qs8_conv2d_minmax_4x16c4__avx2(const ek_conv2d_shape *s,
                                               const ek_qs8_requant_params *p,
                                               const int8_t *input, const int8_t *weights,
                                               const int32_t *bias, int8_t *output) {
  if (ek_c4_fits(s)) {
    ek_c4_conv(s, p, input, weights, bias, output);
  } else {
    ek_qs8_conv2d_minmax_4x16c2__avx2(s, p, input, weights, bias, output);
  }
}

/* Lane mask with the first n (0..8) 32-bit lanes set. */
EK_AVX2_INLINE __m256i ek_keep_epi32(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

EK_AVX2_INLINE __m128 ek_hsum4_ps(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* 2 rows x 4 weight rows, 8 floats per step; the tail uses masked loads, which read nothing
 * past k. */
EK_AVX2_INLINE void ek_f32_conv_dot_2x4(size_t k, const float *const *rows,
                                        const float *const *w4, float *sums) {
  __m256 a0[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 a1[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  const float *r0 = rows[0], *r1 = rows[1];
  size_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m256 x0 = _mm256_loadu_ps(r0 + i), x1 = _mm256_loadu_ps(r1 + i);
    for (size_t j = 0; j < 4; ++j) {
      const __m256 w = _mm256_loadu_ps(w4[j] + i);
      a0[j] = _mm256_fmadd_ps(x0, w, a0[j]);
      a1[j] = _mm256_fmadd_ps(x1, w, a1[j]);
    }
  }
  if (i < k) {
    const __m256i keep = ek_keep_epi32(k - i);
    const __m256 x0 = _mm256_maskload_ps(r0 + i, keep), x1 = _mm256_maskload_ps(r1 + i, keep);
    for (size_t j = 0; j < 4; ++j) {
      const __m256 w = _mm256_maskload_ps(w4[j] + i, keep);
      a0[j] = _mm256_fmadd_ps(x0, w, a0[j]);
      a1[j] = _mm256_fmadd_ps(x1, w, a1[j]);
    }
  }
  _mm_storeu_ps(sums, ek_hsum4_ps(a0[0], a0[1], a0[2], a0[3]));
  _mm_storeu_ps(sums + 4, ek_hsum4_ps(a1[0], a1[1], a1[2], a1[3]));
}

EK_AVX2 void ek_f32_conv2d_minmax_2x4c8__avx2(const ek_conv2d_shape *shape, const float *input,
                                              const float *weights, const float *bias,
                                              float *output, float output_min,
                                              float output_max) {
  if (!ek_f32_conv_drive(shape, input, weights, bias, output, output_min, output_max, 2,
                         ek_f32_conv_dot_2x4)) {
    ek_f32_conv2d_minmax_1x1__ref(shape, input, weights, bias, output, output_min, output_max);
  }
}

#endif
