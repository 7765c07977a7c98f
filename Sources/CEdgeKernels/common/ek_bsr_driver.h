/*
 * ek_bsr_driver.h: the ISA-independent outer loops of the block-sparse kernels (private to
 * CEdgeKernels; included by x86/ and neon/ files only).
 *
 * A kernel supplies one inline routine, the raw dot product of an input row with one sparse
 * weight row, sum(w * (x - zp)) modulo 2^32; inlined into an ISA-attributed kernel the call
 * is direct. Accumulation with the bias is unsigned: the reference's int32 arithmetic
 * modulo 2^32 without undefined behaviour.
 */
#ifndef EK_BSR_DRIVER_H
#define EK_BSR_DRIVER_H

#include "ek_quant.h"
#include "ek_sparse.h"

#define EK_BSR_INLINE static inline __attribute__((always_inline))

/* sum over nblocks blocks of w * (x[col * W + i] - zero_point). */
typedef uint32_t (*ek_bsr_row_fn)(const int8_t *x, const uint16_t *cols, const int8_t *values,
                                  size_t nblocks, int32_t zero_point);

EK_BSR_INLINE void ek_qs8_spfc_drive(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                     const int8_t *input, const ek_qs8_bsr *weights,
                                     const int32_t *bias, int8_t *output, size_t block_w,
                                     ek_bsr_row_fn row) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    for (size_t o = 0; o < n; ++o) {
      const uint32_t begin = weights->row_ptr[o], end = weights->row_ptr[o + 1];
      const uint32_t sum = row(x, weights->block_col + begin, weights->values + begin * block_w,
                               end - begin, params->input_zero_point);
      const int32_t acc = (int32_t)(sum + (uint32_t)(bias != NULL ? bias[o] : 0));
      output[b * n + o] = ek_qs8_fc_requantize(acc, params->scale[o], params);
    }
  }
}

EK_BSR_INLINE void ek_qs8_spconv1x1_drive(const ek_fc_shape *shape,
                                          const ek_qs8_requant_params *params,
                                          const int8_t *input, const ek_qs8_bsr *weights,
                                          const int32_t *bias, int8_t *output, size_t block_w,
                                          ek_bsr_row_fn row) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    for (size_t o = 0; o < n; ++o) {
      const uint32_t begin = weights->row_ptr[o], end = weights->row_ptr[o + 1];
      const uint32_t sum = row(x, weights->block_col + begin, weights->values + begin * block_w,
                               end - begin, params->input_zero_point);
      int32_t acc = (int32_t)(sum + (uint32_t)(bias != NULL ? bias[o] : 0));
      acc = ek_mbqm(acc, params->multiplier[o], params->shift[o]) + params->output_zero_point;
      output[b * n + o] = (int8_t)ek_clamp_i32(acc, params->output_min, params->output_max);
    }
  }
}

/* Defines the conv 1x1 kernel of one ISA and block width from its row routine. */
#define EK_BSR_DEFINE_CONV1X1(attr, isa, w, row)                                                \
  attr void ek_qs8_spconv1x1_minmax_b1x##w##__##isa(                                            \
      const ek_fc_shape *shape, const ek_qs8_requant_params *params, const int8_t *input,       \
      const ek_qs8_bsr *weights, const int32_t *bias, int8_t *output) {                         \
    ek_qs8_spconv1x1_drive(shape, params, input, weights, bias, output, w, row);                \
  }

/* Defines the fc and conv 1x1 kernels of one ISA and block width from its row routine. */
#define EK_BSR_DEFINE(attr, isa, w, row)                                                        \
  attr void ek_qs8_spfc_minmax_b1x##w##__##isa(const ek_fc_shape *shape,                        \
                                               const ek_qs8_fc_params *params,                  \
                                               const int8_t *input, const ek_qs8_bsr *weights,  \
                                               const int32_t *bias, int8_t *output) {           \
    ek_qs8_spfc_drive(shape, params, input, weights, bias, output, w, row);                     \
  }                                                                                             \
  EK_BSR_DEFINE_CONV1X1(attr, isa, w, row)

#endif
