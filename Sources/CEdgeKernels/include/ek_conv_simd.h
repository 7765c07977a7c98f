/*
 * ek_conv_simd.h: SIMD Conv2D and DepthwiseConv2D kernels. Same signatures, layouts and
 * contracts as their __ref twins in ek_conv.h (weights consumed as stored in model.bin: OHWI
 * for conv, [kh][kw][out_c] for depthwise); call a kernel only when ek_cpu_features() has its
 * level's EK_CPU_LEVEL_* bits. They over-read inputs, weights and biases by less than 16
 * elements' bytes (within EK_EXTRA_BYTES) and never over-write. Per-channel multiplier/shift
 * arrays are read exactly (they need no padding). They allocate nothing: gathered conv rows
 * live on the stack (at most 4 x (8 KiB + 16) bytes; the 4x16c2 tile uses about 114 KiB).
 *
 * qs8: bit-exact with the __ref twin (integer sums modulo 2^32, then ek_mbqm), provided every
 *   multiplier is >= 0, as ek_quantize_multiplier produces.
 * f32: fused multiply-adds in another order, so results differ from __ref by rounding only:
 *   |opt - ref| <= 2 * gamma(taps + 1) * (sum |x * w| + |bias|), gamma as in ek_conv.h.
 *
 * Conv2D, tile 4x16c2 (x86 AVX2, the `auto` choice): 4 output pixels x 16 output channels,
 *   K in pairs; per call, each 16-channel block's weights are widened and interleaved on the
 *   stack (64 KiB at most: K <= 2048; larger K, or fewer than 12 output pixels, run 2x4c16),
 *   rows are gathered as int16 x - zp, and each step broadcasts a row's K pair against 16
 *   channels (vpmaddwd), so no horizontal sums are needed. With unit horizontal dilation and
 *   an even kernel_w * in_c, an image whose zero-bordered int16 copy fits 48 KiB is widened
 *   once per call and the tiles read their window rows from that copy (no per-pixel gather).
 *   Pixels go in chunks (about 16 KiB of rows, or 32 pixels on the direct path) and each
 *   packed block serves every tile of a chunk while it sits in L1. 1x1 kernels without
 *   padding (in_c <= 2048) run the 4x16c4 tile instead: rows in place, exact vpmaddubsw on
 *   |w| x (x XOR the sign of w), the dropped terms and the zero point folded into the bias.
 * f32 Conv2D, tile 4x16 (x86 AVX2+FMA and AArch64 NEON, the `auto` choice): 4 output pixels x
 *   16 output channels in vector lanes; each K step broadcasts one input value per pixel and
 *   multiply-adds it into 16 channels (no horizontal sums). Inputs are read in place through a
 *   per-tile table of tap pointers (padded taps point at zeros), nothing is gathered. Per call,
 *   each 16-channel block's weights are repacked from OHWI [out_c][K] to [K][16] on the stack
 *   (64 KiB at most, so K <= 1024; stack use about 80 KiB in all). The layout is meant to move
 *   to pack time (pre-packed weights in model.bin), which removes the repack and the K limit.
 *   K > 1024, more than 256 kernel taps, or fewer than 4 output pixels run the 2x4c8 (AVX2) /
 *   2x4c4 (NEON) kernel. AVX2: when the input rows and columns the windows span, padded,
 *   hold at most 8192 floats, the image is copied zero-padded to the stack once per call
 *   (not at all when every window lies inside it), and each tap sits at a fixed offset from
 *   its pixel's window origin: no pointer table and no border checks per tile (stack use
 *   about 106 KiB). An 8-channel tile sums even and odd taps in separate registers.
 * Conv2D, tile MRxNRcKR (MR output pixels x NR output channels, KR K bytes per step):
 *   implicit GEMM; a 1x1 kernel without padding reads the input in place, other kernels gather each
 *   pixel's kernel_h * kernel_w * in_c window into a stack row (padded taps hold the input
 *   zero point, or 0.0f for f32: a padded tap then adds 0 * w, which differs from the
 *   reference's skipped tap only for infinite or NaN weights). Windows over 8 KiB
 *   (EK_CONV_MAX_GATHER_K bytes) run the __ref kernel.
 * Conv2D, tile 8x8c2 (x86 AVX2, chosen for in_c <= EK_CONV_SC_MAX_C and out_c <=
 *   EK_CONV_SC_MAX_OUT_C): 8 output pixels x 8
 *   output channels for stems; weights widened per call into 8-channel blocks, the input zero
 *   point folded into the bias, raw int16 windows gathered per pixel (x86/ek_sconv__avx2.c).
 *   Its aarch64 twins, tile 8x8 (NEON, SMLAL by lane, neon/ek_sconv__neon.c) and 8x8c4
 *   (dotprod, SDOT by lane, neon/ek_sconv__neondot.c), take any in_c up to K = 160: they are
 *   chosen for stems up to EK_CONV_SC_NEON_MAX_OUT_C output channels, and for other windows
 *   up to EK_CONV_SC_NEON_MAX_K values over at least EK_CONV_SC_MIN_PIXELS output pixels
 *   (KernelTable.qs8FewChannel*; on i8mm CPUs only for stems).
 * DepthwiseConv2D, tile 1x16 (one pixel x 16 channels): direct; unrolled fast paths for 3x3
 *   and 5x5 at stride 1 and 2 (no dilation), a generic path for every other kernel, stride
 *   and dilation; depth_multiplier != 1 runs the __ref kernel.
 */
#ifndef EK_CONV_SIMD_H
#define EK_CONV_SIMD_H

#include "ek_conv.h"

/* Conv2D shapes the few-input-channel tile (8x8c2) takes: input channels and window K; the
 * runtime picks it up to EK_CONV_SC_MAX_OUT_C output channels (where it beats 4x16c2 in
 * measurements; it is correct for any out_c). */
#define EK_CONV_SC_MAX_C 4
#define EK_CONV_SC_MAX_K 160
#define EK_CONV_SC_MAX_OUT_C 8
/* The same limit for the aarch64 tiles (8x8 NEON, 8x8c4 dotprod), which beat 2x4c16 and
 * 4x4c16 on every stem measured (instructions per inference under qemu). */
#define EK_CONV_SC_NEON_MAX_OUT_C 64
/* The aarch64 tiles also run Conv2D with more input channels (pointwise and other short
 * windows) up to this K, over at least EK_CONV_SC_MIN_PIXELS output pixels (fewer do not
 * repay the per-call weight packing). */
#define EK_CONV_SC_NEON_MAX_K EK_CONV_SC_MAX_K
#define EK_CONV_SC_MIN_PIXELS 64
/* The AVX2 4x16c4 tile (x86/ek_conv_c4_avx2.h) takes the convolutions of
 * ek_qs8_pconv2d_c4_fits (ek_pconv.h: 1x1, no top or left padding, windows inside the input)
 * with K up to EK_CONV_C4_MAX_K over at least EK_CONV_C4_MIN_PIXELS output pixels, repacking
 * their weights per call; edgepack writes those convolutions in layout 3 for AVX2 targets,
 * which the same tile reads in place (ek_qs8_pconv2d_minmax_4x16c4__avx2, WeightPacking.swift). */
#define EK_CONV_C4_MAX_K 2048
#define EK_CONV_C4_MIN_PIXELS 12

#if defined(__x86_64__)
void ek_qs8_conv2d_minmax_2x4c16__avx2(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias, int8_t *output);
/* Tile 4x16c2: see ek_conv__avx2.c; stack use up to 114 KiB (repacked weights, and rows or
 * the bordered image). */
void ek_qs8_conv2d_minmax_4x16c2__avx2(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias, int8_t *output);
/* Tile 4x16c4 (x86/ek_conv_c4_avx2.h; vpmaddubsw with the sign trick, exact): 1x1 kernels
 * without padding, in_c <= 2048, at least 12 output pixels; 4x16c2 hands those shapes to it
 * and it runs 4x16c2 for every other shape. Stack use about 66 KiB. */
void ek_qs8_conv2d_minmax_4x16c4__avx2(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias, int8_t *output);
/* Tile 8x8c2 for few input channels (x86/ek_sconv__avx2.c; 8 pixels x 8 channels, or 4
 * pixels x 16 channels while two 8-channel blocks remain): in_c <= EK_CONV_SC_MAX_C and
 * K <= EK_CONV_SC_MAX_K (out_c <= 512); other shapes run the 4x16c2 kernel. Stack use about
 * 24 KiB. */
void ek_qs8_conv2d_minmax_8x8c2__avx2(const ek_conv2d_shape *shape,
                                      const ek_qs8_requant_params *params, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias, int8_t *output);
void ek_qs8_dwconv2d_minmax_1x16__avx2(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias, int8_t *output);
void ek_f32_conv2d_minmax_2x4c8__avx2(const ek_conv2d_shape *shape, const float *input,
                                      const float *weights, const float *bias, float *output,
                                      float output_min, float output_max);
/* Tile 4x16: see above and x86/ek_conv_f32__avx2.c; stack use up to about 106 KiB. */
void ek_f32_conv2d_minmax_4x16__avx2(const ek_conv2d_shape *shape, const float *input,
                                     const float *weights, const float *bias, float *output,
                                     float output_min, float output_max);
void ek_f32_dwconv2d_minmax_1x16__avx2(const ek_conv2d_shape *shape, const float *input,
                                       const float *weights, const float *bias, float *output,
                                       float output_min, float output_max);
/* Not in `auto`: written without AVX-512 hardware to run its differential tests on. */
void ek_qs8_conv2d_minmax_4x4c64__avx512vnni(const ek_conv2d_shape *shape,
                                             const ek_qs8_requant_params *params,
                                             const int8_t *input, const int8_t *weights,
                                             const int32_t *bias, int8_t *output);
#endif
#if defined(__aarch64__)
void ek_qs8_conv2d_minmax_2x4c16__neon(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias, int8_t *output);
void ek_qs8_conv2d_minmax_4x4c16__neondot(const ek_conv2d_shape *shape,
                                          const ek_qs8_requant_params *params,
                                          const int8_t *input, const int8_t *weights,
                                          const int32_t *bias, int8_t *output);
/* Tile 8x8c4 for stems and other short windows (neon/ek_sconv__neondot.c; SDOT by lane):
 * K <= EK_CONV_SC_MAX_K and interleaved weights within 16 KiB; other shapes run the 4x4c16
 * kernel. Stack use about 22 KiB. */
void ek_qs8_conv2d_minmax_8x8c4__neondot(const ek_conv2d_shape *shape,
                                         const ek_qs8_requant_params *params,
                                         const int8_t *input, const int8_t *weights,
                                         const int32_t *bias, int8_t *output);
void ek_qs8_conv2d_minmax_4x8c16__neoni8mm(const ek_conv2d_shape *shape,
                                           const ek_qs8_requant_params *params,
                                           const int8_t *input, const int8_t *weights,
                                           const int32_t *bias, int8_t *output);
/* Tile 8x8 for stems and other short windows (neon/ek_sconv__neon.c; 8 pixels x 8 channels,
 * SMLAL by lane): K <= EK_CONV_SC_MAX_K and widened weights within 16 KiB (out_c <= 512,
 * fewer with longer windows); other shapes run the 2x4c16 kernel. Packs the weights per call
 * into layout 4 (ek_pconv.h), whose in-place twin is ek_qs8_pconv2d_minmax_8x8__neon. Stack
 * use about 22 KiB. */
void ek_qs8_conv2d_minmax_8x8__neon(const ek_conv2d_shape *shape,
                                    const ek_qs8_requant_params *params, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias, int8_t *output);
void ek_qs8_dwconv2d_minmax_1x16__neon(const ek_conv2d_shape *shape,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias, int8_t *output);
void ek_f32_conv2d_minmax_2x4c4__neon(const ek_conv2d_shape *shape, const float *input,
                                      const float *weights, const float *bias, float *output,
                                      float output_min, float output_max);
/* Tile 4x16: see above and neon/ek_conv_f32__neon.c; stack use up to about 80 KiB. */
void ek_f32_conv2d_minmax_4x16__neon(const ek_conv2d_shape *shape, const float *input,
                                     const float *weights, const float *bias, float *output,
                                     float output_min, float output_max);
void ek_f32_dwconv2d_minmax_1x16__neon(const ek_conv2d_shape *shape, const float *input,
                                       const float *weights, const float *bias, float *output,
                                       float output_min, float output_max);
#endif

#endif
