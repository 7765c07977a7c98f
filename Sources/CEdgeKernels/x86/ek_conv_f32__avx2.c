/* AVX2 + FMA f32 Conv2D with output channels in lanes (see ek_conv_simd.h). */
#include "ek_conv_simd.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "../common/ek_conv_f32_driver.h"

#define EK_AVX2 EK_TARGET("avx2,fma")
#define EK_AVX2_INLINE static inline __attribute__((always_inline)) EK_AVX2

/* Fewer output pixels than this (one tile) run the 2x4c8 kernel: it reads each weight once,
 * where the repack would read and write it once more for too little reuse. */
#define EK_F32_C16_MIN_PIXELS 4

/* First n (0..8) lanes set. */
EK_AVX2_INLINE __m256i ek_f32c16_keep(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

/* min(max(x, lo), hi) with NaN passing through, as ek_conv_clamp_f32: maxps/minps return
 * their second operand when either is NaN. */
EK_AVX2_INLINE __m256 ek_f32c16_clamp(__m256 x, __m256 lo, __m256 hi) {
  return _mm256_min_ps(hi, _mm256_max_ps(lo, x));
}

/* Transposes an 8x8 matrix of floats in place (r[i] lane j -> r[j] lane i). */
EK_AVX2_INLINE void ek_f32c16_transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* ek_f32_conv_pack_c16 by 8x8 transposes; the K tail uses masked loads (nothing read past
 * a weight row). With nr <= 8 only lanes 0..7 are written: the tiles below read lanes 8..15
 * only when nr > 8. */
EK_AVX2_INLINE void ek_f32c16_pack(size_t k, size_t nr, const float *w, float *wp) {
  const size_t halves = nr > 8 ? 2 : 1;
  for (size_t i = 0; i < k; i += 8) {
    const size_t left = k - i < 8 ? k - i : 8;
    const __m256i keep = ek_f32c16_keep(left);
    for (size_t h = 0; h < halves; ++h) {
      __m256 r[8];
      for (size_t j = 0; j < 8; ++j) {
        const size_t row = h * 8 + j;
        const float *src = w + (row < nr ? row : 0) * k + i;
        r[j] = row >= nr  ? _mm256_setzero_ps()
               : left == 8 ? _mm256_loadu_ps(src)
                           : _mm256_maskload_ps(src, keep);
      }
      ek_f32c16_transpose8x8(r);
      for (size_t t = 0; t < left; ++t) {
        _mm256_store_ps(wp + (i + t) * EK_F32_C16_NR + h * 8, r[t]);
      }
    }
  }
}

/* One tap of 4 pixels (r0..r3, in_c floats each) into acc: acc[m][h] += r_m[c] *
 * wp[c][8h..8h+7] for c < in_c; advances wp past the tap's in_c weight rows. */
EK_AVX2_INLINE void ek_f32c16_tap(size_t in_c, const float *r0, const float *r1,
                                  const float *r2, const float *r3, const float **wpp,
                                  const int halves, __m256 acc[4][2]) {
  const float *wp = *wpp;
  __m256 a00 = acc[0][0], a10 = acc[1][0], a20 = acc[2][0], a30 = acc[3][0];
  __m256 a01 = acc[0][1], a11 = acc[1][1], a21 = acc[2][1], a31 = acc[3][1];
  for (size_t i = 0; i < in_c; ++i, wp += EK_F32_C16_NR) {
    const __m256 w0 = _mm256_load_ps(wp);
    const __m256 x0 = _mm256_broadcast_ss(r0 + i), x1 = _mm256_broadcast_ss(r1 + i);
    const __m256 x2 = _mm256_broadcast_ss(r2 + i), x3 = _mm256_broadcast_ss(r3 + i);
    a00 = _mm256_fmadd_ps(x0, w0, a00);
    a10 = _mm256_fmadd_ps(x1, w0, a10);
    a20 = _mm256_fmadd_ps(x2, w0, a20);
    a30 = _mm256_fmadd_ps(x3, w0, a30);
    if (halves == 2) {
      const __m256 w1 = _mm256_load_ps(wp + 8);
      a01 = _mm256_fmadd_ps(x0, w1, a01);
      a11 = _mm256_fmadd_ps(x1, w1, a11);
      a21 = _mm256_fmadd_ps(x2, w1, a21);
      a31 = _mm256_fmadd_ps(x3, w1, a31);
    }
  }
  *wpp = wp;
  acc[0][0] = a00, acc[1][0] = a10, acc[2][0] = a20, acc[3][0] = a30;
  acc[0][1] = a01, acc[1][1] = a11, acc[2][1] = a21, acc[3][1] = a31;
}

EK_AVX2_INLINE void ek_f32c16_init(const float *bias16, __m256 acc[4][2]) {
  const __m256 b0 = _mm256_load_ps(bias16), b1 = _mm256_load_ps(bias16 + 8);
  for (size_t m = 0; m < 4; ++m) acc[m][0] = b0, acc[m][1] = b1;
}

/* 4 pixels x 8 * halves channels: acc[m][h] = bias + sum over taps t and channels c of
 * ptrs[t][m][c] * wp[t * in_c + c][8h..8h+7]. */
EK_AVX2_INLINE void ek_f32c16_mk(size_t taps, size_t in_c, const float *const *ptrs,
                                 const float *wp, const float *bias16, const int halves,
                                 __m256 acc[4][2]) {
  ek_f32c16_init(bias16, acc);
  for (size_t t = 0; t < taps; ++t, ptrs += EK_F32_C16_MR) {
    ek_f32c16_tap(in_c, ptrs[0], ptrs[1], ptrs[2], ptrs[3], &wp, halves, acc);
  }
}

/* As ek_f32c16_mk with pixel m's tap t at origin[m] + tap_offset[t]. */
EK_AVX2_INLINE void ek_f32c16_mk_offsets(size_t taps, size_t in_c, const float *const *origin,
                                         const ptrdiff_t *tap_offset, const float *wp,
                                         const float *bias16, const int halves,
                                         __m256 acc[4][2]) {
  ek_f32c16_init(bias16, acc);
  const float *o0 = origin[0], *o1 = origin[1], *o2 = origin[2], *o3 = origin[3];
  if (halves == 2) {
    for (size_t t = 0; t < taps; ++t) {
      const ptrdiff_t d = tap_offset[t];
      ek_f32c16_tap(in_c, o0 + d, o1 + d, o2 + d, o3 + d, &wp, 2, acc);
    }
    return;
  }
  /* 8 channels: 4 accumulators alone would wait on the multiply-add latency, so odd taps
   * accumulate into a second set (in the upper half's registers), added at the end. */
  __m256 odd[4][2];
  for (size_t m = 0; m < 4; ++m) odd[m][0] = _mm256_setzero_ps();
  size_t t = 0;
  for (; t + 2 <= taps; t += 2) {
    const ptrdiff_t d = tap_offset[t], e = tap_offset[t + 1];
    ek_f32c16_tap(in_c, o0 + d, o1 + d, o2 + d, o3 + d, &wp, 1, acc);
    ek_f32c16_tap(in_c, o0 + e, o1 + e, o2 + e, o3 + e, &wp, 1, odd);
  }
  if (t < taps) {
    const ptrdiff_t d = tap_offset[t];
    ek_f32c16_tap(in_c, o0 + d, o1 + d, o2 + d, o3 + d, &wp, 1, acc);
  }
  for (size_t m = 0; m < 4; ++m) acc[m][0] = _mm256_add_ps(acc[m][0], odd[m][0]);
}

/* Clamps acc and stores the first nr channels of the first mr pixels (out + m * stride). */
EK_AVX2_INLINE void ek_f32c16_store(__m256 acc[4][2], size_t mr, size_t nr, float *out,
                                    size_t stride, float output_min, float output_max) {
  const __m256 lo = _mm256_set1_ps(output_min), hi = _mm256_set1_ps(output_max);
  const __m256i keep = ek_f32c16_keep(nr > 8 ? nr - 8 : nr);
  for (size_t m = 0; m < mr; ++m, out += stride) {
    const __m256 y0 = ek_f32c16_clamp(acc[m][0], lo, hi);
    const __m256 y1 = ek_f32c16_clamp(acc[m][1], lo, hi);
    if (nr == 16) {
      _mm256_storeu_ps(out, y0);
      _mm256_storeu_ps(out + 8, y1);
    } else if (nr > 8) {
      _mm256_storeu_ps(out, y0);
      _mm256_maskstore_ps(out + 8, keep, y1);
    } else if (nr == 8) {
      _mm256_storeu_ps(out, y0); /* vmaskmovps stores are slow on some cores */
    } else {
      _mm256_maskstore_ps(out, keep, y0);
    }
  }
}

EK_AVX2_INLINE void ek_f32c16_tile_4x16(size_t taps, size_t in_c, const float *const *ptrs,
                                        const float *wp, const float *bias16, size_t mr,
                                        size_t nr, float *out, size_t stride, float output_min,
                                        float output_max) {
  __m256 acc[4][2];
  /* One input channel (image stems) gets its own copy without the channel loop. */
  if (nr > 8) {
    if (in_c == 1) {
      ek_f32c16_mk(taps, 1, ptrs, wp, bias16, 2, acc);
    } else {
      ek_f32c16_mk(taps, in_c, ptrs, wp, bias16, 2, acc);
    }
  } else {
    if (in_c == 1) {
      ek_f32c16_mk(taps, 1, ptrs, wp, bias16, 1, acc);
    } else {
      ek_f32c16_mk(taps, in_c, ptrs, wp, bias16, 1, acc);
    }
  }
  ek_f32c16_store(acc, mr, nr, out, stride, output_min, output_max);
}

EK_AVX2_INLINE void ek_f32c16_tile_4x16_offsets(size_t taps, size_t in_c,
                                                const float *const *origin,
                                                const ptrdiff_t *tap_offset, const float *wp,
                                                const float *bias16, size_t mr, size_t nr,
                                                float *out, size_t stride, float output_min,
                                                float output_max) {
  __m256 acc[4][2];
  if (nr > 8) {
    if (in_c == 1) {
      ek_f32c16_mk_offsets(taps, 1, origin, tap_offset, wp, bias16, 2, acc);
    } else {
      ek_f32c16_mk_offsets(taps, in_c, origin, tap_offset, wp, bias16, 2, acc);
    }
  } else {
    if (in_c == 1) {
      ek_f32c16_mk_offsets(taps, 1, origin, tap_offset, wp, bias16, 1, acc);
    } else {
      ek_f32c16_mk_offsets(taps, in_c, origin, tap_offset, wp, bias16, 1, acc);
    }
  }
  ek_f32c16_store(acc, mr, nr, out, stride, output_min, output_max);
}

EK_AVX2 void ek_f32_conv2d_minmax_4x16__avx2(const ek_conv2d_shape *shape, const float *input,
                                             const float *weights, const float *bias,
                                             float *output, float output_min,
                                             float output_max) {
  const size_t pixels = (size_t)shape->out_h * (size_t)shape->out_w * (size_t)shape->batch;
  if (pixels < EK_F32_C16_MIN_PIXELS) {
    ek_f32_conv2d_minmax_2x4c8__avx2(shape, input, weights, bias, output, output_min,
                                     output_max);
    return;
  }
  /* Small images run over a zero-padded copy (no pointer table); larger ones over tap
   * pointers built per pixel tile. */
  if (!ek_f32_conv_drive_c16_padded(shape, input, weights, bias, output, output_min,
                                    output_max, ek_f32c16_pack, ek_f32c16_tile_4x16_offsets) &&
      !ek_f32_conv_drive_c16(shape, input, weights, bias, output, output_min, output_max,
                             ek_f32c16_pack, ek_f32c16_tile_4x16)) {
    ek_f32_conv2d_minmax_2x4c8__avx2(shape, input, weights, bias, output, output_min,
                                     output_max);
  }
}

#endif
