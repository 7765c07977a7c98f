/* Softmax over the innermost axis: reference kernels (TFLite reference_ops::Softmax, float
 * and the int8 gemmlowp fixed-point path that LiteRT's SOFTMAX reference kernel runs). */
#include "ek_softmax.h"

#include <float.h>
#include <math.h>

#include "ek_fixedpoint.h"
#include "ek_quant.h"
#include "ek_size.h"

EK_SIZE_BEGIN

/* exp() takes its input in Q5.26: differences as low as -32 before the beta multiplier (-16
 * after it) must fit, and exp(-16) is already negligible in the sum. */
#define SCALED_DIFF_INTEGER_BITS 5
/* The sum of up to 2^12 exps (each at most 1) is accumulated in Q12.19. */
#define ACCUMULATION_INTEGER_BITS 12

/* exp(beta * input_scale * diff) in Q0, for diff >= diff_min. */
static inline int32_t exp_of_diff(const ek_qs8_softmax_params *params, int32_t diff) {
  const int32_t diff_rescaled = ek_mbqm_greater_than_one(diff, params->input_beta_multiplier,
                                                         params->input_beta_left_shift);
  return ek_fp_exp_on_negative_values(diff_rescaled, SCALED_DIFF_INTEGER_BITS);
}

void ek_qs8_softmax_prepare(float input_scale, float beta, ek_qs8_softmax_params *params) {
  /* TFLite PreprocessSoftmaxScaling (double rounding build), then CalculateInputRadius. */
  const double max_real_multiplier = (double)(INT64_C(1) << 31) - 1.0;
  double real_multiplier = (double)beta * (double)input_scale *
                           (double)(INT32_C(1) << (31 - SCALED_DIFF_INTEGER_BITS));
  if (real_multiplier > max_real_multiplier) {
    real_multiplier = max_real_multiplier;
  }
  ek_quantize_multiplier_greater_than_one(real_multiplier, &params->input_beta_multiplier,
                                          &params->input_beta_left_shift);
  params->diff_min = -ek_calculate_input_radius(SCALED_DIFF_INTEGER_BITS,
                                                (int)params->input_beta_left_shift, 31);
  for (int32_t d = 0; d < 256; ++d) {
    params->exp_table[d] = -d >= params->diff_min ? exp_of_diff(params, -d) : 0;
  }
}

void ek_f32_softmax_x1__ref(size_t outer, size_t depth, float beta, const float *input,
                            float *output) {
  for (size_t i = 0; i < outer; ++i) {
    const float *x = input + i * depth;
    float *y = output + i * depth;
    float max = -FLT_MAX;
    for (size_t c = 0; c < depth; ++c) {
      max = max < x[c] ? x[c] : max;
    }
    /* y holds the exps until the sum is known; the sum runs in order, in float. */
    float sum = 0.0f;
    for (size_t c = 0; c < depth; ++c) {
      const float e = expf((x[c] - max) * beta);
      y[c] = e;
      sum += e;
    }
    for (size_t c = 0; c < depth; ++c) {
      y[c] = y[c] / sum;
    }
  }
}

int32_t ek_qs8_softmax_reciprocal(int32_t sum_of_exps, int *exponent) {
  int num_bits_over_unit = 0;
  const int32_t reciprocal =
      ek_fp_get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
  /* exp * (1 / sum) in Q0 -> Q0.8 of the int8 output (scale 1/256). */
  *exponent = num_bits_over_unit + 31 - 8;
  return reciprocal;
}

int8_t ek_qs8_softmax_output(int32_t reciprocal, int exponent, int32_t exp) {
  /* exponent > 31 (a sum of exps of 512 or more) aborts TFLite's kernel; the exact quotient is
   * then below 1/2, i.e. 0 after rounding. */
  int32_t unsat_output = 0;
  if (exponent <= 31) {
    unsat_output = ek_rdivpot(ek_srdhm(reciprocal, exp), exponent);
  }
  return (int8_t)ek_clamp_i32(unsat_output + INT8_MIN, INT8_MIN, INT8_MAX);
}

void ek_qs8_softmax_x1__ref(size_t outer, size_t depth, const ek_qs8_softmax_params *params,
                            const int8_t *input, int8_t *output) {
  for (size_t i = 0; i < outer; ++i) {
    const int8_t *x = input + i * depth;
    int8_t *y = output + i * depth;
    int32_t max = INT8_MIN;
    for (size_t c = 0; c < depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }

    int32_t sum_of_exps = 0; /* Q12 */
    for (size_t c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max;
      if (diff >= params->diff_min) {
        sum_of_exps = ek_fp_add(
            sum_of_exps, ek_fp_mul_by_pot(exp_of_diff(params, diff), -ACCUMULATION_INTEGER_BITS));
      }
    }

    int exponent = 0;
    const int32_t reciprocal = ek_qs8_softmax_reciprocal(sum_of_exps, &exponent);
    for (size_t c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max;
      y[c] = diff >= params->diff_min
                 ? ek_qs8_softmax_output(reciprocal, exponent, exp_of_diff(params, diff))
                 : INT8_MIN;
    }
  }
}

EK_SIZE_END
