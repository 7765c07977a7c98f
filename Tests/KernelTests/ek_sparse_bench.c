/*
 * ek_sparse_bench: dense vs block-sparse int8 kernels, per layer shape and sparsity, on the
 * best kernel level of this CPU (`make bench` runs it; compare rows of one run only).
 *
 * Usage: ek_sparse_bench [--quick] [--fc] [--pointwise] [--only TEXT]
 *   --fc: the fully connected rows only; --pointwise: the pointwise table only;
 *   --only TEXT: the layers whose name contains TEXT only (e.g. "256->256").
 *
 * Rows: fully connected (batch 1) and 1x1 convolution (pixels x in_c -> out_c) shapes at
 * 50/70/80/90 % block sparsity with blocks of 1x4 and 1x16, and for fc 1x16r: 1x16 blocks
 * with the same number kept in every row (balanced rows; at 80 % a 128-input row keeps 2 of 8
 * blocks, 75 %). Columns: dense time, sparse
 * time, dense/sparse speed-up. The dense kernels are the ones the runtime's kernel table
 * picks on this level (KernelTable.swift: on AVX2 ek_qs8_fc_minmax_1x8c16__avx2 for fc and
 * ek_qs8_conv2d_minmax_4x16c2__avx2 for conv); for conv 1x1 the scalar dense reference
 * (ek_qs8_conv2d_minmax_1x1__ref) is shown too. Dense and sparse are timed in 15
 * alternating batches of the thread's CPU time (see time_pair_us), each batch a plain loop of
 * calls through a function pointer (run): times are medians, the
 * speed-up is the median of the 15 per-batch dense/sparse ratios, so load from other
 * processes, which slows both halves of a batch alike, mostly cancels. A second table times MobileNet-style pointwise
 * convolutions: the level's dense conv kernel against the pixel-panel sparse kernel
 * (ek_sparse_px.h) at the same sparsities, the speed-up taken against the dense 1x1 conv over
 * the packed layout edgepack writes for this CPU (layout 3 on AVX2, what --board host runs). Fully connected rows "8x2g" run the grouped kernel
 * (ek_sparse_grouped.h: 8 features share each kept pair of inputs; at 80 % a 64-input group
 * keeps 6 of its 32 pairs, 81 %).
 */
#define _POSIX_C_SOURCE 200809L
#include "CEdgeKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*qs8_fc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                          const int8_t *, const int32_t *, int8_t *);
typedef void (*spfc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                        const ek_qs8_bsr *, const int32_t *, int8_t *);
typedef void (*gspfc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                         const ek_qs8_gbsr *, const int32_t *, int8_t *);
typedef void (*spconv_fn)(const ek_fc_shape *, const ek_qs8_requant_params *, const int8_t *,
                          const ek_qs8_bsr *, const int32_t *, int8_t *);

typedef void (*qs8_conv_fn)(const ek_conv2d_shape *, const ek_qs8_requant_params *,
                            const int8_t *, const int8_t *, const int32_t *, int8_t *);

typedef struct level_kernels {
  const char *isa;
  qs8_fc_fn dense_fc;
  spfc_fn spfc[2];      /* block 1x4, 1x16 */
  gspfc_fn gspfc;       /* grouped 8x2 blocks */
  spconv_fn spconv[2];
  qs8_conv_fn dense_conv;           /* the runtime's dense conv kernel of the level */
  ek_qs8_spconv1x1_px_fn spconv_px; /* pixel panel, any block width */
  /* The 1x1 conv over the weight layout edgepack writes for a board of this level (FORMAT.md
   * "Weight layouts the SIMD kernels consume": 3 on AVX2, 4 on NEON, 5 on the dot product),
   * what the runtime runs for a model packed for it; NULL at the ref level. */
  qs8_conv_fn packed_conv;
  size_t (*packed_bytes)(size_t out_c, size_t k);
  size_t (*packed_bias_offset)(size_t out_c, size_t k);
  void (*pack)(size_t out_c, size_t k, const int8_t *weights, const int32_t *bias, int32_t input_zero_point,
               void *packed);
  const char *packed_name;
} level_kernels;

static level_kernels pick(void) {
  level_kernels k = {"ref", ek_qs8_fc_minmax_1x1__ref,
                     {ek_qs8_spfc_minmax_1x1__ref, ek_qs8_spfc_minmax_1x1__ref}, ek_qs8_gspfc_minmax_1x1__ref,
                     {ek_qs8_spconv1x1_minmax_1x1__ref, ek_qs8_spconv1x1_minmax_1x1__ref},
                     ek_qs8_conv2d_minmax_1x1__ref, ek_qs8_spconv1x1_minmax_px32__ref,
                     NULL, NULL, NULL, NULL, "-"};
  const uint32_t f = ek_cpu_features();
  (void)f;
#if defined(__x86_64__)
  if ((f & EK_CPU_LEVEL_AVX2) == EK_CPU_LEVEL_AVX2) {
    k = (level_kernels){"avx2", ek_qs8_fc_minmax_1x8c16__avx2,
                        {ek_qs8_spfc_minmax_b1x4__avx2, ek_qs8_spfc_minmax_b1x16__avx2}, ek_qs8_gspfc_minmax_8x2__avx2,
                        {ek_qs8_spconv1x1_minmax_b1x4__avx2, ek_qs8_spconv1x1_minmax_b1x16__avx2},
                        ek_qs8_conv2d_minmax_4x16c2__avx2, ek_qs8_spconv1x1_minmax_px32__avx2,
                        ek_qs8_pconv2d_minmax_4x16c4__avx2, ek_qs8_pconv2d_c4_packed_bytes,
                        ek_qs8_pconv2d_c4_bias_offset, ek_qs8_pconv2d_c4_pack, "layout 3 4x16c4"};
  }
#elif defined(__aarch64__)
  if ((f & EK_CPU_LEVEL_NEON) == EK_CPU_LEVEL_NEON) {
    k = (level_kernels){"neon", ek_qs8_fc_minmax_1x4c16__neon,
                        {ek_qs8_spfc_minmax_b1x4__neon, ek_qs8_spfc_minmax_b1x16__neon}, ek_qs8_gspfc_minmax_8x2__neon,
                        {ek_qs8_spconv1x1_minmax_b1x4__neon, ek_qs8_spconv1x1_minmax_b1x16__neon},
                        ek_qs8_conv2d_minmax_2x4c16__neon, ek_qs8_spconv1x1_minmax_px32__neon,
                        ek_qs8_pconv2d_minmax_8x8__neon, ek_qs8_pconv2d_o8_packed_bytes,
                        ek_qs8_pconv2d_o8_bias_offset, ek_qs8_pconv2d_o8_pack, "layout 4 8x8"};
  }
  if ((f & EK_CPU_LEVEL_NEONDOT) == EK_CPU_LEVEL_NEONDOT) {
    k = (level_kernels){"neondot", ek_qs8_fc_minmax_1x4c16__neondot,
                        {ek_qs8_spfc_minmax_b1x4__neondot, ek_qs8_spfc_minmax_b1x16__neondot}, ek_qs8_gspfc_minmax_8x2__neon,
                        {ek_qs8_spconv1x1_minmax_b1x4__neondot, ek_qs8_spconv1x1_minmax_b1x16__neondot},
                        ek_qs8_conv2d_minmax_4x4c16__neondot, ek_qs8_spconv1x1_minmax_px32__neondot,
                        ek_qs8_pconv2d_minmax_8x8c4__neondot, ek_qs8_pconv2d_o8c4_packed_bytes,
                        ek_qs8_pconv2d_o8c4_bias_offset, ek_qs8_pconv2d_o8c4_pack, "layout 5 8x8c4"};
  }
#endif
  return k;
}

/* This thread's CPU time: on a shared machine, time spent descheduled is not counted (other
 * processes still share caches and cores, hence the alternating batches below). */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct job {
  int kind; /* 0 dense fc, 1 dense conv ref, 2 spfc, 3 spconv, 4 dense conv SIMD, 5 spconv px, 6 gspfc */
  gspfc_fn gspfc;
  const ek_qs8_gbsr *gw;
  qs8_fc_fn dense_fc;
  spfc_fn spfc;
  spconv_fn spconv;
  qs8_conv_fn dense_conv;
  ek_qs8_spconv1x1_px_fn spconv_px;
  void *scratch;
  ek_fc_shape shape;
  ek_conv2d_shape cshape;
  const ek_qs8_fc_params *fp;
  const ek_qs8_requant_params *cp;
  const int8_t *x, *w;
  const ek_qs8_bsr *sw;
  const int32_t *bias;
  int8_t *y;
} job;

/* reps calls of j's kernel: the kind is looked at once, so that every call is the kernel's
 * own cost plus an indirect call, as the runtime calls it through its kernel table (a switch per
 * call would add the same few nanoseconds to both sides of a pair, pulling the speed-up of
 * the smallest layers toward 1). */
#define REPEAT(stmt)                                       \
  do {                                                     \
    for (long r = 0; r < reps; ++r) stmt;                  \
  } while (0)
static void run(const job *j, long reps) {
  const ek_fc_shape *sh = &j->shape;
  const ek_conv2d_shape *cs = &j->cshape;
  const int8_t *x = j->x, *w = j->w;
  const int32_t *bias = j->bias;
  int8_t *y = j->y;
  switch (j->kind) {
  case 0: { const qs8_fc_fn f = j->dense_fc; const ek_qs8_fc_params *fp = j->fp; REPEAT(f(sh, fp, x, w, bias, y)); break; }
  case 1: { const ek_qs8_requant_params *cp = j->cp; REPEAT(ek_qs8_conv2d_minmax_1x1__ref(cs, cp, x, w, bias, y)); break; }
  case 2: { const spfc_fn f = j->spfc; const ek_qs8_fc_params *fp = j->fp; const ek_qs8_bsr *sw = j->sw; REPEAT(f(sh, fp, x, sw, bias, y)); break; }
  case 4: { const qs8_conv_fn f = j->dense_conv; const ek_qs8_requant_params *cp = j->cp; REPEAT(f(cs, cp, x, w, bias, y)); break; }
  case 6: { const gspfc_fn f = j->gspfc; const ek_qs8_fc_params *fp = j->fp; const ek_qs8_gbsr *gw = j->gw; REPEAT(f(sh, fp, x, gw, bias, y)); break; }
  case 5: {
    const ek_qs8_spconv1x1_px_fn f = j->spconv_px; const ek_qs8_requant_params *cp = j->cp; const ek_qs8_bsr *sw = j->sw;
    void *scratch = j->scratch;
    REPEAT(f(sh, cp, x, sw, bias, y, scratch));
    break;
  }
  default: { const spconv_fn f = j->spconv; const ek_qs8_requant_params *cp = j->cp; const ek_qs8_bsr *sw = j->sw; REPEAT(f(sh, cp, x, sw, bias, y)); break; }
  }
}
#undef REPEAT

static int cmp_double(const void *p, const void *q) {
  const double a = *(const double *)p, b = *(const double *)q;
  return a < b ? -1 : a > b;
}

static double median15(double *v) {
  qsort(v, 15, sizeof(double), cmp_double);
  return v[7];
}

/* Microseconds per call of a and b and the a/b ratio: 15 alternating batches of calls
 * lasting >= 5 ms each; medians of the times and of the 15 per-batch ratios. */
static void time_pair_us(const job *a, const job *b, int quick, double *ta, double *tb, double *ratio) {
  long reps = 1;
  for (;;) {
    const double t0 = now();
    run(a, reps);
    if (now() - t0 >= (quick ? 0.001 : 0.005)) break;
    reps *= 2;
  }
  double va[15], vb[15], vr[15];
  for (int s = 0; s < 15; ++s) {
    double t0 = now();
    run(a, reps);
    const double da = (now() - t0) / (double)reps * 1e6;
    t0 = now();
    run(b, reps);
    const double db = (now() - t0) / (double)reps * 1e6;
    va[s] = da;
    vb[s] = db;
    vr[s] = da / db;
  }
  *ta = median15(va);
  *tb = median15(vb);
  if (ratio != NULL) *ratio = median15(vr);
}

static uint64_t rng = 12345;
static int32_t rnd(int32_t lo, int32_t hi) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return lo + (int32_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

/* Pointwise convolutions of MobileNet-like models (vww, kws, a 56x56 ResNet-style layer):
 * the pixel-panel sparse kernel (ek_sparse_px.h) against the level's dense 1x1 conv over the
 * packed weight layout edgepack writes for this CPU (dense_pk: what the runtime runs for a
 * model packed with --board host; the speed-up column) and against the level's dense conv over
 * canonical OHWI weights (dense_simd: a model packed without a board; speedup_c). Each pair
 * is timed in its own 15 alternating batches. */
static void bench_pointwise(const level_kernels *lk, int quick, const char *only) {
  static const struct { const char *name; int h, w, in, out; } shapes[] = {
      {"pw 25x5 64->64 (kws)", 25, 5, 64, 64},     {"pw 48x48 32->64", 48, 48, 32, 64},
      {"pw 24x24 64->64 (vww)", 24, 24, 64, 64},   {"pw 12x12 128->128 (vww)", 12, 12, 128, 128},
      {"pw 6x6 256->256 (vww)", 6, 6, 256, 256},   {"pw 56x56 64->64", 56, 56, 64, 64},
  };
  static const int sparsities[] = {50, 70, 80, 90};
  printf("\n%-26s %-5s %4s %10s %10s %10s %8s %9s  (dense_pk: %s, dense_simd: %s canonical conv)\n", "layer",
         "block", "sp%", "dense_pk", "dense_simd", "sparse_px", "speedup", "speedup_c",
         lk->packed_conv != NULL ? lk->packed_name : "-", lk->isa);
  for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); ++si) {
    if (only != NULL && strstr(shapes[si].name, only) == NULL) continue;
    const int rows = shapes[si].h * shapes[si].w, k = shapes[si].in, n = shapes[si].out;
    int8_t *x = aligned_alloc(64, (size_t)rows * k + 64);
    int8_t *w = aligned_alloc(64, (size_t)n * k + 64);
    int8_t *vals = aligned_alloc(64, (size_t)n * k + 64);
    uint16_t *cols = malloc((size_t)n * k * sizeof(uint16_t) + 64);
    uint32_t *row_ptr = malloc(((size_t)n + 1) * sizeof(uint32_t));
    int32_t *bias = malloc((size_t)n * 4), *mult = malloc((size_t)n * 4), *shift = malloc((size_t)n * 4);
    int8_t *y = malloc((size_t)rows * n + 64);
    void *scratch = aligned_alloc(64, (ek_qs8_spconv1x1_px_scratch_bytes(k, n, (size_t)n * k) + 63) / 64 * 64);
    const size_t packed_bytes = lk->packed_conv != NULL ? lk->packed_bytes((size_t)n, (size_t)k) : 0;
    uint8_t *packed = aligned_alloc(128, (packed_bytes + 127) / 128 * 128 + 128);
    for (int i = 0; i < rows * k; ++i) x[i] = (int8_t)rnd(-128, 127);
    for (int j = 0; j < n; ++j) {
      bias[j] = rnd(-1000, 1000);
      ek_quantize_multiplier(1.0 / (64.0 * k), &mult[j], &shift[j]);
    }
    const ek_qs8_requant_params cp = {3, -5, -128, 127, mult, shift};
    for (int bi = 0; bi < 2; ++bi) {
      const int bw = bi == 0 ? 4 : 16;
      for (size_t pi = 0; pi < sizeof(sparsities) / sizeof(sparsities[0]); ++pi) {
        const int sp = sparsities[pi];
        size_t nnz = 0;
        memset(w, 0, (size_t)n * k);
        for (int o = 0; o < n; ++o) {
          row_ptr[o] = (uint32_t)nnz;
          for (int c = 0; c < k / bw; ++c) {
            if (rnd(0, 99) < sp) continue;
            for (int i = 0; i < bw; ++i) {
              const int8_t v = (int8_t)rnd(-127, 127);
              w[(size_t)o * k + (size_t)c * bw + i] = v;
              vals[nnz * bw + i] = v;
            }
            cols[nnz++] = (uint16_t)c;
          }
        }
        row_ptr[n] = (uint32_t)nnz;
        const ek_qs8_bsr sw = {bw, row_ptr, cols, vals};
        job j = {0};
        j.shape = (ek_fc_shape){rows, k, n};
        j.cshape = (ek_conv2d_shape){1, shapes[si].h, shapes[si].w, k, shapes[si].h, shapes[si].w, n,
                                     1, 1, 1, 1, 1, 1, 0, 0, 1};
        j.cp = &cp; j.x = x; j.w = w; j.sw = &sw; j.bias = bias; j.y = y; j.scratch = scratch;
        j.dense_conv = lk->dense_conv; j.spconv_px = lk->spconv_px;
        job dense = j, sparse_job = j, dense_pk = j;
        dense.kind = 4;
        sparse_job.kind = 5;
        double td = 0, ts = 0, speedup = 0, tp = 0, ts_pk = 0, speedup_pk = 0;
        char tp_text[16] = "-", speedup_pk_text[16] = "-";
        if (lk->packed_conv != NULL) {
          lk->pack((size_t)n, (size_t)k, w, bias, cp.input_zero_point, packed);
          dense_pk.kind = 4;
          dense_pk.dense_conv = lk->packed_conv;
          dense_pk.w = (const int8_t *)packed;
          dense_pk.bias = (const int32_t *)(const void *)(packed + lk->packed_bias_offset((size_t)n, (size_t)k));
          time_pair_us(&dense_pk, &sparse_job, quick, &tp, &ts_pk, &speedup_pk);
          snprintf(tp_text, sizeof tp_text, "%.2f", tp);
          snprintf(speedup_pk_text, sizeof speedup_pk_text, "%.2fx", speedup_pk);
        }
        time_pair_us(&dense, &sparse_job, quick, &td, &ts, &speedup);
        printf("%-26s %-5s %4d %10s %10.2f %10.2f %8s %8.2fx\n", shapes[si].name, bw == 4 ? "1x4" : "1x16", sp,
               tp_text, td, lk->packed_conv != NULL ? ts_pk : ts, speedup_pk_text, speedup);
      }
    }
    free(x); free(w); free(vals); free(cols); free(row_ptr); free(bias); free(mult); free(shift);
    free(y); free(scratch); free(packed);
  }
}

/* Rows "8x2g": grouped 8x2 blocks (ek_sparse_grouped.h), every group of 8 features keeping
 * round((100 - sp) % of the in / 2 input pairs, as `--prune-pattern groups8x2` prunes. */
static void bench_grouped(const level_kernels *lk, int quick, const char *name, int k, int n, const int8_t *x,
                          const ek_qs8_fc_params *fp, const int32_t *bias, int8_t *y) {
  static const int sparsities[] = {50, 70, 80, 90};
  const int groups = (n + 7) / 8, kb = k / 2;
  int8_t *w = aligned_alloc(64, (size_t)n * k + 64);
  int8_t *vals = aligned_alloc(64, (size_t)groups * kb * 16 + 64);
  uint16_t *cols = malloc((size_t)groups * kb * sizeof(uint16_t) + 64);
  uint32_t *gp = malloc(((size_t)groups + 1) * sizeof(uint32_t));
  for (size_t pi = 0; pi < sizeof(sparsities) / sizeof(sparsities[0]); ++pi) {
    const int sp = sparsities[pi], per_group = (kb * (100 - sp) + 50) / 100;
    size_t nnz = 0;
    memset(w, 0, (size_t)n * k);
    for (int g = 0; g < groups; ++g) {
      gp[g] = (uint32_t)nnz;
      int left = per_group;
      for (int c = 0; c < kb; ++c) {
        if (rnd(0, kb - c - 1) >= left) continue;
        --left;
        for (int r = 0; r < 8; ++r) {
          for (int i = 0; i < 2; ++i) {
            const int8_t v = 8 * g + r < n ? (int8_t)rnd(-127, 127) : 0;
            if (8 * g + r < n) w[(size_t)(8 * g + r) * k + 2 * c + i] = v;
            vals[nnz * 16 + 2 * r + i] = v;
          }
        }
        cols[nnz++] = (uint16_t)c;
      }
    }
    gp[groups] = (uint32_t)nnz;
    const ek_qs8_gbsr gw = {8, 2, gp, cols, vals};
    job j = {0};
    j.shape = (ek_fc_shape){1, k, n};
    j.fp = fp; j.x = x; j.w = w; j.gw = &gw; j.bias = bias; j.y = y;
    j.dense_fc = lk->dense_fc; j.gspfc = lk->gspfc;
    job dense = j, sparse_job = j;
    dense.kind = 0;
    sparse_job.kind = 6;
    double td = 0, ts = 0, speedup = 0;
    time_pair_us(&dense, &sparse_job, quick, &td, &ts, &speedup);
    printf("%-28s %-6s %5d %10s %10.2f %10.2f %7.2fx\n", name, "8x2g", sp, "-", td, ts, speedup);
  }
  free(w); free(vals); free(cols); free(gp);
}

int main(int argc, char **argv) {
  int quick = 0, pointwise_only = 0, fc_only = 0;
  const char *only = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) {
      quick = 1;
    } else if (strcmp(argv[i], "--pointwise") == 0) {
      pointwise_only = 1;
    } else if (strcmp(argv[i], "--fc") == 0) {
      fc_only = 1;
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--quick] [--fc] [--pointwise] [--only TEXT]\n", argv[0]);
      return 2;
    }
  }
  const level_kernels lk = pick();
  /* name, pixels (0 = fc batch 1), in, out */
  static const struct { const char *name; int pixels, in, out; } shapes[] = {
      {"fc 64->32 (digits_mlp fc1)", 0, 64, 32}, {"fc 32->10 (digits_mlp fc2)", 0, 32, 10},
      {"fc 128->128 (ad01)", 0, 128, 128},       {"fc 128->8 (ad01)", 0, 128, 8},
      {"fc 640->128 (ad01)", 0, 640, 128},       {"fc 256->256", 0, 256, 256},
      {"fc 128->640", 0, 128, 640},              {"fc 512->512", 0, 512, 512},
      {"fc 1024->1024", 0, 1024, 1024},
      {"conv1x1 8x8 px 64->128", 64, 64, 128},   {"conv1x1 16x16 px 32->64", 256, 32, 64},
      {"conv1x1 4x4 px 256->256", 16, 256, 256},
  };
  static const int sparsities[] = {50, 70, 80, 90};
  printf("ek_sparse_bench: level %s; us per call, medians of 15 alternating dense/sparse batches\n", lk.isa);
  if (!pointwise_only) {
    printf("%-28s %-6s %5s %10s %10s %10s %8s\n", "layer", "block", "sp%", "dense_ref", "dense_simd",
           "sparse", "speedup");
  }
  for (size_t si = 0; si < (pointwise_only ? 0 : sizeof(shapes) / sizeof(shapes[0])); ++si) {
    const int conv = shapes[si].pixels > 0, rows = conv ? shapes[si].pixels : 1;
    if (conv && fc_only) continue;
    if (only != NULL && strstr(shapes[si].name, only) == NULL) continue;
    const int k = shapes[si].in, n = shapes[si].out;
    int8_t *x = aligned_alloc(64, (size_t)rows * k + 64);
    int8_t *w = aligned_alloc(64, (size_t)n * k + 64);
    int8_t *vals = aligned_alloc(64, (size_t)n * k + 64);
    uint16_t *cols = malloc((size_t)n * k * sizeof(uint16_t) + 64);
    uint32_t *row_ptr = malloc(((size_t)n + 1) * sizeof(uint32_t));
    int32_t *bias = malloc((size_t)n * sizeof(int32_t)), *mult = malloc((size_t)n * 4), *shift = malloc((size_t)n * 4);
    double *scale = malloc((size_t)n * sizeof(double));
    int8_t *y = malloc((size_t)rows * n + 64);
    for (int i = 0; i < rows * k; ++i) x[i] = (int8_t)rnd(-128, 127);
    for (int j = 0; j < n; ++j) {
      bias[j] = rnd(-1000, 1000);
      scale[j] = 1.0 / (64.0 * k);
      ek_quantize_multiplier(scale[j], &mult[j], &shift[j]);
    }
    const ek_qs8_fc_params fp = {3, -5, -128, 127, scale};
    const ek_qs8_requant_params cp = {3, -5, -128, 127, mult, shift};
    /* Block 1x4, 1x16, and (fc only) 1x16 with balanced rows ("1x16r": every row keeps
     * round((100 - sp) % of its blocks), as `--prune-pattern rows1x16` writes them). */
    for (int bi = 0; bi < (conv ? 2 : 4); ++bi) {
      if (bi == 3) {
        bench_grouped(&lk, quick, shapes[si].name, k, n, x, &fp, bias, y);
        continue;
      }
      const int bw = bi == 0 ? 4 : 16, balanced = bi == 2;
      for (size_t pi = 0; pi < sizeof(sparsities) / sizeof(sparsities[0]); ++pi) {
        const int sp = sparsities[pi];
        const int kb = k / bw, per_row = (kb * (100 - sp) + 50) / 100;
        size_t nnz = 0;
        memset(w, 0, (size_t)n * k);
        for (int o = 0; o < n; ++o) {
          row_ptr[o] = (uint32_t)nnz;
          int left = per_row;
          for (int c = 0; c < kb; ++c) {
            if (balanced) {
              if (rnd(0, kb - c - 1) >= left) continue;
              --left;
            } else if (rnd(0, 99) < sp) {
              continue;
            }
            for (int i = 0; i < bw; ++i) {
              const int8_t v = (int8_t)rnd(-127, 127);
              w[(size_t)o * k + (size_t)c * bw + i] = v;
              vals[nnz * bw + i] = v;
            }
            cols[nnz++] = (uint16_t)c;
          }
        }
        row_ptr[n] = (uint32_t)nnz;
        const ek_qs8_bsr sw = {bw, row_ptr, cols, vals};
        job j = {0};
        j.shape = (ek_fc_shape){rows, k, n};
        j.cshape = (ek_conv2d_shape){1, rows, 1, k, rows, 1, n, 1, 1, 1, 1, 1, 1, 0, 0, 1};
        j.fp = &fp; j.cp = &cp; j.x = x; j.w = w; j.sw = &sw; j.bias = bias; j.y = y;
        j.dense_fc = lk.dense_fc; j.spfc = lk.spfc[bi > 0]; j.spconv = lk.spconv[bi > 0];
        job dense = j, sparse_job = j, ref = j;
        dense.kind = 0;
        ref.kind = 1;
        sparse_job.kind = conv ? 3 : 2;
        double dense_simd = 0, sparse = 0, dense_ref = 0, unused = 0, speedup = 0;
        time_pair_us(&dense, &sparse_job, quick, &dense_simd, &sparse, &speedup);
        if (conv) time_pair_us(&ref, &sparse_job, 1, &dense_ref, &unused, NULL);
        char ref_text[16];
        snprintf(ref_text, sizeof ref_text, conv ? "%.2f" : "-", dense_ref);
        printf("%-28s %-6s %5d %10s %10.2f %10.2f %7.2fx\n", shapes[si].name, bw == 4 ? "1x4" : balanced ? "1x16r" : "1x16",
               sp, ref_text, dense_simd, sparse, speedup);
      }
    }
    free(x); free(w); free(vals); free(cols); free(row_ptr); free(bias); free(mult); free(shift);
    free(scale); free(y);
  }
  if (!fc_only) bench_pointwise(&lk, quick, only);
  return 0;
}
