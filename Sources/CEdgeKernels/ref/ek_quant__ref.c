/* Quantization parameter math, as TFLite's quantization_util.cc and kernel_util.cc. */
#include "ek_quant.h"

#include <math.h>
#include "ek_size.h"

EK_SIZE_BEGIN

void ek_quantize_multiplier(double real_multiplier, int32_t *multiplier, int32_t *shift) {
  if (real_multiplier == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  int exponent = 0;
  const double q = frexp(real_multiplier, &exponent);
  int64_t q_fixed = (int64_t)round(q * (double)(INT64_C(1) << 31));
  if (q_fixed == (INT64_C(1) << 31)) {
    q_fixed /= 2;
    ++exponent;
  }
  /* A shift below -31 would shift every bit out; TFLite encodes that as a zero multiplier. */
  if (exponent < -31) {
    exponent = 0;
    q_fixed = 0;
  }
  *multiplier = (int32_t)q_fixed;
  *shift = exponent;
}

void ek_quantize_multiplier_smaller_than_one(double real_multiplier, int32_t *multiplier,
                                             int32_t *shift) {
  ek_quantize_multiplier(real_multiplier, multiplier, shift);
}

void ek_quantize_multiplier_greater_than_one(double real_multiplier, int32_t *multiplier,
                                             int32_t *shift) {
  ek_quantize_multiplier(real_multiplier, multiplier, shift);
}

int32_t ek_calculate_input_radius(int input_integer_bits, int input_left_shift,
                                  int total_signed_bits) {
  const double max_input_rescaled = 1.0 * ((1 << input_integer_bits) - 1) *
                                    (double)(INT64_C(1) << (total_signed_bits - input_integer_bits)) /
                                    (double)(INT64_C(1) << input_left_shift);
  /* Tighten the bound with floor: a larger radius would overflow the rescaled input. */
  return (int32_t)floor(max_input_rescaled);
}

/* zero_point + round(f / scale) with the division in float as in TFLite. Returns 0 when the
 * bound is not finite or does not fit in int32, cases that TFLite's Prepare rejects or
 * (for infinities) treats as no bound; the caller then keeps the int8 limit. */
static int ek_quantize_bound(float f, float scale, int32_t zero_point, int64_t *q) {
  const float r = roundf(f / scale);
  if (!(r >= -2147483648.0f && r < 2147483648.0f)) {
    return 0;
  }
  *q = (int64_t)zero_point + (int64_t)r;
  return 1;
}

void ek_qs8_activation_range(float fmin, float fmax, float output_scale, int32_t output_zero_point,
                             int32_t *qmin, int32_t *qmax) {
  int64_t lo = -128, hi = 127, q = 0;
  if (!isinf(fmin) && ek_quantize_bound(fmin, output_scale, output_zero_point, &q)) {
    lo = q > lo ? q : lo;
  }
  if (!isinf(fmax) && ek_quantize_bound(fmax, output_scale, output_zero_point, &q)) {
    hi = q < hi ? q : hi;
  }
  /* A bound beyond the int8 range (a degenerate float range) still leaves both limits in
   * range: clamp(x, lo, hi) then equals TFLite's min(max(x, lo), hi). */
  lo = lo > 127 ? 127 : lo;
  hi = hi < -128 ? -128 : hi;
  *qmin = (int32_t)lo;
  *qmax = (int32_t)hi;
}

EK_SIZE_END
