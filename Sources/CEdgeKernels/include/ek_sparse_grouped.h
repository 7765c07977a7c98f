/*
 * ek_sparse_grouped.h: int8 fully connected with grouped block-sparse weights.
 *
 * The [out_features][in_features] int8 weights are cut into groups of block_h consecutive
 * output features (the last group may be short); all features of a group share the same kept
 * blocks of block_w consecutive input features. Group g owns blocks
 * group_ptr[g] ..< group_ptr[g + 1]; block b covers input features
 * block_col[b] * block_w ..< + block_w of output features g * block_h ..< + block_h and holds
 * values[b * block_h * block_w ..< + block_h * block_w], row-major ([feature][input]): for
 * 8x2 blocks the two weights of feature 0, then of feature 1, ... (the int16 pair order of
 * vpmaddwd with the input pair broadcast). Missing blocks are zero; values of features past
 * out_features in a short last group are zero. In model.bin this is tensor layout 1 with
 * block height 8 (FORMAT.md, "Block-sparse int8 weights"), validated at load: group_ptr is
 * non-decreasing from 0 to the block count, block columns strictly increase within a group
 * and are < in_features / block_w.
 *
 * Results are bit-exact with ek_qs8_fc_minmax_1x1__ref on the densified matrix (double-scale
 * requantization). The __ref kernel takes any block_h, block_w >= 1; a _8x2 kernel requires
 * block_h == 8 and block_w == 2. Optimized kernels over-read input rows and values by less
 * than EK_EXTRA_BYTES, never over-write, and run only when ek_cpu_features() has their
 * level's EK_CPU_LEVEL_* bits. The AVX2 kernel uses about 17 KiB of stack, the NEON kernel
 * about 8 KiB (the widened input row).
 */
#ifndef EK_SPARSE_GROUPED_H
#define EK_SPARSE_GROUPED_H

#include "ek_conv.h"

typedef struct ek_qs8_gbsr {
  int32_t block_h;           /* output features per group: 8 in model.bin */
  int32_t block_w;           /* input features per block: 2 in model.bin */
  const uint32_t *group_ptr; /* [ceil(out_features / block_h) + 1] */
  const uint16_t *block_col; /* [block count] */
  const int8_t *values;      /* [block count][block_h][block_w], 16-byte aligned in model.bin */
} ek_qs8_gbsr;

void ek_qs8_gspfc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                  const int8_t *input, const ek_qs8_gbsr *weights,
                                  const int32_t *bias, int8_t *output);

#if defined(__x86_64__)
void ek_qs8_gspfc_minmax_8x2__avx2(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const ek_qs8_gbsr *weights,
                                   const int32_t *bias, int8_t *output);
#endif
#if defined(__aarch64__)
void ek_qs8_gspfc_minmax_8x2__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const ek_qs8_gbsr *weights,
                                   const int32_t *bias, int8_t *output);
#endif

#endif
