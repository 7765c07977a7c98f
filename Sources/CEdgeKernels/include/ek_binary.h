/*
 * ek_binary.h: elementwise Add and Mul with broadcasting, f32 and qs8.
 *
 * Broadcasting is described by ek_binary_shape: the output is dims[0..3] (row-major) and
 * element (i0,i1,i2,i3) of input a is a[i0*a_strides[0] + ... + i3*a_strides[3]] (element
 * strides; 0 repeats a dimension). Lower ranks are left-padded with dims of 1.
 * Output may alias an input when that input is not broadcast (strides equal to output's).
 *
 * qs8 Add (TFLite reference_integer_ops::Add, left_shift 20):
 *   a' = mbqm_smaller_than_one((a + a_offset) << left_shift, a_multiplier, a_shift), same for b,
 *   out = clamp(mbqm_smaller_than_one(a' + b', out_multiplier, out_shift) + out_offset, min, max)
 * qs8 Mul (TFLite reference_integer_ops::Mul):
 *   out = clamp(mbqm((a + a_offset) * (b + b_offset), out_multiplier, out_shift) + out_offset, min, max)
 * Offsets are negated zero points for inputs, the zero point for the output.
 * The prepares follow TFLite's: Add's multipliers come from double quotients of the scales,
 * Mul's from a_scale * b_scale / output_scale evaluated in float.
 * f32: out = min(max(a op b, output_min), output_max).
 */
#ifndef EK_BINARY_H
#define EK_BINARY_H

#include "ek_common.h"

typedef struct ek_binary_shape {
  int32_t dims[4];
  int32_t a_strides[4];
  int32_t b_strides[4];
} ek_binary_shape;

typedef struct ek_qs8_add_params {
  int32_t a_offset, b_offset, output_offset;
  int32_t left_shift;
  int32_t a_multiplier, a_shift;
  int32_t b_multiplier, b_shift;
  int32_t output_multiplier, output_shift;
  int32_t output_min, output_max;
} ek_qs8_add_params;

typedef struct ek_qs8_mul_params {
  int32_t a_offset, b_offset, output_offset;
  int32_t output_multiplier, output_shift;
  int32_t output_min, output_max;
} ek_qs8_mul_params;

void ek_qs8_add_prepare(float a_scale, int32_t a_zero_point, float b_scale, int32_t b_zero_point,
                        float output_scale, int32_t output_zero_point, int32_t output_min,
                        int32_t output_max, ek_qs8_add_params *params);
void ek_qs8_mul_prepare(float a_scale, int32_t a_zero_point, float b_scale, int32_t b_zero_point,
                        float output_scale, int32_t output_zero_point, int32_t output_min,
                        int32_t output_max, ek_qs8_mul_params *params);

void ek_f32_add_minmax_x1__ref(const ek_binary_shape *shape, const float *a, const float *b,
                               float *output, float output_min, float output_max);
void ek_f32_mul_minmax_x1__ref(const ek_binary_shape *shape, const float *a, const float *b,
                               float *output, float output_min, float output_max);
/* f32 Div: out = min(max(a / b, output_min), output_max) (IEEE division; no int8 form). */
void ek_f32_div_minmax_x1__ref(const ek_binary_shape *shape, const float *a, const float *b,
                               float *output, float output_min, float output_max);
void ek_qs8_add_minmax_x1__ref(const ek_binary_shape *shape, const ek_qs8_add_params *params,
                               const int8_t *a, const int8_t *b, int8_t *output);
void ek_qs8_mul_minmax_x1__ref(const ek_binary_shape *shape, const ek_qs8_mul_params *params,
                               const int8_t *a, const int8_t *b, int8_t *output);

/*
 * SIMD qs8 Add: same signature and contract as ek_qs8_add_minmax_x1__ref, bit-exact with it
 * (the multipliers of ek_qs8_add_prepare are >= 0), for any broadcast whose innermost strides
 * are 0 or 1 (what ek_binary_shape describes; other strides run the __ref kernel); eight
 * elements per step. They read and write nothing outside the tensors. Call them only when
 * ek_cpu_features() has the level's EK_CPU_LEVEL_* bits.
 */
#if defined(__x86_64__)
void ek_qs8_add_minmax_x8__avx2(const ek_binary_shape *shape, const ek_qs8_add_params *params,
                                const int8_t *a, const int8_t *b, int8_t *output);
#endif
#if defined(__aarch64__)
void ek_qs8_add_minmax_x8__neon(const ek_binary_shape *shape, const ek_qs8_add_params *params,
                                const int8_t *a, const int8_t *b, int8_t *output);
#endif

/* Whether both inputs are dense in the output's order (no broadcast): one flat row. */
static inline int ek_binary_dense_a_b(const ek_binary_shape *s) {
  int32_t step = 1;
  for (int i = 3; i >= 0; --i) {
    if (s->dims[i] != 1 && (s->a_strides[i] != step || s->b_strides[i] != step)) return 0;
    step *= s->dims[i];
  }
  return 1;
}

#endif
