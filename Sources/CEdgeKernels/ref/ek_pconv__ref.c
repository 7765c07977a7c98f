/* Packing and the reference kernels of the packed int8 Conv2D layouts 2 to 5 (ek_pconv.h). */
#include "ek_pconv.h"
#include "ek_quant.h"

#include <string.h>

size_t ek_qs8_pconv2d_bias_offset(size_t out_c, size_t k) {
  return (out_c + 15) / 16 * ((k + 1) / 2) * 64; /* a multiple of 64 */
}

size_t ek_qs8_pconv2d_packed_bytes(size_t out_c, size_t k) {
  return ek_qs8_pconv2d_bias_offset(out_c, k) + (out_c + 15) / 16 * 16 * sizeof(int32_t);
}

void ek_qs8_pconv2d_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                         int32_t input_zero_point, void *packed) {
  const size_t pairs = (k + 1) / 2;
  int16_t *w = (int16_t *)packed;
  memset(packed, 0, ek_qs8_pconv2d_packed_bytes(out_c, k));
  for (size_t c = 0; c < out_c; ++c) {
    const size_t b = c / 16, j = c % 16;
    uint32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const int8_t v = weights[c * k + i];
      w[((b * pairs + i / 2) * 16 + j) * 2 + i % 2] = (int16_t)v;
      sum += (uint32_t)(int32_t)v;
    }
    const uint32_t folded = (bias != NULL ? (uint32_t)bias[c] : 0u) -
                            (uint32_t)input_zero_point * sum;
    memcpy((char *)packed + ek_qs8_pconv2d_bias_offset(out_c, k) + c * sizeof(int32_t), &folded,
           sizeof(folded));
  }
}

size_t ek_qs8_pconv2d_o8_bias_offset(size_t out_c, size_t k) {
  return (out_c + 7) / 8 * ((k + 7) / 8 * 8) * 16; /* a multiple of 128 */
}

size_t ek_qs8_pconv2d_o8_packed_bytes(size_t out_c, size_t k) {
  return ek_qs8_pconv2d_o8_bias_offset(out_c, k) + (out_c + 7) / 8 * 8 * sizeof(int32_t);
}

void ek_qs8_pconv2d_o8_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                            int32_t input_zero_point, void *packed) {
  const size_t kr = (k + 7) / 8 * 8;
  int16_t *w = (int16_t *)packed;
  memset(packed, 0, ek_qs8_pconv2d_o8_packed_bytes(out_c, k));
  for (size_t c = 0; c < out_c; ++c) {
    uint32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const int8_t v = weights[c * k + i];
      w[((c / 8) * kr + i) * 8 + c % 8] = (int16_t)v;
      sum += (uint32_t)(int32_t)v;
    }
    const uint32_t folded = (bias != NULL ? (uint32_t)bias[c] : 0u) -
                            (uint32_t)input_zero_point * sum;
    memcpy((char *)packed + ek_qs8_pconv2d_o8_bias_offset(out_c, k) + c * sizeof(int32_t),
           &folded, sizeof(folded));
  }
}

size_t ek_qs8_pconv2d_o8c4_bias_offset(size_t out_c, size_t k) {
  return (out_c + 7) / 8 * ((k + 15) / 16 * 16) * 8; /* a multiple of 128 */
}

size_t ek_qs8_pconv2d_o8c4_packed_bytes(size_t out_c, size_t k) {
  return ek_qs8_pconv2d_o8c4_bias_offset(out_c, k) + (out_c + 7) / 8 * 8 * sizeof(int32_t);
}

void ek_qs8_pconv2d_o8c4_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                              int32_t input_zero_point, void *packed) {
  const size_t kr = (k + 15) / 16 * 16;
  int8_t *w = (int8_t *)packed;
  memset(packed, 0, ek_qs8_pconv2d_o8c4_packed_bytes(out_c, k));
  for (size_t c = 0; c < out_c; ++c) {
    uint32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const int8_t v = weights[c * k + i];
      w[(c / 8) * kr * 8 + ((i / 4) * 8 + c % 8) * 4 + i % 4] = v;
      sum += (uint32_t)(int32_t)v;
    }
    const uint32_t folded = (bias != NULL ? (uint32_t)bias[c] : 0u) -
                            (uint32_t)input_zero_point * sum;
    memcpy((char *)packed + ek_qs8_pconv2d_o8c4_bias_offset(out_c, k) + c * sizeof(int32_t),
           &folded, sizeof(folded));
  }
}

/* Compiled for size on aarch64 (ek_size.h): edgepack writes layouts 2 and 3 only for x86
 * targets, layout 4 for NEON boards and layout 5 for dot-product boards, where the NEON
 * kernels read them; so on a board these kernels run a file packed for another CPU (pack
 * with --board NAME for the board's own kernels), layouts 4 and 5 beyond their kernels' K
 * limits, or EDGE_KERNELS=ref. */
#include "ek_size.h"
EK_SIZE_BEGIN

/* Layouts 2, 4 (int16 weights) and 5 (int8 weights; wide = 0): nb-channel blocks, g K values
 * per channel and step, K padded to kround; w[c][i] is element ((c / nb) * kpad + (i / g) *
 * g) * nb + (c % nb) * g + i % g. */
static void ek_pconv_ref(const ek_conv2d_shape *s, const ek_qs8_requant_params *params,
                             const int8_t *input, const int8_t *weights, const int32_t *bias,
                             int8_t *output, size_t nb, size_t g, size_t kround, int wide) {
  const size_t in_c = (size_t)s->in_c, out_c = (size_t)s->out_c;
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * in_c;
  const size_t kpad = (k + kround - 1) / kround * kround;
  const int32_t zp = params->input_zero_point;
  for (int32_t b = 0; b < s->batch; ++b) {
    const int8_t *image = input + (size_t)b * (size_t)s->in_h * (size_t)s->in_w * in_c;
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        int8_t *out = output + (((size_t)b * (size_t)s->out_h + (size_t)oy) * (size_t)s->out_w +
                                (size_t)ox) * out_c;
        for (size_t oc = 0; oc < out_c; ++oc) {
          const size_t wb = (oc / nb) * kpad * nb + (oc % nb) * g;
          uint32_t acc = (uint32_t)bias[oc];
          size_t i = 0;
          for (int32_t ky = 0; ky < s->kernel_h; ++ky) {
            const int32_t iy = oy * s->stride_h - s->pad_top + ky * s->dilation_h;
            for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
              const int32_t ix = ox * s->stride_w - s->pad_left + kx * s->dilation_w;
              const int inside = iy >= 0 && iy < s->in_h && ix >= 0 && ix < s->in_w;
              const int8_t *x =
                  inside ? image + ((size_t)iy * (size_t)s->in_w + (size_t)ix) * in_c : image;
              for (size_t c = 0; c < in_c; ++c, ++i) {
                const int32_t v = inside ? (int32_t)x[c] : zp;
                const size_t at = wb + (i / g) * g * nb + i % g;
                const int32_t w = wide ? ((const int16_t *)(const void *)weights)[at] : weights[at];
                acc += (uint32_t)(w * v);
              }
            }
          }
          int32_t y = ek_mbqm((int32_t)acc, params->multiplier[oc], params->shift[oc]);
          y += params->output_zero_point;
          out[oc] = (int8_t)ek_clamp_i32(y, params->output_min, params->output_max);
        }
      }
    }
  }
}

void ek_qs8_pconv2d_minmax_4x16c2__ref(const ek_conv2d_shape *s,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias,
                                       int8_t *output) {
  ek_pconv_ref(s, params, input, weights, bias, output, 16, 2, 2, 1);
}

void ek_qs8_pconv2d_minmax_8x8__ref(const ek_conv2d_shape *s,
                                    const ek_qs8_requant_params *params, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    int8_t *output) {
  ek_pconv_ref(s, params, input, weights, bias, output, 8, 1, 8, 1);
}

void ek_qs8_pconv2d_minmax_8x8c4__ref(const ek_conv2d_shape *s,
                                      const ek_qs8_requant_params *params, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      int8_t *output) {
  ek_pconv_ref(s, params, input, weights, bias, output, 8, 4, 16, 0);
}

size_t ek_qs8_pconv2d_c4_bias_offset(size_t out_c, size_t k) {
  return (out_c + 15) / 16 * ((k + 3) / 4) * 128; /* a multiple of 128 */
}

size_t ek_qs8_pconv2d_c4_packed_bytes(size_t out_c, size_t k) {
  return ek_qs8_pconv2d_c4_bias_offset(out_c, k) + (out_c + 15) / 16 * 16 * sizeof(int32_t);
}

/* Offset of weight (channel c, K index i) within layout 3's |w| bytes; the sign mask is 64
 * bytes further. */
static size_t ek_c4_index(size_t quads, size_t c, size_t i) {
  return ((c / 16) * quads + i / 4) * 128 + (c % 16 / 8) * 32 + (c % 8) * 4 + i % 4;
}

void ek_qs8_pconv2d_c4_pack(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias,
                            int32_t input_zero_point, void *packed) {
  const size_t quads = (k + 3) / 4;
  uint8_t *w = (uint8_t *)packed;
  memset(packed, 0, ek_qs8_pconv2d_c4_packed_bytes(out_c, k));
  for (size_t c = 0; c < out_c; ++c) {
    uint32_t sum = 0, negative = 0;
    for (size_t i = 0; i < k; ++i) {
      const int32_t v = weights[c * k + i];
      const size_t at = ek_c4_index(quads, c, i);
      w[at] = (uint8_t)(v < 0 ? -v : v);
      w[at + 64] = v < 0 ? 0xff : 0;
      sum += (uint32_t)v;
      negative += v < 0 ? (uint32_t)-v : 0u;
    }
    const uint32_t folded = (bias != NULL ? (uint32_t)bias[c] : 0u) -
                            (uint32_t)input_zero_point * sum + negative;
    memcpy(w + ek_qs8_pconv2d_c4_bias_offset(out_c, k) + c * sizeof(int32_t), &folded,
           sizeof(folded));
  }
}

void ek_qs8_pconv2d_minmax_4x16c4__ref(const ek_conv2d_shape *s,
                                       const ek_qs8_requant_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *bias,
                                       int8_t *output) {
  const size_t in_c = (size_t)s->in_c, out_c = (size_t)s->out_c;
  const size_t k = (size_t)s->kernel_h * (size_t)s->kernel_w * in_c;
  const size_t quads = (k + 3) / 4;
  const uint8_t *w = (const uint8_t *)(const void *)weights;
  const int32_t zp = params->input_zero_point;
  for (int32_t b = 0; b < s->batch; ++b) {
    const int8_t *image = input + (size_t)b * (size_t)s->in_h * (size_t)s->in_w * in_c;
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        int8_t *out = output + (((size_t)b * (size_t)s->out_h + (size_t)oy) * (size_t)s->out_w +
                                (size_t)ox) * out_c;
        for (size_t oc = 0; oc < out_c; ++oc) {
          uint32_t acc = (uint32_t)bias[oc];
          size_t i = 0;
          for (int32_t ky = 0; ky < s->kernel_h; ++ky) {
            const int32_t iy = oy * s->stride_h - s->pad_top + ky * s->dilation_h;
            for (int32_t kx = 0; kx < s->kernel_w; ++kx) {
              const int32_t ix = ox * s->stride_w - s->pad_left + kx * s->dilation_w;
              const int inside = iy >= 0 && iy < s->in_h && ix >= 0 && ix < s->in_w;
              const int8_t *x =
                  inside ? image + ((size_t)iy * (size_t)s->in_w + (size_t)ix) * in_c : image;
              for (size_t c = 0; c < in_c; ++c, ++i) {
                const size_t at = ek_c4_index(quads, oc, i);
                const uint8_t v = (uint8_t)(inside ? x[c] : (int8_t)zp);
                acc += (uint32_t)((int32_t)w[at] * (int32_t)(int8_t)(v ^ w[at + 64]));
              }
            }
          }
          int32_t y = ek_mbqm((int32_t)acc, params->multiplier[oc], params->shift[oc]);
          y += params->output_zero_point;
          out[oc] = (int8_t)ek_clamp_i32(y, params->output_min, params->output_max);
        }
      }
    }
  }
}

EK_SIZE_END
