/* Reference dynamic-range convolution and fully connected layers (see ek_hybrid.h). */
#include "ek_hybrid.h"

#include <math.h>

#include "ek_size.h"

/* The float steps must round exactly as TFLite's; a fused multiply-add would not. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* TFLite's SymmetricQuantizeFloats; returns the batch's scale s. */
static float ek_symmetric_quantize(const float *x, size_t n, int8_t *q) {
  float lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  const float range = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
  if (range == 0.0f) {
    for (size_t i = 0; i < n; ++i) {
      q[i] = 0;
    }
    return 1.0f;
  }
  const float inverse = 127.0f / range;
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = (int32_t)roundf(x[i] * inverse);
    q[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
  }
  return range / 127.0f;
}

/* filter_scales[oc * scale_step]: step 0 for one scale, 1 for one per output channel. */
EK_SIZE_BEGIN

static void ek_hybrid_conv2d(const ek_conv2d_shape *shape, const float *filter_scales,
                             size_t scale_step, const float *input, const int8_t *weights,
                             const float *bias, int8_t *quantized_input, float *output,
                             float output_min, float output_max) {
  const int32_t in_h = shape->in_h, in_w = shape->in_w, in_c = shape->in_c;
  const int32_t out_c = shape->out_c;
  const size_t batch_size = (size_t)in_h * (size_t)in_w * (size_t)in_c;
  for (int32_t b = 0; b < shape->batch; ++b) {
    int8_t *xq = quantized_input + (size_t)b * batch_size;
    const float input_scale =
        ek_symmetric_quantize(input + (size_t)b * batch_size, batch_size, xq);
    for (int32_t oy = 0; oy < shape->out_h; ++oy) {
      const int32_t iy0 = oy * shape->stride_h - shape->pad_top;
      for (int32_t ox = 0; ox < shape->out_w; ++ox) {
        const int32_t ix0 = ox * shape->stride_w - shape->pad_left;
        for (int32_t oc = 0; oc < out_c; ++oc) {
          int32_t acc = 0;
          for (int32_t ky = 0; ky < shape->kernel_h; ++ky) {
            const int32_t iy = iy0 + ky * shape->dilation_h;
            if (iy < 0 || iy >= in_h) {
              continue;
            }
            for (int32_t kx = 0; kx < shape->kernel_w; ++kx) {
              const int32_t ix = ix0 + kx * shape->dilation_w;
              if (ix < 0 || ix >= in_w) {
                continue;
              }
              const int8_t *x = xq + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c;
              const int8_t *w = weights + (((size_t)oc * (size_t)shape->kernel_h + (size_t)ky) *
                                               (size_t)shape->kernel_w + (size_t)kx) *
                                              (size_t)in_c;
              for (int32_t ic = 0; ic < in_c; ++ic) {
                acc += (int32_t)x[ic] * (int32_t)w[ic];
              }
            }
          }
          const float scale = input_scale * filter_scales[(size_t)oc * scale_step];
          float value = 0.0f;
          value += (float)acc * scale;
          if (bias != NULL) {
            value += bias[oc];
          }
          value = value < output_min ? output_min : value;
          value = output_max < value ? output_max : value;
          output[(((size_t)b * (size_t)shape->out_h + (size_t)oy) * (size_t)shape->out_w +
                  (size_t)ox) * (size_t)out_c + (size_t)oc] = value;
        }
      }
    }
  }
}

static inline float ek_hybrid_clamp(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

void ek_qd8_f32_qs8w_conv2d_minmax_1x1__ref(const ek_conv2d_shape *shape, float filter_scale,
                                            const float *input, const int8_t *weights,
                                            const float *bias, int8_t *quantized_input,
                                            float *output, float output_min, float output_max) {
  ek_hybrid_conv2d(shape, &filter_scale, 0, input, weights, bias, quantized_input, output,
                   output_min, output_max);
}

void ek_qd8_f32_qc8w_conv2d_minmax_1x1__ref(const ek_conv2d_shape *shape,
                                            const float *filter_scales, const float *input,
                                            const int8_t *weights, const float *bias,
                                            int8_t *quantized_input, float *output,
                                            float output_min, float output_max) {
  ek_hybrid_conv2d(shape, filter_scales, 1, input, weights, bias, quantized_input, output,
                   output_min, output_max);
}

EK_SIZE_END


static void ek_hybrid_fc(const ek_fc_shape *shape, const float *filter_scales, size_t scale_step,
                         const float *input, const int8_t *weights, const float *bias,
                         int8_t *quantized_input, float *output, float output_min,
                         float output_max) {
  const size_t in_features = (size_t)shape->in_features;
  const size_t out_features = (size_t)shape->out_features;
  const size_t batch = (size_t)shape->batch;
  int all_zero = 1;
  for (size_t i = 0; i < batch * in_features && all_zero; ++i) {
    all_zero = input[i] == 0.0f;
  }
  for (size_t b = 0; b < batch; ++b) {
    int8_t *xq = quantized_input + b * in_features;
    float input_scale = 0.0f;
    if (!all_zero) {
      input_scale = ek_symmetric_quantize(input + b * in_features, in_features, xq);
    }
    for (size_t oc = 0; oc < out_features; ++oc) {
      float value = bias != NULL ? bias[oc] : 0.0f;
      if (!all_zero) {
        const int8_t *w = weights + oc * in_features;
        int32_t acc = 0;
        for (size_t i = 0; i < in_features; ++i) {
          acc += (int32_t)xq[i] * (int32_t)w[i];
        }
        value += (float)acc * (input_scale * filter_scales[oc * scale_step]);
      }
      output[b * out_features + oc] = ek_hybrid_clamp(value, output_min, output_max);
    }
  }
}

void ek_qd8_f32_qs8w_fc_minmax_1x1__ref(const ek_fc_shape *shape, float filter_scale,
                                        const float *input, const int8_t *weights,
                                        const float *bias, int8_t *quantized_input,
                                        float *output, float output_min, float output_max) {
  ek_hybrid_fc(shape, &filter_scale, 0, input, weights, bias, quantized_input, output,
               output_min, output_max);
}

void ek_qd8_f32_qc8w_fc_minmax_1x1__ref(const ek_fc_shape *shape, const float *filter_scales,
                                        const float *input, const int8_t *weights,
                                        const float *bias, int8_t *quantized_input,
                                        float *output, float output_min, float output_max) {
  ek_hybrid_fc(shape, filter_scales, 1, input, weights, bias, quantized_input, output,
               output_min, output_max);
}
