/*
 * AVX2 int8 Conv2D for few input channels (stems: RGB or a mono spectrogram), tile 8x8c2:
 * eight output pixels x eight output channels, two K values per step (ek_conv_simd.h).
 *
 * With in_c <= 4 the window K = kernel_h * kernel_w * in_c is short (27 for a 3x3 RGB stem),
 * so what the general 4x16c2 tile spends around the multiply-adds dominates: a 16-lane
 * channel block half empty for eight channels, a zero-point subtraction per gathered value
 * and a division per pixel. Here, per call, the weights are widened and interleaved into
 * 8-channel blocks ([blocks][K/2][8 channels][2] int16) and the input zero-point term is
 * folded into the bias (bias[c] - zp * sum_k w[c][k], modulo 2^32); per tile eight pixels'
 * windows are gathered as raw int16 (padded taps hold the zero point, which the folded bias
 * cancels), stepping (oy, ox) without division. Each step loads one weight vector and
 * multiplies it with one broadcast K pair per pixel (vpmaddwd, exact int32 sums modulo 2^32
 * as the reference), and each pixel's eight channels requantize in one vector. While two
 * 8-channel blocks remain, four pixels run against both at once (one broadcast, two
 * multiply-adds). Shapes outside the limits below run the 4x16c2 kernel.
 */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include "ek_conv_c2_avx2.h"

#define EK_SC_MR 8
/* Widened weights on the stack: blocks x pairs x 16 int16 (16 KiB), at most 64 blocks. */
#define EK_SC_MAX_W 8192
#define EK_SC_MAX_BLOCKS 64

/* Window of output pixel (oy, ox) as raw int16, padded taps = zp, entry k (odd k's pair) 0.
 * A window row inside the input with unit dilation is one contiguous span of kernel_w * in_c
 * bytes, widened 16 at a time (writes up to 15 entries past it, reads up to 15 bytes past it,
 * within EK_EXTRA_BYTES). */
EK_AVX2_INLINE void ek_sc_row(const ek_conv2d_shape *s, const int8_t *image, int32_t oy,
                              int32_t ox, int16_t zp, int16_t *dst, const int kh, const int kw,
                              const int cin, const int sh, const int sw) {
  const size_t in_c = (size_t)cin, span_n = (size_t)kw * in_c;
  const int32_t iy0 = oy * sh - s->pad_top, ix0 = ox * sw - s->pad_left;
  const __m256i vzp = _mm256_set1_epi16(zp);
  const int span = s->dilation_w == 1 && ix0 >= 0 && ix0 + kw <= s->in_w;
  int16_t *row = dst;
  for (int32_t ky = 0; ky < kh; ++ky, dst += span_n) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    if (iy < 0 || iy >= s->in_h) {
      for (size_t i = 0; i < span_n; i += 16) _mm256_storeu_si256((__m256i *)(dst + i), vzp);
      continue;
    }
    const int8_t *line = image + (size_t)iy * (size_t)s->in_w * in_c;
    if (span) {
      const int8_t *src = line + (size_t)ix0 * in_c;
      for (size_t i = 0; i < span_n; i += 16) {
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + i))));
      }
      continue;
    }
    for (int32_t kx = 0; kx < kw; ++kx) {
      const int32_t ix = ix0 + kx * s->dilation_w;
      const int inside = ix >= 0 && ix < s->in_w;
      for (size_t c = 0; c < in_c; ++c) {
        dst[(size_t)kx * in_c + c] = inside ? (int16_t)line[(size_t)ix * in_c + c] : zp;
      }
    }
  }
  row[(size_t)kh * span_n] = 0;
}

/* wp[(p * 8 + j) * 2 + h] = w[c0 + j][2p + h] as int16 (0 past k or past nr channels); fb[j]
 * = bias[c0 + j] - zp * sum_k w[c0 + j][k] modulo 2^32 (0 past nr). */
static void ek_sc_pack(size_t k, size_t nr, const int8_t *w, const int32_t *bias, int32_t zp,
                       int16_t *wp, int32_t *fb) {
  memset(wp, 0, (k + 1) / 2 * 16 * sizeof(int16_t));
  memset(fb, 0, 8 * sizeof(int32_t));
  for (size_t j = 0; j < nr; ++j) {
    const int8_t *wj = w + j * k;
    uint32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      wp[(i >> 1) * 16 + j * 2 + (i & 1)] = wj[i];
      sum += (uint32_t)(int32_t)wj[i];
    }
    fb[j] = (int32_t)((bias != NULL ? (uint32_t)bias[j] : 0) - (uint32_t)zp * sum);
  }
}

/* acc[m] = fb + sum over pairs of rows[m] pair x the block's weight pairs, m < EK_SC_MR. */
EK_AVX2_INLINE void ek_sc_mk(size_t kp, int16_t rows[EK_SC_MR][EK_CONV_SC_MAX_K + 32],
                             const int16_t *wp, __m256i fb, __m256i acc[EK_SC_MR]) {
  for (size_t m = 0; m < EK_SC_MR; ++m) acc[m] = fb;
  for (size_t p = 0; p < kp; ++p, wp += 16) {
    const __m256i w = _mm256_load_si256((const __m256i *)wp);
    for (size_t m = 0; m < EK_SC_MR; ++m) {
      int32_t pair;
      memcpy(&pair, rows[m] + 2 * p, sizeof(pair));
      acc[m] = _mm256_add_epi32(acc[m], _mm256_madd_epi16(_mm256_set1_epi32(pair), w));
    }
  }
}

/* Two blocks (16 channels) for half the tile's pixels, rows[m0..m0 + 3]: acc[m][h] for block
 * h, so each broadcast pair feeds two multiply-adds. */
EK_AVX2_INLINE void ek_sc_mk2(size_t kp, int16_t rows[EK_SC_MR][EK_CONV_SC_MAX_K + 32],
                              size_t m0, const int16_t *wp0, const int16_t *wp1, __m256i fb0,
                              __m256i fb1, __m256i acc[EK_SC_MR / 2][2]) {
  for (size_t m = 0; m < EK_SC_MR / 2; ++m) {
    acc[m][0] = fb0;
    acc[m][1] = fb1;
  }
  for (size_t p = 0; p < kp; ++p, wp0 += 16, wp1 += 16) {
    const __m256i w0 = _mm256_load_si256((const __m256i *)wp0);
    const __m256i w1 = _mm256_load_si256((const __m256i *)wp1);
    for (size_t m = 0; m < EK_SC_MR / 2; ++m) {
      int32_t pair;
      memcpy(&pair, rows[m0 + m] + 2 * p, sizeof(pair));
      const __m256i x = _mm256_set1_epi32(pair);
      acc[m][0] = _mm256_add_epi32(acc[m][0], _mm256_madd_epi16(x, w0));
      acc[m][1] = _mm256_add_epi32(acc[m][1], _mm256_madd_epi16(x, w1));
    }
  }
}

/* Requantizes one pixel's eight channels [c0, c0 + nr) and stores them at o. */
EK_AVX2_INLINE void ek_sc_store(__m256i acc, const ek_requant8 *q, size_t nr, __m256i out_zp,
                                __m256i out_min, __m256i out_max, int8_t *o) {
  const __m128i y = ek_requant8_pack(ek_requant8_apply(acc, q, out_zp, out_min, out_max));
  if (nr == 8) {
    _mm_storel_epi64((__m128i *)o, y);
  } else {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i *)tmp, y);
    memcpy(o, tmp, nr);
  }
}

/* Packed weights, folded bias and padded requantization constants of one call. */
typedef struct ek_sc_weights {
  int16_t w[EK_SC_MAX_W] __attribute__((aligned(32)));
  int32_t fb[EK_SC_MAX_BLOCKS * 8], mq[EK_SC_MAX_BLOCKS * 8], sq[EK_SC_MAX_BLOCKS * 8];
} ek_sc_weights;

/* The n channels' multipliers and shifts, zero past n so a short last block reads zeros. */
static inline void ek_sc_copy_requant(ek_sc_weights *pw, const ek_qs8_requant_params *p, size_t n) {
  memset(pw->mq, 0, sizeof(pw->mq));
  memset(pw->sq, 0, sizeof(pw->sq));
  memcpy(pw->mq, p->multiplier, n * sizeof(int32_t));
  memcpy(pw->sq, p->shift, n * sizeof(int32_t));
}

/* Every image of the batch; kh, kw, cin, sh, sw are constants in the stem instances. */
EK_AVX2_INLINE void ek_sc_images(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                 const int8_t *input, const ek_sc_weights *pw, int8_t *output,
                                 const int kh, const int kw, const int cin, const int sh,
                                 const int sw) {
  const size_t k = (size_t)kh * (size_t)kw * (size_t)cin;
  const size_t n = (size_t)s->out_c, kp = (k + 1) / 2, blocks = (n + 7) / 8;
  const int16_t zp = (int16_t)p->input_zero_point;
  const int16_t *wp = pw->w;
  const int32_t *fb = pw->fb, *mq = pw->mq, *sq = pw->sq;
  const __m256i out_zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i out_min = _mm256_set1_epi32(p->output_min);
  const __m256i out_max = _mm256_set1_epi32(p->output_max);
  /* Rows past the last tile's pixels stay zero: they are multiplied but never stored. */
  int16_t rows[EK_SC_MR][EK_CONV_SC_MAX_K + 32] __attribute__((aligned(32)));
  memset(rows, 0, sizeof(rows));
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)cin;
  for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
    const int8_t *image = input + bi * image_bytes;
    int8_t *out_image = output + bi * pixels * n;
    int32_t oy = 0, ox = 0;
    for (size_t p0 = 0; p0 < pixels; p0 += EK_SC_MR) {
      const size_t mr = pixels - p0 < EK_SC_MR ? pixels - p0 : EK_SC_MR;
      for (size_t i = 0; i < mr; ++i) {
        ek_sc_row(s, image, oy, ox, zp, rows[i], kh, kw, cin, sh, sw);
        if (++ox == s->out_w) {
          ox = 0;
          ++oy;
        }
      }
      for (size_t b = 0; b < blocks; ++b) {
        const size_t c0 = b * 8, nr = n - c0 < 8 ? n - c0 : 8;
        const ek_requant8 q = ek_requant8_load(mq + c0, sq + c0);
        int8_t *o = out_image + p0 * n + c0;
        if (b + 1 < blocks) {
          /* A full block and the next: 16 channels, four pixels at a time. */
          const size_t nr1 = n - c0 - 8 < 8 ? n - c0 - 8 : 8;
          const ek_requant8 q1 = ek_requant8_load(mq + c0 + 8, sq + c0 + 8);
          for (size_t m0 = 0; m0 < mr; m0 += EK_SC_MR / 2) {
            __m256i acc[EK_SC_MR / 2][2];
            ek_sc_mk2(kp, rows, m0, wp + b * kp * 16, wp + (b + 1) * kp * 16,
                      _mm256_loadu_si256((const __m256i *)(fb + c0)),
                      _mm256_loadu_si256((const __m256i *)(fb + c0 + 8)), acc);
            for (size_t i = 0; i < EK_SC_MR / 2 && m0 + i < mr; ++i) {
              int8_t *oi = o + (m0 + i) * n;
              ek_sc_store(acc[i][0], &q, 8, out_zp, out_min, out_max, oi);
              ek_sc_store(acc[i][1], &q1, nr1, out_zp, out_min, out_max, oi + 8);
            }
          }
          ++b;
          continue;
        }
        __m256i acc[EK_SC_MR];
        ek_sc_mk(kp, rows, wp + b * kp * 16, _mm256_loadu_si256((const __m256i *)(fb + c0)), acc);
        for (size_t i = 0; i < mr; ++i) {
          ek_sc_store(acc[i], &q, nr, out_zp, out_min, out_max, o + i * n);
        }
      }
    }
  }
}

/*
 * Direct path (unit dilation, bordered image within EK_SC_MAX_IMAGE entries, at most
 * EK_SC_DIRECT_BLOCKS blocks): the image is widened once per call into a bordered int16
 * copy holding raw values and the input zero point outside the input (ek_c2_pad_image), so
 * a window row of kernel_w * in_c values lies in place in the copy and nothing is gathered
 * per pixel. Each window row's K values are paired on their own (an odd row's last pair
 * reads the next value of the copy against a zero weight), ceil(kernel_w * in_c / 2) pairs
 * per row, one more than the gathered pairs at most per row. The requantization constants
 * are precomputed once per call (ek_requant8x) and four pixels of a block requantize,
 * pack and clamp together (one vpacksswb, one vpermd back to pixel order).
 */
#define EK_SC_MAX_IMAGE 32768
#define EK_SC_DIRECT_BLOCKS 8

/* wp[(p * 8 + j) * 2 + h] with p = ky * prow + r: w[c0 + j][ky * krow + 2r + h] as int16, 0
 * where 2r + h >= krow or past nr channels; fb as in ek_sc_pack. */
static void ek_sc_pack_rows(size_t kh, size_t krow, size_t nr, const int8_t *w,
                            const int32_t *bias, int32_t zp, int16_t *wp, int32_t *fb) {
  const size_t prow = (krow + 1) / 2, k = kh * krow;
  memset(wp, 0, kh * prow * 16 * sizeof(int16_t));
  memset(fb, 0, 8 * sizeof(int32_t));
  for (size_t j = 0; j < nr; ++j) {
    const int8_t *wj = w + j * k;
    uint32_t sum = 0;
    for (size_t ky = 0; ky < kh; ++ky) {
      for (size_t i = 0; i < krow; ++i) {
        wp[((ky * prow + i / 2) * 8 + j) * 2 + (i & 1)] = wj[ky * krow + i];
        sum += (uint32_t)(int32_t)wj[ky * krow + i];
      }
    }
    fb[j] = (int32_t)((bias != NULL ? (uint32_t)bias[j] : 0) - (uint32_t)zp * sum);
  }
}

/* acc[m] = fb + the window sums of pixels m < 8 (window row 0 at base[m], rows rs entries
 * apart) against one block. */
EK_AVX2_INLINE void ek_sc_dmk(const int kh, const size_t prow, size_t rs,
                              const int16_t *const base[EK_SC_MR], const int16_t *wp,
                              __m256i fb, __m256i acc[EK_SC_MR]) {
  for (size_t m = 0; m < EK_SC_MR; ++m) acc[m] = fb;
  for (int ky = 0; ky < kh; ++ky) {
    for (size_t r = 0; r < prow; ++r, wp += 16) {
      const __m256i w = _mm256_load_si256((const __m256i *)wp);
      const size_t off = (size_t)ky * rs + 2 * r;
      for (size_t m = 0; m < EK_SC_MR; ++m) {
        acc[m] = _mm256_add_epi32(acc[m], _mm256_madd_epi16(ek_c2_bcast_pair(base[m] + off), w));
      }
    }
  }
}

/* Two blocks for pixels m0..m0 + 3: each broadcast pair feeds two multiply-adds. */
EK_AVX2_INLINE void ek_sc_dmk2(const int kh, const size_t prow, size_t rs,
                               const int16_t *const base[EK_SC_MR], size_t m0,
                               const int16_t *wp0, const int16_t *wp1, __m256i fb0,
                               __m256i fb1, __m256i acc0[4], __m256i acc1[4]) {
  for (size_t m = 0; m < 4; ++m) {
    acc0[m] = fb0;
    acc1[m] = fb1;
  }
  for (int ky = 0; ky < kh; ++ky) {
    for (size_t r = 0; r < prow; ++r, wp0 += 16, wp1 += 16) {
      const __m256i w0 = _mm256_load_si256((const __m256i *)wp0);
      const __m256i w1 = _mm256_load_si256((const __m256i *)wp1);
      const size_t off = (size_t)ky * rs + 2 * r;
      for (size_t m = 0; m < 4; ++m) {
        const __m256i x = ek_c2_bcast_pair(base[m0 + m] + off);
        acc0[m] = _mm256_add_epi32(acc0[m], _mm256_madd_epi16(x, w0));
        acc1[m] = _mm256_add_epi32(acc1[m], _mm256_madd_epi16(x, w1));
      }
    }
  }
}

/* Requantizes four pixels' sums of one block and stores the first cnt pixels' first nr
 * channels, pixel i at o + i * n. */
EK_AVX2_INLINE void ek_sc_store4(const __m256i a[4], const ek_requant8x *q, __m256i lo,
                                 __m256i hi, size_t cnt, size_t nr, size_t n, int8_t *o) {
  const __m256i ab = _mm256_packs_epi32(ek_requant8x_apply(a[0], q), ek_requant8x_apply(a[1], q));
  const __m256i cd = _mm256_packs_epi32(ek_requant8x_apply(a[2], q), ek_requant8x_apply(a[3], q));
  /* Bytes: a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7 -> pixel order. */
  __m256i y = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd),
                                          _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  y = _mm256_min_epi8(_mm256_max_epi8(y, lo), hi);
  if (cnt == 4 && nr == 8 && n == 8) {
    _mm256_storeu_si256((__m256i *)o, y);
    return;
  }
  int8_t tmp[32];
  _mm256_storeu_si256((__m256i *)tmp, y);
  for (size_t i = 0; i < cnt; ++i) {
    if (nr == 8) {
      memcpy(o + i * n, tmp + 8 * i, 8);
    } else {
      memcpy(o + i * n, tmp + 8 * i, nr);
    }
  }
}

/* Every image of the batch over the bordered copy `padded` (hp x wpad pixels); kh, kw, cin,
 * sh, sw are constants in the stem instances. */
EK_AVX2_INLINE void ek_sc_direct(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                 const int8_t *input, const ek_sc_weights *pw, int8_t *output,
                                 int16_t *padded, size_t hp, size_t wpad, const int kh,
                                 const int kw, const int cin, const int sh, const int sw) {
  const size_t krow = (size_t)kw * (size_t)cin, prow = (krow + 1) / 2;
  const size_t kpd = (size_t)kh * prow, rs = wpad * (size_t)cin;
  const size_t n = (size_t)s->out_c, blocks = (n + 7) / 8;
  const int16_t zp = (int16_t)p->input_zero_point;
  ek_requant8x q[EK_SC_DIRECT_BLOCKS];
  for (size_t b = 0; b < blocks; ++b) {
    q[b] = ek_requant8x_make(_mm256_loadu_si256((const __m256i *)(pw->mq + 8 * b)),
                             _mm256_loadu_si256((const __m256i *)(pw->sq + 8 * b)),
                             p->output_zero_point);
  }
  const __m256i lo = _mm256_set1_epi8((char)p->output_min);
  const __m256i hi = _mm256_set1_epi8((char)p->output_max);
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)cin;
  for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
    ek_c2_pad_image(s, input + bi * image_bytes, 0, zp, hp, wpad, padded);
    /* The last odd pair of the copy reads one entry past it (against a zero weight). */
    memset(padded + hp * rs, 0, 16 * sizeof(int16_t));
    int8_t *out_image = output + bi * pixels * n;
    int32_t oy = 0, ox = 0;
    for (size_t p0 = 0; p0 < pixels; p0 += EK_SC_MR) {
      const size_t mr = pixels - p0 < EK_SC_MR ? pixels - p0 : EK_SC_MR;
      const int16_t *base[EK_SC_MR];
      for (size_t i = 0; i < EK_SC_MR; ++i) {
        if (i >= mr) {
          base[i] = base[mr - 1];
          continue;
        }
        base[i] = padded + ((size_t)(oy * sh) * wpad + (size_t)(ox * sw)) * (size_t)cin;
        if (++ox == s->out_w) {
          ox = 0;
          ++oy;
        }
      }
      int8_t *o = out_image + p0 * n;
      for (size_t b = 0; b < blocks; ++b) {
        const size_t c0 = b * 8, nr = n - c0 < 8 ? n - c0 : 8;
        const __m256i fb = _mm256_loadu_si256((const __m256i *)(pw->fb + c0));
        if (b + 1 < blocks) {
          const size_t nr1 = n - c0 - 8 < 8 ? n - c0 - 8 : 8;
          const __m256i fb1 = _mm256_loadu_si256((const __m256i *)(pw->fb + c0 + 8));
          for (size_t m0 = 0; m0 < mr; m0 += 4) {
            __m256i a0[4], a1[4];
            ek_sc_dmk2(kh, prow, rs, base, m0, pw->w + b * kpd * 16, pw->w + (b + 1) * kpd * 16,
                       fb, fb1, a0, a1);
            const size_t cnt = mr - m0 < 4 ? mr - m0 : 4;
            ek_sc_store4(a0, &q[b], lo, hi, cnt, 8, n, o + m0 * n + c0);
            ek_sc_store4(a1, &q[b + 1], lo, hi, cnt, nr1, n, o + m0 * n + c0 + 8);
          }
          ++b;
          continue;
        }
        __m256i acc[EK_SC_MR];
        ek_sc_dmk(kh, prow, rs, base, pw->w + b * kpd * 16, fb, acc);
        ek_sc_store4(acc, &q[b], lo, hi, mr < 4 ? mr : 4, nr, n, o + c0);
        if (mr > 4) ek_sc_store4(acc + 4, &q[b], lo, hi, mr - 4, nr, n, o + 4 * n + c0);
      }
    }
  }
}

/* The direct path's entry, out of line so that its bordered copy (64 KiB of stack) never
 * nests with the fallback kernel's frame. Returns 0 (doing nothing) for shapes it does not
 * take. */
EK_AVX2 __attribute__((noinline)) static int ek_sc_direct_conv(const ek_conv2d_shape *s,
                                                               const ek_qs8_requant_params *p,
                                                               const int8_t *input,
                                                               const int8_t *weights,
                                                               const int32_t *bias,
                                                               int8_t *output) {
  const size_t n = (size_t)s->out_c, blocks = (n + 7) / 8;
  const size_t krow = (size_t)s->kernel_w * (size_t)s->in_c, prow = (krow + 1) / 2;
  const size_t kpd = (size_t)s->kernel_h * prow;
  if (s->dilation_h != 1 || s->dilation_w != 1 || blocks > EK_SC_DIRECT_BLOCKS ||
      blocks * kpd * 16 > EK_SC_MAX_W) {
    return 0;
  }
  size_t hp = 0, wpad = 0;
  ek_c2_padded_extent(s, &hp, &wpad);
  if (hp * wpad * (size_t)s->in_c > EK_SC_MAX_IMAGE) return 0;
  ek_sc_weights pw;
  ek_sc_copy_requant(&pw, p, n);
  for (size_t b = 0; b < blocks; ++b) {
    const size_t nr = n - b * 8 < 8 ? n - b * 8 : 8;
    ek_sc_pack_rows((size_t)s->kernel_h, krow, nr, weights + b * 8 * krow * (size_t)s->kernel_h,
                    bias != NULL ? bias + b * 8 : NULL, p->input_zero_point, pw.w + b * kpd * 16,
                    pw.fb + b * 8);
  }
  /* hp * wpad * in_c entries, the 16-wide steps' overrun and the odd pair's read. */
  int16_t padded[EK_SC_MAX_IMAGE + 32] __attribute__((aligned(32)));
  if (s->kernel_h == 3 && s->kernel_w == 3 && s->in_c == 3 && s->stride_h == 2 && s->stride_w == 2) {
    ek_sc_direct(s, p, input, &pw, output, padded, hp, wpad, 3, 3, 3, 2, 2); /* RGB stems (VWW) */
  } else if (s->kernel_h == 3 && s->kernel_w == 3 && s->in_c == 3 && s->stride_h == 1 &&
             s->stride_w == 1) {
    ek_sc_direct(s, p, input, &pw, output, padded, hp, wpad, 3, 3, 3, 1, 1); /* ResNet-8 */
  } else {
    ek_sc_direct(s, p, input, &pw, output, padded, hp, wpad, s->kernel_h, s->kernel_w, s->in_c,
                 s->stride_h, s->stride_w);
  }
  return 1;
}


EK_AVX2 void ek_qs8_conv2d_minmax_8x8c2__avx2(const ek_conv2d_shape *s,
                                              const ek_qs8_requant_params *p,
                                              const int8_t *input, const int8_t *weights,
                                              const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c, kp = (k + 1) / 2, blocks = (n + 7) / 8;
  if (s->in_c > EK_CONV_SC_MAX_C || k > EK_CONV_SC_MAX_K || blocks * kp * 16 > EK_SC_MAX_W ||
      blocks > EK_SC_MAX_BLOCKS) {
    ek_qs8_conv2d_minmax_4x16c2__avx2(s, p, input, weights, bias, output);
    return;
  }
  if (ek_sc_direct_conv(s, p, input, weights, bias, output)) return;
  ek_sc_weights pw;
  ek_sc_copy_requant(&pw, p, n);
  for (size_t b = 0; b < blocks; ++b) {
    const size_t nr = n - b * 8 < 8 ? n - b * 8 : 8;
    ek_sc_pack(k, nr, weights + b * 8 * k, bias != NULL ? bias + b * 8 : NULL,
               p->input_zero_point, pw.w + b * kp * 16, pw.fb + b * 8);
  }
  const int unit = s->dilation_h == 1 && s->dilation_w == 1;
  if (unit && s->kernel_h == 3 && s->kernel_w == 3 && s->in_c == 3 && s->stride_h == 2 &&
      s->stride_w == 2) {
    ek_sc_images(s, p, input, &pw, output, 3, 3, 3, 2, 2); /* RGB stems (VWW) */
  } else if (unit && s->kernel_h == 3 && s->kernel_w == 3 && s->in_c == 3 && s->stride_h == 1 &&
             s->stride_w == 1) {
    ek_sc_images(s, p, input, &pw, output, 3, 3, 3, 1, 1); /* RGB stems (ResNet-8) */
  } else {
    ek_sc_images(s, p, input, &pw, output, s->kernel_h, s->kernel_w, s->in_c, s->stride_h,
                 s->stride_w);
  }
}

#endif
