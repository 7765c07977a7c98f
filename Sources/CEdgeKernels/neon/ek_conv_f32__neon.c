/* AArch64 Advanced SIMD (NEON) f32 Conv2D with output channels in lanes (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#include "../common/ek_conv_f32_driver.h"

#define EK_NEON_INLINE static inline __attribute__((always_inline))

/* Fewer output pixels than this (one tile) run the 2x4c4 kernel (see the AVX2 twin). */
#define EK_F32_C16_MIN_PIXELS 4

/* a[m][q] += x[m] lane L * w[q] for 4 pixels x quads channel quads; wp moves one K step. */
#define EK_F32C16_FMA_LANE(L)                                         \
  do {                                                                \
    float32x4_t w[4];                                                 \
    for (size_t q = 0; q < quads; ++q) w[q] = vld1q_f32(wp + 4 * q);  \
    wp += EK_F32_C16_NR;                                              \
    for (size_t m = 0; m < 4; ++m) {                                  \
      for (size_t q = 0; q < quads; ++q) {                            \
        a[m][q] = vfmaq_laneq_f32(a[m][q], w[q], x[m], L);            \
      }                                                               \
    }                                                                 \
  } while (0)

/* 4 pixels x 4 * quads channels, bias-initialized; per tap, 4 channels per pass (one
 * 4-float load per pixel, vfmaq_laneq_f32 per channel), single channels with a broadcast in
 * the tail, so nothing past in_c floats of a tap is read. */
EK_NEON_INLINE void ek_f32c16_mk(size_t taps, size_t in_c, const float *const *ptrs,
                                 const float *wp, const float *bias16, const size_t quads,
                                 float32x4_t a[4][4]) {
  for (size_t q = 0; q < 4; ++q) {
    const float32x4_t b = vld1q_f32(bias16 + 4 * q);
    a[0][q] = a[1][q] = a[2][q] = a[3][q] = b;
  }
  for (size_t t = 0; t < taps; ++t, ptrs += EK_F32_C16_MR) {
    const float *r[4] = {ptrs[0], ptrs[1], ptrs[2], ptrs[3]};
    size_t i = 0;
    for (; i + 4 <= in_c; i += 4) {
      const float32x4_t x[4] = {vld1q_f32(r[0] + i), vld1q_f32(r[1] + i), vld1q_f32(r[2] + i),
                                vld1q_f32(r[3] + i)};
      EK_F32C16_FMA_LANE(0);
      EK_F32C16_FMA_LANE(1);
      EK_F32C16_FMA_LANE(2);
      EK_F32C16_FMA_LANE(3);
    }
    for (; i < in_c; ++i) {
      const float32x4_t x[4] = {vld1q_dup_f32(r[0] + i), vld1q_dup_f32(r[1] + i),
                                vld1q_dup_f32(r[2] + i), vld1q_dup_f32(r[3] + i)};
      EK_F32C16_FMA_LANE(0);
    }
  }
}

EK_NEON_INLINE void ek_f32c16_tile_4x16(size_t taps, size_t in_c, const float *const *ptrs,
                                        const float *wp, const float *bias16, size_t mr,
                                        size_t nr, float *out, size_t stride, float output_min,
                                        float output_max) {
  float32x4_t a[4][4];
  if (nr > 8) {
    ek_f32c16_mk(taps, in_c, ptrs, wp, bias16, 4, a);
  } else {
    ek_f32c16_mk(taps, in_c, ptrs, wp, bias16, 2, a);
  }
  const float32x4_t lo = vdupq_n_f32(output_min), hi = vdupq_n_f32(output_max);
  for (size_t m = 0; m < mr; ++m, out += stride) {
    float y[16];
    for (size_t q = 0; q < 4; ++q) {
      /* min(max(x, lo), hi) with NaN passing through, as ek_conv_clamp_f32. */
      float32x4_t v = a[m][q];
      v = vbslq_f32(vcltq_f32(v, lo), lo, v);
      v = vbslq_f32(vcltq_f32(hi, v), hi, v);
      if (nr == 16) {
        vst1q_f32(out + 4 * q, v);
      } else {
        vst1q_f32(y + 4 * q, v);
      }
    }
    if (nr != 16) {
      for (size_t j = 0; j < nr; ++j) out[j] = y[j];
    }
  }
}

void ek_f32_conv2d_minmax_4x16__neon(const ek_conv2d_shape *shape, const float *input,
                                     const float *weights, const float *bias, float *output,
                                     float output_min, float output_max) {
  const size_t pixels = (size_t)shape->out_h * (size_t)shape->out_w * (size_t)shape->batch;
  if (pixels < EK_F32_C16_MIN_PIXELS ||
      !ek_f32_conv_drive_c16(shape, input, weights, bias, output, output_min, output_max,
                             ek_f32_conv_pack_c16, ek_f32c16_tile_4x16)) {
    ek_f32_conv2d_minmax_2x4c4__neon(shape, input, weights, bias, output, output_min,
                                     output_max);
  }
}

#endif
