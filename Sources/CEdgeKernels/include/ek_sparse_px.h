/*
 * ek_sparse_px.h: int8 1x1 convolution with block-sparse weights, vectorized over pixels.
 *
 * Same weights (ek_qs8_bsr, block_w 4 or 16), shapes and results as
 * ek_qs8_spconv1x1_minmax_1x1__ref (bit-exact with ek_qs8_conv2d_minmax_1x1__ref on the
 * densified matrix), but each nonzero block multiplies a panel of EK_SPCONV_PX pixels at
 * once (as XNNPACK's sparse 1x1 convolution does for float), instead of one pixel's input row.
 * Per tile of EK_SPCONV_PX pixels the kernel transposes the NHWC input into a channel-major
 * panel, runs the sparse rows over it into a channel-major output tile, and transposes that
 * back into NHWC.
 *
 * `scratch` is caller-owned memory of at least ek_qs8_spconv1x1_px_scratch_bytes() bytes (the
 * runtime gives it a slice of the planned arena); its contents on entry do not matter and on
 * return are unspecified. The kernels allocate nothing. Optimized kernels over-read the input
 * and the values by less than EK_EXTRA_BYTES and never over-write the output; they run only
 * when ek_cpu_features() has their level's EK_CPU_LEVEL_* bits. Requires in_features even.
 * The AVX2 kernel keeps per-row records of up to 256 output features on the stack (about
 * 18 KiB): rows sorted by block count, so that its block loops are predicted and rows without
 * blocks store a constant computed once per call.
 */
#ifndef EK_SPARSE_PX_H
#define EK_SPARSE_PX_H

#include "ek_sparse.h"

#include <stddef.h>

/* Pixels per tile of the _px kernels. */
#define EK_SPCONV_PX 32

/* Scratch bytes for in_features x out_features weights holding value_count stored values
 * (block count x block_w). The same bound serves every ISA's _px kernel. */
size_t ek_qs8_spconv1x1_px_scratch_bytes(int32_t in_features, int32_t out_features,
                                         size_t value_count);

typedef void (*ek_qs8_spconv1x1_px_fn)(const ek_fc_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const ek_qs8_bsr *weights, const int32_t *bias,
                                       int8_t *output, void *scratch);

/* Any block_w >= 1; ignores scratch. */
void ek_qs8_spconv1x1_minmax_px32__ref(const ek_fc_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const ek_qs8_bsr *weights, const int32_t *bias,
                                       int8_t *output, void *scratch);

#define EK_SPARSE_PX_DECLARE(isa)                                                               \
  void ek_qs8_spconv1x1_minmax_px32__##isa(                                                     \
      const ek_fc_shape *shape, const ek_qs8_requant_params *params, const int8_t *input,       \
      const ek_qs8_bsr *weights, const int32_t *bias, int8_t *output, void *scratch);

/* Optimized kernels take block_w 4 or 16. */
#if defined(__x86_64__)
EK_SPARSE_PX_DECLARE(avx2)
#endif
#if defined(__aarch64__)
EK_SPARSE_PX_DECLARE(neon)
EK_SPARSE_PX_DECLARE(neondot)
#endif

#endif
