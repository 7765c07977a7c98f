/* Reference grouped block-sparse int8 fully connected kernel (see ek_sparse_grouped.h). */
#include "ek_quant.h"
#include "ek_sparse_grouped.h"

/* Compiled for size on aarch64 (ek_size.h): every aarch64 level has the NEON grouped kernel,
 * so this twin runs there only under EDGE_KERNELS=ref. */
#include "ek_size.h"
EK_SIZE_BEGIN

void ek_qs8_gspfc_minmax_1x1__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                  const int8_t *input, const ek_qs8_gbsr *weights,
                                  const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  const size_t bh = (size_t)weights->block_h, bw = (size_t)weights->block_w;
  const int32_t zp = params->input_zero_point;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    for (size_t o = 0; o < n; ++o) {
      const size_t g = o / bh, r = o % bh;
      /* sum(w * (x - zp)) modulo 2^32, as the dense reference's int32 accumulation. */
      uint32_t acc = 0;
      for (uint32_t blk = weights->group_ptr[g]; blk < weights->group_ptr[g + 1]; ++blk) {
        const int8_t *xs = x + (size_t)weights->block_col[blk] * bw;
        const int8_t *ws = weights->values + ((size_t)blk * bh + r) * bw;
        for (size_t i = 0; i < bw; ++i) acc += (uint32_t)((int32_t)ws[i] * ((int32_t)xs[i] - zp));
      }
      acc += (uint32_t)(bias != NULL ? bias[o] : 0);
      output[b * n + o] = ek_qs8_fc_requantize((int32_t)acc, params->scale[o], params);
    }
  }
}

EK_SIZE_END
