/*
 * ek_sparse.h: int8 fully connected and 1x1 convolution with block-sparse weights.
 *
 * Weights are a block-sparse row matrix (BSR) of [out_features][in_features] int8 values in
 * blocks of 1 x block_w consecutive input features; a conv 1x1's OHWI weights [O][1][1][I]
 * are the same matrix. Output feature o owns blocks row_ptr[o] ..< row_ptr[o + 1]; block b
 * covers input features block_col[b] * block_w ..< + block_w and holds values
 * values[b * block_w ..< + block_w]. Missing blocks are zero. In model.bin the three arrays
 * live in one constant tensor (FORMAT.md, "Block-sparse int8 weights"), validated at load:
 * row_ptr is non-decreasing from 0 to the block count, block columns strictly increase
 * within a row and are < in_features / block_w, and in_features is a multiple of block_w.
 *
 * Results are bit-exact with the dense references on the densified matrix:
 *   ek_qs8_spfc_*      == ek_qs8_fc_minmax_1x1__ref      (double-scale requantization)
 *   ek_qs8_spconv1x1_* == ek_qs8_conv2d_minmax_1x1__ref  (1x1 kernel, stride 1, no padding;
 *                         fixed-point multiplier requantization)
 * For spconv1x1, shape->batch is the number of pixels (batch x height x width of NHWC).
 *
 * The __ref kernels take any block_w >= 1. A _b1xW kernel requires block_w == W.
 * Optimized kernels over-read input rows and values by less than EK_EXTRA_BYTES, never
 * over-write, and run only when ek_cpu_features() has their level's EK_CPU_LEVEL_* bits.
 * The AVX2 spfc kernels use about 35 KiB of stack (the widened input row, running sums and a
 * chunk of sums), the NEON 1x16 spfc kernel 8 KiB (the widened input row, for balanced rows).
 * Both run rows that all hold the same number of blocks (balanced rows) in a faster lockstep
 * path.
 */
#ifndef EK_SPARSE_H
#define EK_SPARSE_H

#include "ek_conv.h"

typedef struct ek_qs8_bsr {
  int32_t block_w;           /* input features per block: 4 or 16 in model.bin */
  const uint32_t *row_ptr;   /* [out_features + 1] */
  const uint16_t *block_col; /* [block count] */
  const int8_t *values;      /* [block count][block_w], 16-byte aligned in model.bin */
} ek_qs8_bsr;

void ek_qs8_spfc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                 const int8_t *input, const ek_qs8_bsr *weights,
                                 const int32_t *bias, int8_t *output);
void ek_qs8_spconv1x1_minmax_1x1__ref(const ek_fc_shape *shape,
                                      const ek_qs8_requant_params *params, const int8_t *input,
                                      const ek_qs8_bsr *weights, const int32_t *bias,
                                      int8_t *output);

#define EK_SPARSE_DECLARE(isa, w)                                                              \
  void ek_qs8_spfc_minmax_b1x##w##__##isa(const ek_fc_shape *shape,                            \
                                          const ek_qs8_fc_params *params, const int8_t *input, \
                                          const ek_qs8_bsr *weights, const int32_t *bias,      \
                                          int8_t *output);                                     \
  void ek_qs8_spconv1x1_minmax_b1x##w##__##isa(                                                \
      const ek_fc_shape *shape, const ek_qs8_requant_params *params, const int8_t *input,      \
      const ek_qs8_bsr *weights, const int32_t *bias, int8_t *output);

#if defined(__x86_64__)
EK_SPARSE_DECLARE(avx2, 4)
EK_SPARSE_DECLARE(avx2, 16)
EK_SPARSE_DECLARE(avx512vnni, 4)
EK_SPARSE_DECLARE(avx512vnni, 16)
#endif
#if defined(__aarch64__)
EK_SPARSE_DECLARE(neon, 4)
EK_SPARSE_DECLARE(neon, 16)
EK_SPARSE_DECLARE(neondot, 4)
EK_SPARSE_DECLARE(neondot, 16)
#endif

#endif
