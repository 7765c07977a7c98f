/* Reference block-sparse int8 kernels (see ek_sparse.h). */
#include "ek_quant.h"
#include "ek_sparse.h"

/* sum(w * (x - zp)) over one sparse row, in the dense reference's order (ascending input
 * feature; skipped zeros add nothing), modulo 2^32. */
/* Compiled for size on aarch64 (ek_size.h): every aarch64 level has NEON sparse kernels,
 * which never fall back here, so these twins run there only under EDGE_KERNELS=ref. */
#include "ek_size.h"
EK_SIZE_BEGIN

static uint32_t ek_bsr_row_ref(const int8_t *x, const ek_qs8_bsr *w, size_t o, int32_t zp) {
  const size_t bw = (size_t)w->block_w;
  uint32_t acc = 0;
  for (uint32_t b = w->row_ptr[o]; b < w->row_ptr[o + 1]; ++b) {
    const int8_t *xs = x + (size_t)w->block_col[b] * bw;
    const int8_t *ws = w->values + (size_t)b * bw;
    for (size_t i = 0; i < bw; ++i) {
      acc += (uint32_t)((int32_t)ws[i] * ((int32_t)xs[i] - zp));
    }
  }
  return acc;
}

void ek_qs8_spfc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                 const int8_t *input, const ek_qs8_bsr *weights,
                                 const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    for (size_t o = 0; o < n; ++o) {
      uint32_t acc = ek_bsr_row_ref(input + b * k, weights, o, params->input_zero_point);
      acc += (uint32_t)(bias != NULL ? bias[o] : 0);
      output[b * n + o] = ek_qs8_fc_requantize((int32_t)acc, params->scale[o], params);
    }
  }
}

void ek_qs8_spconv1x1_minmax_1x1__ref(const ek_fc_shape *shape,
                                      const ek_qs8_requant_params *params, const int8_t *input,
                                      const ek_qs8_bsr *weights, const int32_t *bias,
                                      int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    for (size_t o = 0; o < n; ++o) {
      uint32_t sum = ek_bsr_row_ref(input + b * k, weights, o, params->input_zero_point);
      sum += (uint32_t)(bias != NULL ? bias[o] : 0);
      int32_t acc = ek_mbqm((int32_t)sum, params->multiplier[o], params->shift[o]);
      acc += params->output_zero_point;
      output[b * n + o] = (int8_t)ek_clamp_i32(acc, params->output_min, params->output_max);
    }
  }
}

EK_SIZE_END
