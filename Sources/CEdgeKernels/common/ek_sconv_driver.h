/*
 * ek_sconv_driver.h: the outer loops of the 8-pixel int8 Conv2D tiles for few input channels
 * and other short windows (neon/ek_sconv__neon.c, neon/ek_sconv__neondot.c; private to
 * CEdgeKernels, ek_conv_simd.h and ek_pconv.h describe the kernels).
 *
 * The weights come laid out per 8-channel block in the ISA's layout (wp, K rounded up to kr)
 * with the input zero-point term folded into the bias (fb[c] = bias[c] - zp * sum_k w[c][k],
 * modulo 2^32, blocks * 8 entries): either packed per call from canonical OHWI weights
 * (with edgepack's packer, into the caller's stack buffer) or read in place from a model file
 * packed at pack time (ek_pconv.h layouts 4 and 5); ek_sconv_run then runs the tiles. Per tile of eight output pixels each
 * pixel's window is gathered into one row of `rows` (padded taps hold the zero point, which
 * the folded bias cancels), stepping (oy, ox) without division, and every 8-channel block
 * multiplies the eight rows and stores the first mr pixels' first nr channels. Rows past a
 * short last tile's pixels keep earlier windows (or zeros): they are multiplied but never
 * stored.
 *
 * The ISA supplies two always_inline routines (inlined here, so each kernel compiles to one
 * loop nest for its ISA):
 *   row(s, image, oy, ox, zp, row)         window of output pixel (oy, ox) into row
 *   block(kr, rows, row_bytes, wp, fb, mq, sq, mr, nr, n, p, o)
 *                                          eight rows (row_bytes apart) against one block;
 *                                          requantizes with mq/sq[0..8) and stores pixel m's
 *                                          first nr channels at o + m * n, m < mr
 * The caller owns the stack buffers (their element types are the ISA's): wp holds `blocks`
 * blocks of block_bytes, rows EK_SCONV_MR rows of row_bytes, of which the first row_used
 * bytes (kr entries plus the row routine's slack) are read.
 */
#ifndef EK_SCONV_DRIVER_H
#define EK_SCONV_DRIVER_H

#include "ek_conv.h"

#include <string.h>

#define EK_SCONV_INLINE static inline __attribute__((always_inline))

/* Output pixels per tile, and 8-channel blocks at most (512 output channels). */
#define EK_SCONV_MR 8
#define EK_SCONV_MAX_BLOCKS 64

typedef void (*ek_sconv_row_fn)(const ek_conv2d_shape *s, const int8_t *image, int32_t oy,
                                int32_t ox, int32_t zp, void *row);
typedef void (*ek_sconv_block_fn)(size_t kr, const void *rows, size_t row_bytes,
                                  const void *wp, const int32_t *fb, const int32_t *mq,
                                  const int32_t *sq, size_t mr, size_t nr, size_t n,
                                  const ek_qs8_requant_params *p, int8_t *o);

/* The tiles over weights already laid out: wp holds ceil(out_c / 8) blocks of block_bytes,
 * fb their folded bias (8 entries per block). No limit on K or out_c but the rows buffer. */
EK_SCONV_INLINE void ek_sconv_run(const ek_conv2d_shape *s, const ek_qs8_requant_params *p,
                                  const int8_t *input, const void *wp, size_t block_bytes,
                                  const int32_t *fb, int8_t *output, size_t kr, void *rows,
                                  size_t row_bytes, size_t row_used, ek_sconv_row_fn row,
                                  ek_sconv_block_fn block) {
  const size_t n = (size_t)s->out_c, blocks = (n + 7) / 8;
  if (n == 0) return;
  const size_t tail = n - (blocks - 1) * 8;
  /* The last block's requantization padded to eight channels (the block loads eight). */
  int32_t mt[8] = {0}, st[8] = {0};
  memcpy(mt, p->multiplier + (blocks - 1) * 8, tail * sizeof(int32_t));
  memcpy(st, p->shift + (blocks - 1) * 8, tail * sizeof(int32_t));
  /* Defined values in every entry a block reads (row_used bytes: kr entries and the
   * gather's slack), also in rows a short first tile leaves unwritten. */
#pragma clang loop unroll(disable) /* eight memset calls would cost ~100 bytes per kernel */
  for (size_t i = 0; i < EK_SCONV_MR; ++i) memset((int8_t *)rows + i * row_bytes, 0, row_used);
  const size_t pixels = (size_t)s->out_h * (size_t)s->out_w;
  const size_t image_bytes = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
  for (size_t bi = 0; bi < (size_t)s->batch; ++bi) {
    const int8_t *image = input + bi * image_bytes;
    int8_t *out_image = output + bi * pixels * n;
    int32_t oy = 0, ox = 0;
    for (size_t p0 = 0; p0 < pixels; p0 += EK_SCONV_MR) {
      const size_t mr = pixels - p0 < EK_SCONV_MR ? pixels - p0 : EK_SCONV_MR;
      for (size_t i = 0; i < mr; ++i) {
        row(s, image, oy, ox, p->input_zero_point, (int8_t *)rows + i * row_bytes);
        if (++ox == s->out_w) {
          ox = 0;
          ++oy;
        }
      }
      for (size_t b = 0; b < blocks; ++b) {
        const size_t c0 = b * 8, last = b + 1 == blocks;
        block(kr, rows, row_bytes, (const int8_t *)wp + b * block_bytes, fb + c0,
              last ? mt : p->multiplier + c0, last ? st : p->shift + c0, mr, last ? tail : 8,
              n, p, out_image + p0 * n + c0);
      }
    }
  }
}

#endif
