/*
 * ek_fixedpoint.h: the parts of gemmlowp's fixedpoint.h (and TFLite's fixed-point helpers in
 * kernels/internal/common.h) that EdgeRun's reference kernels need, as plain C.
 *
 * A Qm value ("m integer bits") is an int32 raw value r standing for r / 2^(31 - m); int16
 * values likewise stand for r / 2^(15 - m). Additions wrap (two's complement) exactly where
 * gemmlowp's plain integer additions would; every other operation saturates or rounds as
 * gemmlowp's does, so results are bit-exact with it.
 */
#ifndef EK_FIXEDPOINT_H
#define EK_FIXEDPOINT_H

#include "ek_quant.h"

/* The loops of exp and of the reciprocal (softmax: once per row, or per element in the
 * reference) stay rolled on aarch64, for the size budget of the static edgerun (ek_size.h);
 * other targets unroll them. Results do not depend on it. */
#if defined(__clang__) && defined(__aarch64__)
#define EK_FP_ROLLED _Pragma("clang loop unroll(disable)")
#else
#define EK_FP_ROLLED
#endif

/* a + b and a - b with two's-complement wrap-around (gemmlowp's Add / Sub on int32). */
static inline int32_t ek_fp_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t ek_fp_sub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> on int32, -31 <= exponent <= 30:
 * a saturating left shift for exponent > 0 (x == -2^(31 - exponent) saturates too, as in
 * gemmlowp), a rounding right shift for exponent < 0. */
static inline int32_t ek_fp_mul_by_pot(int32_t x, int exponent) {
  if (exponent < 0) {
    return ek_rdivpot(x, -exponent);
  }
  if (exponent == 0) {
    return x;
  }
  const int32_t threshold = (int32_t)((INT32_C(1) << (31 - exponent)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return ek_shl(x, exponent);
}

/* gemmlowp RoundingHalfSum on int32: (a + b) / 2 rounded half away from zero. */
static inline int32_t ek_fp_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: Q0 in, Q0 out. */
static inline int32_t ek_fp_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;     /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883;  /* 1/3 */
  /* Taylor expansion around -1/8: x = a + 1/8. */
  const int32_t x = ek_fp_add(a, INT32_C(1) << 28);
  const int32_t x2 = ek_srdhm(x, x);
  const int32_t x3 = ek_srdhm(x2, x);
  const int32_t x4 = ek_srdhm(x2, x2);
  const int32_t x4_over_4 = ek_rdivpot(x4, 2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
      ek_rdivpot(ek_fp_add(ek_srdhm(ek_fp_add(x4_over_4, x3), constant_1_over_3), x2), 1);
  return ek_fp_add(constant_term,
                   ek_srdhm(constant_term, ek_fp_add(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

/* gemmlowp exp_on_negative_values: exp(a) for a <= 0 given in Q(integer_bits), result in Q0.
 * 0 <= integer_bits <= 29. */
static inline int32_t ek_fp_exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t multipliers[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1) */
      290630308,  /* exp(-2) */
      39332535,   /* exp(-4) */
      720401,     /* exp(-8) */
      242,        /* exp(-16) */
  };
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = INT32_C(1) << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = ek_fp_sub(a & mask, one_quarter);
  int32_t result = ek_fp_exp_on_interval_between_negative_one_quarter_and_0_excl(
      ek_fp_mul_by_pot(a_mod_quarter_minus_one_quarter, integer_bits));
  const int32_t remainder = ek_fp_sub(a_mod_quarter_minus_one_quarter, a);
  /* Barrel shifter: multiply by exp(-2^e) for every bit e of the remainder, e in [-2, 4]. */
  EK_FP_ROLLED
  for (int exponent = -2; exponent <= 4; ++exponent) {
    if (integer_bits > exponent) {
      const int shift = fractional_bits + exponent;
      if ((remainder & (INT32_C(1) << shift)) != 0) {
        result = ek_srdhm(result, multipliers[exponent + 2]);
      }
    }
  }
  if (integer_bits > 5) {
    /* Below -32, exp underflows Q0. */
    const int32_t clamp = -(INT32_C(1) << (36 - integer_bits));
    if (a < clamp) {
      result = 0;
    }
  }
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0 in, Q0 out (Newton-Raphson division). */
static inline int32_t ek_fp_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = ek_fp_rounding_half_sum(a, INT32_MAX);
  const int32_t constant_48_over_17 = 1515870810;     /* Q2 */
  const int32_t constant_neg_32_over_17 = -1010580540; /* Q2 */
  const int32_t one_q2 = INT32_C(1) << 29;
  int32_t x = ek_fp_add(constant_48_over_17, ek_srdhm(half_denominator, constant_neg_32_over_17));
  EK_FP_ROLLED
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = ek_srdhm(half_denominator, x);
    const int32_t one_minus_half_denominator_times_x = ek_fp_sub(one_q2, half_denominator_times_x);
    x = ek_fp_add(x, ek_fp_mul_by_pot(ek_srdhm(x, one_minus_half_denominator_times_x), 2));
  }
  /* x / 2 taken from Q2 (as Q1) back to Q0. */
  return ek_fp_mul_by_pot(x, 1);
}

/* Leading zero bits of x (32 for 0), as TFLite's CountLeadingZeros. */
static inline int ek_fp_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) {
    return 32;
  }
  while ((x & UINT32_C(0x80000000)) == 0) {
    x <<= 1;
    ++n;
  }
  return n;
}

/* TFLite GetReciprocal: 1 / x for x > 0 in Q(x_integer_digits), as a Q0 value scaled by
 * 2^-num_bits_over_unit. */
static inline int32_t ek_fp_get_reciprocal(int32_t x, int x_integer_digits,
                                           int *num_bits_over_unit) {
  const int headroom_plus_one = ek_fp_clz32((uint32_t)x);
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  /* headroom_plus_one < 32 for x > 0; the guard only keeps x == 0 defined. */
  const uint32_t shifted = headroom_plus_one < 32 ? (uint32_t)x << headroom_plus_one : 0;
  const int32_t shifted_sum_minus_one = (int32_t)(shifted - (UINT32_C(1) << 31));
  return ek_fp_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

/* gemmlowp SaturatingRoundingDoublingHighMul on int16. */
static inline int16_t ek_fp_srdhm_i16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) {
    return INT16_MAX;
  }
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)((ab + nudge) / (1 << 15));
}

/* TFLite SaturatingDoublingHighMul on int16: like ek_fp_srdhm_i16 but truncating. */
static inline int16_t ek_fp_sdhm_i16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) {
    return INT16_MAX;
  }
  const int32_t ab = (int32_t)a * (int32_t)b;
  return (int16_t)(ab / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT on int16, 0 <= exponent <= 31, including the int16 truncation
 * of its mask and threshold that exponents above 15 run into. */
static inline int16_t ek_fp_rdivpot_i16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)((INT64_C(1) << exponent) - 1);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* TFLite SaturatingLeftShift on int16 (hard_swish.h), 0 <= amount <= 30. */
static inline int16_t ek_fp_saturating_left_shift_i16(int16_t value, int amount) {
  const int64_t result = (int64_t)value * (INT64_C(1) << amount);
  return (int16_t)(result > INT16_MAX ? INT16_MAX : (result < INT16_MIN ? INT16_MIN : result));
}

#endif
