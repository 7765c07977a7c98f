/*
 * ek_conv.h: 2-D convolution, depthwise convolution and fully connected layers.
 *
 * Layouts (TFLite's):
 *   input    [batch][in_h][in_w][in_c]                      (NHWC)
 *   output   [batch][out_h][out_w][out_c]
 *   conv     weights [out_c][kernel_h][kernel_w][in_c]       (OHWI)
 *   depthwise weights [kernel_h][kernel_w][out_c], out_c = in_c * depth_multiplier,
 *            output channel c reads input channel c / depth_multiplier
 *   fc       weights [out_features][in_features], input [batch][in_features]
 *   bias     [out_c] (float32 for f32, int32 for qs8) or NULL for none
 * Padding is explicit: input row = out_y * stride_h - pad_top + ky * dilation_h; taps
 * outside the input contribute nothing (float) or the input zero point (qs8), i.e. zero.
 *
 * qs8 conv and depthwise (TFLite reference_integer_ops::ConvPerChannel /
 * DepthwiseConvPerChannel): acc = bias[c] + sum(w * (x - input_zero_point)); out =
 * clamp(mbqm(acc, multiplier[c], shift[c]) + output_zero_point, output_min, output_max),
 * multiplier[c], shift[c] = ek_quantize_multiplier((double)input_scale *
 * (double)filter_scale[c] / (double)output_scale).
 *
 * qs8 fully connected follows LiteRT's reference FULLY_CONNECTED, which for int8 calls the
 * float-scale overloads of reference_integer_ops::FullyConnected / FullyConnectedPerChannel
 * rather than a fixed-point multiplier (the two occasionally differ by one):
 *   acc = bias[c] + sum(w * (x - input_zero_point));
 *   out = clamp(round(acc * scale[c]) + output_zero_point, output_min, output_max)
 * in double, round half away from zero, scale[c] from ek_qs8_fc_prepare.
 * Per-tensor quantization repeats the same multiplier/shift (or scale) in every entry.
 */
#ifndef EK_CONV_H
#define EK_CONV_H

#include "ek_common.h"

#include <math.h>

typedef struct ek_conv2d_shape {
  int32_t batch;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
  int32_t depth_multiplier; /* depthwise only; 1 for conv */
} ek_conv2d_shape;

typedef struct ek_fc_shape {
  int32_t batch;
  int32_t in_features;
  int32_t out_features;
} ek_fc_shape;

/* Requantization of an int32 accumulator per output channel. */
typedef struct ek_qs8_requant_params {
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t output_min, output_max; /* within [-128, 127] */
  const int32_t *multiplier;      /* [out_c], see ek_quant.h */
  const int32_t *shift;           /* [out_c] */
} ek_qs8_requant_params;

/* Requantization of a fully connected accumulator per output feature. */
typedef struct ek_qs8_fc_params {
  int32_t input_zero_point;       /* within [-128, 127] */
  int32_t output_zero_point;
  int32_t output_min, output_max; /* within [-128, 127] */
  const double *scale;            /* [out_features], from ek_qs8_fc_prepare */
} ek_qs8_fc_params;

/* scale[c] = (double)input_scale * (double)filter_scale[c] / (double)output_scale for c in
 * [0, out_features), evaluated in that order as TFLite does. */
void ek_qs8_fc_prepare(size_t out_features, float input_scale, const float *filter_scale,
                       float output_scale, double *scale);

/* The fully connected requantization of one accumulator, shared by every qs8 fc kernel so
 * that all of them round exactly as the reference does. */
static inline int8_t ek_qs8_fc_requantize(int32_t acc, double scale,
                                          const ek_qs8_fc_params *params) {
  double scaled = round((double)acc * scale);
  /* Saturate before converting: an out-of-range conversion is undefined behaviour. */
  scaled = scaled < -2147483648.0 ? -2147483648.0 : scaled;
  scaled = scaled > 2147483647.0 ? 2147483647.0 : scaled;
  const int64_t out = (int64_t)scaled + params->output_zero_point;
  return (int8_t)(out < params->output_min   ? params->output_min
                  : out > params->output_max ? params->output_max
                                             : out);
}

/* output[j] = ek_qs8_fc_requantize(acc[j], scale[j], params) for j < n: the store of the
 * layout-6 fully connected tiles (ek_pfc.h), out of line so that they share one copy. */
void ek_qs8_fc_requantize_n(size_t n, const int32_t *acc, const double *scale,
                            const ek_qs8_fc_params *params, int8_t *output);

void ek_f32_conv2d_minmax_1x1__ref(const ek_conv2d_shape *shape, const float *input,
                                   const float *weights, const float *bias, float *output,
                                   float output_min, float output_max);
void ek_qs8_conv2d_minmax_1x1__ref(const ek_conv2d_shape *shape,
                                   const ek_qs8_requant_params *params, const int8_t *input,
                                   const int8_t *weights, const int32_t *bias, int8_t *output);

void ek_f32_dwconv2d_minmax_1x1__ref(const ek_conv2d_shape *shape, const float *input,
                                     const float *weights, const float *bias, float *output,
                                     float output_min, float output_max);
void ek_qs8_dwconv2d_minmax_1x1__ref(const ek_conv2d_shape *shape,
                                     const ek_qs8_requant_params *params, const int8_t *input,
                                     const int8_t *weights, const int32_t *bias, int8_t *output);

void ek_f32_fc_minmax_1x1__ref(const ek_fc_shape *shape, const float *input,
                               const float *weights, const float *bias, float *output,
                               float output_min, float output_max);
void ek_qs8_fc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                               const int8_t *input, const int8_t *weights, const int32_t *bias,
                               int8_t *output);

/*
 * SIMD fully connected kernels: same signatures and contracts as the __ref twins; call them
 * only when ek_cpu_features() has the level's EK_CPU_LEVEL_* bits. Tile 1x4cK: one batch row
 * by four output features, K input features per step. They over-read inputs and weights by
 * less than one step (at most EK_EXTRA_BYTES, into lanes they discard) and never over-write.
 * qs8: bit-exact with ek_qs8_fc_minmax_1x1__ref (integer accumulation modulo 2^32, then
 *   ek_qs8_fc_requantize).
 * f32: fused multiply-adds in a different order than the reference, so results differ from
 *   ek_f32_fc_minmax_1x1__ref by rounding only: |opt - ref| <= 2 * gamma(in_features + 1) *
 *   (sum |x * w| + |bias|), gamma(n) = n * 2^-24 / (1 - n * 2^-24) (each order's error bound).
 */
#if defined(__x86_64__)
void ek_f32_fc_minmax_1x4c8__avx2(const ek_fc_shape *shape, const float *input,
                                  const float *weights, const float *bias, float *output,
                                  float output_min, float output_max);
void ek_qs8_fc_minmax_1x4c16__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output);
/* 1x8c16: widens the input row on the stack (up to 16 KiB), requantizes up to 512 outputs in
 * one pass after their dot products; batches of 16 rows or more with in_features <= 2048
 * run the 4x16c4 tile. */
void ek_qs8_fc_minmax_1x8c16__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output);
/* 4x16c4: four rows x 16 outputs per tile (exact vpmaddubsw, x86/ek_conv_c4_avx2.h) over
 * weights packed per call on the stack (about 66 KiB); fewer than 4 rows, or in_features over
 * 2048, run 1x8c16. */
void ek_qs8_fc_minmax_4x16c4__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output);
void ek_f32_fc_minmax_1x4c16__avx512vnni(const ek_fc_shape *shape, const float *input,
                                         const float *weights, const float *bias, float *output,
                                         float output_min, float output_max);
void ek_qs8_fc_minmax_1x4c64__avx512vnni(const ek_fc_shape *shape,
                                         const ek_qs8_fc_params *params, const int8_t *input,
                                         const int8_t *weights, const int32_t *bias,
                                         int8_t *output);
#endif
#if defined(__aarch64__)
void ek_f32_fc_minmax_1x4c4__neon(const ek_fc_shape *shape, const float *input,
                                  const float *weights, const float *bias, float *output,
                                  float output_min, float output_max);
void ek_qs8_fc_minmax_1x4c16__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output);
void ek_qs8_fc_minmax_1x4c16__neondot(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                      const int8_t *input, const int8_t *weights,
                                      const int32_t *bias, int8_t *output);
/* Tile 2x4c16: two batch rows (SMMLA) by four output features; an odd last row uses SDOT. */
void ek_qs8_fc_minmax_2x4c16__neoni8mm(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                       const int8_t *input, const int8_t *weights,
                                       const int32_t *bias, int8_t *output);
#endif

#endif
