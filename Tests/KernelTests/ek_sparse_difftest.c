/*
 * ek_sparse_difftest: every block-sparse kernel (ek_sparse.h), __ref included, against the
 * DENSE reference on the densified weights, compared with ==.
 *
 * Usage: ek_sparse_difftest [--seed N]
 *
 * Sweep per kernel: rows (batch or pixels) 1..5, in_features W..10W and 256, out_features 1..5,
 * 8, 9, 15, 17 and 67 (around the 8-feature groups of the AVX2 fc kernels), block densities 0,
 * 10, 50, 80 and 100 %, and random, extreme and "exact" data (as in ek_difftest.c); plus, for
 * 1 and 2 rows and 1, 5 and 9 out_features, in_features 2048 (a group of eight features with
 * more blocks than the AVX2 fc chunk) and 8208 (past the widened row of the AVX2 fc kernels);
 * and for 1 and 2 rows, in_features 2W and 128 with 1030 out_features (past two chunks of 512
 * features). Pixel-panel kernels (ek_sparse_px.h) take 1, 5, 8, 31, 32, 33, 63 and 70
 * pixels (around the EK_SPCONV_PX tile edges) and a junk-filled scratch ending at a guard page,
 * directed block counts (below) and 300 out_features over 33 and 70 pixels.
 * The fc kernels also run rows (groups) that keep exactly 0, 1, 2, 15, 16, 17, 31, 32, 33 or 40
 * of 40 blocks, for 1..3 rows and 1 to 67 out_features (DIRECTED).
 * Grouped kernels (ek_sparse_grouped.h) share the fc sweep with 8x2 blocks (a group's features
 * keep the same input pairs; "balanced" then means the same block count in every group). The fc
 * kernels (plain and grouped) also get directed cases whose scaled sums are exactly 0.5 - 2^-54,
 * 0.5 - 2^-53, 0.5, 1.5 - 2^-52 and 2.5 - 2^-51, each sign (test_half_rounding). Input rows, row_ptr, block columns and values each end
 * EK_EXTRA_BYTES before a PROT_NONE page and outputs end right at one, so an over-read past
 * the contract or any over-write crashes. A kernel the CPU cannot run prints
 * "SKIP <name>: cpu lacks <level>". Exit status 1 on any failure.
 */
#define _DEFAULT_SOURCE
#include "CEdgeKernels.h"
#include "ek_test_support.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef void (*spfc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                        const ek_qs8_bsr *, const int32_t *, int8_t *);
typedef void (*gspfc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                         const ek_qs8_gbsr *, const int32_t *, int8_t *);
typedef void (*spconv_fn)(const ek_fc_shape *, const ek_qs8_requant_params *, const int8_t *,
                          const ek_qs8_bsr *, const int32_t *, int8_t *);

typedef struct sparse_entry {
  const char *name;
  int conv; /* 0: spfc, 1: spconv1x1, 2: spconv1x1 pixel panel (ek_sparse_px.h), 3: grouped spfc
              * (ek_sparse_grouped.h, groups of 8 features) */
  int block_w;
  uint32_t level; /* 0 = runs everywhere */
  const char *level_name;
  void (*fn)(void);
} sparse_entry;

#define SP(fn, conv, w, level, lname) {#fn, conv, w, level, lname, (void (*)(void))fn}

static const sparse_entry kKernels[] = {
    SP(ek_qs8_spfc_minmax_1x1__ref, 0, 4, 0, "ref"),
    SP(ek_qs8_spfc_minmax_1x1__ref, 0, 16, 0, "ref"),
    SP(ek_qs8_spconv1x1_minmax_1x1__ref, 1, 4, 0, "ref"),
    SP(ek_qs8_spconv1x1_minmax_1x1__ref, 1, 16, 0, "ref"),
    SP(ek_qs8_spconv1x1_minmax_px32__ref, 2, 4, 0, "ref"),
    SP(ek_qs8_spconv1x1_minmax_px32__ref, 2, 16, 0, "ref"),
    SP(ek_qs8_gspfc_minmax_1x1__ref, 3, 2, 0, "ref"),
#if defined(__x86_64__)
    SP(ek_qs8_gspfc_minmax_8x2__avx2, 3, 2, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spfc_minmax_b1x4__avx2, 0, 4, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spfc_minmax_b1x16__avx2, 0, 16, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spconv1x1_minmax_b1x4__avx2, 1, 4, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spconv1x1_minmax_b1x16__avx2, 1, 16, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spconv1x1_minmax_px32__avx2, 2, 4, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spconv1x1_minmax_px32__avx2, 2, 16, EK_CPU_LEVEL_AVX2, "avx2"),
    SP(ek_qs8_spfc_minmax_b1x4__avx512vnni, 0, 4, EK_CPU_LEVEL_AVX512VNNI, "avx512vnni"),
    SP(ek_qs8_spfc_minmax_b1x16__avx512vnni, 0, 16, EK_CPU_LEVEL_AVX512VNNI, "avx512vnni"),
    SP(ek_qs8_spconv1x1_minmax_b1x4__avx512vnni, 1, 4, EK_CPU_LEVEL_AVX512VNNI, "avx512vnni"),
    SP(ek_qs8_spconv1x1_minmax_b1x16__avx512vnni, 1, 16, EK_CPU_LEVEL_AVX512VNNI, "avx512vnni"),
#endif
#if defined(__aarch64__)
    SP(ek_qs8_gspfc_minmax_8x2__neon, 3, 2, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spfc_minmax_b1x4__neon, 0, 4, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spfc_minmax_b1x16__neon, 0, 16, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spconv1x1_minmax_b1x4__neon, 1, 4, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spconv1x1_minmax_b1x16__neon, 1, 16, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spconv1x1_minmax_px32__neon, 2, 4, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spconv1x1_minmax_px32__neon, 2, 16, EK_CPU_LEVEL_NEON, "neon"),
    SP(ek_qs8_spfc_minmax_b1x4__neondot, 0, 4, EK_CPU_LEVEL_NEONDOT, "neondot"),
    SP(ek_qs8_spfc_minmax_b1x16__neondot, 0, 16, EK_CPU_LEVEL_NEONDOT, "neondot"),
    SP(ek_qs8_spconv1x1_minmax_b1x4__neondot, 1, 4, EK_CPU_LEVEL_NEONDOT, "neondot"),
    SP(ek_qs8_spconv1x1_minmax_b1x16__neondot, 1, 16, EK_CPU_LEVEL_NEONDOT, "neondot"),
    SP(ek_qs8_spconv1x1_minmax_px32__neondot, 2, 4, EK_CPU_LEVEL_NEONDOT, "neondot"),
    SP(ek_qs8_spconv1x1_minmax_px32__neondot, 2, 16, EK_CPU_LEVEL_NEONDOT, "neondot"),
#endif
};

/* ---- guarded buffers (ek_test_support.h) ---- */

/* 16-byte aligned start (model.bin aligns values so), junk from there up to the guard. */
static void *guarded_place(const guarded *g, size_t bytes, size_t slack, uint64_t *rng) {
  uint8_t *p = g->base + ((g->usable - slack - bytes) & ~(size_t)15);
  for (uint8_t *q = p; q < g->base + g->usable; ++q) *q = (uint8_t)rng_next(rng);
  return p;
}

enum { MAX_ROWS = 5, MAX_K = 256, MAX_N = 67, BIG_K = 8208, BIG_N = 9, WIDE_N = 1030 };
/* Pixel counts for the pixel-panel kernels: around the EK_SPCONV_PX tile edges. */
static const int kPanelRows[] = {1, 5, 8, 31, 32, 33, 63, 70};
enum { MAX_PANEL_ROWS = 70, PANEL_CHUNK_N = 300 };
enum { DATA_RANDOM, DATA_EXTREME, DATA_EXACT, DATA_COUNT };
static const char *const kDataNames[DATA_COUNT] = {"random", "extreme", "exact"};
static const int kDensity[] = {0, 10, 50, 80, 100};
/* density DIRECTED: every row (group) keeps exactly kCounts[(o + r) % COUNTS] blocks (at most
 * all), r random per case: none, one, and around the AVX2 grouped kernel's runs of 16. */
enum { DIRECTED = -1, COUNTS = 10 };
static const size_t kCounts[COUNTS] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 40};

typedef struct bufs {
  guarded input, row_ptr, cols, values, dense, bias, scale, mult, shift, out_ref, out_opt, scratch;
} bufs;

/* One case; returns 1 when the kernel's output equals the dense reference's. */
static int run_case(const sparse_entry *e, uint64_t run_seed, uint64_t seed, int rows, int k,
                    int n, int density, int data, bufs *buf) {
  uint64_t rng = seed;
  const size_t bw = (size_t)e->block_w, kb = (size_t)k / bw;
  int8_t *x = guarded_place(&buf->input, (size_t)rows * k, EK_EXTRA_BYTES, &rng);
  int8_t *dense = guarded_place(&buf->dense, (size_t)n * k, EK_EXTRA_BYTES, &rng);
  uint32_t *row_ptr = guarded_place(&buf->row_ptr, (n + 1) * sizeof(uint32_t), EK_EXTRA_BYTES, &rng);
  uint16_t *cols = guarded_place(&buf->cols, (size_t)n * kb * sizeof(uint16_t) + 2, EK_EXTRA_BYTES, &rng);
  int32_t *bias = guarded_place(&buf->bias, n * sizeof(int32_t), EK_EXTRA_BYTES, &rng);
  double *scale = guarded_place(&buf->scale, n * sizeof(double), EK_EXTRA_BYTES, &rng);
  int32_t *mult = guarded_place(&buf->mult, n * sizeof(int32_t), EK_EXTRA_BYTES, &rng);
  int32_t *shift = guarded_place(&buf->shift, n * sizeof(int32_t), EK_EXTRA_BYTES, &rng);
  int8_t *y_ref = guarded_place(&buf->out_ref, (size_t)rows * n, 0, &rng);
  int8_t *y_opt = guarded_place(&buf->out_opt, (size_t)rows * n, 0, &rng);

  const int extreme = data == DATA_EXTREME, exact = data == DATA_EXACT;
  const int32_t zp = extreme ? (rng_int(&rng, 0, 1) ? -128 : 127) : rng_int(&rng, -128, 127);
  const int32_t out_zp = rng_int(&rng, -128, 127);
  const int32_t out_min = rng_int(&rng, 0, 3) == 0 ? rng_int(&rng, -128, 0) : -128;
  const int32_t out_max = rng_int(&rng, 0, 3) == 0 ? rng_int(&rng, out_min, 127) : 127;
  for (size_t i = 0; i < (size_t)rows * k; ++i) {
    const int32_t near = zp + rng_int(&rng, -1, 1);
    x[i] = (int8_t)(extreme ? (rng_int(&rng, 0, 1) ? -128 : 127)
                    : exact ? (near < -128 ? -128 : near > 127 ? 127 : near)
                            : rng_int(&rng, -128, 127));
  }
  /* A third of the cases keep the same number of blocks in every row (balanced rows, the
   * AVX2 fc kernels' lockstep path), chosen uniformly among the row's blocks. */
  const int directed = density == DIRECTED;
  const int balanced = rng_int(&rng, 0, 2) == 0 || directed;
  size_t per_row = directed ? 0 : (kb * (size_t)density + 50) / 100;
  const size_t count_offset = directed ? (size_t)rng_int(&rng, 0, COUNTS - 1) : 0;
  /* Grouped kernels: every feature of a group of 8 keeps the group's blocks. */
  const size_t gh = e->conv == 3 ? 8 : 1, groups = ((size_t)n + gh - 1) / gh;
  size_t nnz = 0;
  for (size_t o = 0; o < groups; ++o) {
    row_ptr[o] = (uint32_t)nnz;
    if (directed) per_row = kCounts[(o + count_offset) % COUNTS] < kb ? kCounts[(o + count_offset) % COUNTS] : kb;
    size_t left = per_row;
    for (size_t c = 0; c < kb; ++c) {
      int keep = rng_int(&rng, 0, 99) < density;
      if (balanced) {
        keep = (size_t)rng_int(&rng, 0, (int32_t)(kb - c) - 1) < left;
        left -= (size_t)keep;
      }
      for (size_t r = o * gh; r < (o + 1) * gh && r < (size_t)n; ++r) {
        for (size_t i = 0; i < bw; ++i) {
          dense[r * k + c * bw + i] =
              !keep ? 0
              : (int8_t)(extreme ? (rng_int(&rng, 0, 2) == 0 ? -128 : rng_int(&rng, 0, 1) ? -127 : 127)
                         : exact ? rng_int(&rng, -2, 2)
                                 : rng_int(&rng, -127, 127));
        }
      }
      if (keep) cols[nnz++] = (uint16_t)c;
    }
  }
  row_ptr[groups] = (uint32_t)nnz;
  int8_t *values = guarded_place(&buf->values, nnz * bw * gh, EK_EXTRA_BYTES, &rng);
  for (size_t o = 0, b = 0; o < groups; ++o) {
    for (uint32_t j = row_ptr[o]; j < row_ptr[o + 1]; ++j, ++b) {
      for (size_t r = 0; r < gh; ++r) { /* features past n: zero, as model.bin stores them */
        if (o * gh + r < (size_t)n) {
          memcpy(values + (b * gh + r) * bw, dense + (o * gh + r) * k + (size_t)cols[j] * bw, bw);
        } else {
          memset(values + (b * gh + r) * bw, 0, bw);
        }
      }
    }
  }
  const int use_bias = rng_int(&rng, 0, 7) != 0;
  for (size_t j = 0; j < (size_t)n; ++j) {
    bias[j] = extreme ? rng_int(&rng, 0, 1) ? (1 << 30) - 1 : -(1 << 30)
            : exact ? rng_int(&rng, -64, 64)
                    : rng_int(&rng, -(1 << 20), 1 << 20);
    const double span = (double)k * 255.0 * 128.0;
    scale[j] = exact ? (rng_int(&rng, 0, 3) == 0 ? 0.5 : rng_real(&rng, 0.3, 1.0))
                     : exp(rng_real(&rng, log(0.25 / span), log(64.0 / span)));
    int shift_value = 0;
    ek_quantize_multiplier(scale[j], &mult[j], &shift_value);
    shift[j] = shift_value;
  }
  const ek_qs8_bsr w = {e->block_w, row_ptr, cols, values};
  ek_fc_shape shape = {rows, k, n};
  const int32_t *b = use_bias ? bias : NULL;
  if (e->conv == 3) {
    const ek_qs8_gbsr gw = {(int32_t)gh, e->block_w, row_ptr, cols, values};
    const ek_qs8_fc_params p = {zp, out_zp, out_min, out_max, scale};
    ek_qs8_fc_minmax_1x1__ref(&shape, &p, x, dense, b, y_ref);
    ((gspfc_fn)e->fn)(&shape, &p, x, &gw, b, y_opt);
  } else if (e->conv) {
    const ek_qs8_requant_params p = {zp, out_zp, out_min, out_max, mult, shift};
    const ek_conv2d_shape cs = {1, rows, 1, k, rows, 1, n, 1, 1, 1, 1, 1, 1, 0, 0, 1};
    ek_qs8_conv2d_minmax_1x1__ref(&cs, &p, x, dense, b, y_ref);
    if (e->conv == 2) {
      /* Scratch ends at a guard page and starts full of junk. */
      void *scratch = guarded_place(&buf->scratch, ek_qs8_spconv1x1_px_scratch_bytes(k, n, nnz * bw), 0, &rng);
      ((ek_qs8_spconv1x1_px_fn)e->fn)(&shape, &p, x, &w, b, y_opt, scratch);
    } else {
      ((spconv_fn)e->fn)(&shape, &p, x, &w, b, y_opt);
    }
  } else {
    const ek_qs8_fc_params p = {zp, out_zp, out_min, out_max, scale};
    ek_qs8_fc_minmax_1x1__ref(&shape, &p, x, dense, b, y_ref);
    ((spfc_fn)e->fn)(&shape, &p, x, &w, b, y_opt);
  }
  for (size_t i = 0; i < (size_t)rows * n; ++i) {
    if (y_ref[i] != y_opt[i]) {
      printf("FAIL %s (block %zux%d): --seed %" PRIu64 ", case rows=%d in_features=%d "
             "out_features=%d density=%d%% (-1: directed block counts) data=%s (case seed %" PRIu64 ")\n"
             "  output[%zu] = %d, dense reference %d; input zp %d%s%s\n",
             e->name, gh, e->block_w, run_seed, rows, k, n, directed ? -1 : density, kDataNames[data], seed, i,
             y_opt[i], y_ref[i], zp, use_bias ? "" : ", no bias", balanced ? ", balanced rows" : "");
      return 0;
    }
  }
  return 1;
}

/* Scaled sums just below, at and above a half, for the fc kernels (double scales): the AVX2 and
 * NEON grouped kernels round as trunc(x + copysign(0.5 - 2^-54, x)), and x = 0.5 - 2^-54 (the
 * largest double below 0.5) is the one value where adding a plain 0.5 rounds up (1 - 2^-54 is
 * a tie between 1 - 2^-53 and 1). Random scales never land there: here the bias makes each
 * feature's sum a signed power of two and its scale the target over it, so the product is the
 * target exactly. Rows are copies of one input (each row's sums are the same); groups and
 * rows are all full ("balanced"), or the first one misses a block. The expected outputs are
 * checked too, so a case that stops landing on its target fails instead of passing quietly. */
static const double kHalfTargets[] = {0x1.fffffffffffffp-2, 0x1.ffffffffffffep-2, 0.5, 0x1.7ffffffffffffp+0,
                                      0x1.3ffffffffffffp+1};
static const int kHalfRounded[] = {0, 0, 1, 1, 2};
enum { HALF_TARGETS = 5, HALF_K = 32, HALF_N = 17 };

static int test_half_rounding(const sparse_entry *e, uint64_t run_seed, bufs *buf, int *cases) {
  const size_t bw = (size_t)e->block_w, k = HALF_K, n = HALF_N, kb = k / bw;
  const size_t gh = e->conv == 3 ? 8 : 1, groups = (n + gh - 1) / gh;
  for (int it = 0; it < 2 * HALF_TARGETS; ++it) {
    for (int rows = 1; rows <= 3; ++rows) {
      uint64_t rng = run_seed ^ ((uint64_t)it << 8) ^ (uint64_t)rows;
      int8_t *x = guarded_place(&buf->input, (size_t)rows * k, EK_EXTRA_BYTES, &rng);
      int8_t *dense = guarded_place(&buf->dense, n * k, EK_EXTRA_BYTES, &rng);
      uint32_t *row_ptr = guarded_place(&buf->row_ptr, (groups + 1) * sizeof(uint32_t), EK_EXTRA_BYTES, &rng);
      uint16_t *cols = guarded_place(&buf->cols, groups * kb * sizeof(uint16_t), EK_EXTRA_BYTES, &rng);
      int32_t *bias = guarded_place(&buf->bias, n * sizeof(int32_t), EK_EXTRA_BYTES, &rng);
      double *scale = guarded_place(&buf->scale, n * sizeof(double), EK_EXTRA_BYTES, &rng);
      int8_t *y_ref = guarded_place(&buf->out_ref, (size_t)rows * n, 0, &rng);
      int8_t *y_opt = guarded_place(&buf->out_opt, (size_t)rows * n, 0, &rng);
      const int32_t zp = rng_int(&rng, -128, 127), out_zp = rng_int(&rng, -100, 100);
      for (size_t i = 0; i < k; ++i) x[i] = (int8_t)rng_int(&rng, -128, 127);
      for (int r = 1; r < rows; ++r) memcpy(x + (size_t)r * k, x, k);
      const int unbalanced = it % 2;
      size_t nnz = 0;
      for (size_t g = 0; g < groups; ++g) {
        row_ptr[g] = (uint32_t)nnz;
        for (size_t c = 0; c < kb; ++c) {
          const int keep = !(unbalanced && g == 0 && c == 1);
          for (size_t o = g * gh; o < (g + 1) * gh && o < n; ++o) {
            for (size_t i = 0; i < bw; ++i) dense[o * k + c * bw + i] = keep ? (int8_t)rng_int(&rng, -127, 127) : 0;
          }
          if (keep) cols[nnz++] = (uint16_t)c;
        }
      }
      row_ptr[groups] = (uint32_t)nnz;
      int8_t *values = guarded_place(&buf->values, nnz * bw * gh, EK_EXTRA_BYTES, &rng);
      for (size_t g = 0, b = 0; g < groups; ++g) {
        for (uint32_t j = row_ptr[g]; j < row_ptr[g + 1]; ++j, ++b) {
          for (size_t r = 0; r < gh; ++r) {
            if (g * gh + r < n) {
              memcpy(values + (b * gh + r) * bw, dense + (g * gh + r) * k + (size_t)cols[j] * bw, bw);
            } else {
              memset(values + (b * gh + r) * bw, 0, bw);
            }
          }
        }
      }
      for (size_t o = 0; o < n; ++o) {
        int32_t dot = 0;
        for (size_t i = 0; i < k; ++i) dot += (int32_t)dense[o * k + i] * ((int32_t)x[i] - zp);
        const size_t t = (o + (size_t)it) % HALF_TARGETS;
        const int negative = (int)((o + (size_t)it) / HALF_TARGETS) % 2;
        const int32_t magnitude = 1 << (o % 4);
        bias[o] = (negative ? -magnitude : magnitude) - dot;
        scale[o] = kHalfTargets[t] / magnitude;
      }
      const ek_fc_shape shape = {rows, (int)k, (int)n};
      const ek_qs8_fc_params p = {zp, out_zp, -128, 127, scale};
      ek_qs8_fc_minmax_1x1__ref(&shape, &p, x, dense, bias, y_ref);
      if (e->conv == 3) {
        const ek_qs8_gbsr gw = {(int32_t)gh, e->block_w, row_ptr, cols, values};
        ((gspfc_fn)e->fn)(&shape, &p, x, &gw, bias, y_opt);
      } else {
        const ek_qs8_bsr w = {e->block_w, row_ptr, cols, values};
        ((spfc_fn)e->fn)(&shape, &p, x, &w, bias, y_opt);
      }
      ++*cases;
      for (size_t i = 0; i < (size_t)rows * n; ++i) {
        const size_t o = i % n, t = (o + (size_t)it) % HALF_TARGETS;
        const int negative = (int)((o + (size_t)it) / HALF_TARGETS) % 2;
        const int expected = out_zp + (negative ? -kHalfRounded[t] : kHalfRounded[t]);
        if (y_ref[i] != expected || y_opt[i] != y_ref[i]) {
          printf("FAIL %s (block %zux%d): --seed %" PRIu64 ", half-rounding case %d rows=%d%s: output[%zu] "
                 "(scaled sum %s%.17g) = %d, dense reference %d, expected %d\n",
                 e->name, gh, e->block_w, run_seed, it, rows, unbalanced ? " (first group misses a block)" : "",
                 i, negative ? "-" : "", kHalfTargets[t], y_opt[i], y_ref[i], expected);
          return 0;
        }
      }
    }
  }
  return 1;
}

static int test_kernel(const sparse_entry *e, uint64_t seed, bufs *buf, int *cases) {
  int ks[16], kcount = 0;
  for (int m = 1; m <= 10; ++m) ks[kcount++] = m * e->block_w;
  ks[kcount++] = MAX_K;
  const int ns[] = {1, 2, 3, 4, 5, 8, 9, 15, 17, MAX_N};
  *cases = 0;
  const int panel = e->conv == 2;
  const int row_count = panel ? (int)(sizeof(kPanelRows) / sizeof(kPanelRows[0])) : MAX_ROWS;
  for (int ri = 0; ri < row_count; ++ri) {
    const int rows = panel ? kPanelRows[ri] : ri + 1;
    for (int ki = 0; ki < kcount; ++ki) {
      for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ++ni) {
        for (size_t di = 0; di < sizeof(kDensity) / sizeof(kDensity[0]); ++di) {
          for (int data = 0; data < DATA_COUNT; ++data) {
            uint64_t mix = seed ^ ((uint64_t)rows << 56) ^ ((uint64_t)ks[ki] << 32) ^
                           ((uint64_t)ns[ni] << 16) ^ ((uint64_t)kDensity[di] << 4) ^ (uint64_t)data;
            ++*cases;
            if (!run_case(e, seed, rng_next(&mix), rows, ks[ki], ns[ni], kDensity[di], data, buf)) {
              return 0;
            }
          }
        }
      }
    }
  }
  /* Long rows: the AVX2 fc kernels' per-feature and unwidened paths. */
  const int big_ks[] = {2048, BIG_K}, big_ns[] = {1, 5, BIG_N};
  for (int rows = 1; rows <= 2; ++rows) {
    for (size_t ki = 0; ki < 2; ++ki) {
      for (size_t ni = 0; ni < 3; ++ni) {
        for (size_t di = 0; di < sizeof(kDensity) / sizeof(kDensity[0]); ++di) {
          for (int data = 0; data < DATA_COUNT; ++data) {
            uint64_t mix = seed ^ ((uint64_t)rows << 56) ^ ((uint64_t)big_ks[ki] << 32) ^
                           ((uint64_t)big_ns[ni] << 16) ^ ((uint64_t)kDensity[di] << 4) ^ (uint64_t)data;
            ++*cases;
            if (!run_case(e, seed, rng_next(&mix), rows, big_ks[ki], big_ns[ni], kDensity[di], data, buf)) {
              return 0;
            }
          }
        }
      }
    }
  }
  /* Directed block counts per row (group) for the fc kernels: every row or group keeping 0,
   * 1, 2, 15, 16, 17, 31, 32, 33 or 40 blocks (of 40), short and whole last groups (the AVX2
   * grouped kernel's masked and overlapping stores), four count offsets each. */
  if (e->conv == 0 || e->conv == 3) {
    const int count_ns[] = {1, 7, 8, 9, 15, 16, 17, 24, 31, MAX_N};
    for (int rows = 1; rows <= 3; ++rows) {
      for (size_t ni = 0; ni < sizeof(count_ns) / sizeof(count_ns[0]); ++ni) {
        for (int rep = 0; rep < 4; ++rep) {
          for (int data = 0; data < DATA_COUNT; ++data) {
            uint64_t mix = seed ^ ((uint64_t)rows << 56) ^ ((uint64_t)count_ns[ni] << 16) ^ ((uint64_t)rep << 8) ^
                           UINT64_C(0xC0) ^ (uint64_t)data;
            ++*cases;
            if (!run_case(e, seed, rng_next(&mix), rows, 40 * e->block_w, count_ns[ni], DIRECTED, data, buf)) {
              return 0;
            }
          }
        }
      }
    }
  }
  /* Pixel-panel kernels: rows keeping 0, 1, 2, 15, 16, 17, 31, 32, 33 or 40 of 40 blocks (the
   * AVX2 kernel sorts rows by block count, runs counts from 64 in one bucket and stores a
   * constant for rows without blocks), around the tile edges; and more output features than
   * the AVX2 kernel's chunk of 256 rows (300: a second chunk ending off a 16-feature group). */
  if (e->conv == 2) {
    const int count_rows[] = {1, 8, 31, 33, 70}, count_ns[] = {1, 9, 17, MAX_N};
    for (size_t ri = 0; ri < sizeof(count_rows) / sizeof(count_rows[0]); ++ri) {
      for (size_t ni = 0; ni < sizeof(count_ns) / sizeof(count_ns[0]); ++ni) {
        for (int rep = 0; rep < 2; ++rep) {
          for (int data = 0; data < DATA_COUNT; ++data) {
            uint64_t mix = seed ^ ((uint64_t)count_rows[ri] << 56) ^ ((uint64_t)count_ns[ni] << 16) ^
                           ((uint64_t)rep << 8) ^ UINT64_C(0xD0) ^ (uint64_t)data;
            ++*cases;
            if (!run_case(e, seed, rng_next(&mix), count_rows[ri], 40 * e->block_w, count_ns[ni], DIRECTED, data,
                          buf)) {
              return 0;
            }
          }
        }
      }
    }
    const int chunk_rows[] = {33, 70};
    for (size_t ri = 0; ri < 2; ++ri) {
      for (size_t di = 0; di < sizeof(kDensity) / sizeof(kDensity[0]); ++di) {
        for (int data = 0; data < DATA_COUNT; ++data) {
          uint64_t mix = seed ^ ((uint64_t)chunk_rows[ri] << 56) ^ ((uint64_t)PANEL_CHUNK_N << 16) ^
                         ((uint64_t)kDensity[di] << 4) ^ UINT64_C(0xE000) ^ (uint64_t)data;
          ++*cases;
          if (!run_case(e, seed, rng_next(&mix), chunk_rows[ri], 128, PANEL_CHUNK_N, kDensity[di], data, buf)) {
            return 0;
          }
        }
      }
    }
  }
  /* Wide layers: more features than the AVX2 fc kernels' chunk of 512 sums (two chunks and a
   * tail), short rows (the balanced-rows path's unrolled groups). */
  const int wide_ks[] = {2 * e->block_w, 128};
  for (int rows = 1; rows <= 2; ++rows) {
    for (size_t ki = 0; ki < 2; ++ki) {
      for (size_t di = 0; di < sizeof(kDensity) / sizeof(kDensity[0]); ++di) {
        for (int data = 0; data < DATA_COUNT; ++data) {
          uint64_t mix = seed ^ ((uint64_t)rows << 56) ^ ((uint64_t)wide_ks[ki] << 32) ^
                         ((uint64_t)WIDE_N << 16) ^ ((uint64_t)kDensity[di] << 4) ^ (uint64_t)data;
          ++*cases;
          if (!run_case(e, seed, rng_next(&mix), rows, wide_ks[ki], WIDE_N, kDensity[di], data, buf)) {
            return 0;
          }
        }
      }
    }
  }
  return 1;
}

int main(int argc, char **argv) {
  uint64_t seed = UINT64_C(20261123);
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 0);
    } else {
      fprintf(stderr, "usage: %s [--seed N]\n", argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const uint32_t features = ek_cpu_features();
  printf("ek_sparse_difftest: seed %" PRIu64 ", cpu features 0x%08" PRIx32 "\n", seed, features);
  const size_t panel_bytes = (size_t)MAX_PANEL_ROWS * MAX_K * 4, long_bytes = (size_t)BIG_N * BIG_K * 4;
  const size_t long_scratch = ek_qs8_spconv1x1_px_scratch_bytes(BIG_K, BIG_N, (size_t)BIG_N * BIG_K);
  const size_t wide_bytes = (size_t)WIDE_N * 128 * 4;
  const size_t wide_scratch = ek_qs8_spconv1x1_px_scratch_bytes(128, WIDE_N, (size_t)WIDE_N * 128);
  size_t big = panel_bytes > long_bytes ? panel_bytes : long_bytes;
  big = big > long_scratch ? big : long_scratch;
  big = big > wide_bytes ? big : wide_bytes;
  big = big > wide_scratch ? big : wide_scratch;
  bufs buf = {guarded_new(big), guarded_new(big), guarded_new(big), guarded_new(big),
              guarded_new(big), guarded_new(big), guarded_new(big), guarded_new(big),
              guarded_new(big), guarded_new(big), guarded_new(big), guarded_new(big)};
  int passed = 0, failed = 0, skipped = 0;
  for (size_t i = 0; i < sizeof(kKernels) / sizeof(kKernels[0]); ++i) {
    const sparse_entry *e = &kKernels[i];
    if ((features & e->level) != e->level) {
      printf("SKIP %s: cpu lacks %s\n", e->name, e->level_name);
      ++skipped;
      continue;
    }
    int cases = 0, half_cases = 0;
    /* The fc kernels (double scales) also get the directed sums next to a half. */
    const int fc = e->conv == 0 || e->conv == 3;
    if (test_kernel(e, seed, &buf, &cases) && (!fc || test_half_rounding(e, seed, &buf, &half_cases))) {
      cases += half_cases;
      printf("PASS %s block %dx%d (%d cases)\n", e->name, e->conv == 3 ? 8 : 1, e->block_w, cases);
      ++passed;
    } else {
      ++failed;
    }
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
