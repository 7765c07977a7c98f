/*
 * ek_pool.h: average / max pooling and the mean over spatial axes, NHWC.
 *
 * Pooling windows use explicit padding; padded taps are skipped, and the average divides
 * by the number of taps inside the input (TFLite semantics, count_include_pad = false).
 * A window with no tap inside the input (TFLite rejects such an average pool) averages to 0;
 * its maximum is -FLT_MAX (f32) or -128 (qs8) before the clamp, as in TFLite's MaxPool.
 * f32 avg: float sum in window order divided by the float tap count (reference_ops).
 * qs8 pooling requires input and output to share scale and zero point (TFLite's rule):
 *   avg: acc = sum(x); out = clamp(acc > 0 ? (acc + n/2) / n : (acc - n/2) / n, min, max)
 *   max: out = clamp(max(x), min, max)
 * f32 mean: float sum over (h, w) in row-major order, divided by (float)(in_h * in_w).
 * Mean over H and W keeps N and C: output [batch][1][1][channels].
 */
#ifndef EK_POOL_H
#define EK_POOL_H

#include "ek_common.h"

typedef struct ek_pool2d_shape {
  int32_t batch;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
} ek_pool2d_shape;

void ek_f32_avgpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const float *input,
                                      float *output, float output_min, float output_max);
void ek_qs8_avgpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const int8_t *input,
                                      int8_t *output, int32_t output_min, int32_t output_max);
void ek_f32_maxpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const float *input,
                                      float *output, float output_min, float output_max);
void ek_qs8_maxpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const int8_t *input,
                                      int8_t *output, int32_t output_min, int32_t output_max);

/* SIMD int8 AveragePool2D: same signature and contract as ek_qs8_avgpool2d_minmax_1x1__ref,
 * bit-exact with it. 8 channels per AVX2 vector, the channel tail scalar; reads only taps
 * inside the input, no over-read. Call only when ek_cpu_features() has EK_CPU_LEVEL_AVX2. */
#if defined(__x86_64__)
void ek_qs8_avgpool2d_minmax_1x8__avx2(const ek_pool2d_shape *shape, const int8_t *input,
                                       int8_t *output, int32_t output_min, int32_t output_max);
#endif

/* SIMD f32 MaxPool2D: same signature and contract as the __ref twin, bit-exact with it (a
 * maximum selects one of its inputs; NaN taps and the clamp follow the reference). Channels
 * in vector lanes (8 AVX2, 4 NEON), the channel tail scalar; reads only taps inside the input,
 * no over-read. Call only when ek_cpu_features() has the level's EK_CPU_LEVEL_* bits. */
#if defined(__x86_64__)
void ek_f32_maxpool2d_minmax_1x8__avx2(const ek_pool2d_shape *shape, const float *input,
                                       float *output, float output_min, float output_max);
#endif
#if defined(__aarch64__)
void ek_f32_maxpool2d_minmax_1x4__neon(const ek_pool2d_shape *shape, const float *input,
                                       float *output, float output_min, float output_max);
#endif

typedef struct ek_mean_shape {
  int32_t batch;
  int32_t in_h, in_w, channels;
} ek_mean_shape;

/*
 * Requantization of a spatial mean, computed by ek_qs8_mean_prepare (TFLite MEAN's int8
 * reference path, reference_ops::QuantizedMeanOrSum, used for keep_dims true and false):
 * (multiplier, shift) = ek_quantize_multiplier((double)input_scale / (double)output_scale),
 * then 1/n (n = in_h * in_w) is folded in: s = min(floor(log2 n), 32, 31 + shift),
 * multiplier = (int64)multiplier * 2^s / n (truncating), shift -= s. The kernel computes
 *   out = clamp(mbqm(sum(x - input_zero_point), multiplier, shift) + output_zero_point,
 *               -128, 127)
 * with no separate division (the multiplier may lie below 2^30 after the fold).
 */
typedef struct ek_qs8_mean_params {
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
} ek_qs8_mean_params;

void ek_qs8_mean_prepare(const ek_mean_shape *shape, float input_scale, int32_t input_zero_point,
                         float output_scale, int32_t output_zero_point, ek_qs8_mean_params *params);
void ek_f32_mean_hw_x1__ref(const ek_mean_shape *shape, const float *input, float *output);
void ek_qs8_mean_hw_x1__ref(const ek_mean_shape *shape, const ek_qs8_mean_params *params,
                            const int8_t *input, int8_t *output);

/* SIMD f32 mean over (h, w): same signature and contract as ek_f32_mean_hw_x1__ref and
 * bit-exact with it (each lane sums its channel in the same order and divides by the same
 * count). 8 channels per AVX2 vector, the channel tail scalar; no over-read. Call only when
 * ek_cpu_features() has EK_CPU_LEVEL_AVX2. */
#if defined(__x86_64__)
void ek_f32_mean_hw_x8__avx2(const ek_mean_shape *shape, const float *input, float *output);
#endif

#endif
