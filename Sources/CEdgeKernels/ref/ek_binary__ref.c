/* Elementwise Add and Mul with 4-D broadcasting: reference kernels (TFLite kernels/add.cc,
 * mul.cc, reference_ops::Add/Mul and reference_integer_ops::Add/Mul). */
#include "ek_binary.h"

#include "ek_quant.h"
#include "ek_size.h"

EK_SIZE_BEGIN

void ek_qs8_add_prepare(float a_scale, int32_t a_zero_point, float b_scale, int32_t b_zero_point,
                        float output_scale, int32_t output_zero_point, int32_t output_min,
                        int32_t output_max, ek_qs8_add_params *params) {
  params->a_offset = -a_zero_point;
  params->b_offset = -b_zero_point;
  params->output_offset = output_zero_point;
  params->left_shift = 20;
  /* TFLite widens each scale to double before dividing. */
  const double twice_max_input_scale = 2.0 * (double)(a_scale > b_scale ? a_scale : b_scale);
  const double real_a_multiplier = (double)a_scale / twice_max_input_scale;
  const double real_b_multiplier = (double)b_scale / twice_max_input_scale;
  const double real_output_multiplier =
      twice_max_input_scale /
      ((double)(INT32_C(1) << params->left_shift) * (double)output_scale);
  ek_quantize_multiplier_smaller_than_one(real_a_multiplier, &params->a_multiplier,
                                          &params->a_shift);
  ek_quantize_multiplier_smaller_than_one(real_b_multiplier, &params->b_multiplier,
                                          &params->b_shift);
  ek_quantize_multiplier_smaller_than_one(real_output_multiplier, &params->output_multiplier,
                                          &params->output_shift);
  params->output_min = output_min;
  params->output_max = output_max;
}

void ek_qs8_mul_prepare(float a_scale, int32_t a_zero_point, float b_scale, int32_t b_zero_point,
                        float output_scale, int32_t output_zero_point, int32_t output_min,
                        int32_t output_max, ek_qs8_mul_params *params) {
  params->a_offset = -a_zero_point;
  params->b_offset = -b_zero_point;
  params->output_offset = output_zero_point;
  /* TFLite computes this product and quotient in float, and only then widens to double. */
  const float real_multiplier = a_scale * b_scale / output_scale;
  ek_quantize_multiplier((double)real_multiplier, &params->output_multiplier,
                         &params->output_shift);
  params->output_min = output_min;
  params->output_max = output_max;
}

static inline float clamp_f32(float x, float lo, float hi) {
  /* std::min(std::max(x, lo), hi): a NaN x stays NaN. */
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

static inline int8_t add_qs8(const ek_qs8_add_params *p, int8_t a, int8_t b) {
  const int32_t shifted_a = ek_shl(p->a_offset + a, p->left_shift);
  const int32_t shifted_b = ek_shl(p->b_offset + b, p->left_shift);
  const int32_t scaled_a = ek_mbqm_smaller_than_one(shifted_a, p->a_multiplier, p->a_shift);
  const int32_t scaled_b = ek_mbqm_smaller_than_one(shifted_b, p->b_multiplier, p->b_shift);
  const int32_t raw_output =
      ek_mbqm_smaller_than_one(scaled_a + scaled_b, p->output_multiplier, p->output_shift) +
      p->output_offset;
  return (int8_t)ek_clamp_i32(raw_output, p->output_min, p->output_max);
}

static inline int8_t mul_qs8(const ek_qs8_mul_params *p, int8_t a, int8_t b) {
  const int32_t product = (p->a_offset + a) * (p->b_offset + b);
  const int32_t raw_output =
      p->output_offset + ek_mbqm(product, p->output_multiplier, p->output_shift);
  return (int8_t)ek_clamp_i32(raw_output, p->output_min, p->output_max);
}

/* The four kernels share one loop nest over the output; `out` advances densely while the
 * input offsets follow their (possibly zero) strides. */
#define EK_BROADCAST_LOOP(shape, body)                                                  \
  do {                                                                                  \
    size_t out = 0;                                                                     \
    for (int32_t i0 = 0; i0 < (shape)->dims[0]; ++i0) {                                 \
      for (int32_t i1 = 0; i1 < (shape)->dims[1]; ++i1) {                               \
        for (int32_t i2 = 0; i2 < (shape)->dims[2]; ++i2) {                             \
          for (int32_t i3 = 0; i3 < (shape)->dims[3]; ++i3, ++out) {                    \
            const ptrdiff_t ia = (ptrdiff_t)i0 * (shape)->a_strides[0] +                \
                                 (ptrdiff_t)i1 * (shape)->a_strides[1] +                \
                                 (ptrdiff_t)i2 * (shape)->a_strides[2] +                \
                                 (ptrdiff_t)i3 * (shape)->a_strides[3];                 \
            const ptrdiff_t ib = (ptrdiff_t)i0 * (shape)->b_strides[0] +                \
                                 (ptrdiff_t)i1 * (shape)->b_strides[1] +                \
                                 (ptrdiff_t)i2 * (shape)->b_strides[2] +                \
                                 (ptrdiff_t)i3 * (shape)->b_strides[3];                 \
            body;                                                                       \
          }                                                                             \
        }                                                                               \
      }                                                                                 \
    }                                                                                   \
  } while (0)

void ek_f32_add_minmax_x1__ref(const ek_binary_shape *shape, const float *a, const float *b,
                               float *output, float output_min, float output_max) {
  EK_BROADCAST_LOOP(shape, output[out] = clamp_f32(a[ia] + b[ib], output_min, output_max));
}

void ek_f32_mul_minmax_x1__ref(const ek_binary_shape *shape, const float *a, const float *b,
                               float *output, float output_min, float output_max) {
  EK_BROADCAST_LOOP(shape, output[out] = clamp_f32(a[ia] * b[ib], output_min, output_max));
}

void ek_f32_div_minmax_x1__ref(const ek_binary_shape *shape, const float *a, const float *b,
                               float *output, float output_min, float output_max) {
  EK_BROADCAST_LOOP(shape, output[out] = clamp_f32(a[ia] / b[ib], output_min, output_max));
}

void ek_qs8_add_minmax_x1__ref(const ek_binary_shape *shape, const ek_qs8_add_params *params,
                               const int8_t *a, const int8_t *b, int8_t *output) {
  EK_BROADCAST_LOOP(shape, output[out] = add_qs8(params, a[ia], b[ib]));
}

void ek_qs8_mul_minmax_x1__ref(const ek_binary_shape *shape, const ek_qs8_mul_params *params,
                               const int8_t *a, const int8_t *b, int8_t *output) {
  EK_BROADCAST_LOOP(shape, output[out] = mul_qs8(params, a[ia], b[ib]));
}

EK_SIZE_END
