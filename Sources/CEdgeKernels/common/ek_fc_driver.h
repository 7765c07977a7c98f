/*
 * ek_fc_driver.h: the ISA-independent outer loops of the SIMD fully connected kernels
 * (private to CEdgeKernels; included by x86/ and neon/ files only).
 *
 * Each kernel walks output features in tiles of up to 4 and asks its ISA's inner routine for
 * nr (1..4) dot products of one input row with nr weight rows. The drivers are always_inline
 * and take the inner routines as arguments: inlined into an ISA-attributed kernel, the calls
 * become direct and inline too, so each kernel compiles to one loop nest for its ISA.
 * The `nr == 4` branch gives the compiler a constant-trip-count copy for full tiles.
 */
#ifndef EK_FC_DRIVER_H
#define EK_FC_DRIVER_H

#include "ek_conv.h"

#define EK_DRIVER_INLINE static inline __attribute__((always_inline))

/* TFLite ActivationFunctionWithMinMax: min(max(x, lo), hi), NaN passes through. */
EK_DRIVER_INLINE float ek_clamp_f32(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

/* sums[j] = dot(x[0..k), w[j*k .. j*k+k)) for j < nr. */
typedef void (*ek_f32_dot_1xN_fn)(size_t nr, size_t k, const float *x, const float *w,
                                  float *sums);

EK_DRIVER_INLINE void ek_f32_fc_drive_1x4(const ek_fc_shape *shape, const float *input,
                                          const float *weights, const float *bias, float *output,
                                          float output_min, float output_max,
                                          ek_f32_dot_1xN_fn dot) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  for (size_t b = 0; b < (size_t)shape->batch; ++b) {
    const float *x = input + b * k;
    float *y = output + b * n;
    for (size_t oc = 0; oc < n; oc += 4) {
      const size_t nr = n - oc < 4 ? n - oc : 4;
      float sums[4];
      if (nr == 4) {
        dot(4, k, x, weights + oc * k, sums);
      } else {
        dot(nr, k, x, weights + oc * k, sums);
      }
      for (size_t j = 0; j < nr; ++j) {
        const float bias_value = bias != NULL ? bias[oc + j] : 0.0f;
        y[oc + j] = ek_clamp_f32(sums[j] + bias_value, output_min, output_max);
      }
    }
  }
}

/* wsums[j] = sum(w[j*k .. j*k+k)) for j < nr. */
typedef void (*ek_qs8_wsum_N_fn)(size_t nr, size_t k, const int8_t *w, int32_t *wsums);
/* sums[j] = the ISA's raw int8 dot product of x with weight row j (see `offset` below). */
typedef void (*ek_qs8_dot_1xN_fn)(size_t nr, size_t k, const int8_t *x, const int8_t *w,
                                  int32_t *sums);

/*
 * qs8 with the input zero point folded out of the inner loop: when the ISA's dot product
 * computes sum(w * (x + offset - zp)), the reference accumulator sum(w * (x - zp)) + bias is
 * dot - offset * sum(w) + bias, all modulo 2^32 (unsigned arithmetic: the reference's int32
 * wrap-around without undefined behaviour). sum(w) is computed once per tile for all batch
 * rows. Plain signed dot products pass offset = zp; u8 x s8 ones (x + 128) pass 128 + zp.
 */
EK_DRIVER_INLINE void ek_qs8_fc_drive_1x4_folded(const ek_fc_shape *shape,
                                                 const ek_qs8_fc_params *params,
                                                 const int8_t *input, const int8_t *weights,
                                                 const int32_t *bias, int8_t *output,
                                                 uint32_t offset, ek_qs8_wsum_N_fn wsum,
                                                 ek_qs8_dot_1xN_fn dot) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  const size_t batch = (size_t)shape->batch;
  for (size_t oc = 0; oc < n; oc += 4) {
    const size_t nr = n - oc < 4 ? n - oc : 4;
    const int8_t *w = weights + oc * k;
    int32_t wsums[4];
    uint32_t base[4];
    wsum(nr, k, w, wsums);
    for (size_t j = 0; j < nr; ++j) {
      base[j] = (uint32_t)(bias != NULL ? bias[oc + j] : 0) - offset * (uint32_t)wsums[j];
    }
    for (size_t b = 0; b < batch; ++b) {
      int32_t sums[4];
      if (nr == 4) {
        dot(4, k, input + b * k, w, sums);
      } else {
        dot(nr, k, input + b * k, w, sums);
      }
      for (size_t j = 0; j < nr; ++j) {
        const int32_t acc = (int32_t)((uint32_t)sums[j] + base[j]);
        output[b * n + oc + j] = ek_qs8_fc_requantize(acc, params->scale[oc + j], params);
      }
    }
  }
}

/* sums[j] = bias[j] + the dot product of x[0..kr) with row j of one layout-6 block (w: its 4 x
 * kr bytes, ek_pfc.h), j < 4, modulo 2^32. */
typedef void (*ek_qs8_pdot_1x4_fn)(size_t kr, const int8_t *x, const int8_t *w,
                                   const int32_t *bias, int32_t *sums);

/* qs8 over layout 6 (ek_pfc.h): weights and folded bias read in place, so a tile is one pass
 * over its 4 x kr bytes per batch row; padding rows are computed and not stored. The outputs
 * go through the out-of-line ek_qs8_fc_requantize_n: about 300 bytes smaller per kernel than
 * the inlined, unrolled store, for about 13 more instructions per output (the canonical
 * kernels above keep the inlined store). */
EK_DRIVER_INLINE void ek_qs8_pfc_drive_1x4(const ek_fc_shape *shape,
                                           const ek_qs8_fc_params *params, const int8_t *input,
                                           const int8_t *weights, const int32_t *bias,
                                           int8_t *output, ek_qs8_pdot_1x4_fn dot) {
  const size_t k = (size_t)shape->in_features;
  const size_t n = (size_t)shape->out_features;
  const size_t kr = (k + 15) & ~(size_t)15;
  for (size_t oc = 0; oc < n; oc += 4) {
    const size_t nr = n - oc < 4 ? n - oc : 4;
    for (size_t b = 0; b < (size_t)shape->batch; ++b) {
      int32_t sums[4];
      dot(kr, input + b * k, weights + oc * kr, bias + oc, sums);
      ek_qs8_fc_requantize_n(nr, sums, params->scale + oc, params, output + b * n + oc);
    }
  }
}

#endif
