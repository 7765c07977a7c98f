/* Reference fully connected layers (see ek_conv.h). */
#include "ek_conv.h"

#include <math.h>

/* Float results must follow the reference summation order exactly; a fused multiply-add
 * would round differently from TFLite's reference kernels. (GCC in ISO C mode never
 * contracts and does not know this pragma.) */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* TFLite ActivationFunctionWithMinMax: min(max(x, lo), hi), NaN passes through. */
static inline float ek_clamp_f32(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

void ek_f32_fc_minmax_1x1__ref(const ek_fc_shape *shape, const float *input,
                               const float *weights, const float *bias, float *output,
                               float output_min, float output_max) {
  const size_t in_features = (size_t)shape->in_features;
  const size_t out_features = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const float *x = input + b * in_features;
    for (size_t oc = 0; oc < out_features; ++oc) {
      const float *w = weights + oc * in_features;
      float total = 0.0f;
      for (size_t i = 0; i < in_features; ++i) {
        total += x[i] * w[i];
      }
      const float bias_value = bias != NULL ? bias[oc] : 0.0f;
      output[b * out_features + oc] = ek_clamp_f32(total + bias_value, output_min, output_max);
    }
  }
}

void ek_qs8_fc_prepare(size_t out_features, float input_scale, const float *filter_scale,
                       float output_scale, double *scale) {
  for (size_t c = 0; c < out_features; ++c) {
    scale[c] = (double)input_scale * (double)filter_scale[c] / (double)output_scale;
  }
}

/* Compiled for size on aarch64 (ek_size.h): every aarch64 level has a NEON int8 FC, so this
 * twin runs there only under EDGE_KERNELS=ref. */
#include "ek_size.h"
EK_SIZE_BEGIN

void ek_qs8_fc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                               const int8_t *input, const int8_t *weights, const int32_t *bias,
                               int8_t *output) {
  const size_t in_features = (size_t)shape->in_features;
  const size_t out_features = (size_t)shape->out_features;
  const int32_t input_offset = -params->input_zero_point;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * in_features;
    for (size_t oc = 0; oc < out_features; ++oc) {
      const int8_t *w = weights + oc * in_features;
      int32_t acc = 0;
      for (size_t i = 0; i < in_features; ++i) {
        acc += (int32_t)w[i] * ((int32_t)x[i] + input_offset);
      }
      if (bias != NULL) {
        acc += bias[oc];
      }
      output[b * out_features + oc] = ek_qs8_fc_requantize(acc, params->scale[oc], params);
    }
  }
}

EK_SIZE_END
