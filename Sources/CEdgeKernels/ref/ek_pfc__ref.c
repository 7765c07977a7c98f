/* Packing and the reference kernel of the packed int8 fully connected layout 6 (ek_pfc.h). */
#include "ek_pfc.h"

#include <string.h>

size_t ek_qs8_pfc_bias_offset(size_t out, size_t k) {
  return (out + 3) / 4 * ((k + 15) / 16 * 16) * 4; /* a multiple of 64 */
}

size_t ek_qs8_pfc_packed_bytes(size_t out, size_t k) {
  return ek_qs8_pfc_bias_offset(out, k) + (out + 3) / 4 * 4 * sizeof(int32_t);
}

/* Offset of w[c][i] in layout 6, kr = K rounded up to 16. */
static size_t ek_pfc_index(size_t kr, size_t c, size_t i) {
  return c / 4 * kr * 4 + i / 16 * 64 + c % 4 * 16 + i % 16;
}

void ek_qs8_pfc_pack(size_t out, size_t k, const int8_t *weights, const int32_t *bias,
                     int32_t input_zero_point, void *packed) {
  const size_t kr = (k + 15) / 16 * 16;
  int8_t *w = (int8_t *)packed;
  memset(packed, 0, ek_qs8_pfc_packed_bytes(out, k));
  for (size_t c = 0; c < out; ++c) {
    uint32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const int8_t v = weights[c * k + i];
      w[ek_pfc_index(kr, c, i)] = v;
      sum += (uint32_t)(int32_t)v;
    }
    const uint32_t folded = (bias != NULL ? (uint32_t)bias[c] : 0u) -
                            (uint32_t)input_zero_point * sum;
    memcpy(w + ek_qs8_pfc_bias_offset(out, k) + c * sizeof(int32_t), &folded, sizeof(folded));
  }
}

/* Compiled for size on aarch64 (ek_size.h): edgepack writes layout 6 for NEON boards, whose
 * kernels read it; on a board this runs only under EDGE_KERNELS=ref. */
#include "ek_size.h"
EK_SIZE_BEGIN

void ek_qs8_pfc_minmax_1x4c16__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output) {
  const size_t k = (size_t)shape->in_features, n = (size_t)shape->out_features;
  const size_t kr = (k + 15) / 16 * 16;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const int8_t *x = input + b * k;
    for (size_t c = 0; c < n; ++c) {
      uint32_t acc = (uint32_t)bias[c];
      for (size_t i = 0; i < k; ++i) {
        acc += (uint32_t)((int32_t)weights[ek_pfc_index(kr, c, i)] * (int32_t)x[i]);
      }
      output[b * n + c] = ek_qs8_fc_requantize((int32_t)acc, params->scale[c], params);
    }
  }
}

EK_SIZE_END
