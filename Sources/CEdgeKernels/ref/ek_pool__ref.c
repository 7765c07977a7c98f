/* Reference pooling and spatial mean (see ek_pool.h). */
#include "ek_pool.h"
#include "ek_quant.h"

#include <float.h>

#include "ek_size.h"

/* Float results must follow the reference summation order exactly. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

EK_SIZE_BEGIN

/* TFLite ActivationFunctionWithMinMax: min(max(x, lo), hi), NaN passes through. */
static inline float ek_clamp_f32(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

static inline int32_t ek_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t ek_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

static inline size_t ek_nhwc(const ek_pool2d_shape *s, int32_t b, int32_t y, int32_t x,
                             int32_t h, int32_t w) {
  return (((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)s->channels;
}

void ek_f32_avgpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const float *input,
                                      float *output, float output_min, float output_max) {
  for (int32_t b = 0; b < shape->batch; ++b) {
    for (int32_t oy = 0; oy < shape->out_h; ++oy) {
      for (int32_t ox = 0; ox < shape->out_w; ++ox) {
        const int32_t iy0 = oy * shape->stride_h - shape->pad_top;
        const int32_t ix0 = ox * shape->stride_w - shape->pad_left;
        /* Clip the window to the input so padded taps are neither summed nor counted. */
        const int32_t fy0 = ek_max_i32(0, -iy0);
        const int32_t fy1 = ek_min_i32(shape->filter_h, shape->in_h - iy0);
        const int32_t fx0 = ek_max_i32(0, -ix0);
        const int32_t fx1 = ek_min_i32(shape->filter_w, shape->in_w - ix0);
        float *out = output + ek_nhwc(shape, b, oy, ox, shape->out_h, shape->out_w);
        for (int32_t c = 0; c < shape->channels; ++c) {
          float total = 0.0f;
          float count = 0.0f;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              total += input[ek_nhwc(shape, b, iy0 + fy, ix0 + fx, shape->in_h, shape->in_w) +
                             (size_t)c];
              count += 1.0f;
            }
          }
          const float average = count > 0.0f ? total / count : 0.0f;
          out[c] = ek_clamp_f32(average, output_min, output_max);
        }
      }
    }
  }
}

void ek_qs8_avgpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const int8_t *input,
                                      int8_t *output, int32_t output_min, int32_t output_max) {
  for (int32_t b = 0; b < shape->batch; ++b) {
    for (int32_t oy = 0; oy < shape->out_h; ++oy) {
      for (int32_t ox = 0; ox < shape->out_w; ++ox) {
        const int32_t iy0 = oy * shape->stride_h - shape->pad_top;
        const int32_t ix0 = ox * shape->stride_w - shape->pad_left;
        const int32_t fy0 = ek_max_i32(0, -iy0);
        const int32_t fy1 = ek_min_i32(shape->filter_h, shape->in_h - iy0);
        const int32_t fx0 = ek_max_i32(0, -ix0);
        const int32_t fx1 = ek_min_i32(shape->filter_w, shape->in_w - ix0);
        int8_t *out = output + ek_nhwc(shape, b, oy, ox, shape->out_h, shape->out_w);
        for (int32_t c = 0; c < shape->channels; ++c) {
          int32_t acc = 0;
          int32_t count = 0;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              acc += input[ek_nhwc(shape, b, iy0 + fy, ix0 + fx, shape->in_h, shape->in_w) +
                           (size_t)c];
              ++count;
            }
          }
          if (count > 0) {
            /* Round half away from zero; C division truncates toward zero. */
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          out[c] = (int8_t)ek_clamp_i32(acc, output_min, output_max);
        }
      }
    }
  }
}

void ek_f32_maxpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const float *input,
                                      float *output, float output_min, float output_max) {
  for (int32_t b = 0; b < shape->batch; ++b) {
    for (int32_t oy = 0; oy < shape->out_h; ++oy) {
      for (int32_t ox = 0; ox < shape->out_w; ++ox) {
        const int32_t iy0 = oy * shape->stride_h - shape->pad_top;
        const int32_t ix0 = ox * shape->stride_w - shape->pad_left;
        const int32_t fy0 = ek_max_i32(0, -iy0);
        const int32_t fy1 = ek_min_i32(shape->filter_h, shape->in_h - iy0);
        const int32_t fx0 = ek_max_i32(0, -ix0);
        const int32_t fx1 = ek_min_i32(shape->filter_w, shape->in_w - ix0);
        float *out = output + ek_nhwc(shape, b, oy, ox, shape->out_h, shape->out_w);
        for (int32_t c = 0; c < shape->channels; ++c) {
          float max = -FLT_MAX;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              const float v =
                  input[ek_nhwc(shape, b, iy0 + fy, ix0 + fx, shape->in_h, shape->in_w) +
                        (size_t)c];
              /* std::max(max, v): a NaN tap never replaces the running maximum. */
              max = max < v ? v : max;
            }
          }
          out[c] = ek_clamp_f32(max, output_min, output_max);
        }
      }
    }
  }
}

void ek_qs8_maxpool2d_minmax_1x1__ref(const ek_pool2d_shape *shape, const int8_t *input,
                                      int8_t *output, int32_t output_min, int32_t output_max) {
  for (int32_t b = 0; b < shape->batch; ++b) {
    for (int32_t oy = 0; oy < shape->out_h; ++oy) {
      for (int32_t ox = 0; ox < shape->out_w; ++ox) {
        const int32_t iy0 = oy * shape->stride_h - shape->pad_top;
        const int32_t ix0 = ox * shape->stride_w - shape->pad_left;
        const int32_t fy0 = ek_max_i32(0, -iy0);
        const int32_t fy1 = ek_min_i32(shape->filter_h, shape->in_h - iy0);
        const int32_t fx0 = ek_max_i32(0, -ix0);
        const int32_t fx1 = ek_min_i32(shape->filter_w, shape->in_w - ix0);
        int8_t *out = output + ek_nhwc(shape, b, oy, ox, shape->out_h, shape->out_w);
        for (int32_t c = 0; c < shape->channels; ++c) {
          int32_t max = INT8_MIN;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              max = ek_max_i32(
                  max, input[ek_nhwc(shape, b, iy0 + fy, ix0 + fx, shape->in_h, shape->in_w) +
                             (size_t)c]);
            }
          }
          out[c] = (int8_t)ek_clamp_i32(max, output_min, output_max);
        }
      }
    }
  }
}

void ek_qs8_mean_prepare(const ek_mean_shape *shape, float input_scale, int32_t input_zero_point,
                         float output_scale, int32_t output_zero_point,
                         ek_qs8_mean_params *params) {
  int32_t multiplier = 0, shift = 0;
  ek_quantize_multiplier((double)input_scale / (double)output_scale, &multiplier, &shift);
  /* Fold 1/count into the multiplier: scale it up by 2^floor(log2(count)) first so the
   * integer division keeps precision; cap that so the product stays in 63 bits and the
   * final right shift stays within 31. */
  const int64_t count = (int64_t)shape->in_h * (int64_t)shape->in_w;
  if (count > 0) {
    int32_t extra = 0;
    while (extra < 62 && (INT64_C(2) << extra) <= count) {
      ++extra;
    }
    extra = ek_min_i32(extra, 32);
    extra = ek_min_i32(extra, 31 + shift);
    multiplier = (int32_t)(((int64_t)multiplier << extra) / count);
    shift -= extra;
  }
  params->input_zero_point = input_zero_point;
  params->output_zero_point = output_zero_point;
  params->multiplier = multiplier;
  params->shift = shift;
}

void ek_f32_mean_hw_x1__ref(const ek_mean_shape *shape, const float *input, float *output) {
  const size_t hw = (size_t)shape->in_h * (size_t)shape->in_w;
  const size_t channels = (size_t)shape->channels;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const float *x = input + b * hw * channels;
    for (size_t c = 0; c < channels; ++c) {
      float total = 0.0f;
      for (size_t i = 0; i < hw; ++i) {
        total += x[i * channels + c];
      }
      output[b * channels + c] = total / (float)hw;
    }
  }
}

void ek_qs8_mean_hw_x1__ref(const ek_mean_shape *shape, const ek_qs8_mean_params *params,
                            const int8_t *input, int8_t *output) {
  const size_t hw = (size_t)shape->in_h * (size_t)shape->in_w;
  const size_t channels = (size_t)shape->channels;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * hw * channels;
    for (size_t c = 0; c < channels; ++c) {
      int32_t acc = 0;
      for (size_t i = 0; i < hw; ++i) {
        acc += (int32_t)x[i * channels + c] - params->input_zero_point;
      }
      acc = ek_mbqm(acc, params->multiplier, params->shift) + params->output_zero_point;
      output[b * channels + c] = (int8_t)ek_clamp_i32(acc, INT8_MIN, INT8_MAX);
    }
  }
}

EK_SIZE_END
