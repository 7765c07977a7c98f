/*
 * AArch64 NEON + dot product (SDOT, FEAT_DotProd) int8 Conv2D for few input channels (stems)
 * and other short windows (K <= 160), tile 8x8c4: eight output pixels x eight output channels in vector lanes, four K values per
 * step (ek_conv_simd.h).
 *
 * The twin of neon/ek_sconv__neon.c with SDOT by lane: the weights are interleaved into
 * 8-channel blocks of [K rounded up to 16 / 4][8 channels][4] bytes (0 past K or past the
 * last channel) with the input zero-point term folded into the bias (bias[c] - zp *
 * sum_k w[c][k], modulo 2^32): tensor layout 5 of ek_pconv.h, which
 * ek_qs8_conv2d_minmax_8x8c4__neondot packs per call on its stack with edgepack's packer and
 * ek_qs8_pconv2d_minmax_8x8c4__neondot reads in place from a model packed for a dot-product
 * board (no repacking, any K up to the window rows, EK_PCONV_NEONDOT_MAX_K). Per tile the
 * eight pixels' windows are gathered as raw bytes
 * (padded taps hold the zero point, which the folded bias cancels). Each step loads two
 * weight vectors (four channels x four K values each) and adds, per pixel, their dot
 * products with one four-byte lane of the window (exact int8 products, int32 sums modulo
 * 2^32 as the reference). Canonical weights outside the limits below run the 4x4c16 kernel.
 */
#include "ek_conv_simd.h"
#include "ek_pconv.h"

#if defined(__aarch64__)
#include "ek_sconv_neon.h"
#include "../common/ek_sconv_driver.h"

#define EK_NEONDOT EK_TARGET("dotprod")
#define EK_NEONDOT_INLINE static inline __attribute__((always_inline)) EK_NEONDOT

/* Window bytes: K rounded up to 16, plus 16 of slack for the copying stores (canonical
 * weights, and layout 5 read in place). */
#define EK_SD_ROW (EK_CONV_SC_MAX_K + 32)
#define EK_SD_PROW (EK_PCONV_NEONDOT_MAX_K + 32)
/* Interleaved weights on the stack: blocks x K rounded up to 16 x 8 bytes (16 KiB). */
#define EK_SD_MAX_W 16384

/* Window of output pixel (oy, ox) as raw bytes, padded taps = zp; bytes past K are left as
 * they are (their weights are 0). A window row inside the input with unit horizontal
 * dilation is one contiguous span of kernel_w * in_c bytes, copied 8 at a time (writes up to
 * 7 bytes past it and reads up to 7 bytes past it, within EK_EXTRA_BYTES). */
EK_NEONDOT_INLINE void ek_sd_row(const ek_conv2d_shape *s, const int8_t *image, int32_t oy,
                                 int32_t ox, int32_t zp32, void *row) {
  const int8_t zp = (int8_t)zp32;
  int8_t *dst = row;
  const size_t in_c = (size_t)s->in_c, kw = (size_t)s->kernel_w, span_n = kw * in_c;
  const int32_t iy0 = oy * s->stride_h - s->pad_top, ix0 = ox * s->stride_w - s->pad_left;
  const int8x8_t vzp = vdup_n_s8(zp);
  const int span = s->dilation_w == 1 && ix0 >= 0 && ix0 + s->kernel_w <= s->in_w;
  for (int32_t ky = 0; ky < s->kernel_h; ++ky, dst += span_n) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    if (iy < 0 || iy >= s->in_h) {
      for (size_t i = 0; i < span_n; i += 8) vst1_s8(dst + i, vzp);
      continue;
    }
    const int8_t *line = image + (size_t)iy * (size_t)s->in_w * in_c;
    if (span) {
      const int8_t *src = line + (size_t)ix0 * in_c;
      for (size_t i = 0; i < span_n; i += 8) vst1_s8(dst + i, vld1_s8(src + i));
      continue;
    }
    for (size_t kx = 0; kx < kw; ++kx) {
      const int32_t ix = ix0 + (int32_t)kx * s->dilation_w;
      const int inside = ix >= 0 && ix < s->in_w;
      for (size_t c = 0; c < in_c; ++c) {
        dst[kx * in_c + c] = inside ? line[(size_t)ix * in_c + c] : zp;
      }
    }
  }
}

/* Four K values (window lane L of every pixel) against the eight channels of w0, w1. */
#define EK_SD_STEP(L)                                           \
  do {                                                          \
    const int8x16_t w0 = vld1q_s8(wp + (L) * 32);               \
    const int8x16_t w1 = vld1q_s8(wp + (L) * 32 + 16);          \
    a0[0] = vdotq_laneq_s32(a0[0], w0, x0, L);                  \
    a0[1] = vdotq_laneq_s32(a0[1], w1, x0, L);                  \
    a1[0] = vdotq_laneq_s32(a1[0], w0, x1, L);                  \
    a1[1] = vdotq_laneq_s32(a1[1], w1, x1, L);                  \
    a2[0] = vdotq_laneq_s32(a2[0], w0, x2, L);                  \
    a2[1] = vdotq_laneq_s32(a2[1], w1, x2, L);                  \
    a3[0] = vdotq_laneq_s32(a3[0], w0, x3, L);                  \
    a3[1] = vdotq_laneq_s32(a3[1], w1, x3, L);                  \
    a4[0] = vdotq_laneq_s32(a4[0], w0, x4, L);                  \
    a4[1] = vdotq_laneq_s32(a4[1], w1, x4, L);                  \
    a5[0] = vdotq_laneq_s32(a5[0], w0, x5, L);                  \
    a5[1] = vdotq_laneq_s32(a5[1], w1, x5, L);                  \
    a6[0] = vdotq_laneq_s32(a6[0], w0, x6, L);                  \
    a6[1] = vdotq_laneq_s32(a6[1], w1, x6, L);                  \
    a7[0] = vdotq_laneq_s32(a7[0], w0, x7, L);                  \
    a7[1] = vdotq_laneq_s32(a7[1], w1, x7, L);                  \
  } while (0)

/* Eight pixels' windows (kr / 16 groups of 16 bytes) against one 8-channel block; outputs of
 * the first mr pixels are stored at o, o + n, ... */
EK_NEONDOT_INLINE void ek_sd_block(size_t kr, const void *rows_v, size_t row_bytes,
                                   const void *wp_v, const int32_t *fb, const int32_t *mq,
                                   const int32_t *sq, size_t mr, size_t nr, size_t n,
                                   const ek_qs8_requant_params *p, int8_t *o) {
  const int8_t *r0 = rows_v, *r1 = r0 + row_bytes, *r2 = r1 + row_bytes, *r3 = r2 + row_bytes;
  const int8_t *r4 = r3 + row_bytes, *r5 = r4 + row_bytes, *r6 = r5 + row_bytes;
  const int8_t *r7 = r6 + row_bytes;
  const int8_t *wp = wp_v;
  const size_t kg = kr / 16;
  const ek_sconv_requant8 r = ek_sconv_requant8_load(mq, sq, p);
  const int32x4_t b0 = vld1q_s32(fb), b1 = vld1q_s32(fb + 4);
  int32x4_t a0[2] = {b0, b1}, a1[2] = {b0, b1}, a2[2] = {b0, b1}, a3[2] = {b0, b1};
  int32x4_t a4[2] = {b0, b1}, a5[2] = {b0, b1}, a6[2] = {b0, b1}, a7[2] = {b0, b1};
  for (size_t g = 0; g < kg; ++g, wp += 128) {
    const int8x16_t x0 = vld1q_s8(r0 + 16 * g), x1 = vld1q_s8(r1 + 16 * g);
    const int8x16_t x2 = vld1q_s8(r2 + 16 * g), x3 = vld1q_s8(r3 + 16 * g);
    const int8x16_t x4 = vld1q_s8(r4 + 16 * g), x5 = vld1q_s8(r5 + 16 * g);
    const int8x16_t x6 = vld1q_s8(r6 + 16 * g), x7 = vld1q_s8(r7 + 16 * g);
    EK_SD_STEP(0);
    EK_SD_STEP(1);
    EK_SD_STEP(2);
    EK_SD_STEP(3);
  }
  const int32x4_t *acc[EK_SCONV_MR] = {a0, a1, a2, a3, a4, a5, a6, a7};
  for (size_t m = 0; m < mr; ++m) {
    ek_sconv_store8(acc[m], &r, nr, o + m * n);
  }
}

/* The tiles over layout-5 blocks (ek_pconv.h: per 8-channel block, per four K values, eight
 * channels' four int8 weights) and their folded bias: one loop nest for both kernels below. */
__attribute__((noinline)) EK_NEONDOT static void ek_sd_run(const ek_conv2d_shape *s,
                                                           const ek_qs8_requant_params *p,
                                                           const int8_t *input, const int8_t *wp,
                                                           const int32_t *fb, int8_t *output,
                                                           size_t kr, int8_t *rows,
                                                           size_t row_bytes) {
  ek_sconv_run(s, p, input, wp, kr * 8, fb, output, kr, rows, row_bytes, kr + 16, ek_sd_row,
               ek_sd_block);
}

/* Per call, the canonical weights are packed into layout 5 on the stack by edgepack's own
 * packer (weights, then the folded bias). */
EK_NEONDOT void ek_qs8_conv2d_minmax_8x8c4__neondot(const ek_conv2d_shape *s,
                                                    const ek_qs8_requant_params *p,
                                                    const int8_t *input, const int8_t *weights,
                                                    const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c, kr = (k + 15) / 16 * 16, blocks = (n + 7) / 8;
  if (k > EK_CONV_SC_MAX_K || blocks * kr * 8 > EK_SD_MAX_W ||
      blocks > EK_SCONV_MAX_BLOCKS) {
    ek_qs8_conv2d_minmax_4x4c16__neondot(s, p, input, weights, bias, output);
    return;
  }
  /* Layout 5: blocks x kr x 8 bytes, then blocks x 8 int32. */
  int8_t wp[EK_SD_MAX_W + EK_SCONV_MAX_BLOCKS * 8 * 4] __attribute__((aligned(16)));
  int8_t rows[EK_SCONV_MR][EK_SD_ROW] __attribute__((aligned(16)));
  ek_qs8_pconv2d_o8c4_pack(n, k, weights, bias, p->input_zero_point, wp);
  ek_sd_run(s, p, input, wp, (const int32_t *)(const void *)(wp + blocks * kr * 8), output, kr,
            &rows[0][0], sizeof(rows[0]));
}

EK_NEONDOT void ek_qs8_pconv2d_minmax_8x8c4__neondot(const ek_conv2d_shape *s,
                                                     const ek_qs8_requant_params *p,
                                                     const int8_t *input, const int8_t *weights,
                                                     const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  if (k > EK_PCONV_NEONDOT_MAX_K) {
    ek_qs8_pconv2d_minmax_8x8c4__ref(s, p, input, weights, bias, output);
    return;
  }
  int8_t rows[EK_SCONV_MR][EK_SD_PROW] __attribute__((aligned(16)));
  ek_sd_run(s, p, input, weights, bias, output, (k + 15) / 16 * 16, &rows[0][0],
            sizeof(rows[0]));
}

#endif
