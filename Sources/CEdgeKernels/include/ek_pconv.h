/*
 * ek_pconv.h: int8 Conv2D over weights packed at pack time (tensor layouts 2 to 5 of
 * model.bin, FORMAT.md "Packed int8 Conv2D weights"). Packing is part of the kernel contract: the
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
/*
 * Layout `oc16_k4_sm8` (tensor layout 3), for int8 1x1 Conv2D weights [out_c][K], K = in_c:
 *   blocks = ceil(out_c / 16), quads = ceil(K / 4)
 *   weights: per block b, per K quad q, 128 bytes at (b * quads + q) * 128, the step the
 *            4x16c4 tile (x86/ek_conv_c4_avx2.h) multiplies: bytes [0, 32) |w| of channels
 *            16 b + 0..7 (4 bytes each, K order 4 q..4 q + 3; -128 stored as 0x80 = 128),
 *            [32, 64) |w| of channels 16 b + 8..15, [64, 96) and [96, 128) the sign masks of
 *            the same 32 weights (0xff where w < 0, else 0); 0 where 16 b + j >= out_c or
 *            4 q + i >= K
 *   bias:    at ek_qs8_pconv2d_c4_bias_offset (the weights' size, a multiple of 128), int32
 *            [blocks * 16]: bias[c] - input_zero_point * sum_k w[c][k] + sum_{w[c][k] < 0}
 *            |w[c][k]| (modulo 2^32; 0 for padding channels).
 * Per weight the kernels add |w| * (x XOR mask) = w * x - (w < 0 ? |w| : 0) (as int8, XOR
 * 0xff is -x - 1), which vpmaddubsw computes exactly; the folded bias takes the dropped terms
 * and the zero point back, so acc = folded_bias[c] + sum |w| * (x XOR mask) equals the
 * reference's bias + sum w * (x - zp) modulo 2^32 (padded taps read zp and add nothing).
 */
/* Bytes of layout-3 weights before the bias: blocks x quads x 128. */
size_t ek_qs8_pconv2d_c4_bias_offset(size_t out_c, size_t k);
/* Bytes of the whole layout-3 tensor: weights, then the folded bias. */
size_t ek_qs8_pconv2d_c4_packed_bytes(size_t out_c, size_t k);
/* Writes ek_qs8_pconv2d_c4_packed_bytes(out_c, k) bytes to packed (padding zeroed) from
 * weights [out_c][k] and bias [out_c] (NULL: none). */
void ek_qs8_pconv2d_c4_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                            int32_t input_zero_point, void *packed);

/* The convolutions the 4x16c4 tile reads in place, the one rule edgepack (layout 3), the
 * runtime and the canonical AVX2 kernel share: a 1x1 window without top or left padding whose
 * every window lies inside the input (so each output pixel's K values are in_c contiguous
 * input bytes). */
static inline int ek_qs8_pconv2d_c4_fits(const ek_conv2d_shape *s) {
  return s->kernel_h == 1 && s->kernel_w == 1 && s->pad_top == 0 && s->pad_left == 0 &&
         s->out_h >= 1 && s->out_w >= 1 &&
         (int64_t)(s->out_h - 1) * s->stride_h < s->in_h &&
         (int64_t)(s->out_w - 1) * s->stride_w < s->in_w;
}

/* Conv2D over layout 3 (any shape; the kernels take 1x1 weights, see FORMAT.md). */
void ek_qs8_pconv2d_minmax_4x16c4__ref(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias,
                                       int8_t *output);

/*
 * Layout `oc8_k1_s16` (tensor layout 4), for the aarch64 NEON 8x8 tile (neon/ek_sconv__neon.c,
 * SMLAL by lane), int8 OHWI weights [out_c][K], K = kernel_h * kernel_w * in_c:
 *   blocks = ceil(out_c / 8), kr = K rounded up to 8
 *   weights: int16 entry (b * kr + i) * 8 + j = w[8 b + j][i] (0 where 8 b + j >= out_c or
 *            i >= K): per 8-channel block, per K value, the eight channels widened to int16,
 *            i.e. the 16 bytes (one q register) one step of the tile multiplies with one
 *            window lane of each of its eight pixels
 *   bias:    at ek_qs8_pconv2d_o8_bias_offset (the weights' size, blocks * kr * 16, a multiple
 *            of 128), int32 [blocks * 8]: bias[c] - input_zero_point * sum_k w[c][k] (modulo
 *            2^32; 0 for padding channels), as in layout 2.
 * The same arithmetic as layout 2: outputs are bit-exact with ek_qs8_conv2d_minmax_1x1__ref
 * on the canonical weights.
 */
/* Largest K the NEON kernel gathers on the stack (8 windows of K int16); edgepack writes
 * layout 4 only up to it, the kernel hands larger K to its __ref twin. */
#define EK_PCONV_NEON_MAX_K 2048
/* Bytes of layout-4 weights before the bias: blocks x kr x 16. */
size_t ek_qs8_pconv2d_o8_bias_offset(size_t out_c, size_t k);
/* Bytes of the whole layout-4 tensor: weights, then the folded bias. */
size_t ek_qs8_pconv2d_o8_packed_bytes(size_t out_c, size_t k);
/* Writes ek_qs8_pconv2d_o8_packed_bytes(out_c, k) bytes to packed (padding zeroed) from OHWI
 * weights [out_c][k] and bias [out_c] (NULL: none). */
void ek_qs8_pconv2d_o8_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                            int32_t input_zero_point, void *packed);
/* Conv2D over layout 4 (any shape). */
void ek_qs8_pconv2d_minmax_8x8__ref(const ek_conv2d_shape *shape,
                                    const ek_qs8_requant_params *params, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias, int8_t *output);

/*
 * Layout `oc8_k4_s8` (tensor layout 5), for the aarch64 NEON dot-product 8x8c4 tile
 * (neon/ek_sconv__neondot.c, SDOT by lane), int8 OHWI weights [out_c][K], K = kernel_h *
 * kernel_w * in_c:
 *   blocks = ceil(out_c / 8), kr = K rounded up to 16 (the tile's step)
 *   weights: byte b * kr * 8 + ((i / 4) * 8 + j) * 4 + i % 4 = w[8 b + j][i] (0 where
 *            8 b + j >= out_c or i >= K): per 8-channel block, per group of four K values,
 *            the eight channels' four int8 weights, i.e. the 32 bytes (two q registers,
 *            channels 0-3 and 4-7) one SDOT step multiplies with one four-byte window lane
 *   bias:    at ek_qs8_pconv2d_o8c4_bias_offset (the weights' size, blocks * kr * 8, a
 *            multiple of 128), int32 [blocks * 8]: bias[c] - input_zero_point * sum_k w[c][k]
 *            (modulo 2^32; 0 for padding channels), as in layout 2.
 * The same arithmetic as layout 2: outputs are bit-exact with ek_qs8_conv2d_minmax_1x1__ref
 * on the canonical weights.
 */
/* Largest K the SDOT kernel gathers on the stack (8 windows of K bytes); edgepack writes
 * layout 5 only up to it, the kernel hands larger K to its __ref twin. */
#define EK_PCONV_NEONDOT_MAX_K 4096
/* Bytes of layout-5 weights before the bias: blocks x kr x 8. */
size_t ek_qs8_pconv2d_o8c4_bias_offset(size_t out_c, size_t k);
/* Bytes of the whole layout-5 tensor: weights, then the folded bias. */
size_t ek_qs8_pconv2d_o8c4_packed_bytes(size_t out_c, size_t k);
/* Writes ek_qs8_pconv2d_o8c4_packed_bytes(out_c, k) bytes to packed (padding zeroed) from
 * OHWI weights [out_c][k] and bias [out_c] (NULL: none). */
void ek_qs8_pconv2d_o8c4_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                              int32_t input_zero_point, void *packed);
/* Conv2D over layout 5 (any shape). */
void ek_qs8_pconv2d_minmax_8x8c4__ref(const ek_conv2d_shape *shape,
                                      const ek_qs8_requant_params *params, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias, int8_t *output);

#if defined(__aarch64__)
/* Tile 8x8c4 over layout 5 (see neon/ek_sconv__neondot.c; needs FEAT_DotProd): weights and
 * folded bias read in place, eight pixels' windows gathered on the stack (about 33 KiB); K
 * over EK_PCONV_NEONDOT_MAX_K runs the __ref twin. Over-reads each input row by up to 7
 * bytes (EK_EXTRA_BYTES). */
void ek_qs8_pconv2d_minmax_8x8c4__neondot(const ek_conv2d_shape *shape,
                                          const ek_qs8_requant_params *params,
                                          const int8_t *input, const int8_t *weights,
                                          const int32_t *bias, int8_t *output);
#endif

#if defined(__aarch64__)
/* Tile 8x8 over layout 4 (see neon/ek_sconv__neon.c): weights and folded bias read in place,
 * eight pixels' windows gathered on the stack (about 33 KiB); K over EK_PCONV_NEON_MAX_K runs
 * the __ref twin. Over-reads each input row by up to 7 bytes (EK_EXTRA_BYTES). */
void ek_qs8_pconv2d_minmax_8x8__neon(const ek_conv2d_shape *shape,
                                     const ek_qs8_requant_params *params, const int8_t *input,
                                     const int8_t *weights, const int32_t *bias,
                                     int8_t *output);
#endif

#if defined(__x86_64__)
/* Tile 4x16c4 over layout 3 (see ek_pconv__avx2.c): rows and weights in place, stack use
 * under 1 KiB; shapes outside ek_qs8_pconv2d_c4_fits run the __ref twin. Over-reads each
 * input row by up to 3 bytes (EK_EXTRA_BYTES). */
void ek_qs8_pconv2d_minmax_4x16c4__avx2(const ek_conv2d_shape *shape,
                                        const ek_qs8_requant_params *params, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        int8_t *output);
/* Tile 4x16c2 (see ek_pconv__avx2.c): stack use about 66 KiB; K over EK_PCONV_MAX_K runs the
 * __ref twin. Over-reads inputs by up to 15 bytes (EK_EXTRA_BYTES). */
void ek_qs8_pconv2d_minmax_4x16c2__avx2(const ek_conv2d_shape *shape,
                                        const ek_qs8_requant_params *params, const int8_t *input,
                                        const int8_t *weights, const int32_t *bias,
                                        int8_t *output);
#endif

#endif
