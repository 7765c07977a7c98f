/* Reference fully connected layers (see ek_conv.h), layout-6 packing and its reference twin
 * (ek_pfc.h). */
#include "ek_conv.h"
#include "ek_pfc.h"

#include <math.h>
#include <string.h>

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

__attribute__((noinline)) void ek_qs8_fc_requantize_n(size_t n, const int32_t *acc, const double *scale,
                            const ek_qs8_fc_params *params, int8_t *output) {
  /* One copy per kernel image: unrolled, each NEON kernel's nr <= 4 tail held four. */
#pragma clang loop unroll(disable)
  for (size_t j = 0; j < n; ++j) {
    output[j] = ek_qs8_fc_requantize(acc[j], scale[j], params);
  }
}

size_t ek_qs8_pfc_bias_offset(size_t out, size_t k) {
  return (out + 3) / 4 * ((k + 15) / 16 * 16) * 4; /* a multiple of 64 */
}

size_t ek_qs8_pfc_packed_bytes(size_t out, size_t k) {
  return ek_qs8_pfc_bias_offset(out, k) + (out + 3) / 4 * 4 * sizeof(int32_t);
}

void ek_qs8_pfc_pack(size_t out, size_t k, const int8_t *weights, const int32_t *bias,
                     int32_t input_zero_point, void *packed) {
  const size_t kr = (k + 15) / 16 * 16;
  int8_t *w = (int8_t *)packed;
  memset(packed, 0, ek_qs8_pfc_packed_bytes(out, k));
  for (size_t c = 0; c < out; ++c) {
    uint32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const int8_t v = weights[c * k + i];
      w[c / 4 * kr * 4 + i / 16 * 64 + c % 4 * 16 + i % 16] = v;
      sum += (uint32_t)(int32_t)v;
    }
    const uint32_t folded = (bias != NULL ? (uint32_t)bias[c] : 0u) -
                            (uint32_t)input_zero_point * sum;
    memcpy(w + ek_qs8_pfc_bias_offset(out, k) + c * sizeof(int32_t), &folded, sizeof(folded));
  }
}

/* Compiled for size on aarch64 (ek_size.h): every aarch64 level has a NEON int8 FC, so this
 * twin runs there only under EDGE_KERNELS=ref. */
#include "ek_size.h"
EK_SIZE_BEGIN

/* acc = bias[c] + sum_i w[c][i] * (x[i] - zp) modulo 2^32, requantized. Row c of the weights
 * starts at (c / rows) * block + (c % rows) * 16 and holds K value i at (i / 16) * step + i % 16:
 * layout 0 is rows 1, block K, step 16 (w[c * K + i]); layout 6 rows 4, block 4 x K rounded up
 * to 16, step 64 (ek_pfc.h), with zp 0 (folded into the bias). */
static void ek_qs8_fc_ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                          const int8_t *input, const int8_t *weights, const int32_t *bias,
                          int8_t *output, int32_t zp, size_t rows, size_t block, size_t step) {
  const size_t in_features = (size_t)shape->in_features;
  const size_t out_features = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * in_features;
    for (size_t oc = 0; oc < out_features; ++oc) {
      const int8_t *w = weights + oc / rows * block + oc % rows * 16;
      uint32_t acc = bias != NULL ? (uint32_t)bias[oc] : 0u;
      for (size_t i = 0; i < in_features; ++i) {
        acc += (uint32_t)((int32_t)w[i / 16 * step + i % 16] * ((int32_t)x[i] - zp));
      }
      output[b * out_features + oc] = ek_qs8_fc_requantize((int32_t)acc, params->scale[oc], params);
    }
  }
}

void ek_qs8_fc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                               const int8_t *input, const int8_t *weights, const int32_t *bias,
                               int8_t *output) {
  ek_qs8_fc_ref(shape, params, input, weights, bias, output, params->input_zero_point, 1,
                (size_t)shape->in_features, 16);
}

void ek_qs8_pfc_minmax_1x4c16__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output) {
  ek_qs8_fc_ref(shape, params, input, weights, bias, output, 0, 4,
                ((size_t)shape->in_features + 15) / 16 * 64, 64);
}

EK_SIZE_END
