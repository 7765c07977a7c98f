/* Reference pixel-panel sparse 1x1 convolution (see ek_sparse_px.h). */
#include "ek_sparse_px.h"

size_t ek_qs8_spconv1x1_px_scratch_bytes(int32_t in_features, int32_t out_features,
                                         size_t value_count) {
  const size_t c16 = ((size_t)in_features + 15) & ~(size_t)15;
  const size_t o16 = ((size_t)out_features + 15) & ~(size_t)15;
  const size_t panel = c16 * EK_SPCONV_PX * sizeof(int16_t);
  const size_t stage = o16 * EK_SPCONV_PX;
  /* Weights widened to int16 (avx2, neon) or per-row weight sums (neondot), then alignment
   * slack for the 64-byte aligned regions. */
  const size_t widened = (value_count + 16) * sizeof(int16_t) + (size_t)out_features * sizeof(int32_t);
  /* A row of input zero points stands in for the pixels past the last one; the AVX2 kernel's
   * per-row records (requantization, bias, blocks; at most 64 bytes each). */
  const size_t rows = (size_t)out_features * 64;
  return panel + stage + widened + c16 + rows + 5 * 64;
}

void ek_qs8_spconv1x1_minmax_px32__ref(const ek_fc_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const ek_qs8_bsr *weights, const int32_t *bias,
                                       int8_t *output, void *scratch) {
  (void)scratch;
  ek_qs8_spconv1x1_minmax_1x1__ref(shape, params, input, weights, bias, output);
}
