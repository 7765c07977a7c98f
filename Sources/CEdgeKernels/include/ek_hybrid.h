/*
 * ek_hybrid.h: dynamic-range ("hybrid") convolution and fully connected layers: float32 input
 * and output, int8 weights with one scale (TFLite's dynamic-range quantization: CONV_2D
 * EvalHybrid and FULLY_CONNECTED EvalHybridDense with symmetric input quantization, which
 * every TFLite kernel type runs for a per-tensor filter).
 *
 * Layouts as ek_conv.h (NHWC input and output, OHWI weights, explicit padding; dilation 1).
 * Per batch b, the input is quantized symmetrically on the fly:
 *   range = max(|min x|, |max x|) over the batch;
 *   range == 0: xq = 0 and s = 1; else s = range / 127 and
 *   xq = clamp((int32_t)roundf(x * (127 / range)), -127, 127)   (float math, half away from 0);
 *   scale = s * filter_scale                                     (float);
 * then for each output element
 *   acc = sum over the taps inside the input of xq * w            (int32; padded taps are 0);
 *   out = clamp((0.0f + (float)acc * scale) + bias[c], output_min, output_max).
 * quantized_input is scratch of batch * in_h * in_w * in_c bytes, overwritten; bias may be NULL.
 */
#ifndef EK_HYBRID_H
#define EK_HYBRID_H

#include "ek_conv.h"

void ek_qd8_f32_qs8w_conv2d_minmax_1x1__ref(const ek_conv2d_shape *shape, float filter_scale,
                                            const float *input, const int8_t *weights,
                                            const float *bias, int8_t *quantized_input,
                                            float *output, float output_min, float output_max);

/*
 * Fully connected (weights [out_features][in_features], input [batch][in_features]): the same
 * per-batch input quantization and int32 dot products, then
 *   out = clamp(bias[c] + (float)acc * scale, output_min, output_max)   (0 for no bias);
 * when every input element is zero TFLite skips the product: out = clamp(bias[c] or 0).
 */
void ek_qd8_f32_qs8w_fc_minmax_1x1__ref(const ek_fc_shape *shape, float filter_scale,
                                        const float *input, const int8_t *weights,
                                        const float *bias, int8_t *quantized_input,
                                        float *output, float output_min, float output_max);

/*
 * Per-channel weights (edgepack --dynamic): as above with filter_scales[oc], one per output
 * channel, in place of filter_scale (scale = s * filter_scales[oc]); with every entry equal to
 * filter_scale the results are bit-identical to the per-tensor functions.
 */
void ek_qd8_f32_qc8w_conv2d_minmax_1x1__ref(const ek_conv2d_shape *shape,
                                            const float *filter_scales, const float *input,
                                            const int8_t *weights, const float *bias,
                                            int8_t *quantized_input, float *output,
                                            float output_min, float output_max);
void ek_qd8_f32_qc8w_fc_minmax_1x1__ref(const ek_fc_shape *shape, const float *filter_scales,
                                        const float *input, const int8_t *weights,
                                        const float *bias, int8_t *quantized_input,
                                        float *output, float output_min, float output_max);

#endif
