/*
 * ek_pconv.h: int8 Conv2D over weights packed at pack time (tensor layout 2 of model.bin,
 * FORMAT.md "Packed int8 Conv2D weights"). Packing is part of the kernel contract: the
 * __ref twin reads the same packed bytes as the SIMD kernel, so a file packed for a CPU
 * feature runs correctly (more slowly) on a CPU without it.
 *
 * Layout `oc16_k2_s16`, for int8 OHWI weights [out_c][K], K = kernel_h * kernel_w * in_c:
 *   blocks = ceil(out_c / 16), pairs = ceil(K / 2)
 *   weights: int16 entry ((b * pairs + p) * 16 + j) * 2 + h = w[16 b + j][2 p + h]
 *            (0 where 16 b + j >= out_c or 2 p + h >= K): per 16-channel block, per K pair,
 *            16 channels x 2 K values widened to int16, i.e. the 64 bytes (two ymm registers)
 *            one step of the 4x16c2 tile multiplies, with no widening at run time
 *   bias:    at ek_qs8_pconv2d_bias_offset (the weights' size, a multiple of 64), int32
 *            [blocks * 16]: bias[c] - input_zero_point * sum_k w[c][k] (modulo 2^32; 0 for
 *            padding channels), the input zero-point term folded in at pack time.
 * With the term folded, acc = folded_bias[c] + sum(w * x) over the window, padded taps
 * reading the input zero point, equals the reference's bias + sum(w * (x - zp)) modulo 2^32,
 * so outputs are bit-exact with ek_qs8_conv2d_minmax_1x1__ref on the canonical weights.
 *
 * Kernels take the canonical signature: `weights` = the packed bytes, `bias` = the folded
 * bias inside them (never NULL); params->input_zero_point must be the zero point the bias
 * was folded with.
 */
#ifndef EK_PCONV_H
#define EK_PCONV_H

#include "ek_conv.h"

/* Largest K (bytes of one window) the AVX2 kernel gathers on the stack; edgepack packs only
 * convolutions up to it (larger ones stay canonical). */
#define EK_PCONV_MAX_K 8192

/* Bytes of the packed weights (before the bias): blocks x pairs x 64. */
size_t ek_qs8_pconv2d_bias_offset(size_t out_c, size_t k);
/* Bytes of the whole packed tensor: weights, then the folded bias. */
size_t ek_qs8_pconv2d_packed_bytes(size_t out_c, size_t k);
/* Writes ek_qs8_pconv2d_packed_bytes(out_c, k) bytes to packed (padding zeroed) from OHWI
 * weights [out_c][k] and bias [out_c] (NULL: none). */
void ek_qs8_pconv2d_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                         int32_t input_zero_point, void *packed);

void ek_qs8_pconv2d_minmax_4x16c2__ref(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias,
                                       int8_t *output);
#if defined(__x86_64__)
/* Tile 4x16c2 (see ek_pconv__avx2.c): stack use about 66 KiB; K over EK_PCONV_MAX_K runs the
 * __ref twin. Over-reads inputs by up to 15 bytes (EK_EXTRA_BYTES). */
void ek_qs8_pconv2d_minmax_4x16c2__avx2(const ek_conv2d_shape *shape,
                                        const ek_qs8_requant_params *params, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        int8_t *output);
#endif

#endif
