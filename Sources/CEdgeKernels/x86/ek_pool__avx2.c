/* AVX2 pooling kernels (see ek_pool.h). */
#include "ek_pool.h"

#if defined(__x86_64__)
#include <float.h>
#include <immintrin.h>

#define EK_AVX2 EK_TARGET("avx2,fma")
#define EK_AVX2_INLINE_POOL static inline __attribute__((always_inline)) EK_AVX2

EK_AVX2 void ek_f32_maxpool2d_minmax_1x8__avx2(const ek_pool2d_shape *s, const float *input,
                                               float *output, float output_min,
                                               float output_max) {
  const size_t c = (size_t)s->channels;
  const __m256 lo = _mm256_set1_ps(output_min), hi = _mm256_set1_ps(output_max);
  for (int32_t b = 0; b < s->batch; ++b) {
    const float *image = input + (size_t)b * (size_t)s->in_h * (size_t)s->in_w * c;
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t iy0 = oy * s->stride_h - s->pad_top;
      const int32_t fy0 = iy0 < 0 ? -iy0 : 0;
      const int32_t fy1 = s->filter_h < s->in_h - iy0 ? s->filter_h : s->in_h - iy0;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t ix0 = ox * s->stride_w - s->pad_left;
        const int32_t fx0 = ix0 < 0 ? -ix0 : 0;
        const int32_t fx1 = s->filter_w < s->in_w - ix0 ? s->filter_w : s->in_w - ix0;
        float *out = output + (((size_t)b * (size_t)s->out_h + (size_t)oy) * (size_t)s->out_w +
                               (size_t)ox) * c;
        size_t c0 = 0;
        if (fy0 == 0 && fx0 == 0 && fy1 == 2 && fx1 == 2) {
          /* A whole 2x2 window (the common pooling layer), taps in the reference's order. */
          const float *r0 = image + ((size_t)iy0 * (size_t)s->in_w + (size_t)ix0) * c;
          const float *r1 = r0 + (size_t)s->in_w * c;
          for (; c0 + 8 <= c; c0 += 8) {
            __m256 m = _mm256_max_ps(_mm256_loadu_ps(r0 + c0), _mm256_set1_ps(-FLT_MAX));
            m = _mm256_max_ps(_mm256_loadu_ps(r0 + c + c0), m);
            m = _mm256_max_ps(_mm256_loadu_ps(r1 + c0), m);
            m = _mm256_max_ps(_mm256_loadu_ps(r1 + c + c0), m);
            _mm256_storeu_ps(out + c0, _mm256_min_ps(hi, _mm256_max_ps(lo, m)));
          }
        }
        for (; c0 + 8 <= c; c0 += 8) {
          /* maxps(v, m) = v > m ? v : m: a NaN tap never replaces the running maximum. */
          __m256 m = _mm256_set1_ps(-FLT_MAX);
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const float *row = image + ((size_t)(iy0 + fy) * (size_t)s->in_w + (size_t)(ix0 + fx0)) * c + c0;
            for (int32_t fx = 0; fx < fx1 - fx0; ++fx) {
              m = _mm256_max_ps(_mm256_loadu_ps(row + (size_t)fx * c), m);
            }
          }
          /* min(max(x, lo), hi) with NaN passing through, as ek_clamp_f32. */
          _mm256_storeu_ps(out + c0, _mm256_min_ps(hi, _mm256_max_ps(lo, m)));
        }
        for (; c0 < c; ++c0) {
          float m = -FLT_MAX;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const float *row = image + ((size_t)(iy0 + fy) * (size_t)s->in_w + (size_t)(ix0 + fx0)) * c + c0;
            for (int32_t fx = 0; fx < fx1 - fx0; ++fx) {
              const float v = row[(size_t)fx * c];
              m = m < v ? v : m;
            }
          }
          m = m < output_min ? output_min : m;
          out[c0] = output_max < m ? output_max : m;
        }
      }
    }
  }
}

EK_AVX2 void ek_f32_mean_hw_x8__avx2(const ek_mean_shape *shape, const float *input,
                                     float *output) {
  const size_t hw = (size_t)shape->in_h * (size_t)shape->in_w;
  const size_t channels = (size_t)shape->channels;
  const __m256 count = _mm256_set1_ps((float)hw);
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const float *x = input + b * hw * channels;
    float *y = output + b * channels;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
      __m256 total = _mm256_setzero_ps();
      for (size_t i = 0; i < hw; ++i) {
        total = _mm256_add_ps(total, _mm256_loadu_ps(x + i * channels + c));
      }
      _mm256_storeu_ps(y + c, _mm256_div_ps(total, count));
    }
    for (; c < channels; ++c) {
      float total = 0.0f;
      for (size_t i = 0; i < hw; ++i) {
        total += x[i * channels + c];
      }
      y[c] = total / (float)hw;
    }
  }
}

/* Eight window sums (int32) to int8: the reference's rounded division
 * (acc > 0 ? acc + n / 2 : acc - n / 2) / n, truncating, then the clamp. The quotient is
 * computed in double and truncated: |t| < 2^31 and n >= 1, so t / n lies at least 1 / n from
 * any integer it is not equal to, while the division's rounding error is at most
 * |t / n| * 2^-53 < 2^-22 / n; truncation therefore matches the integer division. */
EK_AVX2_INLINE_POOL __m128i ek_qs8_avg8(__m256i acc, int32_t n, __m256i lo, __m256i hi) {
  const __m256i h = _mm256_set1_epi32(n / 2);
  const __m256i t = _mm256_blendv_epi8(_mm256_sub_epi32(acc, h), _mm256_add_epi32(acc, h),
                                       _mm256_cmpgt_epi32(acc, _mm256_setzero_si256()));
  const __m256d d = _mm256_set1_pd((double)n);
  const __m128i q0 = _mm256_cvttpd_epi32(_mm256_div_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(t)), d));
  const __m128i q1 = _mm256_cvttpd_epi32(_mm256_div_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(t, 1)), d));
  const __m256i q = _mm256_min_epi32(_mm256_max_epi32(_mm256_set_m128i(q1, q0), lo), hi);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  return _mm_packs_epi16(w, w);
}

/* Channels in eight int32 lanes (window sums exact for any window below 2^23 taps), the
 * channel tail scalar as in the reference; reads only taps inside the input, no over-read. */
EK_AVX2 void ek_qs8_avgpool2d_minmax_1x8__avx2(const ek_pool2d_shape *s, const int8_t *input,
                                               int8_t *output, int32_t output_min,
                                               int32_t output_max) {
  const size_t c = (size_t)s->channels, in_w = (size_t)s->in_w;
  const __m256i lo = _mm256_set1_epi32(output_min), hi = _mm256_set1_epi32(output_max);
  for (int32_t b = 0; b < s->batch; ++b) {
    const int8_t *image = input + (size_t)b * (size_t)s->in_h * in_w * c;
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t iy0 = oy * s->stride_h - s->pad_top;
      const int32_t fy0 = iy0 < 0 ? -iy0 : 0;
      const int32_t fy1 = s->filter_h < s->in_h - iy0 ? s->filter_h : s->in_h - iy0;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t ix0 = ox * s->stride_w - s->pad_left;
        const int32_t fx0 = ix0 < 0 ? -ix0 : 0;
        const int32_t fx1 = s->filter_w < s->in_w - ix0 ? s->filter_w : s->in_w - ix0;
        const int32_t count = fy1 > fy0 && fx1 > fx0 ? (fy1 - fy0) * (fx1 - fx0) : 0;
        int8_t *out = output + (((size_t)b * (size_t)s->out_h + (size_t)oy) * (size_t)s->out_w +
                                (size_t)ox) * c;
        size_t c0 = 0;
        for (; c0 + 8 <= c; c0 += 8) {
          __m256i acc = _mm256_setzero_si256();
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const int8_t *row = image + ((size_t)(iy0 + fy) * in_w + (size_t)ix0) * c + c0;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              acc = _mm256_add_epi32(acc, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(row + (size_t)fx * c))));
            }
          }
          _mm_storel_epi64((__m128i *)(out + c0), ek_qs8_avg8(acc, count > 0 ? count : 1, lo, hi));
        }
        for (; c0 < c; ++c0) {
          int32_t acc = 0;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              acc += image[((size_t)(iy0 + fy) * in_w + (size_t)(ix0 + fx)) * c + c0];
            }
          }
          if (count > 0) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          out[c0] = (int8_t)(acc < output_min ? output_min : (acc > output_max ? output_max : acc));
        }
      }
    }
  }
}

#endif
