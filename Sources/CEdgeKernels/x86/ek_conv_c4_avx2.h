/*
 * ek_conv_c4_avx2.h: the 4x16c4 int8 GEMM tile (AVX2) for matrices whose rows are read in
 * place (1x1 convolutions without padding, fully connected batches): four rows x 16 output
 * channels, four K values per step, int8 on both sides (no widening of the activations).
 *
 * vpmaddubsw multiplies unsigned by signed bytes and adds pairs into int16 with saturation;
 * a u8 x s8 pair can reach 2 x 255 x 128, so the operands are chosen so that no pair can
 * saturate (the "sign trick"): the unsigned side is |w| (0..128, -128 included) and the
 * signed side is x where w >= 0 and ~x = -x - 1 where w < 0 (a byte XOR with the weight's
 * sign mask, always in -128..127). Then |w| * s = w * x - (w < 0 ? |w| : 0), each product lies
 * in [-16384, 16256] and each pair sum in [-32768, 32512]: exact in int16. vpmaddwd with ones
 * adds the two pairs of a K quad into int32, vpaddd accumulates modulo 2^32. Per output
 * channel c the dropped terms and the input zero point are folded into the bias:
 *   sum_k w * (x - zp) = acc + sum_{w < 0} |w| - zp * sum_k w.
 * Per 32 multiply-adds this costs one vpmaddubsw and one vpmaddwd (the multiplier pipes) plus
 * one vpxor and one vpaddd, where the 4x16c2 tile needs two vpmaddwd and two vpaddd: on cores
 * whose vpaddd competes with vpmaddwd for issue ports (AMD Zen 3: vpmaddwd + vpaddd pairs run
 * at about 3/4 of the vpmaddwd rate) the multiplier pipes stay busier.
 *
 * Packed block of 16 channels, per K quad q (K values 4q..4q+3) 128 bytes:
 *   [0, 32) |w| of channels 0..7 (4 bytes each, K order), [32, 64) channels 8..15,
 *   [64, 96) sign masks (0xff where w < 0) of channels 0..7, [96, 128) channels 8..15;
 * zero past K and past the last channel. This is model.bin's tensor layout 3 (ek_pconv.h), which
 * the layout-3 kernel reads from the mapping; the canonical kernels build it per call. Private to x86/; every function is AVX2-attributed
 * and inlined into its caller.
 */
#ifndef EK_CONV_C4_AVX2_H
#define EK_CONV_C4_AVX2_H

#include "ek_conv_c2_avx2.h"
#include "ek_conv_simd.h"
#include "ek_pconv.h"

/* Largest K of the tile (one packed block of 16 channels is then 64 KiB). */
#define EK_C4_MAX_K EK_CONV_C4_MAX_K
/* Bytes of packed weights on the stack (a group of blocks), and blocks per group at most. */
#define EK_C4_WP 65536
#define EK_C4_MAX_BLOCKS 16
/* Rows of one chunk: their bytes fill about 16 KiB, so that with one packed block they stay
 * in L1 while every tile of the chunk passes. */
#define EK_C4_CHUNK_BYTES 16384
/* Fewest output pixels (batch included) of a convolution on the tile. */
#define EK_C4_MIN_PIXELS EK_CONV_C4_MIN_PIXELS

EK_AVX2_INLINE size_t ek_c4_chunk(size_t k) {
  const size_t c = EK_C4_CHUNK_BYTES / k / EK_C2_MR * EK_C2_MR;
  return c < EK_C2_MR ? EK_C2_MR : c;
}

/* Convolutions the canonical tile takes: those it reads in place (ek_qs8_pconv2d_c4_fits, the
 * rule layout 3 shares), K <= EK_C4_MAX_K and at least EK_C4_MIN_PIXELS output pixels, where
 * repacking per call pays. */
EK_AVX2_INLINE int ek_c4_fits(const ek_conv2d_shape *s) {
  return ek_qs8_pconv2d_c4_fits(s) && (size_t)s->in_c <= EK_C4_MAX_K &&
         (size_t)s->out_h * (size_t)s->out_w * (size_t)s->batch >= EK_C4_MIN_PIXELS;
}

/* Packs channels [0, nr) (nr <= 16) of w (rows of k bytes) into dst (ceil(k / 4) * 128 bytes)
 * and writes fold[j] = sum_{w < 0} |w| - zp * sum_k w of channel j (0 past nr), modulo 2^32.
 * Reads exactly the nr rows. */
EK_AVX2_INLINE void ek_c4_pack(size_t k, size_t nr, const int8_t *w, int32_t zp, uint8_t *dst,
                               int32_t fold[16]) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  __m256i usum[2] = {zero, zero}, nsum[2] = {zero, zero};
  for (size_t i = 0; i < k; i += 32) {
    const size_t left = k - i < 32 ? k - i : 32;
    __m256i r[16];
    for (size_t j = 0; j < 16; ++j) {
      if (j >= nr) {
        r[j] = zero;
      } else if (left == 32) {
        r[j] = _mm256_loadu_si256((const __m256i *)(w + j * k + i));
      } else {
        uint8_t tmp[32] = {0};
        memcpy(tmp, w + j * k + i, left);
        r[j] = _mm256_loadu_si256((const __m256i *)tmp);
      }
    }
    /* r[j] = eight K quads of channel j -> r[q] = quad q of channels 0..7 (8 + q: 8..15). */
    ek_transpose8x8_epi32(r);
    ek_transpose8x8_epi32(r + 8);
    const size_t quads = (left + 3) / 4;
    for (size_t q = 0; q < quads; ++q) {
      uint8_t *out = dst + (i / 4 + q) * 128;
      for (size_t h = 0; h < 2; ++h) {
        const __m256i v = r[h * 8 + q];
        const __m256i u = _mm256_abs_epi8(v); /* -128 -> 0x80 = 128 unsigned */
        const __m256i m = _mm256_cmpgt_epi8(zero, v);
        _mm256_store_si256((__m256i *)(out + h * 32), u);
        _mm256_store_si256((__m256i *)(out + 64 + h * 32), m);
        usum[h] = _mm256_add_epi32(usum[h], _mm256_madd_epi16(_mm256_maddubs_epi16(u, ones8), ones16));
        nsum[h] = _mm256_add_epi32(
            nsum[h], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_and_si256(u, m), ones8), ones16));
      }
    }
  }
  int32_t us[16], ns[16];
  _mm256_storeu_si256((__m256i *)us, usum[0]);
  _mm256_storeu_si256((__m256i *)(us + 8), usum[1]);
  _mm256_storeu_si256((__m256i *)ns, nsum[0]);
  _mm256_storeu_si256((__m256i *)(ns + 8), nsum[1]);
  for (size_t j = 0; j < 16; ++j) {
    /* sum w = sum |w| - 2 sum_{w < 0} |w|; unsigned arithmetic wraps like the reference. */
    const uint32_t sum_w = (uint32_t)us[j] - 2u * (uint32_t)ns[j];
    fold[j] = (int32_t)((uint32_t)ns[j] - (uint32_t)zp * sum_w);
  }
}

EK_AVX2_INLINE __m256i ek_c4_bcast(const int8_t *x) {
  int32_t quad;
  memcpy(&quad, x, sizeof(quad));
  return _mm256_set1_epi32(quad);
}

/* acc[m][h] = sum over kq quads of rows[m] quad x the block's channels for m < mr (h <
 * halves, 8 channels each; acc[m][1] stays 0 for one half, rows from mr on are not read and
 * their sums stay 0). Reads up to 3 bytes past each row's k bytes (they meet zero weights).
 * Callers pass constant mr and halves, so each instance keeps only its rows' work. */
EK_AVX2_INLINE void ek_c4_mk_mr(size_t kq, const int8_t *const *rows, const uint8_t *wb,
                                const int halves, const int mr, __m256i acc[EK_C2_MR][2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (size_t m = 0; m < EK_C2_MR; ++m) acc[m][0] = acc[m][1] = _mm256_setzero_si256();
  const int8_t *r0 = rows[0], *r1 = mr > 1 ? rows[1] : r0;
  const int8_t *r2 = mr > 2 ? rows[2] : r0, *r3 = mr > 3 ? rows[3] : r0;
#define EK_C4_STEP(m, x, u, mask, h) \
  acc[m][h] = _mm256_add_epi32(acc[m][h], _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_xor_si256(x, mask)), ones))
  for (size_t q = 0; q < kq; ++q, wb += 128) {
    const __m256i u0 = _mm256_load_si256((const __m256i *)wb);
    const __m256i m0 = _mm256_load_si256((const __m256i *)(wb + 64));
    const __m256i x0 = ek_c4_bcast(r0 + 4 * q);
    const __m256i x1 = mr > 1 ? ek_c4_bcast(r1 + 4 * q) : x0;
    const __m256i x2 = mr > 2 ? ek_c4_bcast(r2 + 4 * q) : x0;
    const __m256i x3 = mr > 3 ? ek_c4_bcast(r3 + 4 * q) : x0;
    EK_C4_STEP(0, x0, u0, m0, 0);
    if (mr > 1) EK_C4_STEP(1, x1, u0, m0, 0);
    if (mr > 2) EK_C4_STEP(2, x2, u0, m0, 0);
    if (mr > 3) EK_C4_STEP(3, x3, u0, m0, 0);
    if (halves == 2) {
      const __m256i u1 = _mm256_load_si256((const __m256i *)(wb + 32));
      const __m256i m1 = _mm256_load_si256((const __m256i *)(wb + 96));
      EK_C4_STEP(0, x0, u1, m1, 1);
      if (mr > 1) EK_C4_STEP(1, x1, u1, m1, 1);
      if (mr > 2) EK_C4_STEP(2, x2, u1, m1, 1);
      if (mr > 3) EK_C4_STEP(3, x3, u1, m1, 1);
    }
  }
#undef EK_C4_STEP
}

/* All four rows (callers repeat the last row of a short tile). */
EK_AVX2_INLINE void ek_c4_mk(size_t kq, const int8_t *const *rows, const uint8_t *wb,
                             const int halves, __m256i acc[EK_C2_MR][2]) {
  ek_c4_mk_mr(kq, rows, wb, halves, EK_C2_MR, acc);
}

#endif
