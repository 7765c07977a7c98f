/*
 * ek_pfc.h: int8 fully connected layers over weights packed at pack time (tensor layout 6 of
 * model.bin, FORMAT.md "Packed int8 FullyConnected weights for NEON"). As for the packed
 * convolutions (ek_pconv.h), packing is part of the kernel contract: the __ref twin reads the
 * same bytes as the NEON kernels, so a file packed for a board runs anywhere.
 *
 * Layout `oc4_k16_s8` (tensor layout 6), for int8 weights [out][K], K = in_features, the
 * 1x4c16 tile of neon/ek_fc__neon.c and neon/ek_fc__neondot.c:
 *   blocks = ceil(out / 4), kr = K rounded up to 16 (the tile's step)
 *   weights: byte b * kr * 4 + (i / 16) * 64 + j * 16 + i % 16 = w[4 b + j][i] (0 where
 *            4 b + j >= out or i >= K): per 4-row block, per 16 K values, the four rows' 16
 *            bytes one after the other, i.e. the 64 bytes (four q registers, one LD1) one step
 *            of the tile multiplies with 16 input bytes; the loop reads them straight through
 *   bias:    at ek_qs8_pfc_bias_offset (the weights' size, blocks * kr * 4, a multiple of 64),
 *            int32 [blocks * 4]: bias[c] - input_zero_point * sum_i w[c][i] (modulo 2^32; 0
 *            for padding rows), the input zero-point term folded in at pack time.
 * With the term folded, acc = folded_bias[c] + sum(w * x) equals the reference's
 * bias[c] + sum(w * (x - zp)) modulo 2^32, so outputs are bit-exact with
 * ek_qs8_fc_minmax_1x1__ref on the canonical weights, and no kernel sums weights per call.
 *
 * Weights are in [-127, 127] (TFLite's int8 weight range; edgepack writes layout 6 only then,
 * the loader rejects a stored -128): the NEON kernel adds two products in an int16 lane.
 *
 * Kernels take the canonical fully connected signature (in_features >= 1): `weights` = the packed bytes, `bias` =
 * the folded bias inside them (never NULL); params->input_zero_point is not read (the bias
 * holds it). They over-read each input row by up to 15 bytes (EK_EXTRA_BYTES), multiplied by
 * zero padding weights.
 */
#ifndef EK_PFC_H
#define EK_PFC_H

#include "ek_conv.h"

/* Bytes of layout-6 weights before the folded bias: blocks x kr x 4. */
size_t ek_qs8_pfc_bias_offset(size_t out, size_t k);
/* Bytes of the whole layout-6 tensor: weights, then the folded bias. */
size_t ek_qs8_pfc_packed_bytes(size_t out, size_t k);
/* Writes ek_qs8_pfc_packed_bytes(out, k) bytes to packed (padding zeroed) from weights
 * [out][k] in [-127, 127] and bias [out] (NULL: none). */
void ek_qs8_pfc_pack(size_t out, size_t k, const int8_t *weights, const int32_t *bias,
                     int32_t input_zero_point, void *packed);

void ek_qs8_pfc_minmax_1x4c16__ref(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                   const int8_t *input, const int8_t *weights,
                                   const int32_t *bias, int8_t *output);
#if defined(__aarch64__)
void ek_qs8_pfc_minmax_1x4c16__neon(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                    const int8_t *input, const int8_t *weights,
                                    const int32_t *bias, int8_t *output);
/* Needs FEAT_DotProd. */
void ek_qs8_pfc_minmax_1x4c16__neondot(const ek_fc_shape *shape, const ek_qs8_fc_params *params,
                                       const int8_t *input, const int8_t *weights,
                                       const int32_t *bias, int8_t *output);
#endif

#endif
