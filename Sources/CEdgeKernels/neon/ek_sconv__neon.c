/*
 * AArch64 Advanced SIMD (NEON) int8 Conv2D for few input channels (stems: RGB or a mono
 * spectrogram) and other short windows (pointwise over few channels), tile 8x8: eight output
 * pixels x eight output channels in vector lanes, one K value per step (ek_conv_simd.h).
 *
 * With in_c <= 4 the window K = kernel_h * kernel_w * in_c is short (27 for a 3x3 RGB stem),
 * so what the 2x4c16 tile spends around its multiply-adds dominates: a byte gather with
 * bounds tests per tap, K rounded up to 16, horizontal sums per channel. Here the weights
 * are widened into 8-channel blocks ([blocks][K rounded up to 8][8 channels] int16) with the
 * input zero-point term folded into the bias (bias[c] - zp * sum_k w[c][k], modulo 2^32):
 * tensor layout 4 of ek_pconv.h, which ek_qs8_conv2d_minmax_8x8__neon packs per call on its
 * stack and ek_qs8_pconv2d_minmax_8x8__neon reads in place from a model packed for a NEON
 * board (no repacking, no limit on K but the window rows, EK_PCONV_NEON_MAX_K). Per tile
 * the eight pixels' windows are gathered as raw int16 (padded taps hold the zero point,
 * which the folded bias cancels; whole window rows inside the input widen eight bytes at a
 * time), stepping (oy, ox) without division. Each step loads one weight vector
 * (eight channels of one K value) and multiply-adds it with one window lane per pixel
 * (SMLAL by lane: exact int16 products, int32 sums modulo 2^32 as the reference), so no
 * horizontal sums are needed and each pixel's eight channels requantize in two vectors.
 * The same holds for other short windows (pointwise convs, 3x3 over 16 channels: K <= 160),
 * whose horizontal sums and per-tile overhead 2x4c16 pays on every output, and with the
 * weights packed at pack time for longer windows too (ResNet-8's 3x3 over 64 channels).
 * Canonical weights outside the limits below run the 2x4c16 kernel.
 */
#include "ek_conv_simd.h"
#include "ek_pconv.h"

#if defined(__aarch64__)
#include "ek_sconv_neon.h"
#include "../common/ek_sconv_driver.h"

/* Window entries: K rounded up to 8, plus 8 of slack for the widening stores (canonical
 * weights, and layout 4 read in place). */
#define EK_SN_ROW (EK_CONV_SC_MAX_K + 16)
#define EK_SN_PROW (EK_PCONV_NEON_MAX_K + 16)
/* Widened weights on the stack: blocks x K rounded up to 8 x 8 int16 (16 KiB). */
#define EK_SN_MAX_W 8192

/* Window of output pixel (oy, ox) as raw int16, padded taps = zp; entries past K are left
 * as they are (their weights are 0). A window row inside the input with unit horizontal
 * dilation is one contiguous span of kernel_w * in_c bytes, widened 8 at a time (writes up
 * to 7 entries past it and reads up to 7 bytes past it, within EK_EXTRA_BYTES). */
EK_NEON_INLINE void ek_sn_row(const ek_conv2d_shape *s, const int8_t *image, int32_t oy,
                              int32_t ox, int32_t zp32, void *row) {
  const int16_t zp = (int16_t)zp32;
  int16_t *dst = row;
  const size_t in_c = (size_t)s->in_c, kw = (size_t)s->kernel_w, span_n = kw * in_c;
  const int32_t iy0 = oy * s->stride_h - s->pad_top, ix0 = ox * s->stride_w - s->pad_left;
  const int16x8_t vzp = vdupq_n_s16(zp);
  const int span = s->dilation_w == 1 && ix0 >= 0 && ix0 + s->kernel_w <= s->in_w;
  for (int32_t ky = 0; ky < s->kernel_h; ++ky, dst += span_n) {
    const int32_t iy = iy0 + ky * s->dilation_h;
    if (iy < 0 || iy >= s->in_h) {
      for (size_t i = 0; i < span_n; i += 8) vst1q_s16(dst + i, vzp);
      continue;
    }
    const int8_t *line = image + (size_t)iy * (size_t)s->in_w * in_c;
    if (span) {
      const int8_t *src = line + (size_t)ix0 * in_c;
      for (size_t i = 0; i < span_n; i += 8) vst1q_s16(dst + i, vmovl_s8(vld1_s8(src + i)));
      continue;
    }
    for (size_t kx = 0; kx < kw; ++kx) {
      const int32_t ix = ix0 + (int32_t)kx * s->dilation_w;
      const int inside = ix >= 0 && ix < s->in_w;
      for (size_t c = 0; c < in_c; ++c) {
        dst[kx * in_c + c] = inside ? (int16_t)line[(size_t)ix * in_c + c] : zp;
      }
    }
  }
}

/* One K value (window lane L of every pixel) against the eight channels of wv. */
#define EK_SN_STEP(L)                                                   \
  do {                                                                  \
    const int16x8_t wv = vld1q_s16(wp + (L) * 8);                       \
    const int16x4_t wl = vget_low_s16(wv);                              \
    a0[0] = vmlal_laneq_s16(a0[0], wl, x0, L);                          \
    a0[1] = vmlal_high_laneq_s16(a0[1], wv, x0, L);                     \
    a1[0] = vmlal_laneq_s16(a1[0], wl, x1, L);                          \
    a1[1] = vmlal_high_laneq_s16(a1[1], wv, x1, L);                     \
    a2[0] = vmlal_laneq_s16(a2[0], wl, x2, L);                          \
    a2[1] = vmlal_high_laneq_s16(a2[1], wv, x2, L);                     \
    a3[0] = vmlal_laneq_s16(a3[0], wl, x3, L);                          \
    a3[1] = vmlal_high_laneq_s16(a3[1], wv, x3, L);                     \
    a4[0] = vmlal_laneq_s16(a4[0], wl, x4, L);                          \
    a4[1] = vmlal_high_laneq_s16(a4[1], wv, x4, L);                     \
    a5[0] = vmlal_laneq_s16(a5[0], wl, x5, L);                          \
    a5[1] = vmlal_high_laneq_s16(a5[1], wv, x5, L);                     \
    a6[0] = vmlal_laneq_s16(a6[0], wl, x6, L);                          \
    a6[1] = vmlal_high_laneq_s16(a6[1], wv, x6, L);                     \
    a7[0] = vmlal_laneq_s16(a7[0], wl, x7, L);                          \
    a7[1] = vmlal_high_laneq_s16(a7[1], wv, x7, L);                     \
  } while (0)

/* Eight pixels' windows (kr / 8 groups of 8 entries) against one 8-channel block; outputs
 * of the first mr pixels are stored at o, o + n, ... */
EK_NEON_INLINE void ek_sn_block(size_t kr, const void *rows_v, size_t row_bytes,
                                const void *wp_v, const int32_t *fb, const int32_t *mq,
                                const int32_t *sq, size_t mr, size_t nr, size_t n,
                                const ek_qs8_requant_params *p, int8_t *o) {
  const size_t rn = row_bytes / sizeof(int16_t);
  const int16_t *r0 = rows_v, *r1 = r0 + rn, *r2 = r1 + rn, *r3 = r2 + rn, *r4 = r3 + rn;
  const int16_t *r5 = r4 + rn, *r6 = r5 + rn, *r7 = r6 + rn;
  const int16_t *wp = wp_v;
  const size_t kg = kr / 8;
  const ek_sconv_requant8 r = ek_sconv_requant8_load(mq, sq, p);
  const int32x4_t b0 = vld1q_s32(fb), b1 = vld1q_s32(fb + 4);
  int32x4_t a0[2] = {b0, b1}, a1[2] = {b0, b1}, a2[2] = {b0, b1}, a3[2] = {b0, b1};
  int32x4_t a4[2] = {b0, b1}, a5[2] = {b0, b1}, a6[2] = {b0, b1}, a7[2] = {b0, b1};
  for (size_t g = 0; g < kg; ++g, wp += 64) {
    const int16x8_t x0 = vld1q_s16(r0 + 8 * g), x1 = vld1q_s16(r1 + 8 * g);
    const int16x8_t x2 = vld1q_s16(r2 + 8 * g), x3 = vld1q_s16(r3 + 8 * g);
    const int16x8_t x4 = vld1q_s16(r4 + 8 * g), x5 = vld1q_s16(r5 + 8 * g);
    const int16x8_t x6 = vld1q_s16(r6 + 8 * g), x7 = vld1q_s16(r7 + 8 * g);
    EK_SN_STEP(0);
    EK_SN_STEP(1);
    EK_SN_STEP(2);
    EK_SN_STEP(3);
    EK_SN_STEP(4);
    EK_SN_STEP(5);
    EK_SN_STEP(6);
    EK_SN_STEP(7);
  }
  const int32x4_t *acc[EK_SCONV_MR] = {a0, a1, a2, a3, a4, a5, a6, a7};
  for (size_t m = 0; m < mr; ++m) {
    ek_sconv_store8(acc[m], &r, nr, o + m * n);
  }
}

/* The tiles over layout-4 blocks (ek_pconv.h: per 8-channel block, per K value, eight int16
 * weights) and their folded bias: one loop nest for both kernels below. */
__attribute__((noinline)) static void ek_sn_run(const ek_conv2d_shape *s,
                                                const ek_qs8_requant_params *p,
                                                const int8_t *input, const int16_t *wp,
                                                const int32_t *fb, int8_t *output, size_t kr,
                                                int16_t *rows, size_t row_bytes) {
  ek_sconv_run(s, p, input, wp, kr * 8 * sizeof(int16_t), fb, output, kr, rows, row_bytes,
               (kr + 8) * sizeof(int16_t), ek_sn_row, ek_sn_block);
}

/* Per call, the canonical weights are packed into layout 4 on the stack by edgepack's own
 * packer (weights, then the folded bias). */
void ek_qs8_conv2d_minmax_8x8__neon(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                    const int8_t *input, const int8_t *weights,
                                    const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  const size_t n = (size_t)s->out_c, kr = (k + 7) / 8 * 8, blocks = (n + 7) / 8;
  if (k > EK_CONV_SC_MAX_K || blocks * kr * 8 > EK_SN_MAX_W ||
      blocks > EK_SCONV_MAX_BLOCKS) {
    ek_qs8_conv2d_minmax_2x4c16__neon(s, p, input, weights, bias, output);
    return;
  }
  /* Layout 4: blocks x kr x 8 int16, then blocks x 8 int32 (2 int16 each). */
  int16_t wp[EK_SN_MAX_W + EK_SCONV_MAX_BLOCKS * 8 * 2] __attribute__((aligned(16)));
  int16_t rows[EK_SCONV_MR][EK_SN_ROW] __attribute__((aligned(16)));
  ek_qs8_pconv2d_o8_pack(n, k, weights, bias, p->input_zero_point, wp);
  ek_sn_run(s, p, input, wp, (const int32_t *)(const void *)(wp + blocks * kr * 8), output, kr,
            &rows[0][0], sizeof(rows[0]));
}

void ek_qs8_pconv2d_minmax_8x8__neon(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                     const int8_t *input, const int8_t *weights,
                                     const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * (size_t)s->in_c;
  if (k > EK_PCONV_NEON_MAX_K) {
    ek_qs8_pconv2d_minmax_8x8__ref(s, p, input, weights, bias, output);
    return;
  }
  int16_t rows[EK_SCONV_MR][EK_SN_PROW] __attribute__((aligned(16)));
  ek_sn_run(s, p, input, (const int16_t *)(const void *)weights, bias, output, (k + 7) / 8 * 8,
            &rows[0][0], sizeof(rows[0]));
}

#endif
