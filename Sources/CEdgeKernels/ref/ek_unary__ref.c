/* Elementwise activations and type conversions: reference kernels (TFLite
 * kernels/activations.cc, quantize.cc, dequantize.cc and the reference_ops they call). */
#include "ek_unary.h"

#include <math.h>

#include "ek_fixedpoint.h"
#include "ek_quant.h"
#include "ek_size.h"

EK_SIZE_BEGIN

/* ---- parameter preparation ---- */

void ek_qs8_clamp_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                          int32_t output_zero_point, float fmin, float fmax,
                          ek_qs8_clamp_params *params) {
  params->input_zero_point = input_zero_point;
  params->output_zero_point = output_zero_point;
  /* ReluPrepare divides the two float scales in float, then widens to double. */
  const float real_multiplier = input_scale / output_scale;
  ek_quantize_multiplier((double)real_multiplier, &params->multiplier, &params->shift);
  ek_qs8_activation_range(fmin, fmax, output_scale, output_zero_point, &params->output_min,
                          &params->output_max);
}

/* TFLite DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15. */
static int16_t downscale_multiplier_to_int16(int32_t multiplier) {
  const int32_t rounding_offset = INT32_C(1) << 15;
  if (multiplier >= INT32_MAX - rounding_offset) {
    return INT16_MAX;
  }
  return (int16_t)((multiplier + rounding_offset) >> 16);
}

void ek_qs8_hswish_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                           int32_t output_zero_point, ek_qs8_hswish_params *params) {
  params->input_zero_point = input_zero_point;
  params->output_zero_point = output_zero_point;
  /* HardSwishPrepare works in float: the input is first moved 7 bits up ("hires"), and the
   * reluish value is on a scale where 3.0 is 32768. */
  const float hires_input_scale = (1.0f / 128.0f) * input_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const float output_multiplier = hires_input_scale / output_scale;
  const float reluish_multiplier = hires_input_scale / reluish_scale;
  int32_t multiplier = 0;
  ek_quantize_multiplier((double)output_multiplier, &multiplier,
                         &params->output_multiplier_exponent);
  params->output_multiplier_fixedpoint_int16 = downscale_multiplier_to_int16(multiplier);
  ek_quantize_multiplier((double)reluish_multiplier, &multiplier,
                         &params->reluish_multiplier_exponent);
  params->reluish_multiplier_fixedpoint_int16 = downscale_multiplier_to_int16(multiplier);
}

static float sigmoid_for_table(float x) {
  return 1.0f / (1.0f + expf(-x));
}

static float tanh_for_table(float x) {
  return tanhf(x);
}

/* TFLite LUTPopulate<int8_t>: the table entry of every int8 input, from float math. */
static void populate_table(float input_scale, int32_t input_zero_point, float output_scale,
                           int32_t output_zero_point, float (*transform)(float),
                           ek_qs8_lut_params *params) {
  const float inverse_scale = 1.0f / output_scale;
  for (int32_t value = INT8_MIN; value <= INT8_MAX; ++value) {
    const float dequantized = input_scale * (float)(value - input_zero_point);
    const float rescaled = roundf(transform(dequantized) * inverse_scale);
    const int32_t quantized = (int32_t)(rescaled + (float)output_zero_point);
    params->table[(uint8_t)(int8_t)value] = (int8_t)ek_clamp_i32(quantized, INT8_MIN, INT8_MAX);
  }
}

void ek_qs8_sigmoid_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                            int32_t output_zero_point, ek_qs8_lut_params *params) {
  populate_table(input_scale, input_zero_point, output_scale, output_zero_point,
                 sigmoid_for_table, params);
}

void ek_qs8_tanh_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                         int32_t output_zero_point, ek_qs8_lut_params *params) {
  populate_table(input_scale, input_zero_point, output_scale, output_zero_point, tanh_for_table,
                 params);
}

void ek_qs8_requantize_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                               int32_t output_zero_point, ek_qs8_requantize_params *params) {
  params->input_zero_point = input_zero_point;
  params->output_zero_point = output_zero_point;
  ek_quantize_multiplier((double)input_scale / (double)output_scale, &params->multiplier,
                         &params->shift);
}

/* ---- clamp (Relu, Relu6, ReluN1To1) ---- */

void ek_f32_clamp_x1__ref(size_t count, const float *input, float *output, float output_min,
                          float output_max) {
  for (size_t i = 0; i < count; ++i) {
    float x = input[i];
    x = x < output_min ? output_min : x;
    output[i] = output_max < x ? output_max : x;
  }
}

void ek_qs8_clamp_x1__ref(size_t count, const ek_qs8_clamp_params *params, const int8_t *input,
                          int8_t *output) {
  for (size_t i = 0; i < count; ++i) {
    const int32_t value =
        params->output_zero_point +
        ek_mbqm(input[i] - params->input_zero_point, params->multiplier, params->shift);
    output[i] = (int8_t)ek_clamp_i32(value, params->output_min, params->output_max);
  }
}

/* ---- hard swish ---- */

void ek_f32_hswish_x1__ref(size_t count, const float *input, float *output) {
  for (size_t i = 0; i < count; ++i) {
    const float x = input[i];
    const float relu = 0.0f < x + 3.0f ? x + 3.0f : 0.0f;
    const float relu6 = relu < 6.0f ? relu : 6.0f;
    output[i] = x * relu6 / 6.0f;
  }
}

void ek_qs8_hswish_x1__ref(size_t count, const ek_qs8_hswish_params *params, const int8_t *input,
                           int8_t *output) {
  const int reluish_exponent = (int)params->reluish_multiplier_exponent;
  const int output_exponent = (int)params->output_multiplier_exponent;
  for (size_t i = 0; i < count; ++i) {
    const int16_t input_value = (int16_t)(input[i] - params->input_zero_point);
    /* Seven bits of headroom are free for an int8 difference; use them for precision. */
    const int16_t input_value_on_hires_input_scale = (int16_t)(input_value * (1 << 7));
    const int16_t input_value_on_preshift_output_scale = ek_fp_srdhm_i16(
        input_value_on_hires_input_scale, params->output_multiplier_fixedpoint_int16);
    /* Rescale x from [-3, 3] to [-1, 1] (saturating); a left shift is split so that only its
     * last bit can saturate, which keeps the saturation from biasing the result. */
    int16_t reluish_value = input_value_on_hires_input_scale;
    if (reluish_exponent > 0) {
      reluish_value = ek_fp_saturating_left_shift_i16(reluish_value, reluish_exponent - 1);
    }
    reluish_value = ek_fp_srdhm_i16(reluish_value, params->reluish_multiplier_fixedpoint_int16);
    if (reluish_exponent > 0) {
      reluish_value = ek_fp_saturating_left_shift_i16(reluish_value, 1);
    }
    if (reluish_exponent < 0) {
      reluish_value = ek_fp_rdivpot_i16(reluish_value, -reluish_exponent);
    }
    /* [-1, 1] -> [0, 1]. */
    reluish_value = (int16_t)((reluish_value + (1 << 15)) >> 1);
    /* Truncating (not rounding) multiply: cancels the bias of the rounding ones above. */
    const int16_t preshift_output_value =
        ek_fp_sdhm_i16(reluish_value, input_value_on_preshift_output_scale);
    int16_t output_value = ek_fp_rdivpot_i16(preshift_output_value, -output_exponent);
    output_value = (int16_t)(output_value + params->output_zero_point);
    output[i] = (int8_t)ek_clamp_i32(output_value, INT8_MIN, INT8_MAX);
  }
}

/* ---- sigmoid and tanh ---- */

void ek_f32_sigmoid_x1__ref(size_t count, const float *input, float *output) {
  for (size_t i = 0; i < count; ++i) {
    const float x = input[i];
    /* The cutoffs of TFLite's float reference Logistic (as built into LiteRT 2.3): above the
     * upper one the result rounds to 1 anyway; below -9, exp(x) stands in for the sigmoid. */
    if (x > 16.619047164916992188f) {
      output[i] = 1.0f;
    } else if (x < -9.0f) {
      output[i] = expf(x);
    } else {
      output[i] = 1.0f / (1.0f + expf(-x));
    }
  }
}

void ek_qs8_sigmoid_x1__ref(size_t count, const ek_qs8_lut_params *params, const int8_t *input,
                            int8_t *output) {
  for (size_t i = 0; i < count; ++i) {
    output[i] = params->table[(uint8_t)input[i]];
  }
}

void ek_f32_tanh_x1__ref(size_t count, const float *input, float *output) {
  for (size_t i = 0; i < count; ++i) {
    output[i] = tanhf(input[i]);
  }
}

void ek_qs8_tanh_x1__ref(size_t count, const ek_qs8_lut_params *params, const int8_t *input,
                         int8_t *output) {
  for (size_t i = 0; i < count; ++i) {
    output[i] = params->table[(uint8_t)input[i]];
  }
}

EK_SIZE_END

/* ---- conversions ---- */

/* Quantize and dequantize convert every int8 model's float inputs and outputs on each
 * inference, so they keep -O2 (outside EK_SIZE_BEGIN/END, see ek_size.h). */

void ek_f32_qs8_cvt_x1__ref(size_t count, const float *input, int8_t *output, float scale,
                            int32_t zero_point) {
  for (size_t i = 0; i < count; ++i) {
    /* Rounded in float, offset and clamped in double; NaN ends at INT8_MIN. */
    double value = (double)roundf(input[i] / scale) + (double)zero_point;
    if (!(value >= (double)INT8_MIN)) {
      value = (double)INT8_MIN;
    }
    if (value > (double)INT8_MAX) {
      value = (double)INT8_MAX;
    }
    output[i] = (int8_t)value;
  }
}

void ek_qs8_f32_cvt_x1__ref(size_t count, const int8_t *input, float *output, float scale,
                            int32_t zero_point) {
  const double scale_d = (double)scale;
  for (size_t i = 0; i < count; ++i) {
    output[i] = (float)(scale_d * (double)(input[i] - zero_point));
  }
}

void ek_qs8_requantize_x1__ref(size_t count, const ek_qs8_requantize_params *params,
                               const int8_t *input, int8_t *output) {
  for (size_t i = 0; i < count; ++i) {
    const int32_t value =
        ek_mbqm(input[i] - params->input_zero_point, params->multiplier, params->shift) +
        params->output_zero_point;
    output[i] = (int8_t)ek_clamp_i32(value, INT8_MIN, INT8_MAX);
  }
}
